/**
 * What a failure means for redelivery, decided once: `retry` (answer 503, Pub/Sub
 * redelivers) or `permanent` (acknowledge, preserve the request). It lives below
 * every stage because parse (PayloadError), route (the deadline), the actions
 * and the registry client below them all raise errors that carry it.
 */

export type Disposition = 'retry' | 'permanent';

/** 408, 429 and 5xx: the peer is busy or down, later may succeed. Any other status is its answer to this request. */
export function dispositionOfStatus(status: number): Disposition {
  return status === 408 || status === 429 || status >= 500 ? 'retry' : 'permanent';
}

/** An error that says what it means for redelivery, and what caused it (as go-containerregistry's transport.Error says `Temporary()`). */
export class DispositionError extends Error {
  constructor(
    message: string,
    readonly disposition: Disposition,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The disposition an error carries; undefined for one that carries none. Read by
 * shape, not `instanceof`, as the old `permanent`/`retryable` markers were: an
 * error made by another copy of this package (a handler's own dependency) still counts.
 */
export function carriedDisposition(err: unknown): Disposition | undefined {
  const disposition = typeof err === 'object' && err !== null ? (err as { disposition?: unknown }).disposition : undefined;
  return disposition === 'retry' || disposition === 'permanent' ? disposition : undefined;
}
