/**
 * Per-request state that code deep in the pipeline needs without threading it
 * through every call: an instance serves many requests at once, so this lives
 * in AsyncLocalStorage, never in module variables.
 */
import { AsyncLocalStorage } from 'async_hooks';

export interface RequestContext {
  readonly receivedAt: number;
  /** Idempotency locks this request holds and has not completed or released yet. */
  readonly heldLocks: Set<string>;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function newRequestContext(): RequestContext {
  return { receivedAt: Date.now(), heldLocks: new Set() };
}
