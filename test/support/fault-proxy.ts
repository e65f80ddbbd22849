/**
 * A small HTTP proxy in front of a real registry that injects faults for a
 * fraction of requests: 429 with Retry-After, 503, and a connection reset in
 * the middle of a blob upload. Deterministic (by request kind and first
 * sighting), so a run is repeatable and each fault kind is bounded in count.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface FaultPlan {
  /** 429 + `Retry-After: <seconds>` on the first HEAD of every Nth distinct blob. */
  readonly tooManyEvery?: number;
  readonly retryAfterSeconds?: number;
  /** 503 on every Nth upload POST. */
  readonly unavailableEvery?: number;
  /** Reset the connection halfway through the first PUT of every Nth distinct blob. */
  readonly resetEvery?: number;
  /** Hold each blob PUT's answer this long (makes a copy slow enough to kill halfway). */
  readonly blobPutDelayMs?: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly url: string;
  readonly injected: { tooMany: number; unavailable: number; reset: number };
  /** Every request the target saw through the proxy: `METHOD /path` (no query). */
  readonly requests: string[];
  /** When each of `requests` arrived (ms, performance.now()). */
  readonly arrivals: number[];
  /** Indexes into `requests` of those answered 429 by the proxy. */
  readonly throttled: number[];
  /** The most blob PUTs (streamed uploads) the proxy held open at once. */
  peakBlobPuts(): number;
  /** Blob uploads the registry completed (201 to a PUT). */
  blobsCommitted(): number;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number, plan: FaultPlan = {}): Promise<FaultProxy> {
  const injected = { tooMany: 0, unavailable: 0, reset: 0 };
  const requests: string[] = [];
  const seenHeads = new Set<string>();
  const seenPuts = new Set<string>();
  let posts = 0;
  let committed = 0;
  let blobPutsOpen = 0;
  let peakBlobPuts = 0;
  const arrivals: number[] = [];
  const throttled: number[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    requests.push(`${req.method} ${url.pathname}`);
    arrivals.push(performance.now());
    const isBlobHead = req.method === 'HEAD' && url.pathname.includes('/blobs/sha256:');
    const isUploadPost = req.method === 'POST' && url.pathname.endsWith('/blobs/uploads/');
    const isBlobPut = req.method === 'PUT' && url.pathname.includes('/blobs/uploads/') && url.searchParams.has('digest');

    if (isBlobHead && plan.tooManyEvery && !seenHeads.has(url.pathname)) {
      seenHeads.add(url.pathname);
      if (seenHeads.size % plan.tooManyEvery === 1 % plan.tooManyEvery) {
        injected.tooMany++;
        throttled.push(requests.length - 1);
        res.writeHead(429, { 'retry-after': String(plan.retryAfterSeconds ?? 1), 'content-length': '0' }).end();
        return;
      }
    }
    if (isUploadPost && plan.unavailableEvery && ++posts % plan.unavailableEvery === 0) {
      injected.unavailable++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE"}]}');
      return;
    }
    if (isBlobPut) {
      peakBlobPuts = Math.max(peakBlobPuts, ++blobPutsOpen);
      res.once('close', () => blobPutsOpen--);
    }
    let resetAfter: number | undefined;
    if (isBlobPut && plan.resetEvery) {
      const digest = url.searchParams.get('digest')!;
      if (!seenPuts.has(digest)) {
        seenPuts.add(digest);
        if (seenPuts.size % plan.resetEvery === 1 % plan.resetEvery) resetAfter = Math.floor(Number(req.headers['content-length'] ?? 0) / 2);
      }
    }

    const upstream = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      const relay = () => {
        if (isBlobPut && up.statusCode === 201) committed++;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      };
      if (isBlobPut && plan.blobPutDelayMs) setTimeout(relay, plan.blobPutDelayMs);
      else relay();
    });
    upstream.on('error', () => res.destroy());
    if (resetAfter !== undefined) {
      let forwarded = 0;
      req.on('data', (chunk: Buffer) => {
        if (forwarded >= resetAfter) return;
        forwarded += chunk.length;
        upstream.write(chunk);
        if (forwarded >= resetAfter) {
          injected.reset++;
          upstream.destroy();
          req.socket.resetAndDestroy();
        }
      });
    } else {
      req.pipe(upstream);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    injected,
    requests,
    arrivals,
    throttled,
    peakBlobPuts: () => peakBlobPuts,
    blobsCommitted: () => committed,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
