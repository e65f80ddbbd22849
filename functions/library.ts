/**
 * The package's entry (`import { createRouter } from 'eventarc-router'`): a router
 * that another project owns. Importing it does nothing; `createRouter()` reads the
 * settings (config.ts, from the process environment unless given), and the project registers
 * the router's handler under its own name:
 *
 *   const router = createRouter().on({ kind: 'storage.object', bucket: 'releases' }, (event) => ...);
 *   functions.http('releases', router.handler);     // Functions Framework, Cloud Functions
 *   router.listen();                                // or the lean server (Cloud Run), on $PORT
 *
 * The same pipeline as this repository's service (index.ts, serve.ts): limits, auth,
 * deadlines, idempotency, dead letters and Secret Manager references, from the same
 * settings. Without a routes file it has no default `log` route: its routes are its code's.
 */
import type { Server } from 'http';
import type { HttpFunction } from '@google-cloud/functions-framework';
import type { ActionDefinition, Handler } from './act/action';
import { builtInActions } from './act/catalog';
import { createApp, startApp, type App, type AppOptions } from './app';
import { environment, readSetting, readSettingsBeforeSecrets, type Env } from './config';
import { guardFrameworkServer, runByFunctionsFramework } from './receive/framework-guard';
import { createHttpServer, type RequestHandler } from './receive/http-server';
import { receiveLimitsOf, type ReceiveLimits } from './receive/limits';
import { installShutdown } from './receive/shutdown';
import type { Filter } from './route/filter';
import type { MatchSpec } from './route/match-spec';
import { Router, type RouteOptions } from './route/router';
import type { HandlerFor, SpecCheck } from './route/typed-match';
import { configurationReferences } from './secrets/configuration';
import { stdoutSink, type LogSink } from './support/logger';
import { writeAnswer, type Answer } from './support/http-answer';
import { ROUTER_INTERNALS, type RouterInternals } from './router-internals';

export type * from './parse/event';
export type { FirestoreDocument, FirestoreFields, FirestoreGeoPoint, FirestoreValue, FirestoreChange } from './parse/payloads/firestore-document';
export { PermanentError, RetryableError } from './act/errors';
export { defineAction } from './act/action';
export type { ActionDefinition, ActionEnvironment, ActionResult, Handler, HandlerContext, RouteParams } from './act/action';
export type { MatchSpec } from './route/match-spec';
export type { ValueMatcher, Filter } from './route/filter';
export type { RouteOptions } from './route/router';
export type { EventOf, ParamsOf, RouteHandler, HandlerFor, KindOf } from './route/typed-match';
export type { PathParamNames } from './route/matcher/path-pattern';
export type { Logger, LogSink, Severity } from './support/logger';
export type { RawRequest } from './receive/raw-request';

export interface RouterOptions {
  /** The variables settings are read from (README, "Configuration"); the process environment when absent. */
  readonly env?: Env;
  /** A routes file (as ROUTES_FILE names one): its routes run besides those added with `on()`. */
  readonly routesFile?: string;
  /** Where log lines go, one JSON line each; stdout when absent (Cloud Logging reads it there). */
  readonly sink?: LogSink;
  /** Actions a routes file may name besides the built-in ones (`defineAction`). */
  readonly actions?: readonly ActionDefinition<never>[];
}

export interface ListenOptions {
  /** Settings' PORT (8080 unless set) when absent; 0 for any free port. */
  readonly port?: number;
  readonly host?: string;
  /** Drain the requests in flight and exit on SIGTERM/SIGINT (default true; Cloud Run sends SIGTERM). */
  readonly shutdown?: boolean;
}

export interface EventRouter {
  /**
   * Adds a route: every route whose match holds runs. The match's `kind` types the
   * handler's event, its path patterns `ctx.params`; a wrong field does not compile, and
   * is refused at run time with a clear error (for JavaScript callers).
   */
  on<const S extends MatchSpec>(match: S & SpecCheck<S>, handler: HandlerFor<S>, options?: RouteOptions): this;
  on(match: Filter, handler: Handler, options?: RouteOptions): this;
  /** The Functions Framework HTTP function: `functions.http('releases', router.handler)`. */
  readonly handler: HttpFunction;
  /** Serves the router from a bare node:http server (the lean server: for Cloud Run). Resolves once listening. */
  listen(options?: ListenOptions): Promise<Server>;
  /** Resolves once the configuration's Secret Manager references are resolved (at once without any); rejects naming one that failed. */
  readonly ready: Promise<void>;
  /** The routes, as the start-up line lists them. */
  routes(): readonly { readonly name: string; readonly action?: string; readonly match: string; readonly timeoutMs: number }[];
}

/** Secret-free and Functions Framework-free at import: the guard and the signal handlers are installed by createRouter, once per process. */
let frameworkGuarded = false;
function guardFrameworkOnce(limits: ReceiveLimits): void {
  if (frameworkGuarded || !runByFunctionsFramework()) return;
  frameworkGuarded = true;
  guardFrameworkServer(limits);
}

