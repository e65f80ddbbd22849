/**
 * The composition root: settings -> routes -> stores -> the request pipeline,
 * an ordered list of stages (support/pipeline.ts), each in the folder of its step:
 *
 *   record        answer/record.ts         records the outcome's line; a throw becomes `internal` (500)
 *   health        receive/health.ts        GET /healthz, /readyz
 *   admit         receive/admit.ts         refused while draining; counted in flight until answered
 *   limitBody     receive/limit-body.ts    413 past the body limit
 *   authenticate  receive/authenticate.ts  OIDC token or API key (when configured)
 *   deadLetter    answer/dead-lettering.ts publishes rejected deliveries (when a topic is set)
 *   deadline      receive/deadline.ts      503 past the event deadline (when set)
 *   decide        route/decide.ts          parse, match, run the routes, conclude the outcome
 *
 * A setup without auth, deadline or dead-letter topic runs the same steps
 * synchronously instead (answer/handle-sync.ts): measured, see docs/benchmarks.md.
 * The outcome union is support/outcome.ts; its table of answers and severities answer/outcome.ts.
 */
import type { Request, Response } from 'express';
import type { ActionDefinition, ActionEnvironment } from './act/action';
import { builtInActions } from './act/catalog';
import { createLogger, stdoutSink, type LogSink, type Logger } from './support/logger';
import { answerOf } from './answer/outcome';
import { writeAnswer, type Answer } from './support/http-answer';
import { environment as environmentOf, readSettings, type Settings } from './config';
import { toRawRequest, type RawRequest, type Received } from './receive/raw-request';
import { receiveLimitsOf } from './receive/limits';
import { createBodyBudget } from './receive/body-budget';
import { sendRefusal } from './receive/read-body';
import { Incoming, requestLogsOf } from './receive/incoming';
import { health } from './receive/health';
import { admit } from './receive/admit';
import { limitBody } from './receive/limit-body';
import { authenticate } from './receive/authenticate';
import { deadline } from './receive/deadline';
import { decide } from './route/decide';
import { Router, type Route } from './route/router';
import { loadRoutesFile } from './route/routes-file';
import { compileMatchSpec } from './route/match-spec';
import { parse } from './support/schema';
import type { Outcome } from './support/outcome';
import { pipeline, type Stage } from './support/pipeline';
import { codeCacheUse } from './support/code-cache';
import { forwardRouteFromProxyEnv } from './act/forward/proxy-env';
import { RegistryQuotas } from './registry/quota';
import { createAuthCheck, type AuthCheck } from './receive/auth/check';
import { createInFlight, type InFlight } from './receive/shutdown';
import type { IdempotencySettings } from './route/idempotency/guard';
import type { IdempotencyStore } from './route/idempotency/store';
import { createMemoryStore } from './route/idempotency/memory-store';
import { createFirestoreStore } from './route/idempotency/firestore-store';
import { createDeadLetters, type DeadLetters } from './answer/dead-letter';
import { deadLettering } from './answer/dead-lettering';
import { record } from './answer/record';
import { handleSync } from './answer/handle-sync';
import { resolveConfiguration } from './secrets/configuration';
import type { SecretAccessor } from './secrets/resolve';
import type { AbortSource } from './support/abort-source';

export interface AppOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly sink?: LogSink;
  readonly actions?: readonly ActionDefinition<unknown>[];
  /** Secret references in routes-file option values, resolved (see startApp). */
  readonly secrets?: ReadonlyMap<string, string>;
  /** For tests: an idempotency store or dead-letter publisher already made. */
  readonly idempotencyStore?: IdempotencyStore;
  readonly deadLetters?: DeadLetters;
  /** Without a routes file, route every event to `log` (or `forward`, with PROXY_HOST); off for a router whose routes are code (library.ts). */
  readonly defaultRoute?: boolean;
  /** Log the routes at start (default); off where routes are added after the app is made, and listed later (library.ts). */
  readonly announceRoutes?: boolean;
}

/** What the pipeline did with one request, and the answer to send. */
export interface Handled {
  readonly outcome: Outcome;
  readonly answer: Answer;
}

