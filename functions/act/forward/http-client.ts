/**
 * One keep-alive connection pool per forward route, shared by all its requests
 * (connections are per target, not per request). Redirects are never followed
 * here; the caller decides (see redirect.ts).
 */
import * as http from 'http';
import * as https from 'https';
import * as tls from 'tls';

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

const SNIPPET_BYTES = 512;

export interface HttpClientOptions {
  readonly maxSockets: number;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  readonly extraCa?: string;
}

export function createHttpClient({ maxSockets, extraCa }: HttpClientOptions): HttpClient {
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({
    ...agentOptions,
    ...(extraCa ? { ca: [...tls.rootCertificates, extraCa] } : {}),
  });

  return {
    post(url, headers, body, signal) {
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request;
      return new Promise<TargetAnswer>((resolve, reject) => {
        const req = request(url, {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...headers, 'content-length': String(body.length) },
          signal,
        });
        req.once('error', reject);
        req.once('response', (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < SNIPPET_BYTES) {
              chunks.push(chunk);
              kept += chunk.length;
            }
          });
          res.once('error', reject);
          res.once('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              location: res.headers.location,
              bodySnippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
            }),
          );
        });
        req.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
