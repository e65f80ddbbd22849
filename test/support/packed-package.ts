/**
 * The npm package as a user gets it: `npm pack` of this repository, and a user's project
 * that installs the tarball with `npm ci`, offline.
 *
 * Packed once per content: the tarball is kept in a temporary directory under a hash of
 * the files npm packs, so the suites of one jest run (and later runs, while nothing packed
 * changed) share one `npm pack`; concurrent workers wait on a lock instead of packing twice.
 *
 * Offline: `npm install <tarball>` asks the registry for full package documents (npm 11
 * always does for a new dependency), which the cache `npm ci` fills does not hold. So the
 * user's lockfile is written here from this repository's: the entries the project's
 * manifest reaches (the package's dependencies and the user's own), at the versions and
 * integrities this repository locks, and `npm ci --offline` installs them from the cache.
 */
import { execFile } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  license?: string;
  main?: string;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  [key: string]: unknown;
}
interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** A packed tarball and npm's report of it. */
export interface Packed {
  readonly tarball: string;
  readonly size: number;
  readonly unpackedSize: number;
  /** The packed paths, sorted. */
  readonly files: string[];
  readonly integrity: string;
}

/** Every file npm may pack from `root` (package.json, README/LICENSE, main, bin, `files`): a superset, so the key below misses no change. */
function packCandidates(root: string): string[] {
  const pkg = readJson<Manifest>(path.join(root, 'package.json'));
  const found = new Set<string>(['package.json']);
  for (const name of fs.readdirSync(root)) if (/^(readme|licen[cs]e|copying|notice|changelog)(\..*)?$/i.test(name)) found.add(name);
  const add = (rel: string) => {
    const full = path.join(root, rel);
    if (!fs.existsSync(full)) return;
    if (!fs.statSync(full).isDirectory()) found.add(path.normalize(rel));
    else for (const entry of fs.readdirSync(full)) add(path.join(rel, entry));
  };
  for (const rel of [pkg.main ?? 'index.js', ...Object.values(pkg.bin ?? {}), ...(pkg.files ?? [])]) add(rel);
  return [...found].sort();
}

/** A hash of the names and contents of what `npm pack` would pack from `root`. */
export function packedContentKey(root: string): string {
  const hash = createHash('sha256');
  for (const rel of packCandidates(root))
    hash
      .update(`${rel}\0`)
      .update(fs.readFileSync(path.join(root, rel)))
      .update('\0');
  return hash.digest('hex').slice(0, 32);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` holding `lock` (a directory holding its owner's pid); a lock whose owner died is taken over. */
async function withLock<T>(lock: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {
        // Its owner is between mkdir and writing its pid.
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} still held after 300 s (pid ${owner})`, { cause: err });
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `npm pack` of the package in `root` into `cacheDir`, or the tarball packed there before
 * from the same content. Other tarballs in `cacheDir` are removed: only the newest is kept.
 */
export async function packCached(root: string, cacheDir: string, beforePack: () => Promise<void> = async () => {}): Promise<Packed> {
  fs.mkdirSync(cacheDir, { recursive: true });
  return withLock(path.join(cacheDir, 'lock'), async () => {
    await beforePack();
    const key = packedContentKey(root);
    const entry = path.join(cacheDir, key);
    const reportFile = path.join(entry, 'report.json');
    if (fs.existsSync(reportFile)) {
      const cached = readJson<Packed>(reportFile);
      // A temp cleaner may have taken the tarball: pack again.
      if (fs.existsSync(cached.tarball)) return cached;
    }
    for (const old of fs.readdirSync(cacheDir)) if (old !== 'lock') fs.rmSync(path.join(cacheDir, old), { recursive: true, force: true });
    const partial = `${entry}.partial`;
    fs.mkdirSync(partial);
    // Scripts are not run: `beforePack` built what prepack would.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', partial], { cwd: root });
    const [report] = JSON.parse(stdout.slice(stdout.indexOf('['))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      integrity: string;
      files: { path: string }[];
    }[];
    const files = report.files.map((f) => f.path).sort();
    const covered = new Set(packCandidates(root));
    const uncovered = files.filter((f) => !covered.has(path.normalize(f)));
    if (uncovered.length > 0)
      throw new Error(`npm packed ${uncovered.join(', ')}, which packedContentKey does not hash: a later change to them would reuse a stale tarball`);
    const packed: Packed = {
      tarball: path.join(entry, report.filename),
      size: report.size,
      unpackedSize: report.unpackedSize,
      files,
      integrity: report.integrity,
    };
    fs.writeFileSync(path.join(partial, 'report.json'), JSON.stringify(packed));
    fs.renameSync(partial, entry);
    return packed;
  });
}

