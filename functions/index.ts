/**
 * Functions Framework entry point `router` (signature type http: it sees the
 * headers and sets the status itself), for deploying this repository (package.json
 * `main`, through router-loader.ts). A project of its own uses the package's entry,
 * library.ts (`createRouter()`), instead.
 *
 * With Secret Manager references in the configuration, the app is built once
 * they are resolved (requests wait for that, unread); an unresolvable one stops the process.
 */
import * as functions from '@google-cloud/functions-framework';
import { guardFrameworkServer, runByFunctionsFramework } from './receive/framework-guard';
import { startFromEnvironment } from './start';

const started = startFromEnvironment();
// Before the framework makes its server: bodies are read by us within the limits, never by its parsers.
// A process of one's own that imports the package keeps its servers as they are.
if (runByFunctionsFramework()) guardFrameworkServer(started.limits);
/** The app, when the configuration holds no secret reference (else see `ready`). */
export const app = started.app;
export const ready = started.ready;
export const router = started.app?.router;
functions.http('router', started.app ? started.app.httpHandler : async (req, res) => (await ready).httpHandler(req, res));

export { createApp, startApp } from './app';
export { PermanentError, RetryableError } from './act/errors';
export type * from './parse/event';
export type { ActionDefinition, Handler, HandlerContext, ActionResult, RouteParams } from './act/action';
