/**
 * Our own route, tested in process with eventarc-router/testing: no server, no
 * registry (the replicate-image route is tested against real registries by the
 * project's CI). Run with `npm test`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createRouter } from 'eventarc-router';
import { deliveries, runDelivery } from 'eventarc-router/testing';

// The code route alone: the same match and handler as index.ts, without routes.yaml.
function announcer() {
  return createRouter({ env: {} }).on(
    { kind: 'registry.image', change: 'inserted', tag: { glob: 'v*.*.*' } },
    (event) => ({
      summary: `release ${event.image.host}/${event.image.path}:${event.image.tag} announced`,
    }),
    { name: 'announce-release' },
  );
}

const image = 'europe-docker.pkg.dev/acme-build/releases/api';
const digest = `sha256:${'a'.repeat(64)}`;

test('a release tag is announced and acknowledged', async () => {
  const result = await runDelivery(announcer(), deliveries.registryImage({ tag: `${image}:v1.4.0`, digest: `${image}@${digest}` }));
  assert.equal(result.status, 200);
  assert.equal(result.acknowledged, true);
  assert.deepEqual(
    result.routes.map((r) => [r.route, r.status]),
    [['announce-release', 'done']],
  );
  assert.match(result.body, /release europe-docker\.pkg\.dev\/acme-build\/releases\/api:v1\.4\.0 announced/);
});

test('a tag that is not a release matches nothing and is acknowledged without a route', async () => {
  const result = await runDelivery(announcer(), deliveries.registryImage({ tag: `${image}:latest`, digest: `${image}@${digest}` }));
  assert.equal(result.status, 204);
  assert.equal(result.outcome, 'unmatched');
  assert.deepEqual(result.routes, []);
});

test('a deleted tag is not announced', async () => {
  const result = await runDelivery(announcer(), deliveries.registryImage({ action: 'DELETE', tag: `${image}:v1.4.0` }));
  assert.equal(result.outcome, 'unmatched');
});

test('the handler is typed by the match: a registry event has no storage fields', () => {
  createRouter({ env: {} }).on({ kind: 'registry.image' }, (event) => {
    // @ts-expect-error a registry event has no `object` (a storage event's field)
    void event.object;
    return { summary: event.image.tag ?? 'untagged' };
  });
});

test('a field of another kind does not compile, and is refused at run time naming it', () => {
  assert.throws(
    // @ts-expect-error `bucket` is not a field of registry.image events
    () => createRouter({ env: {} }).on({ kind: 'registry.image', bucket: 'releases' }, () => ({ summary: 'never' })),
    /"bucket" is not a field of registry\.image events/,
  );
});

test('a misspelt field does not compile, and is refused at run time naming it', () => {
  // @ts-expect-error `tagg` is not a field of any event
  assert.throws(() => createRouter({ env: {} }).on({ kind: 'registry.image', tagg: 'v1.4.0' }, () => undefined), /tagg/);
});
