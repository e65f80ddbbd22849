/**
 * Bounds how many requests one forward route has at the target at once. Waiters
 * queue in arrival order and leave the queue when their signal aborts, so a slow
 * target turns into 503s (redelivery later) rather than unbounded memory.
 */

export interface InFlightLimit {
  /** A release function if a slot is free now (no promise on the common path), else undefined. */
  tryAcquire(): (() => void) | undefined;
  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

export function createInFlightLimit(max: number): InFlightLimit {
  let active = 0;
  const queue: Array<() => void> = [];

  const releaseOnce = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = queue.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else active--;
    };
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    tryAcquire() {
      if (active >= max) return undefined;
      active++;
      return releaseOnce();
    },
    acquire(signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (active < max) {
        active++;
        return Promise.resolve(releaseOnce());
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal.removeEventListener('abort', onAbort);
          resolve(releaseOnce());
        };
        const onAbort = () => {
          const at = queue.indexOf(grant);
          if (at >= 0) queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        queue.push(grant);
      });
    },
  };
}
