/**
 * What a handler throws decides redelivery. Pub/Sub redelivers on any non-2xx,
 * so a handler must say which of its failures can never succeed. Both errors
 * carry their disposition (support/disposition.ts), which is all that is read.
 */
import { carriedDisposition, DispositionError, type Disposition } from '../support/disposition';

/** The event can never be handled (bad payload, 4xx from a target): acknowledge and preserve it. */
export class PermanentError extends DispositionError {
  declare readonly disposition: 'permanent';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'permanent', options);
    this.name = 'PermanentError';
  }
}

/** A dependency is down or busy; trying later may succeed: answer 503 so the event is redelivered. */
export class RetryableError extends DispositionError {
  declare readonly disposition: 'retry';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'retry', options);
    this.name = 'RetryableError';
  }
}

/** The action's error for a failure of known disposition, keeping what caused it. */
export function actionFailure(disposition: Disposition, message: string, cause?: unknown): PermanentError | RetryableError {
  const options = cause === undefined ? undefined : { cause };
  return disposition === 'permanent' ? new PermanentError(message, options) : new RetryableError(message, options);
}

export function isPermanentError(err: unknown): boolean {
  return carriedDisposition(err) === 'permanent';
}

export function isRetryableError(err: unknown): boolean {
  return carriedDisposition(err) === 'retry';
}
