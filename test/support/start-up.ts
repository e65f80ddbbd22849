/**
 * Runs the real service process for a configuration that must not start: sends
 * requests the whole time it runs (bounded), and reports how it ended, so a test
 * can prove it exited non-zero with its CRITICAL line and never answered 2xx.
 */
import { spawn } from 'child_process';
import { FRAMEWORK_CLI, LEAN_SERVER, SERVICE_SOURCE, type ServerKind } from './service';
import { freePort } from './peer';

export interface RefusedStart {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  /** Status of every request answered while the process ran (connection failures left out). */
  readonly answered: number[];
  /** The messages of its CRITICAL lines. */
  readonly critical: string[];
}

export async function runRefusedStart(
  server: ServerKind,
  env: Record<string, string>,
  request: { headers?: Record<string, string>; body: Buffer },
  timeoutMs = 20000,
): Promise<RefusedStart> {
  const port = await freePort();
  const args = server === 'lean' ? [LEAN_SERVER] : [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'];
  const child = spawn(process.execPath, args, { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let running = true;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => ((running = false), resolve(code))));
  const answered: number[] = [];
  const deadline = Date.now() + timeoutMs;
  while (running && Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(1000),
      });
      answered.push(res.status);
      await res.arrayBuffer();
    } catch {
      /* not listening (yet), or the request waits for start-up: both fine */
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (running) process.kill(child.pid!, 'SIGKILL');
  const code = await exited;
  const critical = stderr
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"CRITICAL"'))
    .map((l) => String((JSON.parse(l) as { message?: unknown }).message));
  return { code, stderr, stdout, answered, critical };
}
