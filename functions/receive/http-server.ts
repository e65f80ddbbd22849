/**
 * The lean server: the same pipeline as the Functions Framework function, behind
 * a bare node:http server. No express, no body parsers and no per-request domain:
 * every body reaches the parser as the bytes that were sent (so a `ce-*` event with
 * a broken JSON body is acknowledged and preserved rather than refused with 400),
 * and a relay adds far less latency (bench/forward.ts). For Cloud Run; Cloud
 * Functions needs the framework (index.ts).
 */
import * as http from 'http';
import type { App } from '../app';
import { rawRequestOf, writeAnswer } from './raw-request';

/** Cloud Run's own limit on an HTTP/1 request body; Pub/Sub's largest push is far below it. */
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export function createRequestListener(app: () => App | Promise<App>, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        // Keep reading (and dropping) so the client sees the answer instead of a reset.
        tooLarge = true;
        chunks.length = 0;
      } else if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        writeAnswer(res, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `request body larger than ${maxBodyBytes} bytes\n` });
        return;
      }
      const raw = rawRequestOf(req, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      // The client going away aborts the routes' signals, as under the framework.
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort(new Error('client closed the connection'));
      });
      void Promise.resolve(app())
        .then((a) => a.handle(raw, controller.signal))
        .then(({ answer }) => writeAnswer(res, answer))
        .catch(() => writeAnswer(res, { status: 500, headers: {}, body: 'internal error\n' }));
    });
    req.on('error', () => res.destroy());
  };
}

export function createHttpServer(app: () => App | Promise<App>, maxBodyBytes?: number): http.Server {
  const server = http.createServer(createRequestListener(app, maxBodyBytes));
  // Longer than Cloud Run's and Pub/Sub's idle keep-alive, so we never close a connection they are about to reuse.
  server.keepAliveTimeout = 620_000;
  server.headersTimeout = 621_000;
  return server;
}
