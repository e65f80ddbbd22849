/**
 * Serving path benchmark, in one run on loopback (issue 2, item 9):
 *   - requests/s and p50/p99 latency (autocannon, 50 connections, bounded time)
 *     of `router` with a `log` route writing to a null sink, against two
 *     Functions Framework no-op handlers (cloudEvent, and http like the router),
 *     with the same binary CloudEvent (Eventarc messagePublished);
 *   - cold start (process start to first 2xx) of both, median of several starts;
 *   - the ratios. Goal: >= 0.95 of the no-op's throughput, <= 1.1x its cold start.
 *   - CPU time per request of each process (from /proc), steadier than req/s on a shared machine.
 * Usage: npm run bench:serving [-- --seconds 6 --rounds 5 --starts 15]
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { parseArgs } from 'util';
import { body, headers } from './sample-event';

const ROOT = path.resolve(__dirname, '..', '..');
const FRAMEWORK = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

interface Target {
  readonly name: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

const TARGETS: Target[] = [
  { name: 'ff-noop', args: [`--source=${path.join(ROOT, 'bench', 'noop-function.js')}`, '--target=noop', '--signature-type=cloudevent'], env: {} },
  { name: 'ff-noop-http', args: [`--source=${path.join(ROOT, 'bench', 'noop-http-function.js')}`, '--target=noop', '--signature-type=http'], env: {} },
  {
    name: 'router',
    args: [`--source=${path.join(ROOT, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http'],
    env: { ROUTES_FILE: path.join(ROOT, 'bench', 'routes-null-log.yaml') },
  },
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function start(target: Target): Promise<{ child: ChildProcess; port: number; coldStartMs: number }> {
  const port = await freePort();
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [FRAMEWORK, ...target.args], { env: { ...process.env, ...target.env, PORT: String(port) }, stdio: 'ignore' });
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body });
      if (res.status >= 200 && res.status < 300) break;
      throw new Error(`${target.name} answered ${res.status}`);
    } catch (err) {
      if ((err as Error).message.includes('answered')) throw err;
      if (child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode}`, { cause: err });
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  return { child, port, coldStartMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (user + system) the process has used, in microseconds, from /proc: steadier than req/s on a shared machine. */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

async function load(port: number, seconds: number, pid: number) {
  const before = cpuMicros(pid);
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers, body, connections: 50, duration: seconds });
  const non2xx = r.non2xx + r.errors + r.timeouts;
  const cpuPerRequest = (cpuMicros(pid) - before) / Math.max(1, r.requests.total);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx, cpuPerRequest };
}

async function main() {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '6' }, rounds: { type: 'string', default: '5' }, starts: { type: 'string', default: '15' } },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const starts = Number(values.starts);
  const cold: Record<string, number[]> = {};
  const runs: Record<string, { rps: number; p50: number; p99: number; non2xx: number; cpuPerRequest: number }[]> = {};

  // Alternate the targets so a noisy moment of the machine hits both alike.
  for (let i = 0; i < starts; i++) {
    for (const t of TARGETS) {
      const s = await start(t);
      (cold[t.name] ??= []).push(s.coldStartMs);
      await stop(s.child);
    }
  }
  for (let i = 0; i < rounds; i++) {
    for (const t of TARGETS) {
      const s = await start(t);
      await load(s.port, 2, s.child.pid!); // warm-up
      (runs[t.name] ??= []).push(await load(s.port, seconds, s.child.pid!));
      await stop(s.child);
    }
  }

  const summary = TARGETS.map((t) => {
    const rs = runs[t.name];
    return {
      target: t.name,
      'req/s (median)': Math.round(median(rs.map((r) => r.rps))),
      'p50 ms': median(rs.map((r) => r.p50)),
      'p99 ms': median(rs.map((r) => r.p99)),
      'CPU µs/req': Math.round(median(rs.map((r) => r.cpuPerRequest))),
      'non-2xx': rs.reduce((a, r) => a + r.non2xx, 0),
      'cold start ms (median)': Math.round(median(cold[t.name])),
    };
  });
  console.log(`serving benchmark: ${rounds} x ${seconds} s at 50 connections per target, ${starts} cold starts each, node ${process.version}`);
  console.table(summary);
  const router = summary.find((s) => s.target === 'router')!;
  // Against each baseline: the cloudEvent no-op (what a hand-written Eventarc receiver is) and the
  // http no-op (the same framework path the router takes).
  // Ratios are taken round by round (the targets of one round ran back to back, on the machine as
  // it was then) and the median of those is reported: a shared machine drifts between rounds.
  const paired = (noop: string, pick: (r: (typeof runs)[string][number]) => number) => median(runs['router'].map((r, i) => pick(r) / pick(runs[noop][i])));
  for (const noop of summary.filter((s) => s.target !== 'router')) {
    console.log(`router / ${noop.target} (median of per-round ratios):`);
    console.log(`  throughput ratio: ${paired(noop.target, (r) => r.rps).toFixed(3)} (goal >= 0.95)`);
    console.log(`  CPU per request ratio: ${paired(noop.target, (r) => r.cpuPerRequest).toFixed(3)} (its inverse bounds the throughput ratio on one core)`);
    // One cold start is one noisy sample: the ratio of the medians, not of pairs.
    console.log(`  cold start ratio (of the medians): ${(router['cold start ms (median)'] / noop['cold start ms (median)']).toFixed(3)} (goal <= 1.10)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
