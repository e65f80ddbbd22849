/**
 * The composition root: settings -> routes -> a request handler that runs
 * receive -> parse -> route -> act -> answer for each delivery.
 */
import type { Request, Response } from 'express';
import type { ActionDefinition, ActionEnvironment } from './act/action';
import { builtInActions } from './act/catalog';
import { createLogger, stdoutSink, type LogSink, type Logger } from './support/logger';
import { answerOf, combine, type Outcome } from './answer/outcome';
import { writeAnswer, type Answer } from './support/http-answer';
import { describeUnmatched, shownId } from './parse/describe-event';
import { environment as environmentOf, readSettings, type Settings } from './config';
import type { RouterEvent } from './parse/event';
import { NotADeliveryError, PayloadError, parseDelivery } from './parse/delivery';
import { toRawRequest, type RawRequest } from './receive/raw-request';
import { preservable } from './answer/preserved-request';
import { receiveLimitsOf } from './receive/limits';
import { createBodyBudget } from './receive/body-budget';
import { sendRefusal } from './receive/read-body';
import { traceOf, traceResource } from './receive/trace';
import { dispatch, type RouteOutcome } from './route/dispatch';
import { Router, type Route } from './route/router';
import { loadRoutesFile } from './route/routes-file';
import { compileMatchSpec } from './route/match-spec';
import { parse } from './support/schema';
import { andThen, lastly, recover, type MaybePromise } from './support/maybe-promise';
import { codeCacheUse } from './support/code-cache';
import { forwardRouteFromProxyEnv } from './act/forward/proxy-env';
import { createAuthCheck } from './receive/auth/check';
import { createInFlight, type InFlight } from './receive/shutdown';
import { guardedDispatch, type IdempotencySettings } from './route/idempotency/guard';
import type { IdempotencyStore } from './route/idempotency/store';
import { createMemoryStore } from './route/idempotency/memory-store';
import { createFirestoreStore } from './route/idempotency/firestore-store';
import { createDeadLetters, isPermanentPublishError, type DeadLetters } from './answer/dead-letter';
import { resolveConfiguration } from './secrets/configuration';
import type { SecretAccessor } from './secrets/resolve';

export interface AppOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sink?: LogSink;
  readonly actions?: readonly ActionDefinition<unknown>[];
  /** Secret references in routes-file option values, resolved (see startApp). */
  readonly secrets?: ReadonlyMap<string, string>;
  /** For tests: an idempotency store or dead-letter publisher already made. */
  readonly idempotencyStore?: IdempotencyStore;
  readonly deadLetters?: DeadLetters;
}

/** Answers decided before or around the pipeline: auth, concurrency, shutdown, deadline. */
export type Refusal = { readonly kind: 'refused'; readonly status: 401 | 403 | 409 | 503; readonly reason: string };

/** What the pipeline did with one request, and the answer to send. */
export interface Handled {
  readonly outcome: Outcome | Refusal | 'health';
  readonly answer: Answer;
}

export interface App {
  readonly router: Router;
  readonly settings: Settings;
  /** The whole pipeline for one request; never throws. Synchronous while every step is (see support/maybe-promise.ts). */
  handle(raw: RawRequest, signal?: AbortSignal): MaybePromise<Handled>;
  /** The Functions Framework HTTP function. */
  readonly httpHandler: (req: Request, res: Response) => MaybePromise<void>;
  /** Requests in flight, for graceful shutdown. */
  readonly inFlight: InFlight;
}

/**
 * createApp after resolving every Secret Manager reference in the environment
 * and the routes file (once, at start); rejects naming the reference that failed.
 */
export async function startApp(options: AppOptions & { secretAccessor?: () => Promise<SecretAccessor> } = {}): Promise<App> {
  const { env, secrets } = await resolveConfiguration(environmentOf(options.env), options.secretAccessor);
  return createApp({ ...options, env, secrets });
}

const refusalAnswer = (status: number, body: string): Answer => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Routes when no routes file is given: with PROXY_HOST set, forward every event
 * there (the drop-in for the nginx proxy workaround); otherwise log every event.
 */
