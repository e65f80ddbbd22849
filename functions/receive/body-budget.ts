/**
 * The request-body bytes one instance holds at once. Each body's limit alone does
 * not bound memory: many bodies just under it, read at once, would. A request
 * whose body does not fit is answered 503 (Pub/Sub redelivers later) rather than
 * waiting, so a slow body cannot make the others wait behind it.
 */
export interface BodyBudget {
  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
  /** Bytes held now, for tests and logs. */
  readonly held: number;
}

export function createBodyBudget(totalBytes: number): BodyBudget {
  let held = 0;
  return {
    reserve(bytes) {
      if (held + bytes > totalBytes) return false;
      held += bytes;
      return true;
    },
    release(bytes) {
      held -= bytes;
    },
    get held() {
      return held;
    },
  };
}
