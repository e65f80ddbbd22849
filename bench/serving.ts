/**
 * Serving path benchmark, in one run on loopback: the router doing its whole job
 * per event (a `log` route), on both servers, against the no-op each server's
 * path is bounded by, with the same binary CloudEvent (Eventarc messagePublished).
 *
 *   router        Functions Framework, `log` route to a null sink
 *   router-stdout Functions Framework, `log` route to stdout (a pipe, drained by `cat`, as on Cloud Run)
 *   ff-noop-http  Functions Framework http no-op (the router's framework path)
 *   ff-noop       Functions Framework cloudEvent no-op (a hand-written Eventarc receiver)
 *   lean          the lean server (dist/service/serve.js), null sink
 *   lean-stdout   the lean server, stdout as above
 *   node-http     bare node:http answering 204 (the lean server's ceiling)
 *   node-http-log bare node:http parsing the body and writing the same two lines per event to stdout
 *                 (as above), nothing else: the floor of logging each event, for lean-stdout
 *
 * Per target: requests/s and latency (Debian's `wrk`, 1 thread, 50 connections:
 * C, so it is not the bottleneck the way autocannon is past ~25k req/s), CPU
 * time per request of the server process (from /proc: steadier than req/s on a
 * shared machine), cold start (process start to first 2xx, median of several).
 * Targets alternate within each round (forwards, then backwards in the next); ratios are
 * taken per round, then the median.
 * `--before DIR` (another built checkout) adds its router and lean targets, for
 * a before/after within the same run.
 *
 * Usage: npm run bench:serving [-- --seconds 5 --rounds 3 --starts 9 --before ../old]
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as net from 'net';
import * as path from 'path';
import { parseArgs } from 'util';
import { inRoundOrder } from './round-order';
import { body, headers } from './sample-event';

const ROOT = path.resolve(__dirname, '..', '..');
const WRK = '/usr/bin/wrk';

interface Target {
  readonly name: string;
  /** Arguments to node; the port comes in as PORT. */
  readonly args: string[];
  readonly env: Record<string, string>;
  /** Its log lines go to stdout, drained through a pipe. */
  readonly stdout?: boolean;
}

const framework = (root: string) => path.join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const nullLog = path.join(ROOT, 'bench', 'routes-null-log.yaml');
const stdoutLog = path.join(ROOT, 'bench', 'routes-stdout-log.yaml');

function routerTargets(root: string, suffix: string): Target[] {
  const ff = [framework(root), `--source=${path.join(root, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http'];
  const lean = [path.join(root, 'dist', 'service', 'serve.js')];
  return [
    { name: `router${suffix}`, args: ff, env: { ROUTES_FILE: nullLog } },
    { name: `router-stdout${suffix}`, args: ff, env: { ROUTES_FILE: stdoutLog }, stdout: true },
    { name: `lean${suffix}`, args: lean, env: { ROUTES_FILE: nullLog } },
    { name: `lean-stdout${suffix}`, args: lean, env: { ROUTES_FILE: stdoutLog }, stdout: true },
  ];
}

const NOOPS: Target[] = [
  {
    name: 'ff-noop-http',
    args: [framework(ROOT), `--source=${path.join(ROOT, 'bench', 'noop-http-function.js')}`, '--target=noop', '--signature-type=http'],
    env: {},
  },
  {
    name: 'ff-noop',
    args: [framework(ROOT), `--source=${path.join(ROOT, 'bench', 'noop-function.js')}`, '--target=noop', '--signature-type=cloudevent'],
    env: {},
  },
  { name: 'node-http', args: [path.join(ROOT, 'bench', 'noop-node-http.js')], env: {} },
  { name: 'node-http-log', args: [path.join(ROOT, 'bench', 'noop-node-http-log.js')], env: {}, stdout: true },
];

/** Each measured target against its ceiling: [target, baseline, throughput goal]. */
const PAIRS: [string, string, number | undefined][] = [
  ['router', 'ff-noop-http', 0.95],
  ['router-stdout', 'ff-noop-http', undefined],
  ['router', 'ff-noop', undefined],
  ['lean', 'node-http', undefined],
  ['lean-stdout', 'node-http', 0.5],
  ['node-http-log', 'node-http', undefined],
  ['lean-stdout', 'node-http-log', undefined],
];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Running {
  readonly child: ChildProcess;
  readonly drain?: ChildProcess;
  readonly port: number;
  readonly coldStartMs: number;
}

async function start(target: Target): Promise<Running> {
  const port = await freePort();
  // stdout as deployed: a pipe someone reads (Cloud Run's logging agent; here `cat` into /dev/null).
  const drain = target.stdout ? spawn('sh', ['-c', 'exec cat > /dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] }) : undefined;
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, target.args, {
    env: { ...process.env, ...target.env, PORT: String(port) },
    stdio: ['ignore', drain ? drain.stdin : 'ignore', 'ignore'],
  });
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
  return { child, port, coldStartMs: Number(process.hrtime.bigint() - t0) / 1e6, ...(drain && { drain }) };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

async function stop(running: Running): Promise<void> {
  await kill(running.child);
  if (running.drain) await kill(running.drain);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (user + system) the process has used, in microseconds, from /proc. */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

/** wrk's request: the same method, headers and body (a Lua script, as wrk takes them). */
function wrkScript(dir: string): string {
  const lua = (v: string) => JSON.stringify(v); // JSON string escapes are valid Lua for this ASCII text
  const lines = ['wrk.method = "POST"', `wrk.body = ${lua(body)}`, ...Object.entries(headers).map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`)];
  const file = path.join(dir, 'post.lua');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  readonly cpuPerRequest: number;
}