function defaultRoutes(actions: readonly ActionDefinition<unknown>[], environment: ActionEnvironment, settings: Settings): Route[] {
  const proxy = forwardRouteFromProxyEnv(settings);
  const [name, options] = proxy ? ['forward', proxy] : ['log', {}];
  const action = actions.find((a) => a.name === name);
  if (!action) return [];
  return [{ name: `default-${name}`, action: name, filter: compileMatchSpec({}), timeoutMs: settings.routeTimeoutMs, handler: action.create(parse(action.options, options), environment) }];
}

/**
 * Functions Framework runs every request inside a node:domain, only to turn an
 * uncaught throw into a 500. Our handler never throws, and every promise created
 * inside a domain pays for domain tracking (measured: most of the gap between this
 * router and a no-op function), so the pipeline leaves it.
 */
function leaveFrameworkDomain(): void {
  (process as { domain?: { exit(): void } | null }).domain?.exit();
}

export function createApp(options: AppOptions = {}): App {
  const env = environmentOf(options.env);
  const baseLog = createLogger(options.sink ?? stdoutSink);
  const settings = readSettings(env);
  const actions = options.actions ?? builtInActions;
  const environment: ActionEnvironment = {
    log: baseLog,
    variables: env,
    ...(settings.project !== undefined && { project: settings.project }),
    ...(settings.storageEmulatorHost !== undefined && { storageEmulatorHost: settings.storageEmulatorHost }),
  };
  const router = new Router(settings.routeTimeoutMs);
  const routes = settings.routesFile
    ? loadRoutesFile(settings.routesFile, actions, environment, settings.routeTimeoutMs, options.secrets)
    : defaultRoutes(actions, environment, settings);
  const authCheck = createAuthCheck({
    ...(settings.authOidc && {
      oidc: { audiences: settings.authAudiences, emails: settings.authEmails, subjects: settings.authSubjects, certsUrl: settings.authCertsUrl, clockSkewSeconds: settings.authClockSkewSeconds },
    }),
    ...(settings.authApiKey !== undefined && { apiKey: settings.authApiKey }),
  }, baseLog);
  // Made when a matching route first needs it: routes from code may be added after start.
  let idempotency: IdempotencySettings | undefined;
  const idempotencyNow = (): IdempotencySettings =>
    (idempotency ??= {
      store:
        options.idempotencyStore ??
        (settings.idempotencyStore === 'firestore'
          ? createFirestoreStore({ collection: settings.idempotencyCollection, ...(settings.project && { projectId: settings.project }) })
          : createMemoryStore({ maxKeys: settings.idempotencyMemoryMaxKeys, maxBytes: settings.idempotencyMemoryMaxBytes, log: baseLog })),
      ttlMs: settings.idempotencyTtlMs,
      leaseMarginMs: settings.idempotencyLeaseMarginMs,
      maxHoldMs: settings.idempotencyMaxHoldMs,
    });
  const deadLetters =
    options.deadLetters ?? (settings.deadLetterTopic ? createDeadLetters({ topic: settings.deadLetterTopic, ...(settings.project && { projectId: settings.project }) }) : undefined);
  const inFlight = createInFlight();
  // For httpHandler: the lean server reads bodies itself, with the same limits (receive/http-server.ts).
  const receiveLimits = receiveLimitsOf(settings);
  const bodyBudget = createBodyBudget(receiveLimits.maxBodyBytesInFlight);
  for (const route of routes) router.add(route);
  baseLog.info(`eventarc-router: ${routes.length} route(s)${settings.routesFile ? ` from ${settings.routesFile}` : ' (default)'}`, {
    routes: routes.map((r) => ({ name: r.name, action: r.action, match: r.filter.describe(), timeoutMs: r.timeoutMs })),
    // Whether V8's code cache served this start (dist/service/router.js); "rejected" or "none" costs ~15 ms of cold start.
    codeCache: codeCacheUse(),
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

  /** Parse, route, run: synchronous while the matching routes' handlers are. */
  function decide(raw: RawRequest, signal?: AbortSignal): MaybePromise<Outcome | Refusal> {
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
      log.info(describeUnmatched(event), { eventId: event.id, eventType: event.type, kind: event.kind });
      return { kind: 'unmatched', event };
    }
    const run = (routes: readonly Route[]) => dispatch(event, routes, log, signal);
    if (matching.some((r) => r.idempotent)) {
      return guardedDispatch(event, matching, idempotencyNow(), log, signal).then((guarded) => {
        if (guarded.kind === 'in-progress') {
          log.info(`event ${event.id ?? '(no id)'} is being handled by another delivery; answered 409 to come back later`, { routes: guarded.routes });
          return { kind: 'refused', status: 409, reason: `in progress on route ${guarded.routes.join(', ')}` } as const;
        }
        return conclude(raw, event, log, guarded.routes);
      });
    }
    return andThen(run(matching), (routeOutcomes) => conclude(raw, event, log, routeOutcomes));
  }

  /** The event's outcome from its routes' outcomes, logged when it is a retry or a rejection. */
  function conclude(raw: RawRequest, event: RouterEvent, log: Logger, routeOutcomes: readonly RouteOutcome[]): Outcome {
    let outcome = combine(event, routeOutcomes);
    const attempt = event.delivery.deliveryAttempt;
    if (outcome.kind === 'retry' && settings.deadLetterMaxAttempts !== undefined && attempt !== undefined && attempt >= settings.deadLetterMaxAttempts) {
      // Out of attempts: acknowledge and dead-letter rather than fail once more.
      const failed = outcome.routes.filter((r) => r.status === 'retry').map((r) => `${r.route}: ${r.status === 'retry' ? r.reason : ''}`);
      outcome = { kind: 'rejected', reason: `delivery attempt ${attempt} reached the limit ${settings.deadLetterMaxAttempts}; last failure: ${failed.join('; ')}`, event, routes: outcome.routes };
    }
    if (outcome.kind === 'retry') {
      log.warn(`event ${shownId(event.id)} failed and will be redelivered`, { routes: outcome.routes });
    } else if (outcome.kind === 'rejected') {
      log.error(`rejected event ${shownId(event.id)} (acknowledged, will not be retried): ${outcome.reason}`, {
        reason: outcome.reason,
        routes: outcome.routes,
        request: preservable(raw),
      });
    }
    return outcome;
  }

  /** decide() under the per-event deadline: past it, answer 503 and abort the routes (Pub/Sub redelivers). */
  function decideInTime(raw: RawRequest, signal?: AbortSignal): MaybePromise<Outcome | Refusal> {
    return settings.eventDeadlineMs === undefined ? decide(raw, signal) : decideBefore(settings.eventDeadlineMs, raw, signal);
  }

  async function decideBefore(deadlineMs: number, raw: RawRequest, signal?: AbortSignal): Promise<Outcome | Refusal> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Refusal>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error('event deadline'));
        resolve({ kind: 'refused', status: 503, reason: `no answer within the event deadline of ${deadlineMs} ms` });
      }, deadlineMs);
    });
    try {
      const outcome = await Promise.race([decide(raw, controller.signal), late]);
      if (outcome.kind === 'refused' && outcome.status === 503) baseLog.warn(`event deadline passed: answered 503 to be redelivered`, { request: { method: raw.method, path: raw.path } });
      return outcome;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Publishes an acknowledged-but-unhandled delivery; if that fails, the delivery is not acknowledged. */
  function deadLetter(raw: RawRequest, outcome: Outcome | Refusal): MaybePromise<Refusal | undefined> {
    return deadLetters && outcome.kind === 'rejected' ? publishDeadLetter(deadLetters, raw, outcome) : undefined;
  }

  async function publishDeadLetter(publisher: DeadLetters, raw: RawRequest, outcome: Outcome & { kind: 'rejected' }): Promise<Refusal | undefined> {
    try {
      const id = await publisher.publish(raw, outcome.reason, outcome.event?.id);
      baseLog.info(`dead-lettered event ${shownId(outcome.event?.id)} as message ${id}`, { deadLetter: { messageId: id, reason: outcome.reason } });
      return undefined;
    } catch (err) {
      if (isPermanentPublishError(err)) {
        // Refused for what it is: redelivering would loop. Kept here once instead, and acknowledged.
        baseLog.error(`dead letter refused by the topic (${(err as Error).message}); preserved here instead and acknowledged`, {
          reason: outcome.reason,
          ...(outcome.event?.id !== undefined && { eventId: shownId(outcome.event.id) }),
          request: preservable(raw),
        });
        return undefined;
      }
      baseLog.error(`dead-letter publish failed; not acknowledging, so it is redelivered: ${(err as Error).message}`);
      return { kind: 'refused', status: 503, reason: 'dead-letter topic unavailable' };
    }
  }

  function handle(raw: RawRequest, signal?: AbortSignal): MaybePromise<Handled> {
    if (raw.method === 'GET' && HEALTH_PATHS.has(raw.path)) {
      if (inFlight.draining && raw.path === '/readyz') return { outcome: 'health', answer: refusalAnswer(503, 'shutting down\n') };
      return { outcome: 'health', answer: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok\n' } };
    }
    const leave = inFlight.enter();
    if (!leave) {
      return { outcome: { kind: 'refused', status: 503, reason: 'shutting down' }, answer: { ...refusalAnswer(503, 'shutting down\n'), headers: { connection: 'close' } } };
    }
    let handled: MaybePromise<Handled>;
    try {
      handled = handleOne(raw, signal);
    } catch (err) {
      leave();
      throw err;
    }
    return lastly(handled, leave);
  }

  function handleOne(raw: RawRequest, signal?: AbortSignal): MaybePromise<Handled> {
    // Both servers refuse these while reading (receive/read-body.ts); this holds for a RawRequest handed in directly.
    const declared = Number(raw.headers['content-length'] ?? raw.body.length);
    if (raw.body.length > settings.maxBodyBytes || declared > settings.maxBodyBytes) {
      const outcome: Outcome = { kind: 'not-a-delivery', status: 413, reason: `request body larger than ${settings.maxBodyBytes} bytes` };
      requestLogger(raw).warn(outcome.reason, { httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status: 413 } });
      return { outcome, answer: answerOf(outcome) };
    }
    if (!authCheck) return answerDelivery(raw, signal);
    return authCheck(raw, requestLogger(raw)).then((verdict) => {
      if (verdict.ok) return answerDelivery(raw, signal);
      const reason = verdict.status === 401 ? 'unauthorized' : verdict.status === 403 ? 'forbidden' : 'unavailable';
      return { outcome: { kind: 'refused', status: verdict.status, reason }, answer: refusalAnswer(verdict.status, `${reason}\n`) } as const;
    });
  }

  function answerDelivery(raw: RawRequest, signal?: AbortSignal): MaybePromise<Handled> {
    return recover(
      () =>
        andThen(decideInTime(raw, signal), (decided) =>
          andThen(deadLetter(raw, decided), (refusal): Handled => {
            const outcome = refusal ?? decided;
            if (outcome.kind === 'refused') return { outcome, answer: refusalAnswer(outcome.status, `${outcome.reason}\n`) };
            return { outcome, answer: answerOf(outcome) };
          }),
        ),
      (err): Handled => {
        // A bug of ours: redeliver rather than lose the event.
        baseLog.error(`internal error: ${(err as Error).stack ?? String(err)}`, { request: preservable(raw) });
        return { outcome: { kind: 'not-a-delivery', status: 400, reason: 'internal' }, answer: { status: 500, headers: {}, body: 'internal error\n' } };
      },
    );
  }

  function httpHandler(req: Request, res: Response): MaybePromise<void> {
    leaveFrameworkDomain();
    const signal = (req as unknown as { abortController?: AbortController }).abortController?.signal;
    return andThen(toRawRequest(req as unknown as Parameters<typeof toRawRequest>[0], receiveLimits, bodyBudget), (received) => {
      if ('refusal' in received) return sendRefusal(req, res, received.refusal);
      // The body's bytes count against the budget until the answer has gone.
      res.once('close', received.release);
      return andThen(handle(received.raw, signal), ({ answer }) => writeAnswer(res, answer));
    });
  }

  return { router, settings, handle, httpHandler, inFlight };
}
