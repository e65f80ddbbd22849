/**
 * Where idempotency locks live. A lock moves running -> done (kept for the TTL,
 * so a redelivery is acknowledged without running) or is released on failure
 * (so a redelivery runs again). A running lock carries a lease, renewed while
 * its handler runs, so one held by an instance that died is taken over once the
 * lease passes.
 *
 * Each acquisition gets a holder token. Renewing, completing and releasing need
 * it: an instance whose lease passed and whose lock was taken over learns that it
 * lost the lock, and can neither mark the new holder's run done nor delete it.
 */
export type LockState = { readonly state: 'acquired'; readonly holder: string } | { readonly state: 'running' } | { readonly state: 'done' };

export interface IdempotencyStore {
  /** Takes the lock for `key` unless it is running (lease not passed) or done. */
  acquire(key: string, leaseMs: number): Promise<LockState>;
  /** Extends the lease of a running lock; false when `holder` no longer holds it. */
  renew(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /** The handler succeeded: remember it for `ttlMs`; false when `holder` no longer holds the lock. */
  complete(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** The handler failed: forget the lock so a redelivery runs again; false when `holder` no longer holds it. */
  release(key: string, holder: string): Promise<boolean>;
}
