/**
 * Per-host budgets: one per host and instance, the stricter declaration kept,
 * a write counted against both rates. Virtual clock: no real waiting.
 */
import type { Clock } from '../../functions/registry/limit';
import { ARTIFACT_REGISTRY_LIMITS, HostQuota, RegistryQuotas, isWrite } from '../../functions/registry/quota';

test('defaults are Artifact Registry published per-region quotas', () => {
  expect(ARTIFACT_REGISTRY_LIMITS).toEqual({ requestsPerMinute: 60_000, writesPerMinute: 18_000, concurrentUploads: 16 });
  expect(new RegistryQuotas().limitsOf('europe-docker.pkg.dev')).toBe(ARTIFACT_REGISTRY_LIMITS);
});

test.each([
  ['GET', false],
  ['HEAD', false],
  ['POST', true],
  ['PUT', true],
  ['PATCH', true],
  ['DELETE', true],
])('%s is a write: %s', (method, write) => {
  expect(isWrite(method)).toBe(write);
});

test('one quota per host and instance; two instances share nothing', () => {
  const a = new RegistryQuotas();
  const b = new RegistryQuotas();
  expect(a.of('h.example')).toBe(a.of('h.example'));
  expect(a.of('h.example')).not.toBe(a.of('other.example'));
  expect(a.of('h.example')).not.toBe(b.of('h.example'));
});

test('routes declaring the same host keep the stricter value of each limit; a late declaration is refused', () => {
  const quotas = new RegistryQuotas();
  quotas.declare('h.example', { requestsPerMinute: 3000 });
  quotas.declare('h.example', { requestsPerMinute: 6000, writesPerMinute: 600 });
  quotas.declare('h.example', { concurrentUploads: 4 });
  expect(quotas.of('h.example').limits).toEqual({ requestsPerMinute: 3000, writesPerMinute: 600, concurrentUploads: 4 });
  expect(quotas.limitsOf('other.example')).toEqual(ARTIFACT_REGISTRY_LIMITS);
  expect(() => quotas.declare('h.example', { requestsPerMinute: 100 })).toThrow('declared after its first use');
});

test('a write waits for both rates, a read only for the request rate', async () => {
  const now = 0;
  const sleeps: number[] = [];
  const clock: Clock = { now: () => now, sleep: async (ms) => void sleeps.push(ms) };
  // 60 writes a minute: a burst of one, then one every 60/59 s.
  const quota = new HostQuota({ requestsPerMinute: 6000, writesPerMinute: 60, concurrentUploads: 2 }, clock);
  await quota.request('PUT');
  expect(sleeps).toEqual([]);
  await quota.request('GET');
  expect(sleeps).toEqual([]);
  await quota.request('POST');
  expect(sleeps).toEqual([Math.ceil(60_000 / 59)]);
});
