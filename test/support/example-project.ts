/**
 * The examples (examples/<name>/) as a user gets them: this repository packed with
 * `npm pack`, the tarball installed into a copy of the example project, its TypeScript
 * compiled with `tsc --strict`, the function started by the installed functions-framework,
 * and its deploy script's gcloud commands captured for the real Google Cloud CLI (./gcloud.ts).
 *
 * The packing and the offline install are the package suite's too (./packed-package.ts).
 * The examples declare the same dependencies (checked by examplePackage()), so one install
 * serves them all; each copy links it as its node_modules.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { standInGcloud } from './gcloud-stand-in';
import { collectJsonLogs, type JsonLogs } from './json-logs';
import { installOffline, writeOfflineProject, type Packed } from './packed-package';
import { freePort, startPeer, type Peer } from './peer';

export const ROOT = path.resolve(__dirname, '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** An example's package.json; they all declare the same dependencies, so one install is each one's install. */
export function examplePackage(name: string): Manifest {
  return readJson<Manifest>(path.join(EXAMPLES, name, 'package.json'));
}

/** Installs the packed package and the example's other dependencies into `dir` (offline), as the example's package.json declares them; returns `dir`. */
export async function installExampleDependencies(packed: Packed, example: Manifest, dir: string): Promise<string> {
  writeOfflineProject(dir, packed, {
    name: 'example-install',
    dependencies: example.dependencies,
    devDependencies: example.devDependencies,
    allowScripts: example['allowScripts'],
  });
  await installOffline(dir);
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

export interface RunningExample extends JsonLogs {
  readonly url: string;
  readonly peer: Peer;
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
  return { url: `http://127.0.0.1:${port}`, peer, stop: () => peer.stop(), ...collectJsonLogs(peer) };
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
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gcloud-recorder-'));
  try {
    const gcloud = standInGcloud(home);
    execFileSync('bash', [script], {
      cwd,
      env: { PATH: `${gcloud.bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: home, ...env },
      input: 'example-secret-value\n',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return gcloud.calls();
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
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
