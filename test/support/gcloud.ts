/**
 * The real Google Cloud CLI as a checker of commands: without credentials it parses every
 * flag and value, then stops with exit 1 for the missing account; a flag or value it refuses
 * is exit 2. For the commands our scripts and examples run (captured by ./gcloud-stand-in.ts).
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The installed Google Cloud CLI; a missing one fails the test, naming what to install. */
export function gcloudPath(): string {
  const found = execFileSync('sh', ['-c', 'command -v gcloud || true'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('gcloud is not installed; install the Google Cloud CLI to run this test');
  return found;
}

export interface GcloudVerdict {
  /** The command's arguments, joined by spaces. */
  readonly argv: string;
  readonly status: number | null;
  readonly stderr: string;
}

/** One command given to the real gcloud with the empty configuration in `config`. */
export function realGcloud(gcloud: string, argv: readonly string[], config: string, cwd?: string): Promise<GcloudVerdict> {
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

/** Each of `commands` given to the real gcloud (run in `cwd`), sharing one empty configuration; the verdicts in the order they came. */
export async function realGcloudEach(commands: readonly (readonly string[])[], cwd?: string): Promise<GcloudVerdict[]> {
  const gcloud = gcloudPath();
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'gcloud-config-'));
  try {
    // Two at a time: gcloud takes a few seconds to start on a shared machine.
    const pending = [...commands];
    const results: GcloudVerdict[] = [];
    await Promise.all(
      [0, 1].map(async () => {
        for (let c = pending.shift(); c; c = pending.shift()) results.push(await realGcloud(gcloud, c, config, cwd));
      }),
    );
    return results;
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
}
