/**
 * The replicate-image action's handler on image events, against two real registries.
 */
import { replicateImageAction } from '../../../functions/act/replicate-image';
import { isPermanentError, isRetryableError } from '../../../functions/act/errors';
import { freePort } from '../../support/peer';
import { startRegistry, type Registry } from '../../support/registry';
import { imageEvent } from '../../support/events/replicate-image';
import { replicateHandler } from '../../support/replicate-handler';
import { pushImage, pushIndex, tagDigest } from '../../support/synthetic-images';
import { safeParse } from '../../../functions/support/schema';

const KIB = 1024;
let source: Registry;
let target: Registry;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

// The source registry is on loopback, not Google: the route allows it by name.
const handlerFor = (withBlock: Record<string, unknown>) => replicateHandler({ sources: [source.host], ...withBlock });

test('an insert with tag and digest is copied by digest to every target and the tag set; the result says what moved', async () => {
  const index = await pushIndex(
    source.url,
    'build/images/api',
    [
      { seed: 'act-amd64', layerSizes: [100 * KIB, 50 * KIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'act-arm64', layerSizes: [80 * KIB], platform: { os: 'linux', architecture: 'arm64' } },
    ],
    'v1.2.0',
  );
  const { run, sink } = handlerFor({ targets: [`${target.host}/prod/images`, `${source.host}/release/images/api-mirror`] });
  const result = await run(imageEvent('inserted', source.host, 'build/images/api', { tag: 'v1.2.0', digest: index.digest }));
  expect(await tagDigest(target.url, 'prod/images/api', 'v1.2.0')).toBe(index.digest);
  expect(await tagDigest(source.url, 'release/images/api-mirror', 'v1.2.0')).toBe(index.digest);
  const copies = (result!.details as { copies: Record<string, unknown>[] }).copies;
  expect(copies[0]).toMatchObject({ target: `${target.host}/prod/images/api:v1.2.0`, digest: index.digest, blobsCopied: 5, blobsMounted: 0, manifests: 3 });
  expect(copies[1]).toMatchObject({ target: `${source.host}/release/images/api-mirror:v1.2.0`, blobsCopied: 0, blobsMounted: 5, bytes: 0 });
  expect(result!.summary).toContain(`copied ${source.host}/build/images/api:v1.2.0@${index.digest} to ${target.host}/prod/images/api:v1.2.0 (5 blobs copied`);
  expect(sink.entries().some((e) => e.message === result!.summary)).toBe(true);

  // Redelivered: nothing moves, and the result says so.
  const again = await run(imageEvent('inserted', source.host, 'build/images/api', { tag: 'v1.2.0', digest: index.digest }));
  expect(again!.summary).toContain(`${target.host}/prod/images/api:v1.2.0 (already at ${index.digest})`);
  expect(again!.details).toMatchObject({ bytes: 0 });
});

test('a digest-only insert is copied by digest, with no tag', async () => {
  const image = await pushImage(source.url, 'build/images/worker', { seed: 'act-digest', layerSizes: [10 * KIB] });
  const { run } = handlerFor({ targets: [`${target.host}/prod/images`] });
  const result = await run(imageEvent('inserted', source.host, 'build/images/worker', { digest: image.digest }));
  expect(await tagDigest(target.url, 'prod/images/worker', image.digest)).toBe(image.digest);
  expect(result!.summary).toContain(`${target.host}/prod/images/worker@${image.digest}`);
});

test('a tag deletion does nothing unless the route opts in, then deletes the tag in the targets', async () => {
  const image = await pushImage(source.url, 'build/images/web', { seed: 'act-delete', layerSizes: [10 * KIB] }, 'old');
  const off = handlerFor({ targets: [`${target.host}/prod/images`] });
  await off.run(imageEvent('inserted', source.host, 'build/images/web', { tag: 'old', digest: image.digest }));
  const kept = await off.run(imageEvent('deleted', source.host, 'build/images/web', { tag: 'old' }));
  expect(kept!.summary).toBe(`no image will be updated: ${source.host}/build/images/web:old was deleted and deleteTags is off`);
  expect(await tagDigest(target.url, 'prod/images/web', 'old')).toBe(image.digest);

  const on = handlerFor({ targets: [`${target.host}/prod/images`], deleteTags: true });
  const deleted = await on.run(imageEvent('deleted', source.host, 'build/images/web', { tag: 'old' }));
  expect(deleted!.summary).toBe(`deleted tag old of ${source.host}/build/images/web:old in ${target.host}/prod/images/web`);
  expect(await tagDigest(target.url, 'prod/images/web', 'old')).toBeUndefined();
});

test('a tag deletion the registry can only do by digest is refused when another tag names the same manifest', async () => {
  const image = await pushImage(source.url, 'build/images/shared', { seed: 'act-shared', layerSizes: [KIB] }, 'a');
  const { run } = handlerFor({ targets: [`${target.host}/prod/images`], deleteTags: true });
  await run(imageEvent('inserted', source.host, 'build/images/shared', { tag: 'a', digest: image.digest }));
  await run(imageEvent('inserted', source.host, 'build/images/shared', { tag: 'b', digest: image.digest }));
  const err = await run(imageEvent('deleted', source.host, 'build/images/shared', { tag: 'a' })).catch((e: unknown) => e);
  expect(isPermanentError(err)).toBe(true);
  expect((err as Error).message).toContain('cannot delete tag a alone, and b name the same manifest');
  expect(await tagDigest(target.url, 'prod/images/shared', 'b')).toBe(image.digest);
});

test('a missing source manifest is permanent; a target that stays down is retryable after bounded retries', async () => {
  const { run } = handlerFor({ targets: [`${target.host}/prod/images`] });
  const missing = await run(imageEvent('inserted', source.host, 'build/images/ghost', { tag: 'v1' })).catch((e: unknown) => e);
  expect(isPermanentError(missing)).toBe(true);
  expect((missing as Error).message).toContain(`${source.host}/build/images/ghost:v1 not found (404)`);

  const image = await pushImage(source.url, 'build/images/down', { seed: 'act-down', layerSizes: [KIB] }, 'v1');
  const down = handlerFor({ targets: [`127.0.0.1:${await freePort()}/prod/images`], retry: { attempts: 3, maxSeconds: 2 } });
  const started = Date.now();
  const err = await down.run(imageEvent('inserted', source.host, 'build/images/down', { tag: 'v1', digest: image.digest })).catch((e: unknown) => e);
  expect(isRetryableError(err)).toBe(true);
  expect((err as Error).message).toMatch(/ECONNREFUSED/);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('the options refuse targets with tags, unknown platforms and unknown keys', () => {
  const parse = (w: unknown) => safeParse(replicateImageAction.options, w).success;
  expect(parse({ targets: ['us-docker.pkg.dev/prod/images'], platforms: ['linux/amd64', 'linux/arm64/v8'], jobs: 8 })).toBe(true);
  expect(parse({ targets: ['gcr.io/prod'] })).toBe(true);
  expect(parse({ targets: ['us-docker.pkg.dev/prod/images:v1'] })).toBe(false);
  expect(parse({ targets: ['us-docker.pkg.dev/prod'] })).toBe(false);
  expect(parse({ targets: [] })).toBe(false);
  expect(parse({ targets: ['gcr.io/prod'], platforms: ['linux'] })).toBe(false);
  expect(parse({ targets: ['gcr.io/prod'], target: 'typo' })).toBe(false);
  expect(parse({ targets: ['gcr.io/prod'], credentials: [{ host: 'r.example', username: 'u', passwordEnv: 'R_PASS' }] })).toBe(true);
});
