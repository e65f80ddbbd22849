/**
 * Runs every matching route for one event, concurrently, each under its own
 * deadline, and classifies what each did. Per-event state (abort controllers,
 * timers) lives only in this call.
 */
import { NO_PARAMS, type HandlerContext } from '../act/action';
import type { Logger } from '../support/logger';
import type { RouterEvent } from '../parse/event';
import type { Route } from './router';
import { carriedDisposition, DispositionError } from '../support/disposition';
import type { RouteOutcome } from '../support/outcome';
import { AbortFanout, type AbortSource } from '../support/abort-source';

export type { RouteOutcome };

/** A handler may answer at once or later (act/action.ts's Handler): one that answers at once needs no timer or controller. */
type NowOrLater<T> = T | Promise<T>;

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as { then?: unknown } | null)?.then === 'function';

/** A handler too slow is a dependency too slow: retry (503). */
class DeadlineExceeded extends DispositionError {
  constructor(message: string) {
    super(message, 'retry');
  }
}

/** Synchronous when every handler is (the log action): no promise, timer or controller per event then. */
export function dispatch(event: RouterEvent, routes: readonly Route[], log: Logger, requestSignal?: AbortSource): RouteOutcome[] | Promise<RouteOutcome[]> {
  const outcomes = routes.map((route) => runRoute(event, route, log, requestSignal));
  return outcomes.some(isThenable) ? Promise.all(outcomes) : (outcomes as RouteOutcome[]);
}

export function runRoute(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSource): RouteOutcome | Promise<RouteOutcome> {
  const run = new RouteRun(requestSignal);
  const outcome = startRoute(event, route, log, run);
  if (!isThenable(outcome)) return outcome;
  return settleInTime(outcome, route, run, true);
}

/**
 * A route run under an idempotency lock: the answer comes by the deadline at the
 * latest, but the lock may be settled only once the handler has really stopped,
 * which is later when it outlives its deadline (it is aborted then, and may not listen).
 */
export interface HeldRun {
  readonly answer: NowOrLater<RouteOutcome>;
  /** What the handler did, once it has stopped. */
  readonly stopped: NowOrLater<RouteOutcome>;
  hasStopped(): boolean;
  /** Aborts the handler, e.g. because its lock was lost. */
  abort(reason: Error): void;
}

export function runHeld(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSource): HeldRun {
  const run = new RouteRun(requestSignal);
  const outcome = startRoute(event, route, log, run);
  if (!isThenable(outcome)) return { answer: outcome, stopped: outcome, hasStopped: () => true, abort: () => undefined };
  return {
    answer: settleInTime(outcome, route, run, false),
    // Linked to the request until the handler stops, not just until the answer.
    stopped: outcome.finally(() => run.unlink()),
    hasStopped: () => run.stopped,
    abort: (reason) => run.abort(reason),
  };
}

/**
 * One handler's run, and what aborts it (the route's deadline, the request's abort, a lost lock):
 * an AbortSource itself, so a handler that listens through `ctx.aborts` costs no AbortController;
 * one is made only when a handler asks for `ctx.signal` (about 4 µs each on Node 20, measured).
 */
const UNLINKED = () => undefined;

class RouteRun extends AbortFanout {
  /** False while an asynchronous handler has not settled. */
  stopped = true;
  /** When the handler was called: each route's outcome line says how long it ran (performance.now(), ms). */
  readonly started = performance.now();
  private controller: AbortController | undefined;
  private onRequestAbort: (() => void) | undefined;

  constructor(private readonly requestSignal?: AbortSource) {
    super();
  }

  protected override beforeLook(): void {
    this.link();
  }

  protected override aborting(reason: unknown): void {
    this.unlink();
    this.controller?.abort(reason);
  }

  control(): AbortController {
    if (!this.controller) {
      const c = (this.controller = new AbortController());
      this.link();
      if (this.abortedWith) c.abort(this.abortedWith.reason);
    }
    return this.controller;
  }

