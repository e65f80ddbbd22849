/**
 * The lean server: the same pipeline as the Functions Framework function, behind
 * a bare node:http server. No express, no body parsers and no per-request domain:
 * every body reaches the parser as the bytes that were sent (so a `ce-*` event with
 * a broken JSON body is acknowledged and preserved rather than refused with 400),
 * and a relay adds far less latency (bench/forward.ts). For Cloud Run; Cloud
 * Functions needs the framework (index.ts).
 */
import * as http from 'http';
import { createBodyBudget, type BodyBudget } from './body-budget';
import { applyToServer, type ReceiveLimits } from './limits';
import { rawRequestOf, type RawRequest } from './raw-request';
import { ClientClose } from './client-close';
import type { AbortSource } from '../support/abort-source';
import { writeAnswer, type Answer } from '../support/http-answer';
import { readBody, refuseBeforeContinue, sendRefusal, type BodyRead } from './read-body';

/** What the server needs of the app (app.ts's App): receive does not import the composition root. */
export interface RequestHandler {
  handle(raw: RawRequest, signal?: AbortSource): { readonly answer: Answer } | Promise<{ readonly answer: Answer }>;
}

const INTERNAL_ERROR: Answer = { status: 500, headers: {}, body: 'internal error\n' };

/**
 * Per request: the body's read, one `close` listener (client-close.ts) and the app's
 * handle; no AbortController, and no promise once the app is ready while the
 * pipeline answers at once (the served figures show each: docs/benchmarks.md).
 */
export function createRequestListener(
  app: () => RequestHandler | Promise<RequestHandler>,
  limits: ReceiveLimits,
  budget: BodyBudget = createBodyBudget(limits.maxBodyBytesInFlight),
): http.RequestListener {
  return (req, res) => {
    const read = readBody(req, limits, budget);
    if (read instanceof Promise) void read.then((r) => answer(req, res, r));
    else answer(req, res, read);
  };

  function answer(req: http.IncomingMessage, res: http.ServerResponse, read: BodyRead): void {
    if ('refusal' in read) return sendRefusal(req, res, read.refusal);
    // The body is held until the answer has gone (or the client has), and the client
    // going away aborts the routes' signals, as under the framework.
    const clientClose = new ClientClose(res, read.release);
    const raw = rawRequestOf(req, read.body);
    const ready = app();
    if (ready instanceof Promise) {
      void ready.then(
        (a) => handleWith(a, raw, clientClose, res),
        () => answerWith(res, INTERNAL_ERROR),
      );
      return;
    }
    handleWith(ready, raw, clientClose, res);
  }
}

function handleWith(app: RequestHandler, raw: RawRequest, clientClose: ClientClose, res: http.ServerResponse): void {
  let handled: ReturnType<RequestHandler['handle']>;
  try {
    handled = app.handle(raw, clientClose);
  } catch {
    return answerWith(res, INTERNAL_ERROR);
  }
  if (handled instanceof Promise) {
    handled.then(
      ({ answer }) => answerWith(res, answer),
      () => answerWith(res, INTERNAL_ERROR),
    );
  } else answerWith(res, handled.answer);
}

/** Never throws: this runs in node's request listener, where a throw would end the process. */
function answerWith(res: http.ServerResponse, answer: Answer): void {
  try {
    writeAnswer(res, answer);
  } catch {
    try {
      if (!res.headersSent) return writeAnswer(res, INTERNAL_ERROR);
    } catch {
      // destroyed below
    }
    res.destroy();
  }
}

export function createHttpServer(app: () => RequestHandler | Promise<RequestHandler>, limits: ReceiveLimits): http.Server {
  // Node looks for timed-out requests this often (30 s by default): the head's bound holds to within it.
  const server = http.createServer({ connectionsCheckingInterval: Math.min(1000, limits.receiveTimeoutMs) }, createRequestListener(app, limits));
  applyToServer(server, limits);
  refuseBeforeContinue(server, limits);
  // Longer than Cloud Run's and Pub/Sub's idle keep-alive, so we never close a connection they are about to reuse.
  // The head and request timeouts do not cut it short: node applies them only to a request in progress.
  server.keepAliveTimeout = 620_000;
  return server;
}
