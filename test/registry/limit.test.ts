/**
 * The limiters under a virtual clock: no test here waits for real time.
 */
import { burstOf, createLimiter, createRateLimiter, type Clock } from '../../functions/registry/limit';

/** A clock whose sleeps end at once; the time each sleeper would wake is what `waited` reports. */
function virtualClock() {
  let now = 0;
  let waited = 0;
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      waited = ms;
    },
  };
  return {
    clock,
    /** One request arriving at `at` (arrivals in order): the time it is let through. */
    async grant(limit: (signal?: AbortSignal) => Promise<void>, at: number): Promise<number> {
      now = at;
      waited = 0;
      await limit();
      return at + waited;
    },
  };
}

/** The most grants in any window [t, t + 60 s], every window starting at a grant. */
function busiestMinute(grants: readonly number[]): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j] <= sorted[i] + 60_000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** Deterministic arrivals: a burst at 0, then bursts and lulls (xorshift, fixed seed). */
function arrivals(count: number, seed: number): number[] {
  let x = seed;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
  let t = 0;
  return Array.from({ length: count }, (_, i) => (i < count / 4 ? 0 : (t += next() < 0.1 ? next() * 20_000 : next() * 20)));
}

test.each([
  { perMinute: 60, count: 400 },
  { perMinute: 600, count: 4000 },
  { perMinute: 18_000, count: 40_000 },
])('$perMinute a minute: no window of 60 s holds more, however requests arrive', async ({ perMinute, count }) => {
  const v = virtualClock();
  const limit = createRateLimiter(perMinute, v.clock);
  const grants: number[] = [];
  for (const at of arrivals(count, perMinute)) grants.push(await v.grant(limit, at));
  expect(busiestMinute(grants)).toBeLessThanOrEqual(perMinute);
  // Order is kept: nobody overtakes an earlier arrival.
  expect(grants.every((g, i) => i === 0 || g >= grants[i - 1])).toBe(true);
});

test.each([60, 600, 60_000])('%i a minute asked for at once: a whole minute holds that many, no fewer', async (perMinute) => {
  const v = virtualClock();
  const limit = createRateLimiter(perMinute, v.clock);
  const grants: number[] = [];
  for (let i = 0; i < perMinute + 10; i++) grants.push(await v.grant(limit, 0));
  // The minute [0, 60 s] holds all but the last grant, whose time is rounded up past it.
  expect(grants.filter((g) => g <= 60_000).length).toBeGreaterThanOrEqual(perMinute - 1);
  expect(busiestMinute(grants)).toBeLessThanOrEqual(perMinute);
});

test('a burst of one second is let through at once, the rest spread evenly', async () => {
  const v = virtualClock();
  const limit = createRateLimiter(1200, v.clock);
  expect(burstOf(1200)).toBe(20);
  const grants: number[] = [];
  for (let i = 0; i < 60; i++) grants.push(await v.grant(limit, 0));
  expect(grants.slice(0, 20)).toEqual(Array(20).fill(0));
  // (1200 - 20) a minute: one every 50.85 ms, rounded up.
  expect(grants[20]).toBe(51);
  expect(grants[59]).toBe(Math.ceil(40 * (60_000 / 1180)));
});

test('a rate that cannot hold its own burst is refused', () => {
  expect(() => createRateLimiter(1)).toThrow('a rate limit needs more than 1 a minute, got 1');
  expect(() => createRateLimiter(60.5)).toThrow();
});

test('a rate limiter waiting on a real clock gives up when its signal aborts', async () => {
  const limit = createRateLimiter(60);
  await limit(); // the burst of one
  const abort = new AbortController();
  const waiting = limit(abort.signal);
  abort.abort(new Error('deadline'));
  await expect(waiting).rejects.toThrow('deadline');
});

test('createLimiter runs at most `jobs` at once, in arrival order, and an aborted waiter leaves the queue', async () => {
  const limit = createLimiter(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const gates: (() => void)[] = [];
  const task = (n: number) => () => {
    started.push(n);
    running++;
    most = Math.max(most, running);
    return new Promise<number>((resolve) =>
      gates.push(() => {
        running--;
        resolve(n);
      }),
    );
  };
  const abort = new AbortController();
  const runs = [limit(task(1)), limit(task(2)), limit(task(3), abort.signal), limit(task(4)), limit(task(5))];
  await Promise.resolve();
  expect(started).toEqual([1, 2]);
  abort.abort(new Error('gone'));
  await expect(runs[2]).rejects.toThrow('gone');
  // Each finish hands its slot to the next waiter; a caller arriving meanwhile queues behind them.
  gates.shift()!();
  const late = limit(task(6));
  for (let i = 0; i < 5 && gates.length > 0; i++) {
    await new Promise((r) => setImmediate(r));
    gates.shift()?.();
  }
  await new Promise((r) => setImmediate(r));
  while (gates.length > 0) {
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  expect(await Promise.all([runs[0], runs[1], runs[3], runs[4], late])).toEqual([1, 2, 4, 5, 6]);
  expect(started).toEqual([1, 2, 4, 5, 6]);
  expect(most).toBe(2);
  // An already aborted signal never takes a slot.
  await expect(limit(task(7), AbortSignal.abort(new Error('before')))).rejects.toThrow('before');
  expect(started).not.toContain(7);
});
