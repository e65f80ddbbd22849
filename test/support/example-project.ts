/**
 * The examples (examples/<name>/) as a user gets them: this repository packed with
 * `npm pack`, the tarball installed into a copy of the example project, its TypeScript
 * compiled with `tsc --strict`, the function started by the installed functions-framework,
 * and its deploy script's gcloud commands given to the real Google Cloud CLI.
 *
 * Offline: `npm install <tarball>` asks the registry for full package documents (npm 11
 * always does for a new dependency), which the cache `npm ci` fills does not hold. So the
 * user's lockfile is written here from this repository's (the same versions, resolved the
 * same way) and `npm ci --offline` installs from the cache by integrity: the packed
 * package and its declared dependencies are what end up in node_modules.
 * The examples declare the same dependencies (checked by examplePackage()), so one install
 * serves them all; each copy links it as its node_modules.
 */
import { execFileSync, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, startPeer, type Peer } from './peer';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');

interface Manifest {
  name: string;
  version: string;
  license?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  [key: string]: unknown;
}
interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** `npm pack` of this repository into a fresh directory (runs prepack: the bundled entries and declarations). */
export function packRepository(into: string): string {
  const out = execFileSync('npm', ['pack', '--pack-destination', into, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return path.join(into, filename);
}

/** An example's package.json; they all declare the same dependencies, so one install is each one's install. */
export function examplePackage(name: string): Manifest {
  return readJson<Manifest>(path.join(EXAMPLES, name, 'package.json'));
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

/** Installs `tarball` and the example's other dependencies into `dir` (offline); returns `dir`. */
export function installExampleDependencies(tarball: string, example: Manifest, dir: string): string {
  const repo = readJson<Manifest>(path.join(ROOT, 'package.json'));
  const lock = readJson<{ packages: Record<string, LockEntry> }>(path.join(ROOT, 'package-lock.json'));
  const tgz = `file:${tarball}`;
  const manifest: Manifest = {
    name: 'example-install',
    version: '1.0.0',
    private: true,
    dependencies: { ...example.dependencies, 'eventarc-router': tgz },
    devDependencies: { ...example.devDependencies },
    allowScripts: example['allowScripts'],
  };
  const roots = [...Object.keys(repo.dependencies ?? {}), ...Object.keys(example.dependencies ?? {}), ...Object.keys(example.devDependencies ?? {})].filter(
    (n) => n !== 'eventarc-router',
  );
  const packages: Record<string, unknown> = { '': manifest };
  for (const [location, entry] of Object.entries(reachable(lock.packages, roots))) {
    // dev/peer flags described this repository's tree, not the user's.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
    packages[location] = rest;
  }
  packages['node_modules/eventarc-router'] = {
    version: repo.version,
    resolved: tgz,
    integrity: `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`,
    license: repo.license,
    dependencies: repo.dependencies,
    bin: repo.bin,
    engines: repo.engines,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(
    path.join(dir, 'package-lock.json'),
    JSON.stringify({ name: manifest.name, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return dir;
}

/**
 * A copy of examples/<name> in `into`, with `installed`'s node_modules linked in. `replace`:
 * text substitutions in its routes file only (the example's public host names become the
 * loopback peers'); its code and tests are copied as they are.
 */
export function copyExample(name: string, into: string, installed: string, replace: Record<string, string> = {}): string {
  const dir = path.join(into, name);
  fs.cpSync(path.join(EXAMPLES, name), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|dist)$/.test(src) });
  const routes = path.join(dir, 'routes.yaml');
  let text = fs.readFileSync(routes, 'utf8');
  for (const [from, to] of Object.entries(replace)) {
    if (!text.includes(from)) throw new Error(`${name}/routes.yaml does not mention ${from}`);
    text = text.split(from).join(to);
  }
  fs.writeFileSync(routes, text);
  fs.symlinkSync(path.join(installed, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `tsc --strict` with the example's tsconfig and the TypeScript it installed; throws with the compiler's output. */
export function compileExample(dir: string): void {
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--strict'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc --strict failed in ${dir}:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
  }
}

export interface RunningExample {
  readonly url: string;
  readonly peer: Peer;
  logs(): Record<string, unknown>[];
  waitForLogs(predicate: (logs: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/** The example's function under its installed functions-framework, as `npm start` runs it, on a free loopback port. */
export async function startExample(dir: string, target: string, env: Record<string, string> = {}): Promise<RunningExample> {
  const port = await freePort();
  const cli = path.join(dir, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
  const peer = await startPeer(
    `example ${path.basename(dir)}`,
    process.execPath,
    [cli, '--source=dist/index.js', `--target=${target}`, '--signature-type=http'],
    {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, METADATA_SERVER_DETECTION: 'none', ...env, PORT: String(port) },
      readyPort: port,
      readyTimeoutMs: 20000,
    },
  );
  let stdout = '';
  peer.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    url: `http://127.0.0.1:${port}`,
    peer,
    logs,
    async waitForLogs(predicate, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = logs();
        if (predicate(current)) return current;
        if (Date.now() > deadline) throw new Error(`log condition not met in ${timeoutMs} ms; output:\n${peer.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () => peer.stop(),
  };
}

/** Sends a delivery built by `eventarc-router/testing` (a RawRequest) over HTTP, as its sender would. */
export function send(
  url: string,
  delivery: { method: string; path: string; headers: Readonly<Record<string, string>>; body: Buffer },
  extraHeaders: Record<string, string> = {},
) {
  return fetch(new URL(delivery.path, url), {
    method: delivery.method,
    headers: { ...delivery.headers, ...extraHeaders },
    body: delivery.method === 'GET' ? undefined : new Uint8Array(delivery.body),
  });
}

/** The gcloud argument vectors a bash script runs, with a recording `gcloud` first on PATH (it answers nothing and succeeds). */
function recordGcloud(script: string, cwd: string, env: Record<string, string>): string[][] {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gcloud-recorder-'));
  const record = path.join(bin, 'calls.jsonl');
  try {
    fs.writeFileSync(
      path.join(bin, 'gcloud'),
      `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n`,
      { mode: 0o755 },
    );
    execFileSync('bash', [script], {
      cwd,
      env: { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: bin, ...env },
      input: 'example-secret-value\n',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (!fs.existsSync(record)) return [];
    return fs
      .readFileSync(record, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

/**
 * The gcloud commands an example's deploy.sh runs, as argument vectors, with the script's
 * own quoting and variables, captured exactly as they would be run.
 */
export function deployCommands(dir: string, env: Record<string, string> = {}): string[][] {
  return recordGcloud(path.join(dir, 'deploy.sh'), dir, env);
}

/** The gcloud commands shown in an example's README (```bash blocks, continuations joined), as bash reads them. */
export function readmeCommands(dir: string): string[][] {
  const md = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const lines: string[] = [];
  for (const block of md.matchAll(/```bash\n([\s\S]*?)```/g))
    lines.push(
      ...block[1]
        .replace(/\\\n\s*/g, ' ')
        .split('\n')
        .filter((l) => l.startsWith('gcloud ')),
    );
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'readme-commands-')), 'commands.sh');
  try {
    fs.writeFileSync(script, `set -e\n${lines.join('\n')}\n`);
    return recordGcloud(script, dir, {});
  } finally {
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }
}

/** The installed Google Cloud CLI; a missing one fails the test, naming what to install. */
export function gcloudPath(): string {
  const found = execFileSync('sh', ['-c', 'command -v gcloud || true'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('gcloud is not installed; install the Google Cloud CLI to run this test');
  return found;
}

/**
 * One command given to the real gcloud with an empty configuration: it parses every flag and
 * value, then stops with exit 1 for the missing account; a flag or value it refuses is exit 2.
 */
export function realGcloud(
  gcloud: string,
  argv: readonly string[],
  config: string,
  cwd?: string,
): Promise<{ argv: string; status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(gcloud, argv, {
      cwd,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: config, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ argv: argv.join(' '), status, stderr });
    });
  });
}