  /** Follows the request's abort from the first look on (a handler that never looks costs nothing). */
  private link(): void {
    const request = this.requestSignal;
    if (!request || this.onRequestAbort || this.abortedWith) return;
    // A request already aborted (its event deadline passed) fires no event: abort now.
    if (request.aborted) return this.abort(request.reason);
    this.onRequestAbort = () => this.abort(request.reason);
    request.addEventListener('abort', this.onRequestAbort, { once: true });
  }

  /** Once the handler has stopped: the request's abort no longer reaches it. */
  unlink(): void {
    if (this.onRequestAbort) this.requestSignal?.removeEventListener('abort', this.onRequestAbort);
    this.onRequestAbort = UNLINKED;
  }
}

/**
 * What a handler is given. A class, not an object literal with a `signal` getter: on Node 20 such
 * a literal costs V8's slow path, about 1.5 µs per routed event (measured), a class instance a few ns.
 */
class RouteContext implements HandlerContext {
  readonly #run: RouteRun;
  constructor(
    readonly log: Logger,
    readonly route: string,
    readonly params: HandlerContext['params'],
    run: RouteRun,
  ) {
    this.#run = run;
  }

  /** The controller is made on first look: a handler that never asks costs none. */
  get signal(): AbortSignal {
    return this.#run.control().signal;
  }

  get aborts(): AbortSource {
    return this.#run;
  }
}

/** Calls the handler: its outcome now when it is synchronous, else a promise of it that never rejects. */
function startRoute(event: RouterEvent, route: Route, log: Logger, run: RouteRun): NowOrLater<RouteOutcome> {
  const ctx: HandlerContext = new RouteContext(log, route.name, route.params ?? NO_PARAMS, run);
  let result: ReturnType<Route['handler']>;
  try {
    result = route.handler(event, ctx);
  } catch (error) {
    run.unlink();
    return classify(route, error, sinceMs(run.started));
  }
  if (!isThenable(result)) {
    run.unlink();
    return { route: route.name, status: 'done', durationMs: sinceMs(run.started), ...(result ? { result } : {}) };
  }
  run.stopped = false;
  return Promise.resolve(result).then(
    (value): RouteOutcome => {
      run.stopped = true;
      return { route: route.name, status: 'done', durationMs: sinceMs(run.started), ...(value ? { result: value } : {}) };
    },
    (error) => {
      run.stopped = true;
      return classify(route, error, sinceMs(run.started));
    },
  );
}

/**
 * Waits for an asynchronous handler up to the route's deadline; past it, aborts the handler and
 * answers retry. One promise and one timer per routed event: no Promise.race, no async function and
 * no finally, each of which costs promises that a forwarded event paid for on every delivery.
 * `pending` never rejects (startRoute). With `unlink`, the run stops following the request once answered.
 */
function settleInTime(pending: Promise<RouteOutcome>, route: Route, run: RouteRun, unlink: boolean): Promise<RouteOutcome> {
  return new Promise<RouteOutcome>((resolve) => {
    const timer = setTimeout(() => {
      const err = new DeadlineExceeded(`no answer within ${route.timeoutMs} ms`);
      // Decide first, then abort: a handler that settles on abort must not win the race.
      resolve(classify(route, err, sinceMs(run.started)));
      run.abort(err);
    }, route.timeoutMs);
    void pending.then((outcome) => {
      clearTimeout(timer);
      if (unlink) run.unlink();
      resolve(outcome);
    });
  });
}

/** Milliseconds since `started`, to the microsecond: a number Cloud Logging's distribution metrics can extract. */
function sinceMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Bounded: a reason goes into a response body and a log line.
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * Only the disposition an error carries (or the route's own `isPermanent`) decides:
 * a foreign error a handler lets through is unexpected, whatever its code.
 */
export function classify(route: Route, error: unknown, durationMs?: number): RouteOutcome {
  const disposition = carriedDisposition(error);
  const ran = durationMs !== undefined ? { durationMs } : {};
  if (disposition === 'permanent' || (route.isPermanent?.(error) ?? false)) {
    return { route: route.name, status: 'permanent', reason: reasonOf(error), ...ran };
  }
  // A deadline or a declared dependency failure is "unavailable" (503); anything unexpected is a 500.
  return { route: route.name, status: 'retry', reason: reasonOf(error), unavailable: disposition === 'retry', ...ran };
}
