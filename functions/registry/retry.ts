/**
 * Which registry failures are worth another attempt, and how long to wait.
 * Bounded both in attempts and in total time, so a redelivery by Pub/Sub (not
 * an endless loop here) is what eventually retries a registry that stays down.
 */
import { DispositionError, dispositionOfStatus } from '../support/disposition';
import { dispositionOfFailure } from '../support/failure-disposition';

export interface RetryPolicy {
  /** Attempts in total, including the first. */
  readonly attempts: number;
  /** No new attempt starts, and no wait is begun, past this many ms after the first. */
  readonly maxElapsedMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, maxElapsedMs: 120_000, baseDelayMs: 200, maxDelayMs: 10_000 };

/** An HTTP answer the copy could not use; `retryAfterMs` comes from the registry's Retry-After. */
export class RegistryHttpError extends DispositionError {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message, dispositionOfStatus(status));
    this.name = 'RegistryHttpError';
  }
}

/** Resets, timeouts, premature ends and 408/429/5xx are retryable; everything else is not (a guess is not retried here). */
export function isRetryableFailure(err: unknown): boolean {
  return dispositionOfFailure(err) === 'retry';
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with jitter; the registry's Retry-After, when given, is honoured instead. */
export function retryDelay(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryObserver {
  onRetry?(attempt: number, delayMs: number, err: unknown): void;
}

/** Runs `attempt` until it succeeds, fails permanently, or the policy's bounds are spent (the last error is thrown). */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, policy: RetryPolicy, signal?: AbortSignal, observer?: RetryObserver): Promise<T> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (signal?.aborted || !isRetryableFailure(err) || n >= policy.attempts) throw err;
      const delay = retryDelay(n, policy, err instanceof RegistryHttpError ? err.retryAfterMs : undefined);
      if (Date.now() - started + delay > policy.maxElapsedMs) throw err;
      observer?.onRetry?.(n, delay, err);
      await sleep(delay, signal);
    }
  }
}
