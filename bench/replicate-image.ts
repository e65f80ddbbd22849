/**
 * Benchmark: our image copy against `skopeo copy --all`, alternately, in one run,
 * between the same two docker-registry instances on loopback.
 *
 *   node scripts/build-if-needed.js && node dist/bench/replicate-image.js [--runs 5] [--jobs 4] [--skip-big]
 *
 * Images: 8 x 32 MiB incompressible layers; a 2-platform index of 4 x 16 MiB
 * layers each; one 1 GiB layer (peak RSS). Cold = target storage emptied (the
 * target registry restarted on an empty directory) before every run; warm = a
 * re-copy onto a target that already has the image. Times are wall clock of the
 * whole process for both tools ("ours, process" runs the copy-image CLI), plus
 * ours in process (the library call the service makes, connections kept warm).
 * Peak RSS is the max resident set of each process (/usr/bin/time).
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
import { pushImage, pushIndex } from '../test/replicate-image/synthetic';

const MIB = 1024 * 1024;
const SKOPEO = requireExecutable('/usr/bin/skopeo', 'skopeo');
const TIME = requireExecutable('/usr/bin/time', 'time');
const COPY_IMAGE_JS = path.resolve(__dirname, '..', 'functions', 'cli', 'copy-image.js');

interface Run {
  readonly ms: number;
  readonly rssMiB: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Runs a command under /usr/bin/time; wall time from here, peak RSS from time's %M (KiB). */
async function timedProcess(command: string, args: string[]): Promise<Run> {
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}-${Date.now()}`);
  const started = process.hrtime.bigint();
  const child = spawn(TIME, ['-o', out, '-f', '%M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rssKiB = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  fs.rmSync(out, { force: true });
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}:\n${stderr}`);
  return { ms, rssMiB: rssKiB / 1024 };
}

const JOBS = arg('--jobs', 4);

const ours = (src: string, dst: string) =>
  timedProcess(process.execPath, [
    '-e',
    `require(${JSON.stringify(COPY_IMAGE_JS)}).copyImageCommand(process.argv.slice(1)).then((c) => process.exit(c))`,
    '--', // the rest is copy-image's, not node's
    '--jobs',
    String(JOBS),
    src,
    dst,
  ]);

const skopeo = (src: string, dst: string) =>
  timedProcess(SKOPEO, ['copy', '--all', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src}`, `docker://${dst}`]);

async function inProcess(registries: Registries, src: string, dst: string): Promise<Run> {
  const [s, d] = [parseImageRef(src), parseImageRef(dst)];
  const started = process.hrtime.bigint();
  await copyImage(registries.client(s.host), s, registries.client(d.host), d, { jobs: JOBS, retry: DEFAULT_RETRY });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, rssMiB: process.memoryUsage().rss / MIB };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

interface Row {
  readonly image: string;
  readonly mode: string;
  readonly bytes: number;
  readonly results: Record<'ours (process)' | 'ours (in process)' | 'skopeo --all', Run[]>;
}

function printRow(row: Row): void {
  const m = (k: keyof Row['results']) => median(row.results[k].map((r) => r.ms));
  const rss = (k: keyof Row['results']) => Math.max(...row.results[k].map((r) => r.rssMiB));
  const sk = m('skopeo --all');
  for (const k of Object.keys(row.results) as (keyof Row['results'])[]) {
    if (row.results[k].length === 0) continue;
    const med = m(k);
    const rate = row.mode === 'cold' ? `${(row.bytes / MIB / (med / 1000)).toFixed(0)} MiB/s` : '';
    const ratio = k === 'skopeo --all' ? '' : `${(med / sk).toFixed(2)} x skopeo`;
    const rssText = k === 'ours (in process)' ? '(shared)' : `${rss(k).toFixed(0)} MiB`;
    console.log(
      [row.image.padEnd(22), row.mode.padEnd(5), k.padEnd(18), fmtMs(med).padStart(9), rate.padStart(10), ratio.padStart(14), rssText.padStart(9), `n=${row.results[k].length}`].join('  '),
    );
  }
}

async function bench(source: Registry, target: Registry, image: string, repo: string, bytes: number, runs: number, warmRuns: number): Promise<Row[]> {
  const src = `${source.host}/${repo}:v1`;
  const dst = `${target.host}/${repo}:v1`;
  const cold: Row = { image, mode: 'cold', bytes, results: { 'ours (process)': [], 'ours (in process)': [], 'skopeo --all': [] } };
  const warm: Row = { image, mode: 'warm', bytes, results: { 'ours (process)': [], 'ours (in process)': [], 'skopeo --all': [] } };
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first, so neither always meets a freshly started registry.
    const order = i % 2 === 0 ? (['ours (process)', 'skopeo --all', 'ours (in process)'] as const) : (['skopeo --all', 'ours (process)', 'ours (in process)'] as const);
    for (const who of order) {
      await target.reset();
      const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });
      try {
        cold.results[who].push(who === 'skopeo --all' ? await skopeo(src, dst) : who === 'ours (process)' ? await ours(src, dst) : await inProcess(registries, src, dst));
      } finally {
        registries.close();
      }
    }
  }
  // Warm: the target has the image (left by the last cold run).
  const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });
  await inProcess(registries, src, dst); // opens the pool, as a running service has
  for (let i = 0; i < warmRuns; i++) {
    warm.results['skopeo --all'].push(await skopeo(src, dst));
    warm.results['ours (process)'].push(await ours(src, dst));
    warm.results['ours (in process)'].push(await inProcess(registries, src, dst));
  }
  registries.close();
  return [cold, warm];
}

async function main(): Promise<void> {
  const runs = arg('--runs', 5);
  const skipBig = process.argv.includes('--skip-big');
  const [source, target] = await Promise.all([startRegistry('bench-source'), startRegistry('bench-target')]);
  try {
    console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg()[0].toFixed(1)}, node ${process.version}; docker-registry (distribution 2.8) x 2 on loopback; ours --jobs ${JOBS}`);
    console.log('generating images in the source registry ...');
    await pushImage(source.url, 'bench/images/layers', { seed: 'bench-8x32', layerSizes: Array(8).fill(32 * MIB) }, 'v1');
    await pushIndex(
      source.url,
      'bench/images/multi',
      [
        { seed: 'bench-amd64', layerSizes: Array(4).fill(16 * MIB), platform: { os: 'linux', architecture: 'amd64' } },
        { seed: 'bench-arm64', layerSizes: Array(4).fill(16 * MIB), platform: { os: 'linux', architecture: 'arm64' } },
      ],
      'v1',
    );
    if (!skipBig) await pushImage(source.url, 'bench/images/big', { seed: 'bench-1g', layerSizes: [1024 * MIB] }, 'v1');

    const rows: Row[] = [];
    rows.push(...(await bench(source, target, '8 x 32 MiB', 'bench/images/layers', 256 * MIB, runs, Math.max(runs, 10))));
    rows.push(...(await bench(source, target, 'index 2 x 4 x 16 MiB', 'bench/images/multi', 128 * MIB, runs, Math.max(runs, 10))));
    if (!skipBig) rows.push(...(await bench(source, target, '1 x 1 GiB', 'bench/images/big', 1024 * MIB, Math.min(runs, 3), 3)));

    console.log(`\n${'image'.padEnd(22)}  ${'mode'.padEnd(5)}  ${'tool'.padEnd(18)}  ${'median'.padStart(9)}  ${'rate'.padStart(10)}  ${'ratio'.padStart(14)}  ${'peak RSS'.padStart(9)}`);
    for (const row of rows) printRow(row);
    console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares this machine: compare within a run only)`);
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
