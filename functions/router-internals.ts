/**
 * What eventarc-router/testing needs of a router made by library.ts, kept off its
 * public face: under a registered symbol, so the testing entry (a bundle of its
 * own) finds it without sharing a module instance with the library.
 */
import type { App } from './app';

export const ROUTER_INTERNALS = Symbol.for('eventarc-router.internals');

export interface RouterInternals {
  /** The app, or its promise while Secret Manager references resolve. */
  readonly app: () => App | Promise<App>;
  /** Runs `work` alone on this router, every log line written meanwhile also given to `line` (and kept from the sink when `quiet`). */
  exclusive<T>(line: (text: string) => void, quiet: boolean, work: () => Promise<T>): Promise<T>;
}

export function internalsOf(router: object): RouterInternals {
  const internals = (router as { [ROUTER_INTERNALS]?: RouterInternals })[ROUTER_INTERNALS];
  if (!internals) throw new TypeError('not a router made by createRouter() of eventarc-router');
  return internals;
}