/** wrk's latency figure ("1.23ms", "850.00us", "1.01s") in ms. */
function ms(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1);
}

function wrk(port: number, seconds: number, script: string): Promise<Omit<Load, 'cpuPerRequest'> & { requests: number }> {
  return new Promise((resolve, reject) => {
    execFile(WRK, ['-t1', '-c50', `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/`], { timeout: (seconds + 30) * 1000 }, (err, out) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}\n${out}`));
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        requests: num(/(\d+) requests in/),
        failed: num(/Non-2xx or 3xx responses: (\d+)/) + errors,
        p50: ms(/\n\s+50%\s+(\S+)/.exec(out)?.[1]),
        p99: ms(/\n\s+99%\s+(\S+)/.exec(out)?.[1]),
      });
    });
  });
}

async function load(running: Running, seconds: number, script: string): Promise<Load> {
  const pid = running.child.pid!;
  const before = cpuMicros(pid);
  const r = await wrk(running.port, seconds, script);
  return { rps: r.rps, p50: r.p50, p99: r.p99, failed: r.failed, cpuPerRequest: (cpuMicros(pid) - before) / Math.max(1, r.requests) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      starts: { type: 'string', default: '9' },
      before: { type: 'string' },
    },
  });
  if (!fs.existsSync(WRK)) throw new Error(`${WRK} is missing: apt-get install wrk`);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const starts = Number(values.starts);
  const targets = [...routerTargets(ROOT, ''), ...NOOPS, ...(values.before ? routerTargets(path.resolve(values.before), '@before') : [])];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-serving-'));
  const script = wrkScript(dir);
  const cold: Record<string, number[]> = {};
  const runs: Record<string, Load[]> = {};

  // Alternate the targets so a noisy moment of the machine hits all alike.
  for (let i = 0; i < starts; i++) {
    for (const t of targets) {
      const s = await start(t);
      (cold[t.name] ??= []).push(s.coldStartMs);
      await stop(s);
    }
  }
  for (let i = 0; i < rounds; i++) {
    for (const t of inRoundOrder(targets, i + 1)) {
      const s = await start(t);
      try {
        await load(s, 2, script); // warm-up: connections, JIT
        (runs[t.name] ??= []).push(await load(s, seconds, script));
      } finally {
        await stop(s);
      }
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const summary = targets.map((t) => {
    const rs = runs[t.name];
    return {
      target: t.name,
      'req/s (median)': Math.round(median(rs.map((r) => r.rps))),
      'p50 ms': median(rs.map((r) => r.p50)),
      'p99 ms': median(rs.map((r) => r.p99)),
      'CPU µs/req': Math.round(median(rs.map((r) => r.cpuPerRequest))),
      failed: rs.reduce((a, r) => a + r.failed, 0),
      'cold start ms (median)': Math.round(median(cold[t.name])),
    };
  });
  console.log(`serving benchmark: ${rounds} x ${seconds} s per target (wrk, 1 thread, 50 connections), ${starts} cold starts each, node ${process.version}`);
  console.table(summary);
  const coldOf = (name: string) => median(cold[name]);
  const paired = (a: string, b: string, pick: (r: Load) => number) => median(runs[a].map((r, i) => pick(r) / pick(runs[b][i])));
  const pairs: [string, string, number | undefined][] = [
    ...PAIRS,
    ...(values.before ? routerTargets(ROOT, '').map((t): [string, string, undefined] => [t.name, `${t.name}@before`, undefined]) : []),
  ];
  for (const [a, b, goal] of pairs) {
    console.log(`${a} / ${b} (median of per-round ratios):`);
    console.log(`  throughput ratio: ${paired(a, b, (r) => r.rps).toFixed(3)}${goal ? ` (goal >= ${goal})` : ''}`);
    console.log(`  CPU per request ratio: ${paired(a, b, (r) => r.cpuPerRequest).toFixed(3)}`);
    console.log(`  cold start ratio (of the medians): ${(coldOf(a) / coldOf(b)).toFixed(3)}`);
  }
  if (summary.some((s) => s.failed > 0)) throw new Error('some requests failed: the figures above do not measure what they claim');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
