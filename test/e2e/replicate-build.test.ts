/**
 * A successful Cloud Build's images replicated through the real service: a `cloud-builds`
 * notification (the Pub/Sub push Cloud Build publishes, its data Google's
 * BuildEventData-complex example with the images pointing at a loopback `docker-registry`)
 * reaches a route on status, trigger and image, and each image the build pushed is in the
 * target registry at the digest the build reported, even after its tag moved in the source.
 * A build naming an image outside the route's sources is acknowledged with the reason and
 * that host is never contacted; a failed build or one with no matching image is not routed.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { startService, type Service } from '../support/service';
import { startRegistry, type Registry } from '../support/registry';
import { FIXTURES } from '../support/fixtures';
import { pushImage, tagDigest } from '../support/synthetic-images';

const KIB = 1024;
let source: Registry;
let target: Registry;
let service: Service;
/** A registry host no route allows: it counts every request made to it. */
let outsider: { host: string; requests: number; close(): Promise<void> };

const example = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, 'real', 'google-cloudevents', 'examples', 'binary', 'cloudbuild', 'BuildEventData-complex.json'), 'utf8'),
) as Record<string, unknown>;

/** The Build resource Cloud Build publishes: Google's example, with this build's id, status, trigger and pushed images. */
function buildResource(id: string, status: string, images: readonly { name: string; digest?: string }[]): Record<string, unknown> {
  return {
    ...example,
    id,
    status,
    buildTriggerId: 'trigger-release-1',
    substitutions: { TRIGGER_NAME: 'release', SHORT_SHA: 'abc1234' },
    images: images.map((i) => i.name),
    results: {
      ...(example['results'] as object),
      images: images
        .filter((i) => i.digest)
        .map((i) => ({ name: i.name, digest: i.digest, pushTiming: { startTime: '2026-12-01T10:00:00Z', endTime: '2026-12-01T10:00:02Z' } })),
    },
  };
}

/** As Pub/Sub pushes a `cloud-builds` message: attributes buildId and status, data the Build. */
function deliverNotification(build: Record<string, unknown>, messageId: string) {
  return fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify(build)).toString('base64'),
        messageId,
        attributes: { buildId: String(build['id']), status: String(build['status']) },
      },
      subscription: 'projects/build-project/subscriptions/cloud-builds-replicate',
    }),
    signal: AbortSignal.timeout(30000),
  });
}

/** The same build as Eventarc's statusChanged CloudEvent, binary mode. */
function deliverCloudEvent(build: Record<string, unknown>, id: string) {
  return fetch(service.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': 'google.cloud.cloudbuild.build.v1.statusChanged',
      'ce-source': `//cloudbuild.googleapis.com/projects/build-project/locations/global/builds/${String(build['id'])}`,
      'ce-time': '2026-12-01T10:00:03Z',
    },
    body: JSON.stringify(build),
    signal: AbortSignal.timeout(30000),
  });
}

interface Answer {
  handled?: boolean;
  results?: { route: string; summary: string; details?: { copies?: { target: string; digest: string; readBack: string }[] } }[];
}

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('build-source-registry'), startRegistry('build-target-registry')]);
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  outsider = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  service = await startService({
    routes: [
      'routes:',
      '  - name: release-builds',
      `    match: { kind: build.status, status: SUCCESS, trigger: release, image: { glob: "${source.host}/build/images/**" } }`,
      '    action: replicate-image',
      '    timeoutSeconds: 60',
      '    with:',
      `      targets: ["${target.host}/prod/images"]`,
      `      sources: ["${source.host}/build/images"]`,
      '',
    ].join('\n'),
  });
});

afterAll(async () => {
  await service?.stop();
  await Promise.all([source?.stop(), target?.stop(), outsider?.close()]);
});

