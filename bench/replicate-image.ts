/**
 * Benchmark: our image copy against `skopeo copy --all` and against the
 * machine's ceiling, in one run, between the same two docker-registry
 * instances on loopback.
 *
 *   npm run bench:replicate-image -- [--runs 5] [--jobs 4] [--skip-big]
 *
 * Images are what registries hold: tar+gzip layers over incompressible content
 * (skopeo copies them as they are; on uncompressed layers it would compress and
 * change their digests). 8 x 32 MiB layers; a 2-platform index of 4 x 16 MiB
 * layers each; one 1 GiB layer (peak RSS). Cold = the target registry restarted
 * on an empty directory before every run; re-copy = the target already has the
 * image. After every run the target is checked to hold exactly the source's
 * digests (tag -> manifest digest, every child manifest and blob, with its size).
 *
 * Tools, alternated in each cold round so none always meets a fresh registry:
 * - ours (CLI): `node dist/package/cli.js copy-image`, the package's `bin` entry (the bundle
 *   scripts/bundle-package.js makes, as `npm install` gives it to users), a whole process;
 *   when NODE_EXTRA_CA_CERTS is set (most users' machines do not set it), also without it;
 * - skopeo --all: a whole process;
 * - ceiling: per blob one streamed `curl` GET piped into one `curl` PUT (the same
 *   blobs, the same parallelism), what moving the bytes costs on this machine.
 * Ours in service (the library call the service makes, connections kept warm) is timed separately:
 * cold copies in a child process of their own (its pool opened first), for their peak RSS;
 * re-copies in this process, each after the processes' re-copies of its round, then 20 in a row
 * (a busy service's). `node -e 0` is timed with the re-copies: what any node process
 * costs before our first line (with NODE_EXTRA_CA_CERTS set, node 20 loads every CA at start).
 * Peak RSS is the max resident set of each process (/usr/bin/time); CPU is the
 * tool's user + system seconds (ours in service: this process's, during the copy),
 * reg. CPU the two registries' together during the same run (/proc): where the time goes.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { copyImage } from '../functions/registry/copy';
import { credentialSource } from '../functions/registry/credentials';
import { parseImageRef } from '../functions/registry/reference';
import { Registries } from '../functions/registry/registries';
import { DEFAULT_RETRY } from '../functions/registry/retry';
import { requireExecutable } from '../test/support/peer';
import { startRegistry, type Registry } from '../test/support/registry';
import { pushImage, pushIndex, tagDigest, type Pushed } from '../test/support/synthetic-images';

const MIB = 1024 * 1024;
const SKOPEO = requireExecutable('/usr/bin/skopeo', 'skopeo');
const TIME = requireExecutable('/usr/bin/time', 'time');
const CURL = requireExecutable('/usr/bin/curl', 'curl');
/** The package's `bin` entry, as `eventarc-router` runs it once installed (npm run build:package). */
const CLI_JS = path.resolve(__dirname, '..', 'package', 'cli.js');

interface Run {
  readonly ms: number;
  readonly rssMiB?: number;
  /** CPU seconds (user + system) of the tool itself, and of the two registries during the run. */
  readonly cpuS?: number;
  readonly registriesCpuS?: number;
  /** In service: the child's RSS once its pool was open, before the copy. */
  readonly rssBeforeMiB?: number;
}

/** utime + stime of a process in seconds (/proc, clock ticks of 1/100 s). */
function processCpuS(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let registryPids: () => number[] = () => [];

/** Runs `run` and adds the registries' CPU spent meanwhile. */
async function withRegistryCpu(run: () => Promise<Run>): Promise<Run> {
  const before = registryPids().map(processCpuS);
  const result = await run();
  const after = registryPids().map(processCpuS);
  return { ...result, registriesCpuS: after.reduce((n, c, i) => n + c - before[i], 0) };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Runs a command under /usr/bin/time; wall time from here, peak RSS from time's %M (KiB). */
async function timedProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}`);
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-o', out, '-f', '%M %U %S', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const [rssKiB, user, system] = (fs.readFileSync(out, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
  fs.rmSync(out, { force: true });
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}:\n${stderr}`);
  return { ms, rssMiB: rssKiB / 1024, cpuS: user + system };
}

const JOBS = arg('--jobs', 4);

const ours = (src: string, dst: string) => timedProcess(process.execPath, [CLI_JS, 'copy-image', '--jobs', String(JOBS), src, dst]);

