/**
 * Bounded parallelism and bounded rates. Waiters are served in order, and a
 * waiter whose signal aborts leaves the queue (a route's deadline is not spent
 * waiting for a turn it will never use).
 */
import { sleep } from './retry';

/** At most `jobs` tasks run at once, the rest wait in order. */
export type Limiter = <T>(task: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** Waits in `queue` until woken (the caller then holds what the waker passed on), or rejects on abort. */
function queued(queue: Set<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const wake = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      queue.delete(wake);
      reject(signal!.reason);
    };
    queue.add(wake);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createLimiter(jobs: number): Limiter {
  let running = 0;
  // A Set keeps insertion order (first come, first served) and lets an aborted waiter leave in O(1).
  const waiting = new Set<() => void>();
  const release = () => {
    const next = waiting.values().next();
    if (next.done) running--;
    else {
      // The slot passes to the next waiter as it is: nobody arriving meanwhile can take it.
      waiting.delete(next.value);
      next.value();
    }
  };
  return async <T>(task: () => Promise<T>, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    if (running < jobs) running++;
    else await queued(waiting, signal);
    try {
      return await task();
    } finally {
      release();
    }
  };
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: Clock = { now: () => performance.now(), sleep };

/** Resolves when one more request may start. */
export type RateLimiter = (signal?: AbortSignal) => Promise<void>;

/** The most a rate limiter lets start at once: one second's worth of its rate (at least one). */
export function burstOf(perMinute: number): number {
  return Math.max(1, Math.floor(perMinute / 60));
}

/**
 * At most `perMinute` starts in any 60 s window, whenever the window begins. A
 * token bucket holding `burstOf(perMinute)` tokens, refilled at
 * `perMinute - burst` a minute: a window holds at most the bucket plus a
 * minute's refill, so `perMinute`. A request that must wait reserves the next
 * token (the balance goes below zero), so later ones queue behind it in order.
 */
export function createRateLimiter(perMinute: number, clock: Clock = realClock): RateLimiter {
  const burst = burstOf(perMinute);
  if (!Number.isInteger(perMinute) || perMinute <= burst) throw new Error(`a rate limit needs more than ${burst} a minute, got ${perMinute}`);
  const msPerToken = 60_000 / (perMinute - burst);
  let tokens = burst;
  let at = clock.now();
  return async (signal) => {
    signal?.throwIfAborted();
    const now = clock.now();
    tokens = Math.min(burst, tokens + (now - at) / msPerToken) - 1;
    at = now;
    // A reservation given up on abort is not returned: the bucket errs on the side of the quota.
    if (tokens < 0) await clock.sleep(Math.ceil(-tokens * msPerToken), signal);
  };
}
