/**
 * What aborts a request's work, as the pipeline and the routes read it: an AbortSignal
 * has this shape, and so has the lean server's client-close watch (receive/client-close.ts),
 * which makes no AbortController (about 4 µs each on Node 20) for a request nobody
 * needs a signal of. A route's own signal (route/dispatch.ts) is a real AbortSignal.
 */
export interface AbortSource {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * An AbortSource that aborts once and then calls each of its listeners once: the lean
 * server's client-close watch (receive/client-close.ts) and a route's run (route/dispatch.ts).
 */
export class AbortFanout implements AbortSource {
  /** Set on abort; a box, so that an abort with `undefined` as its reason still counts. */
  protected abortedWith: { readonly reason: unknown } | undefined;
  private listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    this.beforeLook();
    return this.abortedWith !== undefined;
  }

  get reason(): unknown {
    this.beforeLook();
    return this.abortedWith?.reason;
  }

  /** Like an AbortSignal's: called once, on abort; not when already aborted. */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.beforeLook();
    if (!this.abortedWith) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  abort(reason: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason };
    this.aborting(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  /** Before any look at the state: where a subclass starts following what aborts it. */
  protected beforeLook(): void {}

  /** On abort, before the listeners run. */
  protected aborting(_reason: unknown): void {}
}
