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

class DeadlineExceeded extends Error {}

export async function dispatch(event: RouterEvent, routes: readonly Route[], log: Logger, requestSignal?: AbortSignal): Promise<RouteOutcome[]> {
  return Promise.all(routes.map((route) => runRoute(event, route, log, requestSignal)));
}

async function runRoute(event: RouterEvent, route: Route, log: Logger, requestSignal?: AbortSignal): Promise<RouteOutcome> {
  const controller = new AbortController();
  const onRequestAbort = () => controller.abort(requestSignal?.reason);
  requestSignal?.addEventListener('abort', onRequestAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new DeadlineExceeded(`no answer within ${route.timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, route.timeoutMs);
  });
  const ctx: HandlerContext = { log, signal: controller.signal, route: route.name };
  try {
    const result = await Promise.race([Promise.resolve().then(() => route.handler(event, ctx)), deadline]);
    return { route: route.name, status: 'done', ...(result ? { result } : {}) };
  } catch (error) {
    return classify(route, error);
  } finally {
    clearTimeout(timer);
    requestSignal?.removeEventListener('abort', onRequestAbort);
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