/** The answer while the configuration cannot be resolved: redelivered, never lost. */
const CANNOT_START: Answer = {
  status: 503,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'eventarc-router cannot start: see its CRITICAL log line\n',
};
const unstarted: RequestHandler = { handle: () => ({ answer: CANNOT_START }) };

/** The sink a router logs to: the given one, and a test's capture while it runs a delivery. */
function tappableSink(out: LogSink) {
  let tap: { readonly line: (text: string) => void; readonly quiet: boolean } | undefined;
  return {
    sink: { write: (text: string) => (tap?.line(text), tap?.quiet ? undefined : out.write(text)) } satisfies LogSink,
    set: (t: typeof tap) => void (tap = t),
  };
}

export function createRouter(options: RouterOptions = {}): EventRouter {
  const given = environment(options.env);
  const env: Env = options.routesFile !== undefined ? { ...given, ROUTES_FILE: options.routesFile } : given;
  // Read first, as the service does: the limits hold from the first request, even while secrets resolve.
  const limits = receiveLimitsOf(readSettingsBeforeSecrets(env));
  guardFrameworkOnce(limits);
  const tap = tappableSink(options.sink ?? stdoutSink);
  const appOptions: AppOptions = {
    env,
    sink: tap.sink,
    actions: [...builtInActions, ...((options.actions ?? []) as readonly ActionDefinition<unknown>[])],
    defaultRoute: false,
    // Code routes come after the app is made: the routes are listed on the first request instead.
    announceRoutes: false,
  };

  let app: App | undefined;
  // Routes added before the app exists (it waits for secret references): validated at once, moved to it when it is made.
  const staging = new Router(readSetting(env, 'routeTimeoutMs'));
  let shutdownInstalled = false;
  const drainOnSignal = (a: App, onDrain?: () => void) => {
    if (shutdownInstalled) return;
    shutdownInstalled = true;
    installShutdown(a.inFlight, {
      graceMs: a.settings.shutdownGraceMs,
      log: (message, fields) => tap.sink.write(JSON.stringify({ severity: 'NOTICE', message, ...fields }) + '\n'),
      ...(onDrain && { onDrain }),
    });
  };
  const made = (a: App): App => {
    for (const route of staging.routes()) a.router.add(route);
    // Functions Framework 5 exits at once on SIGTERM, losing requests in flight: take it over, as index.ts does.
    if (runByFunctionsFramework()) drainOnSignal(a);
    return (app = a);
  };
  const appReady: Promise<App> =
    configurationReferences(env).size === 0
      ? Promise.resolve(made(createApp(appOptions)))
      : startApp(appOptions).then(made, (err: Error) => {
          tap.sink.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${err.message}` }) + '\n');
          throw err;
        });
  // Observed here, so a failed start is reported by `ready` and the answers (503), not as an unhandled rejection.
  appReady.catch(() => undefined);
  let announced = false;
  const announce = (a: App): App => {
    if (announced) return a;
    announced = true;
    const routes = a.router.routes();
    const file = a.settings.routesFile;
    tap.sink.write(
      JSON.stringify({
        severity: 'INFO',
        message: `eventarc-router: ${routes.length} route(s)${file ? ` (code and ${file})` : ''}`,
        routes: routes.map((r) => ({ name: r.name, ...(r.action !== undefined && { action: r.action }), match: r.filter.describe(), timeoutMs: r.timeoutMs })),
      }) + '\n',
    );
    return a;
  };

  const handler: HttpFunction = (req, res) => {
    if (app) return announce(app).httpHandler(req, res);
    return appReady.then(
      (a) => announce(a).httpHandler(req, res),
      () => writeAnswer(res, CANNOT_START),
    );
  };

  let running: Promise<unknown> = Promise.resolve();
  const internals: RouterInternals = {
    // Not announced: a test's log lines are its delivery's own.
    app: () => app ?? appReady,
    exclusive(line, quiet, work) {
      const run = running.then(async () => {
        tap.set({ line, quiet });
        try {
          return await work();
        } finally {
          tap.set(undefined);
        }
      });
      running = run.catch(() => undefined);
      return run;
    },
  };

  const router = {
    on(match: Filter, routeHandler: Handler, routeOptions?: RouteOptions) {
      (app?.router ?? staging).on(match, routeHandler, routeOptions);
      return router;
    },
    handler,
    async listen(listenOptions: ListenOptions = {}): Promise<Server> {
      const port = listenOptions.port ?? readSettingsBeforeSecrets(env).port;
      const server = createHttpServer(() => (app ? announce(app) : appReady.then(announce, () => unstarted)), limits);
      if (listenOptions.shutdown !== false)
        void appReady.then(
          (a) => drainOnSignal(a, () => server.close()),
          () => undefined,
        );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, listenOptions.host, () => (server.off('error', reject), resolve()));
      });
      return server;
    },
    ready: appReady.then(() => undefined),
    routes() {
      return (app?.router ?? staging)
        .routes()
        .map((r) => ({ name: r.name, ...(r.action !== undefined && { action: r.action }), match: r.filter.describe(), timeoutMs: r.timeoutMs }));
    },
    [ROUTER_INTERNALS]: internals,
  };
  router.ready.catch(() => undefined);
  return router;
}
