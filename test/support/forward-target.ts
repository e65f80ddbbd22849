/**
 * A real HTTP or HTTPS target on 127.0.0.1 that records what reached it and
 * answers as the test scripts it (status, delay, redirect).
 */
import * as http from 'http';
import * as http2 from 'http2';
import * as https from 'https';
import type { AddressInfo } from 'net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Header names and values exactly as sent (latin1), for byte-level checks. */
  readonly rawHeaders: string[];
  readonly body: Buffer;
  /** Which TCP connection carried it (keep-alive checks). */
  readonly connection: number;
  /** '1.1' or '2.0'. */
  readonly httpVersion: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Target {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Decides each answer; defaults to 200. */
  respond: (req: Received, index: number) => Reply;
  /** Most requests that were being handled at the same time. */
  readonly maxConcurrent: number;
  stop(): Promise<void>;
}

/** `h2`: over TLS, offer HTTP/2 in ALPN (and still take HTTP/1.1), as a GKE ingress or Cloud Run would. */
export async function startTarget(tls?: { key: string; cert: string; h2?: boolean }): Promise<Target> {
  let connections = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const received: Received[] = [];
  const handle: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        connection: (req.socket as unknown as { id: number }).id,
        httpVersion: req.httpVersion,
      };
      received.push(entry);
      const reply = target.respond(entry, received.length - 1);
      setTimeout(() => {
        concurrent--;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      }, reply.delayMs ?? 0);
    });
  };
  const server = tls?.h2
    ? http2.createSecureServer(
        { key: tls.key, cert: tls.cert, allowHTTP1: true },
        handle as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
      )
    : tls
      ? https.createServer({ key: tls.key, cert: tls.cert }, handle)
      : http.createServer(handle);
  const sockets = new Set<import('net').Socket>();
  server.on(tls ? 'secureConnection' : 'connection', (socket: import('net').Socket) => {
    (socket as unknown as { id: number }).id = ++connections;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const target: Target = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    received,
    respond: () => ({ status: 200 }),
    get maxConcurrent() {
      return maxConcurrent;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        else for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return target;
}
