/**
 * Functions Framework entry point `router` (signature type http: it sees the
 * headers and sets the status itself). Code routes: `import { router } from
 * 'eventarc-router'; router.on({ kind: 'storage.object' }, handler)`.
 */
import * as functions from '@google-cloud/functions-framework';
import { createApp, type App } from './app';

function start(): App {
  try {
    return createApp({ env: process.env });
  } catch (err) {
    // A bad routes file stops start-up; say exactly why on one line before the framework's own report.
    process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${(err as Error).message}` }) + '\n');
    throw err;
  }
}

export const app = start();
export const router = app.router;
functions.http('router', app.httpHandler);

export { createApp } from './app';
export { PermanentError, RetryableError } from './act/errors';
export type * from './parse/event';
export type { ActionDefinition, Handler, HandlerContext, ActionResult } from './act/action';