test("a successful build's images are copied by the digests the build reported, though a tag moved since", async () => {
  const api = await pushImage(source.url, 'build/images/api', { seed: 'build-api', layerSizes: [64 * KIB, 32 * KIB] }, 'v3');
  const worker = await pushImage(source.url, 'build/images/worker', { seed: 'build-worker', layerSizes: [48 * KIB] }, 'v3');
  // After the build, someone moves api:v3 in the source: the build's digest is what gets copied.
  const moved = await pushImage(source.url, 'build/images/api', { seed: 'build-api-later', layerSizes: [KIB] }, 'v3');
  expect(moved.digest).not.toBe(api.digest);

  const build = buildResource('b-success', 'SUCCESS', [
    { name: `${source.host}/build/images/api:v3`, digest: api.digest },
    { name: `${source.host}/build/images/worker:v3`, digest: worker.digest },
  ]);
  const res = await deliverNotification(build, 'cb-1');
  expect(res.status).toBe(200);
  const answer = (await res.json()) as Answer;
  expect(answer.handled).toBe(true);
  expect(answer.results?.[0].summary).toContain(
    `copied the images of build b-success: ${source.host}/build/images/api:v3@${api.digest} to ${target.host}/prod/images/api:v3 (`,
  );
  expect(await tagDigest(target.url, 'prod/images/api', 'v3')).toBe(api.digest);
  expect(await tagDigest(target.url, 'prod/images/worker', 'v3')).toBe(worker.digest);
  expect(answer.results?.[0].details?.copies?.map((c) => [c.target, c.readBack])).toEqual([
    [`${target.host}/prod/images/api:v3`, api.digest],
    [`${target.host}/prod/images/worker:v3`, worker.digest],
  ]);
  const logs = await service.waitForLogs((l) => l.some((e) => String(e.message).startsWith('copied the images of build b-success')));
  expect(logs.find((e) => String(e.message).startsWith('copied the images of build b-success'))!['replication']).toMatchObject({ build: 'b-success' });

  // The same build as Eventarc's CloudEvent is the same event: the target already holds both, nothing moves.
  const again = await deliverCloudEvent(build, 'cb-1-ce');
  expect(again.status).toBe(200);
  const summary = ((await again.json()) as Answer).results?.[0].summary;
  expect(summary).toContain(`${target.host}/prod/images/api:v3 (already at ${api.digest}`);
  expect(summary).toContain('; 0 bytes moved');
});

test('a build naming an image outside the sources is acknowledged with the reason, and nothing is contacted or copied', async () => {
  const api = await pushImage(source.url, 'build/images/api', { seed: 'build-api-v4', layerSizes: [KIB] }, 'v4');
  const digest = `sha256:${'a'.repeat(64)}`;
  const build = buildResource('b-outsider', 'SUCCESS', [
    { name: `${source.host}/build/images/api:v4`, digest: api.digest },
    { name: `${outsider.host}/build/images/api:v4`, digest },
  ]);
  const res = await deliverNotification(build, 'cb-2');
  // Acknowledged (never redelivered), with the reason.
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toContain(`build b-outsider: source ${outsider.host}/build/images/api is not in this route's sources`);
  expect(outsider.requests).toBe(0);
  // One refused image refuses the build: the allowed one is not copied either.
  expect(await tagDigest(target.url, 'prod/images/api', 'v4')).toBeUndefined();
});

test('an image name that is not a strict reference refuses the build (acknowledged, with the reason)', async () => {
  const build = buildResource('b-hostile', 'SUCCESS', [{ name: `${source.host}/build/images/api:v5#@${outsider.host}/x`, digest: `sha256:${'b'.repeat(64)}` }]);
  const res = await deliverNotification(build, 'cb-3');
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('build b-hostile: image ');
  expect(outsider.requests).toBe(0);
  expect(await tagDigest(target.url, 'prod/images/api', 'v5')).toBeUndefined();
});

test('a failed build, and a successful one with no image under the pattern, are not routed (204) and copy nothing', async () => {
  const api = await pushImage(source.url, 'build/images/api', { seed: 'build-api-v6', layerSizes: [KIB] }, 'v6');
  const failed = await deliverNotification(buildResource('b-failed', 'FAILURE', [{ name: `${source.host}/build/images/api:v6`, digest: api.digest }]), 'cb-4');
  expect(failed.status).toBe(204);
  const scratch = await pushImage(source.url, 'scratch/tmp/api', { seed: 'build-scratch', layerSizes: [KIB] }, 'v6');
  const elsewhere = await deliverNotification(
    buildResource('b-scratch', 'SUCCESS', [{ name: `${source.host}/scratch/tmp/api:v6`, digest: scratch.digest }]),
    'cb-5',
  );
  expect(elsewhere.status).toBe(204);
  expect(await tagDigest(target.url, 'prod/images/api', 'v6')).toBeUndefined();
});
