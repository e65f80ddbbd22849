/**
 * Runs every matching route for one event, concurrently, each under its own
 * deadline, and classifies what each did. Per-event state (abort controllers,
 * timers) lives only in this call.
 */
import type { HandlerContext } from '../act/action';
import { isPermanentError, isRetryableError } from '../act/errors';
import type { Logger } from '../answer/logger';
import type { RouteOutcome } from '../answer/outcome';
import type { RouterEvent } from '../parse/event';
import type { Route } from './router';
import { isThenable, type MaybePromise } from '../support/maybe-promise';

class DeadlineExceeded extends Error {}


/** Synchronous when every handler is (the log action): no promise, timer or controller per event then. */
export function dispatch(event: RouterEvent, routes: readonly Route[], log: Logger, requestSignal?: AbortSignal): RouteOutcome[] | Promise<RouteOutcome[]> {
  const outcomes = routes.map((route) => runRoute(event, route, log, requestSignal));
  return outcomes.some(isThenable) ? Promise.all(outcomes) : (outcomes as RouteOutcome[]);
}

export function runRoute(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSignal): RouteOutcome | Promise<RouteOutcome> {
  const run = startRoute(event, route, log, requestSignal);
  if (!isThenable(run.stopped)) return run.stopped;
  return settleInTime(run.stopped, route, run.control).finally(run.unlink);
}

/**
 * A route run under an idempotency lock: the answer comes by the deadline at the
 * latest, but the lock may be settled only once the handler has really stopped,
 * which is later when it outlives its deadline (it is aborted then, and may not listen).
 */
export interface HeldRun {
  readonly answer: MaybePromise<RouteOutcome>;
  /** What the handler did, once it has stopped. */
  readonly stopped: MaybePromise<RouteOutcome>;
  hasStopped(): boolean;
  /** Aborts the handler, e.g. because its lock was lost. */
  abort(reason: Error): void;
}

export function runHeld(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSignal): HeldRun {
  const run = startRoute(event, route, log, requestSignal);
  if (!isThenable(run.stopped)) return { answer: run.stopped, stopped: run.stopped, hasStopped: () => true, abort: () => undefined };
  // Linked to the request until the handler stops, not just until the answer.
  const stopped = run.stopped.finally(run.unlink);
  return { answer: settleInTime(run.stopped, route, run.control), stopped, hasStopped: run.hasStopped, abort: (reason) => run.control().abort(reason) };
}

interface Started {
  /** The handler's outcome: now for a synchronous handler, else when its promise settles. */
  readonly stopped: MaybePromise<RouteOutcome>;
  hasStopped(): boolean;
  control(): AbortController;
  unlink(): void;
}

function startRoute(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSignal): Started {
  // Made on first use: a handler that never looks at its signal and answers at once needs none.
  let controller: AbortController | undefined;
  let unlink: (() => void) | undefined;
  const control = (): AbortController => {
    if (!controller) {
      controller = new AbortController();
      const c = controller;
      // A request already aborted (its event deadline passed) fires no event: abort now.
      if (requestSignal?.aborted) c.abort(requestSignal.reason);
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
  let stopped = true;
  const started = (outcome: MaybePromise<RouteOutcome>): Started => ({ stopped: outcome, hasStopped: () => stopped, control, unlink: () => unlink?.() });
  try {
    result = route.handler(event, ctx);
  } catch (error) {
    unlink?.();
    return started(classify(route, error));
  }
  if (!isThenable(result)) {
    unlink?.();
    return started({ route: route.name, status: 'done', ...(result ? { result } : {}) });
  }
  stopped = false;
  return started(
    Promise.resolve(result).then(
      (value): RouteOutcome => {
        stopped = true;
        return { route: route.name, status: 'done', ...(value ? { result: value } : {}) };
      },
      (error) => {
        stopped = true;
        return classify(route, error);
      },
    ),
  );
}

/** Waits for an asynchronous handler up to the route's deadline; past it, aborts the handler and answers retry. */
async function settleInTime(pending: Promise<RouteOutcome>, route: Route, control: () => AbortController): Promise<RouteOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<RouteOutcome>((resolve) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceeded(`no answer within ${route.timeoutMs} ms`);
      // Decide first, then abort: a handler that settles on abort must not win the race.
      resolve(classify(route, err));
      control().abort(err);
    }, route.timeoutMs);
  });
  try {
    return await Promise.race([pending, deadline]);
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