const skopeo = (src: string, dst: string) =>
  timedProcess(SKOPEO, ['copy', '--all', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${dst}`]);

/** Without NODE_EXTRA_CA_CERTS: what users without it (most) pay for a node process. */
const withoutExtraCa = (() => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

const nodeStart = () => timedProcess(process.execPath, ['-e', '0']);
const oursWithoutExtraCa = (src: string, dst: string) =>
  timedProcess(process.execPath, [CLI_JS, 'copy-image', '--jobs', String(JOBS), src, dst], withoutExtraCa);

async function inService(registries: Registries, src: string, dst: string): Promise<Run> {
  const [s, d] = [parseImageRef(src), parseImageRef(dst)];
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await copyImage(registries.client(s.host), s, registries.client(d.host), d, { jobs: JOBS, retry: DEFAULT_RETRY });
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, cpuS: (used.user + used.system) / 1e6 };
}

/**
 * A cold copy in service, in a child process of its own so that its peak RSS is its own: the
 * pool is opened first (a HEAD on each registry), as a running service has it, then one copy.
 */
async function inServiceProcess(src: string, dst: string): Promise<Run> {
  const child = spawn(process.execPath, [__filename, '--in-service', src, dst], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`in-service copy ${src} -> ${dst} exited ${code}`);
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Run;
}

/** The child's side: one copy, reported as a Run (peak RSS in MiB). */
async function inServiceChild(src: string, dst: string): Promise<void> {
  const registries = newRegistries();
  try {
    const [s, d] = [parseImageRef(src), parseImageRef(dst)];
    await registries.client(s.host).headManifest(s.repository, s.tag ?? 'latest');
    await registries.client(d.host).headManifest(d.repository, d.tag ?? 'latest');
    const before = process.memoryUsage().rss / MIB;
    const run = await inService(registries, src, dst);
    // VmHWM, not getrusage's maxRSS: Linux hands a forked child its parent's high-water mark, and this
    // parent held the generated images.
    const hwmKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]);
    process.stdout.write(`${JSON.stringify({ ...run, rssMiB: hwmKiB / 1024, rssBeforeMiB: before })}\n`);
  } finally {
    registries.close();
  }
}

/** One blob: `curl GET | curl PUT` into an upload the target opened, streamed, no file in between. */
async function curlBlob(source: Registry, target: Registry, repo: string, digest: string): Promise<void> {
  const start = await fetch(`${target.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
  const put = new URL(start.headers.get('location')!, target.url);
  put.searchParams.set('digest', digest);
  const get = spawn(CURL, ['-sSf', `${source.url}/v2/${repo}/blobs/${digest}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const send = spawn(CURL, ['-sSf', '-o', '/dev/null', '-X', 'PUT', '-H', 'content-type: application/octet-stream', '-T', '-', put.href], {
    stdio: [get.stdout, 'ignore', 'inherit'],
  });
  const codes = await Promise.all([get, send].map((c) => new Promise<number | null>((resolve) => c.once('exit', resolve))));
  if (codes.some((c) => c !== 0)) throw new Error(`curl | curl ${digest} exited ${codes.join(', ')}`);
}

/** Every blob of `pushed`, JOBS at a time, as ours and skopeo run. */
async function ceiling(source: Registry, target: Registry, repo: string, pushed: Pushed): Promise<Run> {
  const queue = [...new Set(pushed.blobs.map((b) => b.digest))];
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: JOBS }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) await curlBlob(source, target, repo, d);
    }),
  );
  return { ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function blobSize(registry: Registry, repo: string, digest: string): Promise<number | undefined> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return res.status === 200 ? Number(res.headers.get('content-length')) : undefined;
}

/** Exactly the source's digests in the target, or the run does not count: the tag, every child manifest, every blob. */
async function checkTarget(who: string, target: Registry, repo: string, pushed: Pushed & { children?: Pushed[] }, blobsOnly: boolean): Promise<void> {
  const wrong: string[] = [];
  if (!blobsOnly) {
    const at = await tagDigest(target.url, repo, 'v1');
    if (at !== pushed.digest) wrong.push(`tag v1 at ${at}, source ${pushed.digest}`);
    for (const child of pushed.children ?? []) {
      if ((await tagDigest(target.url, repo, child.digest)) !== child.digest) wrong.push(`child ${child.digest} missing`);
    }
  }
  for (const b of pushed.blobs) {
    const size = await blobSize(target, repo, b.digest);
    if (size !== b.size) wrong.push(`blob ${b.digest}: ${size ?? 'absent'} bytes, source ${b.size}`);
  }
  if (wrong.length > 0) throw new Error(`${who} left the target different from the source:\n${wrong.join('\n')}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const TOOLS = [
  'ours (CLI)',
  'ours (CLI, no extra CA)',
  'ours (in service)',
  'ours (in service, in a row)',
  'skopeo --all',
  'ceiling (curl|curl)',
  'node -e 0',
] as const;
const STEADY_RECOPIES = 20;
type Tool = (typeof TOOLS)[number];

interface Row {
  readonly image: string;
  readonly mode: 'cold' | 're-copy';
  readonly bytes: number;
  readonly results: Record<Tool, Run[]>;
}

const emptyResults = (): Record<Tool, Run[]> => ({
  'ours (CLI)': [],
  'ours (CLI, no extra CA)': [],
  'ours (in service)': [],
  'ours (in service, in a row)': [],
  'skopeo --all': [],
  'ceiling (curl|curl)': [],
  'node -e 0': [],
});

function printRow(row: Row): void {
  const m = (k: Tool) => median(row.results[k].map((r) => r.ms));
  const sk = m('skopeo --all');
  const ceil = row.results['ceiling (curl|curl)'].length > 0 ? m('ceiling (curl|curl)') : undefined;
  for (const k of TOOLS) {
    const runs = row.results[k];
    if (runs.length === 0) continue;
    const med = m(k);
    const rate = row.mode === 'cold' ? `${(row.bytes / MIB / (med / 1000)).toFixed(0)} MiB/s` : '';
    const ratio = k === 'skopeo --all' ? '' : `${(med / sk).toFixed(2)} x skopeo`;
    const vsCeiling = ceil !== undefined && k !== 'ceiling (curl|curl)' ? `${(med / ceil).toFixed(2)} x ceiling` : '';
    const rss = runs.some((r) => r.rssMiB !== undefined) ? `${Math.max(...runs.map((r) => r.rssMiB ?? 0)).toFixed(0)} MiB` : '(shared)';
    const before = runs.some((r) => r.rssBeforeMiB !== undefined) ? ` (${Math.max(...runs.map((r) => r.rssBeforeMiB ?? 0)).toFixed(0)} before)` : '';
    const cpu = runs.every((r) => r.cpuS !== undefined) ? `${median(runs.map((r) => r.cpuS ?? 0)).toFixed(2)} s` : '';
    const registriesCpu = runs.every((r) => r.registriesCpuS !== undefined) ? `${median(runs.map((r) => r.registriesCpuS ?? 0)).toFixed(2)} s` : '';
    const spread = `${fmtMs(Math.min(...runs.map((r) => r.ms)))}-${fmtMs(Math.max(...runs.map((r) => r.ms)))}`;
    console.log(
      [
        row.image.padEnd(22),
        row.mode.padEnd(7),
        k.padEnd(27),
        fmtMs(med).padStart(9),
        spread.padStart(19),
        rate.padStart(10),
        ratio.padStart(14),
        vsCeiling.padStart(15),
        rss.padStart(9),
        cpu.padStart(8),
        registriesCpu.padStart(9),
        `n=${runs.length}${before}`,
      ].join('  '),
    );
  }
}

const newRegistries = () => new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });

async function bench(source: Registry, target: Registry, image: string, repo: string, pushed: Pushed, runs: number, warmRuns: number): Promise<Row[]> {
  const src = `${source.host}/${repo}:v1`;
  const dst = `${target.host}/${repo}:v1`;
  const bytes = pushed.blobs.reduce((n, b) => n + b.size, 0);
  const cold: Row = { image, mode: 'cold', bytes, results: emptyResults() };
  const warm: Row = { image, mode: 're-copy', bytes, results: emptyResults() };
  const extraCa = process.env.NODE_EXTRA_CA_CERTS !== undefined;
  const processes: Tool[] = ['ours (CLI)', ...(extraCa ? (['ours (CLI, no extra CA)'] as Tool[]) : []), 'skopeo --all', 'ceiling (curl|curl)'];
  const coldRun: Partial<Record<Tool, () => Promise<Run>>> = {
    'ours (CLI)': () => ours(src, dst),
    'ours (CLI, no extra CA)': () => oursWithoutExtraCa(src, dst),
    'skopeo --all': () => skopeo(src, dst),
    'ceiling (curl|curl)': () => ceiling(source, target, repo, pushed),
  };
  for (let i = 0; i < runs; i++) {
    // Rotate who goes first, so none always meets a freshly started registry.
    const order = [...processes.slice(i % processes.length), ...processes.slice(0, i % processes.length)];
    for (const who of order) {
      await target.reset();
      cold.results[who].push(await withRegistryCpu(coldRun[who]!));
      await checkTarget(who, target, repo, pushed, who === 'ceiling (curl|curl)');
    }
  }
  // In service, separately: a running service keeps its connection pool, so it is opened first (in the child).
  for (let i = 0; i < runs; i++) {
    await target.reset();
    cold.results['ours (in service)'].push(await withRegistryCpu(() => inServiceProcess(src, dst)));
    await checkTarget('ours (in service)', target, repo, pushed, false);
  }
  // Re-copy: the target has the image (left by the last cold run).
  const registries = newRegistries();
  await inService(registries, src, dst); // opens the pool, as a running service has
  const rotation: Tool[] = ['skopeo --all', 'ours (CLI)', ...(extraCa ? (['ours (CLI, no extra CA)'] as Tool[]) : []), 'node -e 0'];
  const warmRun: Partial<Record<Tool, () => Promise<Run>>> = {
    'skopeo --all': () => skopeo(src, dst),
    'ours (CLI)': () => ours(src, dst),
    'ours (CLI, no extra CA)': () => oursWithoutExtraCa(src, dst),
    'node -e 0': nodeStart,
  };
  for (let i = 0; i < warmRuns; i++) {
    const order = [...rotation.slice(i % rotation.length), ...rotation.slice(0, i % rotation.length)];
    for (const who of order) warm.results[who].push(await withRegistryCpu(warmRun[who]!));
    warm.results['ours (in service)'].push(await withRegistryCpu(() => inService(registries, src, dst)));
  }
  // A busy service's re-copies follow each other, not a process's exit: the same call, 20 in a row.
  for (let i = 0; i < STEADY_RECOPIES; i++) warm.results['ours (in service, in a row)'].push(await withRegistryCpu(() => inService(registries, src, dst)));
  registries.close();
  await checkTarget('re-copies', target, repo, pushed, false);
  return [cold, warm];
}

async function main(): Promise<void> {
  const child = process.argv.indexOf('--in-service');
  if (child >= 0) return inServiceChild(process.argv[child + 1], process.argv[child + 2]);
  const runs = arg('--runs', 5);
  const skipBig = process.argv.includes('--skip-big');
  const [source, target] = await Promise.all([startRegistry('bench-source'), startRegistry('bench-target')]);
  registryPids = () => [source.pid(), target.pid()];
  try {
    console.log(
      `machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(1)}, node ${process.version}; docker-registry (distribution 2.8) x 2 on loopback; --jobs ${JOBS} for ours and the ceiling`,
    );
    if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
      console.log('NODE_EXTRA_CA_CERTS is set: every node process loads all CAs at start (node 20); the CLI is also timed without it');
    }
    console.log('generating gzip images in the source registry ...');
    const layers = await pushImage(source.url, 'bench/images/layers', { seed: 'bench-8x32', layerSizes: Array(8).fill(32 * MIB), compression: 'gzip' }, 'v1');
    const multi = await pushIndex(
      source.url,
      'bench/images/multi',
      [
        { seed: 'bench-amd64', layerSizes: Array(4).fill(16 * MIB), platform: { os: 'linux', architecture: 'amd64' }, compression: 'gzip' },
        { seed: 'bench-arm64', layerSizes: Array(4).fill(16 * MIB), platform: { os: 'linux', architecture: 'arm64' }, compression: 'gzip' },
      ],
      'v1',
    );
    const big = skipBig
      ? undefined
      : await pushImage(source.url, 'bench/images/big', { seed: 'bench-1g', layerSizes: [1024 * MIB], compression: 'gzip' }, 'v1');

    const rows: Row[] = [];
    rows.push(...(await bench(source, target, '8 x 32 MiB gzip', 'bench/images/layers', layers, runs, Math.max(runs, 10))));
    rows.push(...(await bench(source, target, 'index 2 x 4 x 16 MiB', 'bench/images/multi', multi, runs, Math.max(runs, 10))));
    if (big) rows.push(...(await bench(source, target, '1 x 1 GiB gzip', 'bench/images/big', big, Math.min(runs, 3), 3)));

    console.log(
      `\n${'image'.padEnd(22)}  ${'mode'.padEnd(7)}  ${'tool'.padEnd(27)}  ${'median'.padStart(9)}  ${'min-max'.padStart(19)}  ${'rate'.padStart(10)}  ${'ratio'.padStart(14)}  ${'vs ceiling'.padStart(15)}  ${'peak RSS'.padStart(9)}  ${'CPU'.padStart(8)}  ${'reg. CPU'.padStart(9)}`,
    );
    for (const row of rows) printRow(row);
    console.log('\nevery run checked: the target held exactly the source digests (tag, child manifests, blobs and sizes)');
    console.log(
      `load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (other work shares this machine: compare within a run only)`,
    );
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
