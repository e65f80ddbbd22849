/**
 * Item 5 of issue 13: twenty image events at once through the real service, all
 * copying to one destination whose route sets a small budget. Counted at a
 * proxy on loopback in front of the real target registry (every request it
 * sees, with its arrival time): the budget held in every window, at most the
 * allowed uploads were open at once, the 429s the proxy answered were waited
 * out as their Retry-After said, and every copy finished with exact digests.
 */
import { startService, type Service } from '../support/service';
import { startRegistry, type Registry } from '../support/registry';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { notification, pushBody } from '../support/events/replicate-image';
import { blobDigest, pushImage, tagDigest, type Pushed } from '../support/synthetic-images';
import { isWrite } from '../../functions/registry/quota';

const KIB = 1024;
const EVENTS = 20;
const REQUESTS_PER_MINUTE = 1200;
const WRITES_PER_MINUTE = 600;
const UPLOADS = 2;
/** A request granted by the limiter reaches the proxy a little later, by a varying delay: windows are widened by this much. */
const ARRIVAL_JITTER_MS = 500;

let source: Registry;
let target: Registry;
let proxy: FaultProxy;
let service: Service;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
  // Every 7th distinct blob's first HEAD is answered 429 with Retry-After: 1.
  proxy = await startFaultProxy(Number(target.host.split(':')[1]), { tooManyEvery: 7, retryAfterSeconds: 1 });
  service = await startService({
    routes: [
      'routes:',
      '  - name: release-images',
      `    match: { kind: registry.image, host: "${source.host}" }`,
      '    action: replicate-image',
      '    timeoutSeconds: 60',
      '    with:',
      `      targets: ["${proxy.host}/prod/images"]`,
      `      sources: ["${source.host}/build/images"]`,
      `      quotas: [{ host: "${proxy.host}", requestsPerMinute: ${REQUESTS_PER_MINUTE}, writesPerMinute: ${WRITES_PER_MINUTE}, concurrentUploads: ${UPLOADS} }]`,
      '',
    ].join('\n'),
  });
});

afterAll(async () => {
  await service?.stop();
  await proxy?.stop();
  await Promise.all([source?.stop(), target?.stop()]);
});

/** The most arrivals in any window [t, t + ms] that starts at an arrival. */
function busiest(times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j] <= sorted[i] + ms) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** What the budget promises in a window of `ms` (README): a second's worth at once, the rest of the minute's spread evenly. */
function ceiling(perMinute: number, ms: number): number {
  const burst = perMinute / 60;
  return Math.floor(burst + ((perMinute - burst) * (ms + ARRIVAL_JITTER_MS)) / 60_000);
}

test(`${EVENTS} events at once to one destination: its budget holds, every copy finishes, digests exact`, async () => {
  const images: Pushed[] = [];
  for (let i = 0; i < EVENTS; i++) images.push(await pushImage(source.url, `build/images/app-${i}`, { seed: `flood-${i}`, layerSizes: [64 * KIB] }, 'v1'));
  const started = performance.now();
  const answers = await Promise.all(
    images.map(async (image, i) => {
      const res = await fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBody(notification('INSERT', source.host, `build/images/app-${i}`, { tag: 'v1', digest: image.digest }), `flood-${i}`),
      });
      return { status: res.status, body: await res.text() };
    }),
  );
  const elapsed = performance.now() - started;

  // Every copy finished and was acknowledged with its proof of delivery.
  for (const [i, answer] of answers.entries()) {
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`to ${proxy.host}/prod/images/app-${i}:v1 (2 blobs copied`);
    expect(answer.body).toContain(`read back ${images[i].digest}`);
  }
  // The digests a user would check: each tag, and each blob's bytes.
  for (const [i, image] of images.entries()) {
    expect(await tagDigest(target.url, `prod/images/app-${i}`, 'v1')).toBe(image.digest);
    for (const blob of image.blobs) expect(await blobDigest(target.url, `prod/images/app-${i}`, blob.digest)).toBe(blob.digest);
  }

  const all = proxy.arrivals;
  const writes = all.filter((_, i) => isWrite(proxy.requests[i].split(' ')[0]));
  // The flood needed more than one burst, so the ceiling was what paced it.
  expect(all.length).toBeGreaterThan((4 * REQUESTS_PER_MINUTE) / 60);
  for (const ms of [1000, 5000, elapsed]) {
    expect(busiest(all, ms)).toBeLessThanOrEqual(ceiling(REQUESTS_PER_MINUTE, ms));
    expect(busiest(writes, ms)).toBeLessThanOrEqual(ceiling(WRITES_PER_MINUTE, ms));
  }
  expect(proxy.peakBlobPuts()).toBeGreaterThanOrEqual(1);
  expect(proxy.peakBlobPuts()).toBeLessThanOrEqual(UPLOADS);

  // Retry-After still decides when a throttled request is sent again.
  expect(proxy.throttled.length).toBeGreaterThan(0);
  for (const i of proxy.throttled) {
    const again = proxy.requests.indexOf(proxy.requests[i], i + 1);
    expect(again).toBeGreaterThan(i);
    expect(proxy.arrivals[again] - proxy.arrivals[i]).toBeGreaterThanOrEqual(990);
  }
  // What this run was, for the reader of a failure.
  console.log(
    `${EVENTS} copies in ${Math.round(elapsed)} ms: ${all.length} requests (${writes.length} writes) at the destination, busiest second ${busiest(all, 1000)} requests / ${busiest(writes, 1000)} writes, peak ${proxy.peakBlobPuts()} uploads, ${proxy.throttled.length} answered 429`,
  );
}, 30_000);
