/**
 * What the target's answer means for the event: acknowledge it, have Pub/Sub
 * redeliver it (RetryableError -> 503), or give up on it (PermanentError -> 200
 * and the request preserved in an ERROR log).
 */
import { dispositionOfStatus, type Disposition } from '../../support/disposition';
import { dispositionOfFailure } from '../../support/failure-disposition';
import { actionFailure, PermanentError, RetryableError } from '../errors';

/** What the target's status says of the event: accepted, or the disposition of its failure. */
export type TargetVerdict = 'accepted' | Disposition;

export function classifyStatus(status: number, retryStatuses: readonly number[]): TargetVerdict {
  if (status >= 200 && status < 300) return 'accepted';
  if (status >= 400 && retryStatuses.includes(status)) return 'retry';
  // 4xx, and 1xx/3xx that were not (or could not be) followed: trying again changes nothing.
  return dispositionOfStatus(status);
}

/** Throws the error that decides redelivery; returns for a 2xx. */
export function raiseForStatus(status: number, retryStatuses: readonly number[], target: string, bodySnippet: string): void {
  const verdict = classifyStatus(status, retryStatuses);
  if (verdict === 'accepted') return;
  throw actionFailure(verdict, `${target} answered ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`);
}

/** A request that got no answer (refused, reset, timed out) can be tried again; one that could not be built cannot. */
export function failedRequestError(err: unknown, target: string, timedOut: boolean, timeoutMs: number): RetryableError | PermanentError {
  const code = (err as { code?: string } | null)?.code;
  // Permanent here means Node refused to build the request (an invalid header the event put there).
  if (dispositionOfFailure(err) === 'permanent')
    return new PermanentError(`the request to ${target} cannot be built (${code}: ${(err as Error).message.slice(0, 200)})`, { cause: err });
  if (timedOut) return new RetryableError(`${target} did not answer within ${timeoutMs} ms`, { cause: err });
  const reason = code ?? (err instanceof Error ? err.message : String(err));
  return new RetryableError(`${target} could not be reached (${reason})`, { cause: err });
}
