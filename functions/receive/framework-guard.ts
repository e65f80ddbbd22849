/**
 * Functions Framework 5 reads every body that has a Content-Type into memory
 * before our function runs (body-parser's json, text, urlencoded and raw `*\/*`
 * parsers, each with a 1024 MB limit; without Content-Type it reads nothing), and
 * its server keeps Node's default head limits. This guard, installed by index.ts
 * before the framework makes its server, leaves every body to our own reader
 * (read-body.ts, the same as the lean server's) and gives the server our head
 * limits. It uses Node's diagnostics channels, which run before the server's own
 * listeners: no patching of the framework or of node:http.
 */
import * as diagnostics from 'diagnostics_channel';
import { Server, type IncomingMessage } from 'http';
import type { Socket } from 'net';
import { applyToServer, type ReceiveLimits } from './limits';
import { refuseBeforeContinue } from './read-body';

const HIDDEN_CONTENT_TYPE = Symbol('content-type hidden from the framework body parsers');
type Guarded = IncomingMessage & { [HIDDEN_CONTENT_TYPE]?: string };

/** The body parsers take only a request with a Content-Type: without one they leave it unread. */
function hideBody({ request }: { request: Guarded }): void {
  const type = request.headers['content-type'];
  if (type === undefined) return;
  request[HIDDEN_CONTENT_TYPE] = type;
  delete request.headers['content-type'];
}

/** Whether this process is the Functions Framework's (its CLI is the main module): only then is the guard installed. */
export function runByFunctionsFramework(): boolean {
  const main = require.main?.filename ?? '';
  return /[\\/]@google-cloud[\\/]functions-framework[\\/]/.test(main);
}

export function guardFrameworkServer(limits: ReceiveLimits): void {
  // The framework's server is the first to accept a connection; other servers in the process are left alone.
  let framework: Server | undefined;
  // Published for each accepted connection, once its parser exists: the limits hold from the
  // server's next connection on (the first keeps Node's defaults: 16 KiB heads, 2000 headers).
  diagnostics.subscribe('net.server.socket', (message) => {
    const server = (message as { socket: Socket & { server?: unknown } }).socket.server;
    if (framework === undefined && server instanceof Server) {
      framework = server as Server;
      applyToServer(framework, limits);
      refuseBeforeContinue(framework, limits);
    }
  });
  diagnostics.subscribe('http.server.request.start', (message) => {
    const m = message as { request: Guarded; server: unknown };
    if (m.server === framework) hideBody(m);
  });
}

/** Puts back the Content-Type the guard hid, for the pipeline. */
export function restoreContentType(req: IncomingMessage): void {
  const type = (req as Guarded)[HIDDEN_CONTENT_TYPE];
  if (type !== undefined) req.headers['content-type'] = type;
}
