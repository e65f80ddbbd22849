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
  return new EventDeadline(timeoutMs, outer);
}

/** A class, not an object literal with getters: on Node 20 such a literal takes V8's slow path per event (route/dispatch.ts). */
class EventDeadline implements Deadline {
  private readonly started = performance.now();
  private why: unknown;
  private byTimer = false;
  private callback: ((reason: unknown) => void) | undefined;
  private controller: AbortController | undefined;
  private cleared = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onOuterAbort = () => this.end(this.outer.reason, false);

  constructor(
    timeoutMs: number,
    private readonly outer: AbortSource,
  ) {
    this.timer = setTimeout(() => this.end(new Error(`timeout after ${timeoutMs} ms`), true), timeoutMs);
    if (outer.aborted) this.onOuterAbort();
    else outer.addEventListener('abort', this.onOuterAbort);
  }

  get reason(): unknown {
    return this.why;
  }

  get timedOut(): boolean {
    return this.byTimer;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  onEnd(next: ((reason: unknown) => void) | undefined): void {
    this.callback = next;
  }

  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.why !== undefined) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  clear(): void {
    if (this.cleared) return;
    this.cleared = true;
    clearTimeout(this.timer);
    this.outer.removeEventListener('abort', this.onOuterAbort);
  }

  private end(why: unknown, byTimer: boolean): void {
    if (this.why !== undefined || this.cleared) return;
    this.why = why ?? new Error('aborted');
    this.byTimer = byTimer;
    this.clear();
    this.controller?.abort(this.why);
    this.callback?.(this.why);
  }
}
