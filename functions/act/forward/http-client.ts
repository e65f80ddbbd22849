/**
 * One undici connection pool per forward route: every request goes to the one
 * origin the route names (redirects are same-origin only, see redirect.ts), over
 * kept-alive connections, at most `maxConnections` of them, one request at a time
 * on each (no pipelining: a slow answer never holds up the next event), and
 * HTTP/2 when a TLS target offers it in ALPN. Redirects are never followed here;
 * the caller decides.
 *
 * Why undici and not node:http: node's fetch is built on it, and for many small
 * requests to one origin it spends a fraction of node:http's CPU (no
 * ClientRequest/IncomingMessage streams, no agent bookkeeping, headers written
 * in one go); bench/forward.ts measures it against nginx. Requests go through
 * `dispatch` with a plain handler object: no stream, no promise and no signal
 * listener inside undici per request, and its own header and body timers are off
 * (the event's deadline, deadline.ts, bounds the whole exchange).
 */
import type { Client as UndiciClient, Dispatcher, Pool as UndiciPool } from 'undici';
import { answerSnippet, SNIPPET_BYTES } from './snippet';
import type { Deadline } from './deadline';

export interface TargetAnswer {
  readonly status: number;
  readonly location?: string;
  /** The start of the body, for the log; the rest is read and dropped so the connection can be reused. */
  readonly bodySnippet: string;
}

export interface HttpClient {
  /** POSTs to `url`, which must have the pool's origin. */
  post(url: URL, headers: Record<string, string>, body: Buffer, deadline: Deadline): Promise<TargetAnswer>;
  close(): void;
}

export interface HttpClientOptions {
  /** The origin every request goes to. */
  readonly origin: string;
  readonly maxConnections: number;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  readonly extraCa?: string;
  /** Bounds a TCP/TLS connect (undici's default is 10 s, longer than most deadlines). */
  readonly connectTimeoutMs: number;
}

// Past the snippet by a token's length, so an echoed credential is seen whole and cut out.
const KEPT_BYTES = SNIPPET_BYTES + 4096;

// Streams one HTTP/2 connection carries at once (node's http2 server allows 100 by default).
const H2_STREAMS = 100;

/** undici is loaded when the route sends its first event, not at start-up (cold start is measured). */
function loadUndici(): { Pool: typeof UndiciPool; Client: typeof UndiciClient } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  // The pool and client alone: the package's index also loads fetch, WebSocket and the cache stores.
  return { Pool: require('undici/lib/dispatcher/pool') as typeof UndiciPool, Client: require('undici/lib/dispatcher/client') as typeof UndiciClient };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

interface Dispatchers {
  readonly pool: UndiciPool;
  /** The HTTP/2 connection events go over once the target has chosen h2 (ALPN); undefined otherwise. */
  h2?: UndiciClient;
}

function createDispatchers({ origin, maxConnections, extraCa, connectTimeoutMs }: HttpClientOptions): Dispatchers {
  const { Pool, Client } = loadUndici();
  const secure = origin.startsWith('https:');
  // tls takes milliseconds to load: only for an https target with its own CA (undici loads it lazily too).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ca = secure && extraCa ? [...(require('tls') as typeof import('tls')).rootCertificates, extraCa] : undefined;
  const dispatchers: { pool: UndiciPool; h2?: UndiciClient } = {
    pool: new Pool(origin, {
      connections: maxConnections,
      // One request at a time on an HTTP/1.1 connection: a slow answer never holds up the next event.
      pipelining: 1,
      // Idle connections are dropped after 4 s, before common server keep-alive timeouts (node's 5 s) close them under us.
      keepAliveTimeout: 4000,
      keepAliveMaxTimeout: 4000,
      headersTimeout: 0,
      bodyTimeout: 0,
      allowH2: secure,
      connect: { timeout: connectTimeoutMs, ...(ca ? { ca } : {}) },
      // The pool opens a connection per concurrent request; HTTP/2 needs only one. The first
      // connection the target takes h2 on carries every event from then on (many streams at once),
      // until it closes; the pool's others idle out.
      ...(secure && {
        factory: (url: string | URL, opts: UndiciClient.Options) => {
          let alpn: string | undefined;
          const connect = opts.connect as (o: object, cb: (err: Error | null, socket: { alpnProtocol?: string | false } | null) => void) => void;
          const client = new Client(url, {
            ...opts,
            connect: (o: object, cb: (err: Error | null, socket: unknown) => void) =>
              connect(o, (err, socket) => {
                alpn = socket?.alpnProtocol || undefined;
                cb(err, socket);
              }),
          } as UndiciClient.Options);
          client.on('connect', () => {
            if (alpn !== 'h2') return;
            // undici counts an h2 connection busy at `pipelining` streams as well.
            client.pipelining = H2_STREAMS;
            dispatchers.h2 ??= client;
          });
          client.on('disconnect', () => {
            if (dispatchers.h2 === client) dispatchers.h2 = undefined;
          });
          return client;
        },
      }),
    }),
  };
  return dispatchers;
}

