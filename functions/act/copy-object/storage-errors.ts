/**
 * Cloud Storage answers turned into redelivery decisions. The client's ApiError
 * carries the HTTP status as `code`; a network failure carries none.
 */
import { dispositionOfFailure } from '../../support/failure-disposition';
import { actionFailure } from '../errors';

export function storageStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown) => storageStatus(err) === 404;
export const isPreconditionFailed = (err: unknown) => storageStatus(err) === 412;

/** 429, 408, 5xx and no answer at all: retry later. Other 4xx (403, 400): permanent. */
export function storageFailure(err: unknown, doing: string): Error {
  const status = storageStatus(err);
  const reason = err instanceof Error ? err.message : String(err);
  const message = `${doing}: ${status ?? 'no answer'} ${reason}`;
  // A failure that says nothing (no answer at all) is worth another try.
  return actionFailure(dispositionOfFailure(err) ?? 'retry', message, err);
}
