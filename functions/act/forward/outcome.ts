/**
 * What the target's answer means for the event: acknowledge it, have Pub/Sub
 * redeliver it (RetryableError -> 503), or give up on it (PermanentError -> 200
 * and the request preserved in an ERROR log).
 */
import { PermanentError, RetryableError } from '../errors';

export type Outcome = 'accepted' | 'retry' | 'permanent';

export function classifyStatus(status: number, retryStatuses: readonly number[]): Outcome {
  if (status >= 200 && status < 300) return 'accepted';
  if (status >= 500 || status === 429 || status === 408) return 'retry';
  if (status >= 400 && retryStatuses.includes(status)) return 'retry';
  // 4xx, and 1xx/3xx that were not (or could not be) followed: trying again changes nothing.
  return 'permanent';
}

/** Throws the error that decides redelivery; returns for a 2xx. */
export function raiseForStatus(status: number, retryStatuses: readonly number[], target: string, bodySnippet: string): void {
  const outcome = classifyStatus(status, retryStatuses);
  if (outcome === 'accepted') return;
  const message = `${target} answered ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`;
  throw outcome === 'retry' ? new RetryableError(message) : new PermanentError(message);
}

// Node refuses to build a request with an invalid header name or value: the event makes it so every time.
const UNBUILDABLE = new Set(['ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_UNESCAPED_CHARACTERS']);

/** A request that got no answer (refused, reset, timed out) can be tried again; one that could not be built cannot. */
export function failedRequestError(err: unknown, target: string, timedOut: boolean, timeoutMs: number): RetryableError | PermanentError {
  const built = (err as { code?: string } | null)?.code;
  if (built !== undefined && UNBUILDABLE.has(built)) return new PermanentError(`the request to ${target} cannot be built (${built}: ${(err as Error).message.slice(0, 200)})`, { cause: err });
  if (timedOut) return new RetryableError(`${target} did not answer within ${timeoutMs} ms`, { cause: err });
  const code = (err as { code?: string }).code;
  const reason = code ?? (err instanceof Error ? err.message : String(err));
  return new RetryableError(`${target} could not be reached (${reason})`, { cause: err });
}
