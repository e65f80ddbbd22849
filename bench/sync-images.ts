/**
 * Benchmark: `eventarc-router sync-images` seeding an empty repository, and
 * the pass that finds every tag already there, as users run it (the `bin`
 * entry, a whole process), beside `skopeo sync` of the same repository between
 * the same two docker-registry instances on loopback.
 *
 *   npm run bench:sync-images -- [--tags 20] [--runs 3]
 *
 * The repository: `--tags` images of 2 x 1 MiB tar+gzip layers (incompressible
 * content), every 4th cosign-signed (a `.sig` tag, which skopeo copies as a
 * tag of its own). Ours with referrers (the default: a re-run still looks for
 * new signatures of every tag) and without. Cold = the target restarted on an empty directory before
 * each tool; re-run = the same command again at once. After every run the
 * target is checked to hold every tag at the source's digest.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { requireExecutable } from '../test/support/peer';
import { startRegistry, type Registry } from '../test/support/registry';
import { cosignSign, signingKeys } from '../test/support/signed-images';
import { pushImage, tagDigest } from '../test/support/synthetic-images';

const MIB = 1024 * 1024;
const SKOPEO = requireExecutable('/usr/bin/skopeo', 'skopeo');
// The package's `bin` (scripts/bundle-package.js), as `npm install` gives it to users.
const CLI_JS = path.resolve(__dirname, '..', 'package', 'cli.js');
const REPO = 'build/releases/app';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function timed(command: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}:\n${stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

interface Tool {
  readonly name: string;
  /** The target repository it writes. */
  readonly repo: string;
  run(source: Registry, target: Registry): Promise<number>;
}

const ours = (jobs: number, referrers = true): Tool => ({
  name: `ours, --jobs ${jobs}${referrers ? '' : ' --no-referrers'}`,
  repo: 'mirror/app',
  run: (source, target) =>
    timed(process.execPath, [
      CLI_JS,
      'sync-images',
      '--jobs',
      String(jobs),
      ...(referrers ? [] : ['--no-referrers']),
      `${source.host}/${REPO}`,
      `${target.host}/mirror/app`,
    ]),
});

// skopeo sync appends the source's last path component to the destination.
const skopeo: Tool = {
  name: 'skopeo sync --all',
  repo: 'skopeo/app',
  run: (source, target) =>
    timed(SKOPEO, [
      'sync',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src',
      'docker',
      '--dest',
      'docker',
      `${source.host}/${REPO}`,
      `${target.host}/skopeo`,
    ]),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const tagCount = arg('--tags', 20);
  const runs = arg('--runs', 3);
  const [source, target] = await Promise.all([startRegistry('bench-sync-source'), startRegistry('bench-sync-target')]);
  try {
    const keys = signingKeys();
    const digests = new Map<string, string>();
    for (let i = 0; i < tagCount; i++) {
      const tag = `v1.${i}`;
      const image = await pushImage(source.url, REPO, { seed: `sync-bench-${i}`, layerSizes: [MIB, MIB], compression: 'gzip' }, tag);
      digests.set(tag, image.digest);
      if (i % 4 === 0) await cosignSign(source.url, REPO, `${source.host}/${REPO}`, image.digest, keys.privateKey);
    }
    const check = async (tool: Tool) => {
      for (const [tag, digest] of digests) {
        const found = await tagDigest(target.url, tool.repo, tag);
        if (found !== digest) throw new Error(`${tool.name}: ${tool.repo}:${tag} is ${found}, not ${digest}`);
      }
    };
    const tools = [ours(4), ours(1), ours(4, false), skopeo];
    const times = new Map(tools.map((t) => [t.name, { cold: [] as number[], rerun: [] as number[] }]));
    for (let r = 0; r < runs; r++) {
      // Alternate the order so no tool always goes first after the source was written.
      for (const tool of r % 2 === 0 ? tools : [...tools].reverse()) {
        await target.reset();
        times.get(tool.name)!.cold.push(await tool.run(source, target));
        await check(tool);
        times.get(tool.name)!.rerun.push(await tool.run(source, target));
        await check(tool);
      }
    }
    console.log(`sync of ${tagCount} tags (2 x 1 MiB gzip layers each, ${Math.ceil(tagCount / 4)} signed), ${runs} runs, median (min-max) ms:`);
    console.log('| tool | cold | re-run |');
    console.log('|---|---|---|');
    const cell = (v: number[]) => `${Math.round(median(v))} (${Math.round(Math.min(...v))}-${Math.round(Math.max(...v))})`;
    for (const tool of tools) {
      const t = times.get(tool.name)!;
      console.log(`| ${tool.name} | ${cell(t.cold)} | ${cell(t.rerun)} |`);
    }
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
