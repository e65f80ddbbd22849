/**
 * Functions Framework entry point `router` (signature type http: it sees the
 * headers and sets the status itself). Code routes: `import { router } from
 * 'eventarc-router'; router.on({ kind: 'storage.object' }, handler)`.
 *
 * With Secret Manager references in the configuration, the app is built once
 * they are resolved (requests wait for that); an unresolvable one stops the process.
 */
import * as functions from '@google-cloud/functions-framework';
import { createApp, startApp, type App } from './app';
import { installShutdown } from './receive/shutdown';
import { configurationReferences } from './secrets/configuration';

function cannotStart(err: unknown): never {
  // Say exactly why on one line before the framework's own report. Errors here name references, never secret values.
  process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${(err as Error).message}` }) + '\n');
  throw err;
}

function shutdownOn(app: App): App {
  installShutdown(app.inFlight, {
    graceMs: app.settings.shutdownGraceMs,
    log: (message, fields) => process.stdout.write(JSON.stringify({ severity: 'NOTICE', message, ...fields }) + '\n'),
  });
  return app;
}

function start(): { app?: App; ready: Promise<App> } {
  try {
    if (configurationReferences(process.env).size === 0) {
      const app = shutdownOn(createApp({ env: process.env }));
      return { app, ready: Promise.resolve(app) };
    }
  } catch (err) {
    cannotStart(err);
  }
  const ready = startApp({ env: process.env }).then(shutdownOn, (err: Error) => {
    process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${err.message}` }) + '\n', () => process.exit(1));
    return new Promise<App>(() => undefined);
  });
  return { ready };
}

const started = start();
/** The app, when the configuration holds no secret reference (else see `ready`). */
export const app = started.app;
export const ready = started.ready;
export const router = started.app?.router;
functions.http('router', started.app ? started.app.httpHandler : async (req, res) => (await ready).httpHandler(req, res));

export { createApp, startApp } from './app';
export { PermanentError, RetryableError } from './act/errors';
export type * from './parse/event';
export type { ActionDefinition, Handler, HandlerContext, ActionResult } from './act/action';
