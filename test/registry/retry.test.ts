/**
 * Which registry failures are retried, and how long to wait.
 */
import { DEFAULT_RETRY, RegistryHttpError, isRetryableFailure, parseRetryAfter, retryDelay, withRetry } from '../../functions/registry/retry';

test('Retry-After (seconds or a date) is honoured; otherwise backoff grows and is capped', () => {
  expect(parseRetryAfter('3')).toBe(3000);
  expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
  expect(parseRetryAfter('soon')).toBeUndefined();
  expect(retryDelay(1, DEFAULT_RETRY, 7000)).toBe(7000);
  expect(retryDelay(1, DEFAULT_RETRY, undefined, () => 1)).toBe(200);
  expect(retryDelay(3, DEFAULT_RETRY, undefined, () => 1)).toBe(800);
  expect(retryDelay(30, DEFAULT_RETRY, undefined, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
});

test('408, 429, 5xx and resets are retried; 401, 403, 404 are not', async () => {
  for (const s of [408, 429, 500, 503]) expect(isRetryableFailure(new RegistryHttpError('x', s))).toBe(true);
  for (const s of [400, 401, 403, 404]) expect(isRetryableFailure(new RegistryHttpError('x', s))).toBe(false);
  expect(isRetryableFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  let calls = 0;
  const policy = { attempts: 3, maxElapsedMs: 1000, baseDelayMs: 1, maxDelayMs: 2 };
  await expect(
    withRetry(async () => {
      calls++;
      throw new RegistryHttpError('busy', 503);
    }, policy),
  ).rejects.toThrow('busy');
  expect(calls).toBe(3);
  calls = 0;
  await expect(
    withRetry(async () => {
      calls++;
      throw new RegistryHttpError('denied', 403);
    }, policy),
  ).rejects.toThrow('denied');
  expect(calls).toBe(1);
  // A Retry-After beyond the time budget ends the retries at once.
  calls = 0;
  await expect(
    withRetry(async () => {
      calls++;
      throw new RegistryHttpError('later', 429, 60_000);
    }, policy),
  ).rejects.toThrow('later');
  expect(calls).toBe(1);
});
