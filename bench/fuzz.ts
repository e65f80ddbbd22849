/**
 * Fuzz (issue 5, item 6b): 10,000 malformed or hostile requests (fast-check)
 * over raw TCP to the real service under functions-framework, with the
 * hardening limits on: huge headers, deep JSON, bad base64, control characters
 * in names, wrong content types, lying Content-Length, junk tokens. Prints the
 * status histogram, the 5xx count, whether the process survived, and its RSS
 * after warm-up and at the end.
 *
 *   node scripts/build-if-needed.js && node dist/bench/fuzz.js
 *   FUZZ_REQUESTS=2000 node dist/bench/fuzz.js
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import fc from 'fast-check';
import { freePort, startPeer } from '../test/support/peer';

const N = Number(process.env['FUZZ_REQUESTS'] ?? 10000);
const CONCURRENCY = 16;
const TIMEOUT_MS = Number(process.env['FUZZ_TIMEOUT_SECONDS'] ?? 300) * 1000;

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) || !fs.existsSync(path.join(dir, 'functions'))) dir = path.dirname(dir);
  return dir;
}

interface Wire {
  readonly kind: string;
  readonly head: string;
  readonly body: Buffer;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const control = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 });
const nameWithControls = fc.tuple(fc.string({ maxLength: 10 }), control, fc.string({ maxLength: 10 })).map(([a, c, b]) => `${a}${c}${b}`);
const push = (data: string, attributes: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    subscription: 'projects/p/subscriptions/s',
    message: { data, attributes, messageId: '1', publishTime: '2026-11-22T14:13:05.699Z' },
    ...extra,
  });

const hostile: fc.Arbitrary<{ kind: string; headers: [string, string][]; body: string | Buffer; method?: string; contentLength?: number }> = fc.oneof(
  fc.nat({ max: 40000 }).map((n) => ({
    kind: 'huge-header',
    headers: [
      ['content-type', 'application/json'],
      ['x-big', 'a'.repeat(n)],
    ] as [string, string][],
    body: push(b64('{}')),
  })),
  fc.integer({ min: 10, max: 200 }).map((n) => ({
    kind: 'many-headers',
    headers: Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'.repeat(100)] as [string, string]).concat([['content-type', 'application/json']]),
    body: push(b64('{}')),
  })),
  fc.integer({ min: 100, max: 200000 }).map((depth) => ({
    kind: 'deep-json',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: '['.repeat(depth) + ']'.repeat(depth),
  })),
  fc.integer({ min: 100, max: 50000 }).map((depth) => ({
    kind: 'deep-json-data',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: push(b64('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))),
  })),
  fc
    .string({ maxLength: 60 })
    .map((s) => ({ kind: 'bad-base64', headers: [['content-type', 'application/json']] as [string, string][], body: push(`${s}!!==`) })),
  nameWithControls.map((name) => ({
    kind: 'control-chars-in-names',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: push(b64(JSON.stringify({ kind: 'storage#object', bucket: 'b', name, generation: '1' })), {
      eventType: 'OBJECT_FINALIZE',
      payloadFormat: 'JSON_API_V1',
      bucketId: 'b',
      objectId: name,
    }),
  })),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/cloudevents-batch+json',
        'image/png',
        ';;;',
        'application/json; charset=ebcdic',
      ),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([ct, bytes]) => ({
      kind: 'wrong-content-type',
      headers: [
        ['content-type', ct],
        ['ce-specversion', '1.0'],
        ['ce-id', 'x'],
        ['ce-type', 'google.cloud.pubsub.topic.v1.messagePublished'],
        ['ce-source', '//pubsub.googleapis.com/projects/p/topics/t'],
      ] as [string, string][],
      body: Buffer.from(bytes),
    })),
  fc
    .uint8Array({ maxLength: 2000 })
    .map((bytes) => ({ kind: 'binary-junk', headers: [['content-type', 'application/json']] as [string, string][], body: Buffer.from(bytes) })),
  fc.integer({ min: 1, max: 500 }).map((extra) => ({
    kind: 'short-body',
    headers: [['content-type', 'application/json']] as [string, string][],
    body: push(b64('{}')),
    contentLength: push(b64('{}')).length - Math.min(extra, 50),
  })),
  fc
    .nat({ max: 300000 })
    .map((n) => ({ kind: 'big-body', headers: [['content-type', 'application/json']] as [string, string][], body: push(b64('x'.repeat(n))) })),
  fc.string({ maxLength: 200 }).map((t) => ({
    kind: 'junk-token',
    headers: [
      ['content-type', 'application/json'],
      ['authorization', `Bearer ${t.replace(/[\r\n]/g, '')}`],
    ] as [string, string][],
    body: push(b64('{}')),
  })),
  fc
    .constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE')
    .map((m) => ({ kind: 'method', method: m, headers: [['content-type', 'application/json']] as [string, string][], body: push(b64('{}')) })),
);

function wire(r: { kind: string; headers: [string, string][]; body: string | Buffer; method?: string; contentLength?: number }): Wire {
  const body = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  const headers = r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const head = `${r.method ?? 'POST'} / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: ${r.contentLength ?? body.length}\r\n${headers}\r\n`;
  return { kind: r.kind, head, body };
}

function send(port: number, w: Wire): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(-2); // no answer in time
    }, 10000);
    socket.on('data', (c: Buffer) => {
      if (response.length < 64) response += c.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(response);
      resolve(m ? Number(m[1]) : -1); // -1: connection closed without a status line
    });
    socket.write(w.head);
    socket.end(w.body);
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const root = repoRoot();
  const port = await freePort();
  const service = await startPeer(
    'eventarc-router',
    process.execPath,
    [
      path.join(root, 'node_modules/@google-cloud/functions-framework/build/src/main.js'),
      `--source=${path.join(root, 'dist/service/router.js')}`,
      '--target=router',
      '--signature-type=http',
    ],
    {
      env: { ...process.env, PORT: String(port), ROUTES_FILE: '', MAX_BODY_BYTES: String(256 * 1024), EVENT_DEADLINE_SECONDS: '8', NODE_ENV: 'production' },
      readyPort: port,
      readyTimeoutMs: 20000,
      cwd: root,
    },
  );
  service.process.stdout?.removeAllListeners('data');
  service.process.stdout?.resume();
  const requests = fc.sample(hostile, { numRuns: N, seed: Number(process.env['FUZZ_SEED'] ?? 7) }).map(wire);
  const byKind = new Map<string, Map<number, number>>();
  const started = Date.now();
  let next = 0;
  let rssWarm = 0;
  const rssSamples: number[] = [];
  const worker = async () => {
    while (next < requests.length && Date.now() - started < TIMEOUT_MS) {
      const i = next++;
      const w = requests[i];
      const status = await send(port, w);
      const counts = byKind.get(w.kind) ?? new Map<number, number>();
      counts.set(status, (counts.get(status) ?? 0) + 1);
      byKind.set(w.kind, counts);
      if (i === 1000) rssWarm = rssMiB(service.pid);
      if (i % 500 === 0 && service.process.exitCode === null) rssSamples.push(rssMiB(service.pid));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (Date.now() - started) / 1000;
  const alive = service.process.exitCode === null && service.process.signalCode === null;
  const rssEnd = alive ? rssMiB(service.pid) : NaN;
  const histogram: Record<string, Record<string, number>> = {};
  let fivexx = 0;
  let noAnswer = 0;
  for (const [kind, counts] of byKind) {
    histogram[kind] = Object.fromEntries([...counts].sort((a, b) => a[0] - b[0]).map(([s, c]) => [String(s), c]));
    for (const [s, c] of counts) {
      if (s >= 500) fivexx += c;
      if (s < 0) noAnswer += c;
    }
  }
  const sent = [...byKind.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
  console.log(
    JSON.stringify(
      {
        sent,
        seconds,
        perSecond: Math.round(sent / seconds),
        fivexx,
        noAnswer,
        serviceAlive: alive,
        rssAfterWarmupMiB: rssWarm,
        rssEndMiB: rssEnd,
        rssSamplesMiB: rssSamples,
        histogram,
      },
      null,
      2,
    ),
  );
  await service.stop();
  process.exitCode = fivexx === 0 && alive && sent === N ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
