/**
 * One keep-alive connection pool per copier, over node:http(s). Bodies are
 * either small buffers (manifests) or streams piped straight into the request
 * (blobs), so memory never grows with a layer's size.
 */
import * as http from 'http';
import type * as HttpsModule from 'https';
import { pipeline, type Readable } from 'stream';

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | Readable;
  readonly signal?: AbortSignal;
}

const IDLE_TIMEOUT_MS = 60_000;
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

export class HttpTransport {
  private readonly plain = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // https/tls take milliseconds to load and cold start is measured: loaded for the first https registry only.
  private secure?: { https: typeof HttpsModule; agent: HttpsModule.Agent };

  private secureClient(): { https: typeof HttpsModule; agent: HttpsModule.Agent } {
    if (!this.secure) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const https = require('https') as typeof HttpsModule;
      this.secure = { https, agent: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
    }
    return this.secure;
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const { method, url, headers, body, signal } = request;
    const secure = url.protocol === 'https:' ? this.secureClient() : undefined;
    const options: http.RequestOptions = {
      method,
      headers: Buffer.isBuffer(body) ? { ...headers, 'content-length': String(body.length) } : headers,
      agent: secure ? secure.agent : this.plain,
      signal,
    };
    return new Promise((resolve, reject) => {
      let settled = false;
      let bodyError: Error | undefined;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        reject(bodyError ?? err);
      };
      const req = (secure ? secure.https.request : http.request)(url, options, (res) => {
        if (settled) {
          res.resume();
          return;
        }
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      req.setTimeout(IDLE_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error(`${method} ${url.host}: no data for ${IDLE_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', fail);
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        pipeline(body, req, (err) => {
          if (err) {
            // The source's own error (a digest mismatch, a reset on the GET) says more than the request's.
            bodyError = bodyError ?? err;
            fail(err);
          }
        });
      }
    });
  }

  close(): void {
    this.plain.destroy();
    this.secure?.agent.destroy();
  }
}

/** Reads a small response body (manifests, error documents, tokens). */
export async function readText(res: HttpResponse, limit = MAX_TEXT_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.body.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Lets the connection go back to the pool. */
export function discard(res: HttpResponse): void {
  res.body.resume();
}

export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}
