/**
 * Delivery through the real service: an Artifact Registry notification pushed
 * by Pub/Sub reaches the replicate-image route, and the image is in the target.
 */
import { startService, type Service } from '../support/service';
import { startRegistry, type Registry } from '../support/registry';
import { notification, pushBody } from '../support/events/replicate-image';
import { pushImage, tagDigest } from '../support/synthetic-images';

const KIB = 1024;
let source: Registry;
let target: Registry;
let service: Service;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
  service = await startService({
    routes: [
      'routes:',
      '  - name: release-images',
      `    match: { kind: registry.image, host: "${source.host}", project: build, repository: images, image: { glob: "api*" }, tag: { glob: "v*" } }`,
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
  await Promise.all([source?.stop(), target?.stop()]);
});

const deliver = (data: Record<string, string>, id: string) =>
  fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushBody(data, id) });

test('an Artifact Registry INSERT notification on a matching route copies the image and logs what moved', async () => {
  const image = await pushImage(source.url, 'build/images/api', { seed: 'service', layerSizes: [200 * KIB, 300 * KIB] }, 'v2.0.1');
  const res = await deliver(notification('INSERT', source.host, 'build/images/api', { tag: 'v2.0.1', digest: image.digest }), 'm-1');
  // Acknowledged, and the answer says what was copied and to where.
  expect(res.status).toBe(200);
  const answer = (await res.json()) as { handled: boolean; results: { route: string; summary: string }[] };
  expect(answer.handled).toBe(true);
  expect(answer.results[0].summary).toContain(`to ${target.host}/prod/images/api:v2.0.1 (3 blobs copied, 0 skipped, 0 mounted`);
  expect(await tagDigest(target.url, 'prod/images/api', 'v2.0.1')).toBe(image.digest);
  const logs = await service.waitForLogs((l) => l.some((e) => String(e.message).startsWith('copied ')));
  const entry = logs.find((e) => String(e.message).startsWith('copied '))!;
  expect(entry.message).toContain(`to ${target.host}/prod/images/api:v2.0.1 (3 blobs copied, 0 skipped, 0 mounted`);
  expect(entry.replication).toMatchObject({ bytes: image.blobs.reduce((n, b) => n + b.size, 0) });
});

test('a notification that matches no route is answered 204 and copies nothing', async () => {
  const image = await pushImage(source.url, 'build/images/api', { seed: 'service-latest', layerSizes: [KIB] }, 'latest');
  const res = await deliver(notification('INSERT', source.host, 'build/images/api', { tag: 'latest', digest: image.digest }), 'm-2');
  expect(res.status).toBe(204);
  expect(await tagDigest(target.url, 'prod/images/api', 'latest')).toBeUndefined();
});

test('a source manifest that is gone is acknowledged (not redelivered) with the reference and status', async () => {
  const digest = `sha256:${'0'.repeat(64)}`;
  const res = await deliver(notification('INSERT', source.host, 'build/images/api', { tag: 'v9', digest }), 'm-3');
  expect(res.status).toBe(200);
  expect(await res.text()).toContain(`${source.host}/build/images/api@${digest} not found (404)`);
});
