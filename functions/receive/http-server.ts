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
import { writeAnswer, type Answer } from '../support/http-answer';
import { readBody, refuseBeforeContinue, sendRefusal, type BodyRead } from './read-body';

/** What the server needs of the app (app.ts's App): receive does not import the composition root. */
export interface RequestHandler {
  handle(raw: RawRequest, signal?: AbortSignal): { readonly answer: Answer } | Promise<{ readonly answer: Answer }>;
}

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
    // The body is held until the answer has gone (or the client has).
    res.once('close', read.release);
    const raw = rawRequestOf(req, read.body);
    // The client going away aborts the routes' signals, as under the framework.
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
    });
    void Promise.resolve(app())
      .then((a) => a.handle(raw, controller.signal))
      .then(({ answer }) => writeAnswer(res, answer))
      .catch(() => writeAnswer(res, { status: 500, headers: {}, body: 'internal error\n' }));
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
