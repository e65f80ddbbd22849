/**
 * What a failed copy means for redelivery: a registry that is busy or down
 * (408, 429, 5xx, resets, timeouts) is worth Pub/Sub trying again; a refusal
 * (401, 403), a missing source manifest, a digest mismatch, a hostile manifest
 * or a registry naming a URL we refuse to follow never is. The registry's
 * errors carry that disposition; a failure that says nothing is retried.
 */
import { actionFailure, type PermanentError, type RetryableError } from '../errors';
import { dispositionOfFailure } from '../../support/failure-disposition';

export function asActionError(err: unknown, what: string): PermanentError | RetryableError {
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  return actionFailure(dispositionOfFailure(err) ?? 'retry', message, err);
}
