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
