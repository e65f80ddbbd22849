/**
 * Faults between the copier and the target: the copy must still finish with
 * exactly the source digests, waiting as long as the registry's Retry-After says.
 */
import { copyImage } from '../../functions/registry/copy';
import { credentialSource } from '../../functions/registry/credentials';
import { parseImageRef } from '../../functions/registry/reference';
import { Registries } from '../../functions/registry/registries';
import { RegistryHttpError, type RetryPolicy } from '../../functions/registry/retry';
import { startRegistry, type Registry } from '../support/registry';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { blobDigest, pushImage, pushIndex, tagDigest } from '../support/synthetic-images';

const MIB = 1024 * 1024;
const RETRY: RetryPolicy = { attempts: 6, maxElapsedMs: 30_000, baseDelayMs: 50, maxDelayMs: 1000 };
let source: Registry;
let target: Registry;
let proxy: FaultProxy;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('source-registry'), startRegistry('target-registry')]);
  proxy = await startFaultProxy(Number(target.host.split(':')[1]), { tooManyEvery: 4, retryAfterSeconds: 1, unavailableEvery: 5, resetEvery: 3 });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([source?.stop(), target?.stop()]);
});

test('429 with Retry-After, 503 and resets mid-blob do not stop a copy from ending with exactly the source digests', async () => {
  const single = await pushImage(source.url, 'proj/repo/app', { seed: 'faulty', layerSizes: [1, 2, 3, 4, 5, 6].map((n) => n * MIB) }, 'v1');
  const index = await pushIndex(
    source.url,
    'proj/repo/multi',
    [
      { seed: 'faulty-amd64', layerSizes: [MIB, 2 * MIB], platform: { os: 'linux', architecture: 'amd64' } },
      { seed: 'faulty-arm64', layerSizes: [3 * MIB, MIB], platform: { os: 'linux', architecture: 'arm64' } },
    ],
    'v1',
  );
  const waits: { delay: number; status?: number }[] = [];
  const observer = {
    onRetry: (_n: number, delay: number, err: unknown) => waits.push({ delay, status: err instanceof RegistryHttpError ? err.status : undefined }),
  };
  const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: RETRY, observer });
  try {
    for (const [repo, pushed] of [
      ['app', single],
      ['multi', index],
    ] as const) {
      const src = parseImageRef(`${source.host}/proj/repo/${repo}:v1`);
      const dst = parseImageRef(`${proxy.host}/other/repo/${repo}:v1`);
      const report = await copyImage(registries.client(src.host), src, registries.client(dst.host), dst, { jobs: 4, retry: RETRY, observer });
      expect(report.digest).toBe(pushed.digest);
      expect(await tagDigest(target.url, `other/repo/${repo}`, 'v1')).toBe(pushed.digest);
      for (const blob of pushed.blobs) expect(await blobDigest(target.url, `other/repo/${repo}`, blob.digest)).toBe(blob.digest);
    }
  } finally {
    registries.close();
  }
  expect(proxy.injected.tooMany).toBeGreaterThan(0);
  expect(proxy.injected.unavailable).toBeGreaterThan(0);
  expect(proxy.injected.reset).toBeGreaterThan(0);
  // Every 429 was waited out for exactly the Retry-After the proxy gave.
  expect(waits.filter((w) => w.status === 429).map((w) => w.delay)).toEqual(Array(proxy.injected.tooMany).fill(1000));
}, 60_000);
