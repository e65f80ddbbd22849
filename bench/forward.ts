/**
 * Relay overhead: the same Eventarc binary CloudEvents sent to a local target
 * directly, through nginx `proxy_pass` (the proxy of the known workaround) and
 * through the service's `forward` action, in one run.
 *
 *   node scripts/build-if-needed.js && node dist/bench/forward.js
 *
 * 1. Fixed rate (open loop, default 500 events/s): latency of each request
 *    measured with hrtime (autocannon's histogram has whole-millisecond
 *    resolution, too coarse for a 2 ms goal); paths interleaved over rounds so
 *    a noisy neighbour hits all three alike. Reports p50/p99 and what each
 *    relay adds over direct.
 * 2. Highest throughput of each path: autocannon, 50 connections.
 * Two more paths: the same service with a `log` route writing nowhere (the
 * serving framework and core alone), and the forward route served by the lean
 * server (`dist/service/serve.js`: the same pipeline behind bare node:http,
 * without functions-framework).
 * Each relay's CPU time per event (from /proc) is printed too: unlike latency
 * on a shared machine, it hardly depends on what else is running.
 * Environment: BENCH_RATE, BENCH_SECONDS (per path per round), BENCH_ROUNDS,
 * BENCH_MAX_SECONDS. Everything runs on 127.0.0.1; peers are stopped by PID.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import autocannon from 'autocannon';
import { freePort, startPeer, type Peer } from '../test/support/peer';
import { startNginx } from '../test/support/nginx';

const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 8);
const WARMUP_SECONDS = 1;

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

/** The target: a bare node:http server in its own process answering 204. */
async function startTarget(port: number): Promise<Peer> {
  const code = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(204);s.end()})}).listen(${port},'127.0.0.1')`;
  return startPeer('target', process.execPath, ['-e', code], { readyPort: port });
}

/** The real service with the given routes: under functions-framework, or the lean server (serve.js). */
async function startService(root: string, routeList: unknown[], server: 'framework' | 'lean' = 'framework'): Promise<{ url: string; peer: Peer }> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-forward-'));
  const routes = path.join(dir, 'routes.json');
  fs.writeFileSync(routes, JSON.stringify({ routes: routeList }));
  const cli = path.join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
  const peer = await startPeer(
    'eventarc-router',
    process.execPath,
    server === 'lean'
      ? [path.join(root, 'dist', 'service', 'serve.js')]
      : [cli, `--source=${path.join(root, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http'],
    { env: { ...process.env, PORT: String(port), ROUTES_FILE: routes }, cwd: root, readyPort: port, readyTimeoutMs: 20000 },
  );
  // Drain its log lines so a full pipe never stalls it.
  peer.process.stdout?.resume();
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

async function maxThroughput(url: string, seconds: number): Promise<{ rps: number; p99Ms: number; non2xx: number; errors: number }> {
  const { headers, body } = eventarcRequest();
  const result = await autocannon({ url, method: 'POST', headers, body, connections: 50, duration: seconds });
  return { rps: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(8);

async function main(): Promise<void> {
  const root = repositoryRoot();
  const peers: { stop(): Promise<void> }[] = [];
  try {
    const targetPort = await freePort();
    peers.push(await startTarget(targetPort));
    const targetUrl = `http://127.0.0.1:${targetPort}/events`;
    const nginx = await startNginx({ upstream: targetUrl });
    peers.push(nginx);
    const service = await startService(root, [{ name: 'relay', match: {}, action: 'forward', with: { url: targetUrl } }]);
    peers.push(service.peer);
    // The same service and route machinery without the relay (a `log` route writing nowhere):
    // what the framework and core cost alone.
    const floor = await startService(root, [{ name: 'no-relay', match: {}, action: 'log', with: { output: 'null' } }]);
    peers.push(floor.peer);
    const lean = await startService(root, [{ name: 'relay', match: {}, action: 'forward', with: { url: targetUrl } }], 'lean');
    peers.push(lean.peer);

    // relay: the processes whose CPU time the path adds (the target's is the same on every path).
    const paths = [
      { name: 'direct', url: targetUrl, relay: [] as number[] },
      { name: 'nginx proxy_pass', url: `${nginx.url}/`, relay: [nginx.peer.pid] },
      { name: 'forward action', url: `${service.url}/`, relay: [service.peer.pid] },
      { name: 'service, no relay', url: `${floor.url}/`, relay: [floor.peer.pid] },
      { name: 'forward, lean server', url: `${lean.url}/`, relay: [lean.peer.pid] },
    ];
    const samples = new Map(paths.map((p) => [p.name, { latenciesMs: [] as number[], failures: 0, cpuMs: 0 }]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

    console.log(`fixed rate: ${RATE} events/s, ${ROUNDS} round(s) x ${SECONDS} s per path (after ${WARMUP_SECONDS} s warm-up), ${os.cpus().length} CPUs`);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const p of paths) {
        await fixedRate(p.url, RATE, WARMUP_SECONDS, agent);
        const cpuBefore = cpuMs(p.relay);
        const got = await fixedRate(p.url, RATE, SECONDS, agent);
        const into = samples.get(p.name)!;
        into.cpuMs += cpuMs(p.relay) - cpuBefore;
        into.latenciesMs.push(...got.latenciesMs);
        into.failures += got.failures;
      }
    }
    agent.destroy();

    const summary = paths.map((p) => {
      const s = samples.get(p.name)!;
      const sorted = [...s.latenciesMs].sort((a, b) => a - b);
      const cpuUsPerEvent = (s.cpuMs * 1000) / Math.max(1, sorted.length + s.failures);
      return { path: p.name, n: sorted.length, failures: s.failures, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], cpuUsPerEvent };
    });
    const direct = summary[0];
    console.log('\npath                   count  fail    p50 ms   p99 ms   max ms  +p50 ms  +p99 ms  relay CPU us/event');
    for (const s of summary) {
      console.log(
        `${s.path.padEnd(20)} ${String(s.n).padStart(7)} ${String(s.failures).padStart(5)} ${fmt(s.p50)} ${fmt(s.p99)} ${fmt(s.max)} ${fmt(s.p50 - direct.p50)} ${fmt(s.p99 - direct.p99)} ${fmt(s.cpuUsPerEvent, 0)}`,
      );
    }
    // Both shipped servers run the same pipeline and action; the difference is the serving framework.
    const nginxAdded = summary[1].p99 - direct.p99;
    const gapOf = (i: number) => summary[i].p99 - direct.p99 - nginxAdded;
    const gap = gapOf(2);
    console.log(`\ngoal: forward p99 added within 2 ms of nginx's (${nginxAdded.toFixed(2)} ms)`);
    console.log(`  through the service (functions-framework): +${(summary[2].p99 - direct.p99).toFixed(2)} ms, gap ${gap.toFixed(2)} ms -> ${gap <= 2 ? 'MET' : 'NOT MET'}`);
    console.log(`  through the lean server (serve.js):         +${(summary[4].p99 - direct.p99).toFixed(2)} ms, gap ${gapOf(4).toFixed(2)} ms -> ${gapOf(4) <= 2 ? 'MET' : 'NOT MET'}`);

    console.log(`\nmax throughput: autocannon, 50 connections, ${MAX_SECONDS} s per path`);
    console.log('path                    req/s   p99 ms  non-2xx  errors');
    const throughput: Record<string, unknown>[] = [];
    for (const p of paths) {
      const t = await maxThroughput(p.url, MAX_SECONDS);
      throughput.push({ path: p.name, ...t });
      console.log(`${p.name.padEnd(20)} ${fmt(t.rps, 0)} ${fmt(t.p99Ms, 0)} ${String(t.non2xx).padStart(8)} ${String(t.errors).padStart(7)}`);
    }
    console.log('\n' + JSON.stringify({ bench: 'forward', rate: RATE, rounds: ROUNDS, seconds: SECONDS, fixedRate: summary, throughput, goalMet: gap <= 2, leanGoalMet: gapOf(4) <= 2 }));
  } finally {
    for (const peer of peers.reverse()) await peer.stop();
  }
}

const run = main();
run.catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
