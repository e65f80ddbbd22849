/**
 * Relay overhead: the same Eventarc binary CloudEvents sent to a local target
 * directly, through nginx `proxy_pass` (the proxy of the known workaround) and
 * through the service's `forward` action, on both servers, in one run.
 *
 *   node scripts/build-if-needed.js && node dist/bench/forward.js
 *
 * 0. Start-up: each path's first BENCH_START_SECONDS (default 5) of traffic at the fixed
 *    rate, as an instance Cloud Run has just started sees it, in a table of its own: a Node
 *    relay is still compiling its code then (nginx is not), and those seconds would
 *    otherwise decide the p99 of a short run.
 * 1. Fixed rate (open loop, default 500 events/s): latency of each request
 *    measured with hrtime; paths interleaved over rounds so a noisy neighbour
 *    hits all alike (forwards in odd rounds, backwards in even ones). Reports
 *    p50/p99, what each relay adds over direct, and each relay's CPU time per
 *    event (from /proc: unlike latency on a shared machine, it hardly depends on
 *    what else is running).
 * 2. Highest throughput of each path: Debian's `wrk` (one thread, 50
 *    connections), paths interleaved over rounds in the same alternating order;
 *    ratios are per round, then the median. wrk is C and drives nginx far past
 *    what autocannon (Node) can.
 * Paths: nginx proxy_pass; forward on the lean server (dist/service/serve.js);
 * forward under Functions Framework; Functions Framework's own `http` no-op (the
 * ceiling of the framework path); the lean server with a `log` route writing
 * nowhere (the pipeline without the relay: forward's own cost is the difference);
 * Node's floor for any relay (bench/relay-floor.js: node:http in, an undici Pool out), and bare
 * node:http answering 204 (throughput only: the floor minus it is the outbound request's own cost,
 * which bounds what any relay under Functions Framework reaches). With BENCH_TLS=1 (default) also an HTTPS
 * target offering h2 and http/1.1: nginx proxy_pass over TLS (HTTP/1.1, nginx has
 * no h2 upstream) against forward on the lean server (h2 by ALPN).
 * BENCH_BEFORE=<directory of another built checkout> adds its lean server's
 * forward as one more path, for a before/after ratio within the same run.
 * Environment: BENCH_RATE, BENCH_SECONDS (per path per round), BENCH_ROUNDS,
 * BENCH_MAX_SECONDS, BENCH_MAX_ROUNDS, BENCH_START_SECONDS, BENCH_TLS, BENCH_BEFORE. Everything runs on 127.0.0.1; peers are stopped by PID.
 */
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort, requireExecutable, startPeer, type Peer } from '../test/support/peer';
import { startNginx } from '../test/support/nginx';
import { makeCertificate } from '../test/support/tls';
import { inRoundOrder } from './round-order';

const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 5);
const MAX_ROUNDS = Number(process.env.BENCH_MAX_ROUNDS ?? 3);
const TLS = (process.env.BENCH_TLS ?? '1') !== '0';
const BEFORE = process.env.BENCH_BEFORE;
const WARMUP_SECONDS = 1;
// Each relay's first seconds of traffic after it started, measured on their own: V8 is still compiling then.
const START_SECONDS = Number(process.env.BENCH_START_SECONDS ?? 5);
const WRK = '/usr/bin/wrk';

/** The repository root (this file runs from dist/bench/). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'eventarc-router') return dir;
  }
  throw new Error('cannot find the eventarc-router repository root');
}

/** What Eventarc sends for a Pub/Sub trigger (shape A of docs/delivery.md). */
function eventarcRequest(): { headers: Record<string, string>; body: Buffer } {
  const body = Buffer.from(
    JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify({ order: 17, status: 'shipped', items: [1, 2, 3] })).toString('base64'),
        attributes: { region: 'eu' },
        messageId: '9876543210',
        message_id: '9876543210',
        publishTime: '2026-11-23T02:00:00.123Z',
        publish_time: '2026-11-23T02:00:00.123Z',
      },
      subscription: 'projects/p/subscriptions/eventarc-trigger-sub',
    }),
  );
  return {
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'ce-id': '9876543210',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/orders',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-time': '2026-11-23T02:00:00.123Z',
    },
    body,
  };
}