/** The value of `name` (lower case) in undici's raw header list, as node would give it (latin1). */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i];
    if (key.length === name.length && key.toString('latin1').toLowerCase() === name) return raw[i + 1].toString('latin1');
  }
  return undefined;
}

/**
 * A kept-alive connection the target closed just as we reused it: undici reports
 * the socket closed before any answer, on a connection that had already carried one.
 */
function isStaleConnection(err: unknown): boolean {
  const { code, socket } = (err ?? {}) as { code?: string; socket?: { bytesRead?: number } };
  return code === 'UND_ERR_SOCKET' && (socket?.bytesRead ?? 0) > 0;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  let dispatchers: Dispatchers | undefined;

  const post = (url: URL, headers: Record<string, string>, body: Buffer, deadline: Deadline, retryOnStale: boolean): Promise<TargetAnswer> =>
    new Promise<TargetAnswer>((resolve, reject) => {
      let status = 0;
      let location: string | undefined;
      let chunks: Buffer[] | undefined;
      let kept = 0;
      let settled = false;
      const settle = (err: unknown, answer?: TargetAnswer | Promise<TargetAnswer>) => {
        if (settled) return;
        settled = true;
        deadline.onEnd(undefined);
        if (answer) resolve(answer);
        else reject(err);
      };
      // Until undici hands over its abort (when the request is written), the deadline settles the promise itself.
      deadline.onEnd((reason) => settle(reason));
      const handler: Dispatcher.DispatchHandler = {
        onConnect(abort) {
          if (settled) abort(deadline.reason instanceof Error ? deadline.reason : new Error('aborted'));
          else deadline.onEnd((reason) => abort(reason instanceof Error ? reason : new Error(String(reason))));
        },
        onHeaders(statusCode, rawHeaders) {
          status = statusCode;
          if (statusCode >= 300 && statusCode < 400) location = rawHeader(rawHeaders, 'location');
          return true;
        },
        onData(chunk) {
          if (kept < KEPT_BYTES) {
            (chunks ??= []).push(chunk);
            kept += chunk.length;
          }
          return true;
        },
        onComplete() {
          settle(undefined, { status, location, bodySnippet: chunks ? answerSnippet(Buffer.concat(chunks), headers) : '' });
        },
        onError(err) {
          if (retryOnStale && status === 0 && deadline.reason === undefined && isStaleConnection(err)) {
            settled = true; // the retry owns the deadline callback from here
            resolve(post(url, headers, body, deadline, false));
          } else {
            settle(err);
          }
        },
      };
      dispatchers ??= createDispatchers(options);
      const { h2 } = dispatchers;
      // undici runs a POST alone on an h2 session unless told it may share it (a failed session then fails
      // every request on it): each event is delivered at least once anyway, so a failure means redelivery.
      if (h2) h2.dispatch({ method: 'POST', path: url.pathname + url.search, headers, body, idempotent: true }, handler);
      else dispatchers.pool.dispatch({ method: 'POST', path: url.pathname + url.search, headers, body }, handler);
    });

  return {
    post: (url, headers, body, deadline) => post(url, headers, body, deadline, true),
    close() {
      dispatchers?.pool.destroy().catch(() => undefined);
      dispatchers = undefined;
    },
  };
}
