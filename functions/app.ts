/**
 * The composition root: settings -> routes -> a request handler that runs
 * receive -> parse -> route -> act -> answer for each delivery.
 */
import type { Request, Response } from 'express';
import type { ActionDefinition, ActionEnvironment } from './act/action';
import { builtInActions } from './act/catalog';
import { createLogger, stdoutSink, type LogSink, type Logger } from './answer/logger';
import { answerOf, combine, type Answer, type Outcome } from './answer/outcome';
import { readSettings, type Settings } from './config';
import type { RawRequest, RouterEvent } from './parse/event';
import { NotADeliveryError, PayloadError, parseDelivery } from './parse/delivery';
import { preservable, toRawRequest } from './receive/raw-request';
import { traceOf, traceResource } from './receive/trace';
import { dispatch } from './route/dispatch';
import { Router, type Route } from './route/router';
import { loadRoutesFile } from './route/routes-file';
import { compileMatchSpec } from './route/match-spec';
import { forwardRouteFromProxyEnv } from './act/forward/proxy-env';

export interface AppOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sink?: LogSink;
  readonly actions?: readonly ActionDefinition<unknown>[];
}

export interface App {
  readonly router: Router;
  readonly settings: Settings;
  /** The whole pipeline for one request; never throws. */
  handle(raw: RawRequest, signal?: AbortSignal): Promise<{ outcome: Outcome | 'health'; answer: Answer }>;
  /** The Functions Framework HTTP function. */
  readonly httpHandler: (req: Request, res: Response) => Promise<void>;
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Routes when no routes file is given: with PROXY_HOST set, forward every event
 * there (the drop-in for the nginx proxy workaround); otherwise log every event.
 */
function defaultRoutes(actions: readonly ActionDefinition<unknown>[], environment: ActionEnvironment, timeoutMs: number): Route[] {
  const proxy = forwardRouteFromProxyEnv(environment.env);
  const [name, options] = proxy ? ['forward', proxy] : ['log', {}];
  const action = actions.find((a) => a.name === name);
  if (!action) return [];
  return [{ name: `default-${name}`, action: name, filter: compileMatchSpec({}), timeoutMs, handler: action.create(action.options.parse(options), environment) }];
}

export function createApp(options: AppOptions = {}): App {
  const env = options.env ?? process.env;
  const baseLog = createLogger(options.sink ?? stdoutSink);
  const settings = readSettings(env);
  const actions = options.actions ?? builtInActions;
  const environment: ActionEnvironment = { env, log: baseLog };
  const router = new Router(settings.routeTimeoutMs);
  const routes = settings.routesFile
    ? loadRoutesFile(settings.routesFile, actions, environment, settings.routeTimeoutMs)
    : defaultRoutes(actions, environment, settings.routeTimeoutMs);
  for (const route of routes) router.add(route);
  baseLog.info(`eventarc-router: ${routes.length} route(s)${settings.routesFile ? ` from ${settings.routesFile}` : ' (default)'}`, {
    routes: routes.map((r) => ({ name: r.name, action: r.action, match: r.filter.describe(), timeoutMs: r.timeoutMs })),
  });

  function requestLogger(raw: RawRequest, event?: RouterEvent): Logger {
    const trace = traceOf(raw.headers);
    const labels: Record<string, string> = {};
    if (event?.id !== undefined) labels['eventId'] = event.id;
    if (event) labels['eventType'] = event.type;
    return baseLog.child({
      ...(trace && { trace: traceResource(trace, settings.project ?? event?.project), ...(trace.spanId && { spanId: trace.spanId }) }),
      labels,
    });
  }

  async function decide(raw: RawRequest, signal?: AbortSignal): Promise<Outcome> {
    let event: RouterEvent;
    try {
      event = parseDelivery(raw);
    } catch (err) {
      if (err instanceof NotADeliveryError) {
        requestLogger(raw).warn(`not a delivery: ${err.message}`, { httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status: err.status } });
        return { kind: 'not-a-delivery', status: err.status, reason: err.message };
      }
      if (err instanceof PayloadError) {
        requestLogger(raw).error(`rejected delivery (acknowledged, will not be retried): ${err.message}`, { reason: err.message, request: preservable(raw) });
        return { kind: 'rejected', reason: err.message };
      }
      throw err;
    }
    const log = requestLogger(raw, event);
    const matching = router.matching(event);
    if (matching.length === 0) {
      log.info(`no route matched ${event.kind} event ${event.id ?? '(no id)'} (${event.type})`, { eventId: event.id, eventType: event.type, kind: event.kind });
      return { kind: 'unmatched', event };
    }
    const outcome = combine(event, await dispatch(event, matching, log, signal));
    if (outcome.kind === 'retry') {
      log.warn(`event ${event.id ?? '(no id)'} failed and will be redelivered`, { routes: outcome.routes });
    } else if (outcome.kind === 'rejected') {
      log.error(`rejected event ${event.id ?? '(no id)'} (acknowledged, will not be retried): ${outcome.reason}`, {
        reason: outcome.reason,
        routes: outcome.routes,
        request: preservable(raw),
      });
    }
    return outcome;
  }

  async function handle(raw: RawRequest, signal?: AbortSignal): Promise<{ outcome: Outcome | 'health'; answer: Answer }> {
    if (raw.method === 'GET' && HEALTH_PATHS.has(raw.path)) {
      return { outcome: 'health', answer: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok\n' } };
    }
    let outcome: Outcome;
    try {
      outcome = await decide(raw, signal);
    } catch (err) {
      // A bug of ours: redeliver rather than lose the event.
      baseLog.error(`internal error: ${(err as Error).stack ?? String(err)}`, { request: preservable(raw) });
      return { outcome: { kind: 'not-a-delivery', status: 400, reason: 'internal' }, answer: { status: 500, headers: {}, body: 'internal error\n' } };
    }
    return { outcome, answer: answerOf(outcome) };
  }

  async function httpHandler(req: Request, res: Response): Promise<void> {
    const raw = await toRawRequest(req as unknown as Parameters<typeof toRawRequest>[0]);
    const signal = (req as unknown as { abortController?: AbortController }).abortController?.signal;
    const { answer } = await handle(raw, signal);
    res.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.end(answer.body);
  }

  return { router, settings, handle, httpHandler };
}
