/**
 * A fresh project that installs the packed package as a user would (`npm ci` of a
 * tarball), offline: its lockfile is made from this repository's, so every dependency
 * resolves to the version and integrity `npm ci` put in the npm cache here, and nothing
 * is fetched (tests have loopback only). Besides the package: typescript and @types/node
 * (to compile the user's code) and functions-framework (the user's own entry imports it).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
  readonly [key: string]: unknown;
}

/** The user's own dependencies besides the package, at the versions this repository locks. */
const OWN = { dependencies: ['@google-cloud/functions-framework'], devDependencies: ['typescript', '@types/node'] };

/** Writes package.json and package-lock.json of a project depending on `tarball`. */
export function writeConsumerManifest(dir: string, tarball: string): void {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const keepDev = new Set(OWN.devDependencies.map((n) => `node_modules/${n}`));
  // @types/node's own dependency (undici-types) is a dev entry here too.
  const devReached = (p: string) => keepDev.has(p) || p === 'node_modules/undici-types';
  const packages: Record<string, LockEntry> = {};
  for (const [p, entry] of Object.entries(lock.packages)) {
    if (p === '' || (entry.dev && !devReached(p))) continue;
    const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
    packages[p] = kept;
  }
  const spec = `file:${path.relative(dir, tarball)}`;
  packages['node_modules/eventarc-router'] = {
    version: pkg['version'] as string,
    resolved: spec,
    license: pkg['license'],
    dependencies: pkg['dependencies'],
    bin: pkg['bin'],
    engines: pkg['engines'],
  };
  const versions = (names: string[]) => Object.fromEntries(names.map((n) => [n, `^${lock.packages[`node_modules/${n}`].version}`]));
  const manifest = {
    name: 'releases-function',
    version: '1.0.0',
    private: true,
    main: 'dist/index.js',
    dependencies: { 'eventarc-router': spec, ...versions(OWN.dependencies) },
    devDependencies: versions(OWN.devDependencies),
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  const lockfile = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { '': manifest, ...packages } };
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
}

/** `npm pack` of this repository into `dir` (the package's files built first when stale); the tarball and npm's report of it. */
export async function packRepository(dir: string): Promise<{ tarball: string; size: number; unpackedSize: number; files: string[] }> {
  await run(process.execPath, [path.join(ROOT, 'scripts', 'build-if-needed.js'), '--package'], { cwd: ROOT });
  // prepack would build again: done just above when anything changed.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
  const [report] = JSON.parse(stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  return { tarball: path.join(dir, report.filename), size: report.size, unpackedSize: report.unpackedSize, files: report.files.map((f) => f.path).sort() };
}

/** `npm ci --offline` in `dir`. */
export async function installOffline(dir: string): Promise<void> {
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, env: { ...process.env, npm_config_offline: 'true' } });
}
