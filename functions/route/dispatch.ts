/**
 * Runs every matching route for one event, concurrently, each under its own
 * deadline, and classifies what each did. Per-event state (abort controllers,
 * timers) lives only in this call.
 */
import type { ActionResult, HandlerContext } from '../act/action';
import { isPermanentError, isRetryableError } from '../act/errors';
import type { Logger } from '../answer/logger';
import type { RouteOutcome } from '../answer/outcome';
import type { RouterEvent } from '../parse/event';
import type { Route } from './router';
import { isThenable } from '../support/maybe-promise';

class DeadlineExceeded extends Error {}


/** Synchronous when every handler is (the log action): no promise, timer or controller per event then. */
export function dispatch(event: RouterEvent, routes: readonly Route[], log: Logger, requestSignal?: AbortSignal): RouteOutcome[] | Promise<RouteOutcome[]> {
  const outcomes = routes.map((route) => runRoute(event, route, log, requestSignal));
  return outcomes.some(isThenable) ? Promise.all(outcomes) : (outcomes as RouteOutcome[]);
}

function runRoute(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSignal): RouteOutcome | Promise<RouteOutcome> {
  // Made on first use: a handler that never looks at its signal and answers at once needs none.
  let controller: AbortController | undefined;
  let unlink: (() => void) | undefined;
  const control = (): AbortController => {
    if (!controller) {
      controller = new AbortController();
      const c = controller;
      const onRequestAbort = () => c.abort(requestSignal?.reason);
      requestSignal?.addEventListener('abort', onRequestAbort, { once: true });
      unlink = () => requestSignal?.removeEventListener('abort', onRequestAbort);
    }
    return controller;
  };
  const ctx: HandlerContext = {
    log,
    route: route.name,
    get signal() {
      return control().signal;
    },
  };
  let result: ReturnType<Route['handler']>;
  try {
    result = route.handler(event, ctx);
  } catch (error) {
    unlink?.();
    return classify(route, error);
  }
  if (!isThenable(result)) {
    unlink?.();
    return { route: route.name, status: 'done', ...(result ? { result } : {}) };
  }
  return settleInTime(Promise.resolve(result), route, control).finally(() => unlink?.());
}

/** Waits for an asynchronous handler up to the route's deadline; past it, aborts the handler and answers retry. */
async function settleInTime(pending: Promise<ActionResult | void>, route: Route, control: () => AbortController): Promise<RouteOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceeded(`no answer within ${route.timeoutMs} ms`);
      // Decide first, then abort: a handler that settles on abort must not win the race.
      reject(err);
      control().abort(err);
    }, route.timeoutMs);
  });
  try {
    const result = await Promise.race([pending, deadline]);
    return { route: route.name, status: 'done', ...(result ? { result } : {}) };
  } catch (error) {
    return classify(route, error);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Bounded: a reason goes into a response body and a log line.
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

export function classify(route: Route, error: unknown): RouteOutcome {
  if (isPermanentError(error) || (route.isPermanent?.(error) ?? false)) {
    return { route: route.name, status: 'permanent', reason: reasonOf(error) };
  }
  // A deadline or a declared dependency failure is "unavailable" (503); anything unexpected is a 500.
  const unavailable = error instanceof DeadlineExceeded || isRetryableError(error);
  return { route: route.name, status: 'retry', reason: reasonOf(error), unavailable };
}
