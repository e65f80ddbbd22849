/**
 * What a handler throws decides redelivery. Pub/Sub redelivers on any non-2xx,
 * so a handler must say which of its failures can never succeed.
 */

/** The event can never be handled (bad payload, 4xx from a target): acknowledge and preserve it. */
export class PermanentError extends Error {
  readonly permanent = true as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** A dependency is down or busy; trying later may succeed: answer 503 so the event is redelivered. */
export class RetryableError extends Error {
  readonly retryable = true as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

export function isPermanentError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}

export function isRetryableError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === true;
}