/** wrk's request: the same method, headers and body (a Lua script, as wrk takes them). */
function wrkScript(dir: string): string {
  const { headers, body } = eventarcRequest();
  const lua = (v: string) => JSON.stringify(v); // JSON string escapes are valid Lua for this ASCII text
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${lua(body.toString('utf8'))}`,
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`),
  ];
  const file = path.join(dir, 'post.lua');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The target: a bare node:http server in its own process answering 204; over TLS, an http2 server that also speaks HTTP/1.1. */
async function startTarget(port: number, tls?: { keyFile: string; certFile: string }): Promise<Peer> {
  const answer = `(q,s)=>{q.resume();q.on('end',()=>{s.writeHead(204);s.end()})}`;
  const code = tls
    ? `const fs=require('fs');require('http2').createSecureServer({allowHTTP1:true,key:fs.readFileSync(${JSON.stringify(tls.keyFile)}),cert:fs.readFileSync(${JSON.stringify(tls.certFile)})},${answer}).listen(${port},'127.0.0.1')`
    : `require('http').createServer(${answer}).listen(${port},'127.0.0.1')`;
  return startPeer('target', process.execPath, ['-e', code], { readyPort: port });
}

/** The real service with the given routes: under functions-framework, or the lean server (serve.js); or the framework's own http no-op. */
async function startService(root: string, routeList: unknown[], server: 'framework' | 'lean' | 'framework-noop'): Promise<{ url: string; peer: Peer }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-forward-'));
  const routes = path.join(dir, 'routes.json');
  fs.writeFileSync(routes, JSON.stringify({ routes: routeList }));
  const cli = path.join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
  const args =
    server === 'lean'
      ? [path.join(root, 'dist', 'service', 'serve.js')]
      : server === 'framework'
        ? [cli, `--source=${path.join(root, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http']
        : [cli, `--source=${path.join(root, 'bench', 'noop-http-function.js')}`, '--target=noop', '--signature-type=http'];
  // Its log lines go to a pipe that another process reads, as on Cloud Run (here `cat` into /dev/null): not to
  // this process, which is the load generator and the clock, and would pay for every line it read.
  const drain = spawn('sh', ['-c', 'exec cat > /dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const peer = await startPeer('eventarc-router', process.execPath, args, {
    env: { ...process.env, PORT: String(port), ROUTES_FILE: routes },
    cwd: root,
    readyPort: port,
    readyTimeoutMs: 20000,
    stdio: ['ignore', drain.stdin, 'pipe'],
  }).catch((err: unknown) => {
    drain.kill();
    throw err;
  });
  drain.stdin.destroy(); // the service holds the pipe's write end; cat sees EOF when the service exits
  return { url: `http://127.0.0.1:${port}`, peer };
}

interface FixedRateSamples {
  readonly latenciesMs: number[];
  readonly failures: number;
}

