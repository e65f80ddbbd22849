/**
 * One keep-alive connection pool per forward route, shared by all its requests
 * (connections are per target, not per request). Redirects are never followed
 * here; the caller decides (see redirect.ts).
 */
import * as http from 'http';
import type * as HttpsModule from 'https';
import { answerSnippet, SNIPPET_BYTES } from './snippet';

// https and tls take milliseconds to load and cold start is measured: load them for an https target only.
function loadHttps(): { https: typeof HttpsModule; rootCertificates: readonly string[] } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const https = require('https') as typeof HttpsModule;
  const { rootCertificates } = require('tls') as typeof import('tls');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { https, rootCertificates };
}

export interface TargetAnswer {
  readonly status: number;
  readonly location?: string;
  /** The start of the body, for the log; the rest is read and dropped so the connection can be reused. */
  readonly bodySnippet: string;
}

export interface HttpClient {
  post(url: URL, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<TargetAnswer>;
  close(): void;
}


export interface HttpClientOptions {
  readonly maxSockets: number;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  readonly extraCa?: string;
}

export function createHttpClient({ maxSockets, extraCa }: HttpClientOptions): HttpClient {
  // Idle connections are dropped after 4 s, before common server keep-alive timeouts (node's 5 s) close them under us.
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4000 };
  const httpAgent = new http.Agent(agentOptions);
  let secure: { request: typeof http.request; agent: HttpsModule.Agent } | undefined;
  const secureClient = () => {
    if (!secure) {
      const { https, rootCertificates } = loadHttps();
      const agent = new https.Agent({ ...agentOptions, ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) });
      secure = { request: https.request, agent };
    }
    return secure;
  };

  const post = (url: URL, headers: Record<string, string>, body: Buffer, signal: AbortSignal, retryOnStale: boolean): Promise<TargetAnswer> => {
    const { request, agent } = url.protocol === 'https:' ? secureClient() : { request: http.request, agent: httpAgent };
    return new Promise<TargetAnswer>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(body.length) },
      });
      // Abort by hand: node's `signal` option costs more per request than one listener.
      const onAbort = () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
      req.once('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the target closed just as we reused it: try once on a fresh one.
        if (retryOnStale && req.reusedSocket && err.code === 'ECONNRESET' && !signal.aborted) {
          resolve(post(url, headers, body, signal, false));
        } else {
          reject(err);
        }
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          // Past the snippet by a token's length, so an echoed credential is seen whole and cut out.
          if (kept < SNIPPET_BYTES + 4096) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.once('error', reject);
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            bodySnippet: chunks.length === 0 ? '' : answerSnippet(Buffer.concat(chunks), headers),
          }),
        );
      });
      req.end(body);
    });
  };

  return {
    post: (url, headers, body, signal) => post(url, headers, body, signal, true),
    close() {
      httpAgent.destroy();
      secure?.agent.destroy();
    },
  };
}
