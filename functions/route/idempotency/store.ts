/**
 * Where idempotency locks live. A lock moves running -> done (kept for the TTL,
 * so a redelivery is acknowledged without running) or is released on failure
 * (so a redelivery runs again). A running lock carries a lease, so one held by
 * an instance that died is taken over once the lease passes.
 */
export type LockState = 'acquired' | 'running' | 'done';

export interface IdempotencyStore {
  /** Takes the lock for `key` unless it is running (lease not passed) or done. */
  acquire(key: string, leaseMs: number): Promise<LockState>;
  /** The handler succeeded: remember it for `ttlMs`. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** The handler failed: forget the lock so a redelivery runs again. */
  release(key: string): Promise<void>;
}