/** Open loop: requests leave on schedule whether or not earlier ones have answered. */
function fixedRate(url: string, rate: number, seconds: number, agent: http.Agent): Promise<FixedRateSamples> {
  const { headers, body } = eventarcRequest();
  const total = Math.round(rate * seconds);
  const latenciesMs: number[] = [];
  let failures = 0;
  let sent = 0;
  let done = 0;
  const target = new URL(url);
  return new Promise((resolve) => {
    const start = performance.now();
    const sendOne = () => {
      const began = process.hrtime.bigint();
      const req = http.request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) latenciesMs.push(Number(process.hrtime.bigint() - began) / 1e6);
          else failures++;
          finish();
        });
      });
      req.on('error', () => {
        failures++;
        finish();
      });
      req.end(body);
    };
    const finish = () => {
      if (++done === total) resolve({ latenciesMs, failures });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      while (sent < due) {
        sent++;
        sendOne();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

/** CPU time (user + system, ms) used so far by these processes and their children's current processes (nginx workers). */
function cpuMs(pids: readonly number[]): number {
  const ticks = (pid: number): number => {
    try {
      // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  const children = (pid: number): number[] => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const all = pids.flatMap((pid) => [pid, ...children(pid)]);
  return (all.reduce((sum, pid) => sum + ticks(pid), 0) * 1000) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  /** Non-2xx/3xx answers plus socket errors. */
  readonly failed: number;
}

/** One wrk run: 1 thread (the other core is the relay's), 50 connections. */
function wrk(url: string, seconds: number, script: string): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile(WRK, ['-t1', '-c50', `-d${seconds}s`, '-s', script, url], { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${stdout}`));
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const errors = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({ rps: num(/Requests\/sec:\s+([\d.]+)/), requests: num(/(\d+) requests in/), failed: num(/Non-2xx or 3xx responses: (\d+)/) + errors });
    });
  });
}

const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(8);

interface BenchPath {
  readonly name: string;
  readonly url: string;
  /** The processes whose CPU time the path adds (the target's is the same on every path). */
  readonly relay: number[];
  /** Part of the fixed-rate rounds (the framework no-op is a throughput ceiling only). */
  readonly fixedRate: boolean;
}

interface FixedRateTally {
  latenciesMs: number[];
  failures: number;
  cpuMs: number;
}

const emptyTallies = (paths: readonly BenchPath[]) => new Map(paths.map((p): [string, FixedRateTally] => [p.name, { latenciesMs: [], failures: 0, cpuMs: 0 }]));

/** `seconds` at the fixed rate on one path, added to its tally with the relay's CPU time meanwhile. */
async function measureFixedRate(p: BenchPath, seconds: number, agent: http.Agent, into: FixedRateTally): Promise<void> {
  const cpuBefore = cpuMs(p.relay);
  const got = await fixedRate(p.url, RATE, seconds, agent);
  into.cpuMs += cpuMs(p.relay) - cpuBefore;
  into.latenciesMs.push(...got.latenciesMs);
  into.failures += got.failures;
}

interface FixedRateRow {
  readonly path: string;
  readonly n: number;
  readonly failures: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly cpuUsPerEvent: number;
}

/** One row per fixed-rate path: latency percentiles over every sample, and relay CPU per event. */
function summarise(paths: readonly BenchPath[], samples: ReadonlyMap<string, FixedRateTally>): FixedRateRow[] {
  return paths
    .filter((p) => p.fixedRate)
    .map((p) => {
      const s = samples.get(p.name)!;
      const sorted = [...s.latenciesMs].sort((a, b) => a - b);
      return {
        path: p.name,
        n: sorted.length,
        failures: s.failures,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1],
        cpuUsPerEvent: (s.cpuMs * 1000) / Math.max(1, sorted.length + s.failures),
      };
    });
}

/** The table, with what each path adds over going direct. */
function printFixedRate(rows: readonly FixedRateRow[]): void {
  const direct = rows.find((r) => r.path === 'direct')!;
  console.log('path                        count  fail    p50 ms   p99 ms   max ms  +p50 ms  +p99 ms  relay CPU us/event');
  for (const s of rows) {
    console.log(
      `${s.path.padEnd(25)} ${String(s.n).padStart(7)} ${String(s.failures).padStart(5)} ${fmt(s.p50)} ${fmt(s.p99)} ${fmt(s.max)} ${fmt(s.p50 - direct.p50)} ${fmt(s.p99 - direct.p99)} ${fmt(s.cpuUsPerEvent, 0)}`,
    );
  }
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  requireExecutable(WRK, 'wrk');
  const peers: { stop(): Promise<void> }[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-forward-'));
  try {
    const script = wrkScript(dir);
    const targetPort = await freePort();
    peers.push(await startTarget(targetPort));
    const targetUrl = `http://127.0.0.1:${targetPort}/events`;
    const nginx = await startNginx({ upstream: targetUrl });
    peers.push(nginx);
    const relayRoute = (url: string, extra: Record<string, unknown> = {}) => [{ name: 'relay', match: {}, action: 'forward', with: { url, ...extra } }];
    const lean = await startService(root, relayRoute(targetUrl), 'lean');
    peers.push(lean.peer);
    const framework = await startService(root, relayRoute(targetUrl), 'framework');
    peers.push(framework.peer);
    const frameworkNoop = await startService(root, [], 'framework-noop');
    peers.push(frameworkNoop.peer);
    // The lean server without the relay (a `log` route writing nowhere): what receiving, parsing,
    // routing and answering cost there, so forward's own share is the difference.
    const leanFloor = await startService(root, [{ name: 'no-relay', match: {}, action: 'log', with: { output: 'null' } }], 'lean');
    peers.push(leanFloor.peer);
    // Node's own floor for a relay (bench/relay-floor.js): node:http in, one undici Pool out, nothing else.
    const floorPort = await freePort();
    const nodeFloor = await startPeer('relay-floor', process.execPath, [path.join(root, 'bench', 'relay-floor.js')], {
      env: { ...process.env, PORT: String(floorPort), TARGET_URL: targetUrl },
      cwd: root,
      readyPort: floorPort,
    });
    peers.push(nodeFloor);
    // Bare node:http answering 204 (no relay): with the floor, what the outbound request alone costs in Node.
    const nodeNoopPort = await freePort();
    const nodeNoop = await startPeer('node-noop', process.execPath, [path.join(root, 'bench', 'noop-node-http.js')], {
      env: { ...process.env, PORT: String(nodeNoopPort) },
      cwd: root,
      readyPort: nodeNoopPort,
    });
    peers.push(nodeNoop);

    const paths: BenchPath[] = [
      { name: 'direct', url: targetUrl, relay: [], fixedRate: true },
      { name: 'nginx proxy_pass', url: `${nginx.url}/`, relay: [nginx.peer.pid], fixedRate: true },
      { name: 'forward, lean', url: `${lean.url}/`, relay: [lean.peer.pid], fixedRate: true },
      { name: 'forward, FF', url: `${framework.url}/`, relay: [framework.peer.pid], fixedRate: true },
      { name: 'FF http no-op', url: `${frameworkNoop.url}/`, relay: [frameworkNoop.peer.pid], fixedRate: false },
      { name: 'lean, log to null', url: `${leanFloor.url}/`, relay: [leanFloor.peer.pid], fixedRate: true },
      { name: 'node relay floor', url: `http://127.0.0.1:${floorPort}/`, relay: [nodeFloor.pid], fixedRate: true },
      { name: 'node:http no-op', url: `http://127.0.0.1:${nodeNoopPort}/`, relay: [nodeNoop.pid], fixedRate: false },
    ];
    if (BEFORE) {
      const before = await startService(path.resolve(BEFORE), relayRoute(targetUrl), 'lean');
      peers.push(before.peer);
      paths.push({ name: 'forward, lean, before', url: `${before.url}/`, relay: [before.peer.pid], fixedRate: true });
    }
    if (TLS) {
      const cert = makeCertificate();
      const tlsPort = await freePort();
      peers.push(await startTarget(tlsPort, { keyFile: path.join(cert.dir, 'key.pem'), certFile: cert.certFile }));
      const tlsUrl = `https://127.0.0.1:${tlsPort}/events`;
      const nginxTls = await startNginx({ upstream: tlsUrl });
      peers.push(nginxTls);
      const leanTls = await startService(root, relayRoute(tlsUrl, { caFile: cert.certFile }), 'lean');
      peers.push(leanTls.peer);
      paths.push(
        { name: 'nginx -> TLS h1', url: `${nginxTls.url}/`, relay: [nginxTls.peer.pid], fixedRate: true },
        { name: 'forward, lean -> TLS h2', url: `${leanTls.url}/`, relay: [leanTls.peer.pid], fixedRate: true },
      );
    }
    const samples = emptyTallies(paths);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

    console.log(
      `fixed rate: ${RATE} events/s, ${ROUNDS} round(s) x ${SECONDS} s per path (after ${WARMUP_SECONDS} s warm-up), ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}`,
    );
    const fixedRatePaths = paths.filter((x) => x.fixedRate);
    const startup = emptyTallies(paths);
    for (const p of START_SECONDS > 0 ? fixedRatePaths : []) await measureFixedRate(p, START_SECONDS, agent, startup.get(p.name)!);
    const startupSummary = summarise(paths, startup);
    if (START_SECONDS > 0) {
      console.log(`\nstart-up: each path's first ${START_SECONDS} s of traffic after it started (V8 still compiling; not part of the goals below)`);
      printFixedRate(startupSummary);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const p of inRoundOrder(fixedRatePaths, round)) {
        await fixedRate(p.url, RATE, WARMUP_SECONDS, agent);
        await measureFixedRate(p, SECONDS, agent, samples.get(p.name)!);
      }
    }
    agent.destroy();

    const summary = summarise(paths, samples);
    const byName = (name: string) => summary.find((s) => s.path === name)!;
    const direct = byName('direct');
    console.log(`\nsteady state: ${ROUNDS} round(s) x ${SECONDS} s per path`);
    printFixedRate(summary);

    console.log(`\nmax throughput: wrk, 1 thread, 50 connections, ${MAX_ROUNDS} round(s) x ${MAX_SECONDS} s per path, interleaved`);
    const rounds: Record<string, { rps: number; failed: number; cpuUsPerRequest: number }[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      for (const p of inRoundOrder(paths, round)) {
        await wrk(p.url, 1, script); // warm-up: connections, JIT
        const cpuBefore = cpuMs(p.relay);
        const t = await wrk(p.url, MAX_SECONDS, script);
        rounds[p.name].push({ rps: t.rps, failed: t.failed, cpuUsPerRequest: ((cpuMs(p.relay) - cpuBefore) * 1000) / Math.max(1, t.requests) });
      }
    }
    console.log('path                         req/s (median)  per round                 failed  relay CPU us/req');
    for (const p of paths) {
      const r = rounds[p.name];
      console.log(
        `${p.name.padEnd(25)} ${fmt(median(r.map((x) => x.rps)), 0)}        ${r
          .map((x) => x.rps.toFixed(0))
          .join(' / ')
          .padEnd(25)} ${String(r.reduce((a, x) => a + x.failed, 0)).padStart(6)} ${fmt(median(r.map((x) => x.cpuUsPerRequest)), 0)}`,
      );
    }
    /** Median over rounds of a / b within each round (both measured minutes apart at most). */
    const roundRatio = (a: string, b: string) => median(rounds[a].map((x, i) => x.rps / rounds[b][i].rps));

    const nginxRow = byName('nginx proxy_pass');
    const leanRow = byName('forward, lean');
    const nginxAdded = nginxRow.p99 - direct.p99;
    const leanAdded = leanRow.p99 - direct.p99;
    const goals = {
      cpuRatio: leanRow.cpuUsPerEvent / nginxRow.cpuUsPerEvent,
      p99Gap: leanAdded - nginxAdded,
      throughputRatio: roundRatio('forward, lean', 'nginx proxy_pass'),
      frameworkRatio: roundRatio('forward, FF', 'FF http no-op'),
    };
    console.log('\ngoals (issue 14, item 2), forward on the lean server against nginx proxy_pass:');
    console.log(`  relay CPU per event at ${RATE}/s: ${goals.cpuRatio.toFixed(2)} x nginx's (goal <= 2) -> ${goals.cpuRatio <= 2 ? 'MET' : 'NOT MET'}`);
    console.log(
      `  p99 added: ${leanAdded.toFixed(2)} ms against nginx's ${nginxAdded.toFixed(2)} ms, gap ${goals.p99Gap.toFixed(2)} ms (goal <= 1) -> ${goals.p99Gap <= 1 ? 'MET' : 'NOT MET'}`,
    );
    console.log(`  max throughput: ${goals.throughputRatio.toFixed(2)} of nginx's (goal >= 0.5) -> ${goals.throughputRatio >= 0.5 ? 'MET' : 'NOT MET'}`);
    console.log(
      `  under Functions Framework: ${goals.frameworkRatio.toFixed(2)} of its own http no-op's throughput (goal >= 0.9) -> ${goals.frameworkRatio >= 0.9 ? 'MET' : 'NOT MET'}`,
    );
    const floorRow = byName('node relay floor');
    console.log(
      `  Node's floor (node:http in, undici Pool out, nothing else): relay CPU ${(floorRow.cpuUsPerEvent / nginxRow.cpuUsPerEvent).toFixed(2)} x nginx's, throughput ${roundRatio('node relay floor', 'nginx proxy_pass').toFixed(2)} of nginx's; forward on the lean server costs ${(leanRow.cpuUsPerEvent / floorRow.cpuUsPerEvent).toFixed(2)} x the floor's CPU`,
    );
    // The framework path's best case: its own no-op plus an outbound request at Node's cheapest (the floor
    // relay's CPU per request at saturation minus bare node:http's), nothing of ours at all.
    const saturatedCpu = (name: string) => median(rounds[name].map((x) => x.cpuUsPerRequest));
    const outboundUs = saturatedCpu('node relay floor') - saturatedCpu('node:http no-op');
    const frameworkBest = saturatedCpu('FF http no-op') / (saturatedCpu('FF http no-op') + outboundUs);
    console.log(
      `  the outbound request alone costs Node ${outboundUs.toFixed(0)} us of CPU at saturation (floor relay minus bare node:http), so a relay under Functions Framework reaches at most ~${frameworkBest.toFixed(2)} of its no-op's throughput with no code of ours at all`,
    );
    if (BEFORE) {
      const b = byName('forward, lean, before');
      console.log(
        `before (${BEFORE}) and after, lean server: relay CPU per event ${(leanRow.cpuUsPerEvent / b.cpuUsPerEvent).toFixed(2)} x before's; throughput ${roundRatio('forward, lean', 'forward, lean, before').toFixed(2)} x before's`,
      );
    }
    if (TLS) {
      const nt = byName('nginx -> TLS h1');
      const ft = byName('forward, lean -> TLS h2');
      console.log('TLS target (item 3), forward h2 against nginx TLS HTTP/1.1:');
      console.log(
        `  relay CPU per event: ${(ft.cpuUsPerEvent / nt.cpuUsPerEvent).toFixed(2)} x nginx's; p99 added ${(ft.p99 - direct.p99).toFixed(2)} ms against ${(nt.p99 - direct.p99).toFixed(2)} ms; throughput ${roundRatio('forward, lean -> TLS h2', 'nginx -> TLS h1').toFixed(2)} of nginx's`,
      );
    }
    console.log(
      '\n' +
        JSON.stringify({
          bench: 'forward',
          rate: RATE,
          rounds: ROUNDS,
          seconds: SECONDS,
          startSeconds: START_SECONDS,
          startup: startupSummary,
          fixedRate: summary,
          throughput: rounds,
          goals,
        }),
    );
  } finally {
    for (const peer of peers.reverse()) await peer.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const run = main();
run.catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