export interface App {
  readonly router: Router;
  readonly settings: Settings;
  /** The whole pipeline for one request; never rejects. Synchronous in a setup without asynchronous stages while the routes' handlers are (answer/handle-sync.ts). */
  handle(raw: RawRequest, signal?: AbortSource): Handled | Promise<Handled>;
  /** The Functions Framework HTTP function. */
  readonly httpHandler: (req: Request, res: Response) => void | Promise<void>;
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

/**
 * Routes when no routes file is given: with PROXY_HOST set, forward every event
 * there (the drop-in for the nginx proxy workaround); otherwise log every event.
 */
function defaultRoutes(actions: readonly ActionDefinition<unknown>[], environment: ActionEnvironment, settings: Settings): Route[] {
  const proxy = forwardRouteFromProxyEnv(settings);
  const [name, options] = proxy ? ['forward', proxy] : ['log', {}];
  const action = actions.find((a) => a.name === name);
  if (!action) return [];
  return [
    {
      name: `default-${name}`,
      action: name,
      filter: compileMatchSpec({}),
      timeoutMs: settings.routeTimeoutMs,
      handler: action.create(parse(action.options, options), environment),
    },
  ];
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

const handledOf = (outcome: Outcome): Handled => ({ outcome, answer: answerOf(outcome) });

function authCheckOf(settings: Settings, log: Logger): AuthCheck | undefined {
  return createAuthCheck(
    {
      ...(settings.authOidc && {
        oidc: {
          audiences: settings.authAudiences,
          emails: settings.authEmails,
          subjects: settings.authSubjects,
          certsUrl: settings.authCertsUrl,
          clockSkewSeconds: settings.authClockSkewSeconds,
        },
      }),
      ...(settings.authApiKey !== undefined && { apiKey: settings.authApiKey }),
    },
    log,
  );
}

/** The stores a request may need: the idempotency store, made when a matching route first needs it (routes from code may be added after start), and the dead-letter topic. */
function storesOf(
  settings: Settings,
  options: AppOptions,
  log: Logger,
): { readonly idempotency: () => IdempotencySettings; readonly deadLetters?: DeadLetters } {
  let idempotency: IdempotencySettings | undefined;
  const deadLetters =
    options.deadLetters ??
    (settings.deadLetterTopic ? createDeadLetters({ topic: settings.deadLetterTopic, ...(settings.project && { projectId: settings.project }) }) : undefined);
  return {
    idempotency: () =>
      (idempotency ??= {
        store:
          options.idempotencyStore ??
          (settings.idempotencyStore === 'firestore'
            ? createFirestoreStore({ collection: settings.idempotencyCollection, ...(settings.project && { projectId: settings.project }) })
            : createMemoryStore({ maxKeys: settings.idempotencyMemoryMaxKeys, maxBytes: settings.idempotencyMemoryMaxBytes, log })),
        ttlMs: settings.idempotencyTtlMs,
        leaseMarginMs: settings.idempotencyLeaseMarginMs,
        maxHoldMs: settings.idempotencyMaxHoldMs,
      }),
    ...(deadLetters && { deadLetters }),
  };
}

export function createApp(options: AppOptions = {}): App {
  const env = environmentOf(options.env);
  const baseLog = createLogger(options.sink ?? stdoutSink);
  const settings = readSettings(env);
  const actions = options.actions ?? builtInActions;
  const environment: ActionEnvironment = {
    log: baseLog,
    variables: env,
    // Instance state, not module state: every route's copies to a host share one budget, two apps share none.
    registryQuotas: new RegistryQuotas(),
    ...(settings.project !== undefined && { project: settings.project }),
    ...(settings.storageEmulatorHost !== undefined && { storageEmulatorHost: settings.storageEmulatorHost }),
  };
  const router = new Router(settings.routeTimeoutMs);
  const routes = settings.routesFile
    ? loadRoutesFile(settings.routesFile, actions, environment, settings.routeTimeoutMs, options.secrets)
    : options.defaultRoute === false
      ? []
      : defaultRoutes(actions, environment, settings);
  const authCheck = authCheckOf(settings, baseLog);
  const stores = storesOf(settings, options, baseLog);
  const inFlight = createInFlight();
  // For httpHandler: the lean server reads bodies itself, with the same limits (receive/http-server.ts).
  const receiveLimits = receiveLimitsOf(settings);
  const bodyBudget = createBodyBudget(receiveLimits.maxBodyBytesInFlight);
  for (const route of routes) router.add(route);
  if (options.announceRoutes !== false) {
    baseLog.info(`eventarc-router: ${routes.length} route(s)${settings.routesFile ? ` from ${settings.routesFile}` : ' (default)'}`, {
      routes: routes.map((r) => ({ name: r.name, action: r.action, match: r.filter.describe(), timeoutMs: r.timeoutMs })),
      // Whether V8's code cache served this start (dist/service/router.js); "rejected" or "none" costs ~15 ms of cold start.
      codeCache: codeCacheUse(),
    });
  }

  const decideSettings = { router, idempotency: stores.idempotency, maxAttempts: settings.deadLetterMaxAttempts };
  const stages: Stage<Incoming, Outcome>[] = [
    record,
    health(inFlight),
    admit(inFlight),
    limitBody(settings.maxBodyBytes),
    ...(authCheck ? [authenticate(authCheck)] : []),
    // Outside the deadline: a rejection is dead-lettered even when it took long.
    ...(stores.deadLetters ? [deadLettering(stores.deadLetters)] : []),
    ...(settings.eventDeadlineMs !== undefined ? [deadline(settings.eventDeadlineMs)] : []),
    decide(decideSettings),
  ];
  // Without an asynchronous stage, the same steps synchronously (measured: answer/handle-sync.ts).
  const synchronous = !authCheck && !stores.deadLetters && settings.eventDeadlineMs === undefined;
  const run = synchronous ? handleSync({ inFlight, maxBodyBytes: settings.maxBodyBytes, decide: decideSettings }) : pipeline(stages);
  const requestLogs = requestLogsOf(baseLog, settings.project);

  function handle(raw: RawRequest, signal?: AbortSource): Handled | Promise<Handled> {
    const outcome = run(new Incoming(raw, signal, requestLogs));
    return outcome instanceof Promise ? outcome.then(handledOf) : handledOf(outcome);
  }

  // Synchronous while nothing waits (the framework has read the body, the routes answer at once): an async
  // function here costs promises per request that the served figures show (docs/benchmarks.md).
  function httpHandler(req: Request, res: Response): void | Promise<void> {
    // Before the first promise of this request: one made inside the domain would be tracked by it.
    leaveFrameworkDomain();
    const signal = (req as unknown as { abortController?: AbortController }).abortController?.signal;
    const received = toRawRequest(req, receiveLimits, bodyBudget);
    return received instanceof Promise ? received.then((r) => answer(req, res, r, signal)) : answer(req, res, received, signal);
  }

  function answer(req: Request, res: Response, received: Received, signal: AbortSignal | undefined): void | Promise<void> {
    if ('refusal' in received) return sendRefusal(req, res, received.refusal);
    // The body's bytes count against the budget until the answer has gone.
    res.once('close', received.release);
    const handled = handle(received.raw, signal);
    if (handled instanceof Promise) return handled.then((h) => writeAnswer(res, h.answer));
    writeAnswer(res, handled.answer);
  }

  return { router, settings, handle, httpHandler, inFlight };
}
