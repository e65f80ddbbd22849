/**
 * The lean server's "the client went away" for one request: aborts the routes'
 * signals when the connection closes before the answer has gone, as the framework's
 * per-request AbortController does, without one (support/abort-source.ts). One
 * `close` listener per request, which also gives the body's bytes back to the budget.
 */
import type { ServerResponse } from 'http';
import type { AbortSource } from '../support/abort-source';

export class ClientClose implements AbortSource {
  #reason: Error | undefined;
  #listeners: (() => void)[] | undefined;

  constructor(
    res: ServerResponse,
    private readonly release: () => void,
  ) {
    res.once('close', () => {
      this.release();
      if (res.writableFinished) return;
      this.#reason = new Error('client closed the connection');
      const listeners = this.#listeners;
      this.#listeners = undefined;
      if (listeners) for (const listener of listeners) listener();
    });
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Like an AbortSignal's: called once, on abort; not when already aborted. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#reason === undefined) (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.#listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.#listeners!.splice(at, 1);
  }
}
