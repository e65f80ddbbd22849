/**
 * One event's time budget: a single timer, and a single listener on the core's
 * signal (the route deadline, the client going away). Whatever is waiting on the
 * event (a slot, the target) registers one callback at a time, so the common
 * path allocates no AbortController; one is made only for a wait that needs a signal.
 */
import type { AbortSource } from '../../support/abort-source';

export interface Deadline {
  /** Why the event's time ended (timeout or the core's abort); undefined while it runs. */
  readonly reason: unknown;
  /** True once the forward's own timeoutMs (not the core) ended it. */
  readonly timedOut: boolean;
  /** Milliseconds since the deadline started. */
  elapsedMs(): number;
  /** The one callback run when the time ends (replaces the previous; undefined removes it). */
  onEnd(callback: ((reason: unknown) => void) | undefined): void;
  /** A signal that aborts with the deadline, made on first use (for waits that take one). */
  signal(): AbortSignal;
  /** Ends the time budget early without a reason: the timer and the listener go. */
  clear(): void;
}

export function startDeadline(timeoutMs: number, outer: AbortSource): Deadline {
  const started = performance.now();
  let reason: unknown;
  let timedOut = false;
  let callback: ((reason: unknown) => void) | undefined;
  let controller: AbortController | undefined;
  let cleared = false;

  const end = (why: unknown, byTimer: boolean) => {
    if (reason !== undefined || cleared) return;
    reason = why ?? new Error('aborted');
    timedOut = byTimer;
    clear();
    controller?.abort(reason);
    callback?.(reason);
  };
  const onOuterAbort = () => end(outer.reason, false);
  const timer = setTimeout(() => end(new Error(`timeout after ${timeoutMs} ms`), true), timeoutMs);
  const clear = () => {
    if (cleared) return;
    cleared = true;
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuterAbort);
  };
  if (outer.aborted) onOuterAbort();
  else outer.addEventListener('abort', onOuterAbort);

  return {
    get reason() {
      return reason;
    },
    get timedOut() {
      return timedOut;
    },
    elapsedMs: () => performance.now() - started,
    onEnd(next) {
      callback = next;
    },
    signal() {
      if (!controller) {
        controller = new AbortController();
        if (reason !== undefined) controller.abort(reason);
      }
      return controller.signal;
    },
    clear,
  };
}