/** This repository packed (its package's files built first when stale), shared by every suite while nothing packed changes. */
export function packRepository(): Promise<Packed> {
  const cacheDir = path.join(os.tmpdir(), `eventarc-router-packed-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);
  return packCached(ROOT, cacheDir, async () => {
    await run(process.execPath, [path.join(ROOT, 'scripts', 'build-if-needed.js'), '--package'], { cwd: ROOT });
  });
}

/** Lock entries reachable from `roots`, resolved as Node resolves them in this repository's tree. */
function reachable(packages: Record<string, LockEntry>, roots: readonly string[]): Record<string, LockEntry> {
  const keep: Record<string, LockEntry> = {};
  const resolve = (from: string, dep: string): string | undefined => {
    for (let base = from; ;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${dep}`;
      if (packages[candidate]) return candidate;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  const visit = (location: string) => {
    if (keep[location]) return;
    const entry = packages[location];
    keep[location] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
      const found = resolve(location, dep);
      if (found) visit(found);
      else if (!entry.optionalDependencies?.[dep] && !entry.peerDependenciesMeta?.[dep]?.optional)
        throw new Error(`${location} needs ${dep}: not in package-lock.json`);
    }
  };
  for (const root of roots) {
    if (!packages[`node_modules/${root}`]) throw new Error(`${root} is not in this repository's package-lock.json: the offline install cannot find it`);
    visit(`node_modules/${root}`);
  }
  return keep;
}

const repositoryLock = () => readJson<{ packages: Record<string, LockEntry> }>(path.join(ROOT, 'package-lock.json'));

/** `^<version>` of each of `names` as this repository locks it: the ranges a user's manifest gives. */
export function lockedRanges(names: readonly string[]): Record<string, string> {
  const { packages } = repositoryLock();
  return Object.fromEntries(names.map((n) => [n, `^${packages[`node_modules/${n}`].version}`]));
}

/** What a user's package.json says besides its dependency on the package. */
export interface UserProject {
  readonly name: string;
  readonly main?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly allowScripts?: unknown;
}

/**
 * Writes package.json and package-lock.json in `dir` for `project` depending on the packed
 * package, whose tarball is copied into `dir` as a user's download would be.
 */
export function writeOfflineProject(dir: string, packed: Packed, project: UserProject): void {
  const repo = readJson<Manifest>(path.join(ROOT, 'package.json'));
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(packed.tarball, path.join(dir, path.basename(packed.tarball)));
  const spec = `file:${path.basename(packed.tarball)}`;
  const manifest = {
    name: project.name,
    version: '1.0.0',
    private: true,
    ...(project.main ? { main: project.main } : {}),
    dependencies: { ...project.dependencies, 'eventarc-router': spec },
    devDependencies: { ...project.devDependencies },
    ...(project.allowScripts ? { allowScripts: project.allowScripts } : {}),
  };
  const roots = [...Object.keys(repo.dependencies ?? {}), ...Object.keys(project.dependencies ?? {}), ...Object.keys(project.devDependencies ?? {})].filter(
    (n) => n !== 'eventarc-router',
  );
  const packages: Record<string, unknown> = { '': manifest };
  for (const [location, entry] of Object.entries(reachable(repositoryLock().packages, roots))) {
    // dev/peer flags described this repository's tree, not the user's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[location] = rest;
  }
  packages['node_modules/eventarc-router'] = {
    version: repo.version,
    resolved: spec,
    integrity: packed.integrity,
    license: repo.license,
    dependencies: repo.dependencies,
    bin: repo.bin,
    engines: repo.engines,
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/** `npm ci --offline` in `dir`; install scripts run as the project's allowScripts says unless `ignoreScripts`. */
export async function installOffline(dir: string, options: { ignoreScripts?: boolean } = {}): Promise<void> {
  const args = ['ci', '--offline', '--no-audit', '--no-fund', ...(options.ignoreScripts ? ['--ignore-scripts'] : [])];
  await run('npm', args, { cwd: dir, env: { ...process.env, npm_config_offline: 'true' } });
}
