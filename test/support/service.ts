/**
 * Runs the real service: the compiled `router` under the functions-framework CLI,
 * exactly as `npm start` does, on a free loopback port, and collects its
 * structured log lines.
 */
import * as path from 'path';
import { freePort, startPeer, type Peer } from './peer';

const ROOT = path.resolve(__dirname, '..', '..');
export const FRAMEWORK_CLI = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
/** The bundle `npm start` serves: tests run what ships. */
export const SERVICE_SOURCE = path.join(ROOT, 'dist', 'service', 'router.js');

export interface Service {
  readonly url: string;
  readonly port: number;
  readonly peer: Peer;
  stop(): Promise<void>;
  /** Every JSON log line the service printed so far. */
  logs(): Record<string, unknown>[];
  /** Waits until `predicate` holds for the logs, or fails after `timeoutMs`. */
  waitForLogs(predicate: (logs: Record<string, unknown>[]) => boolean, timeoutMs?: number): Promise<Record<string, unknown>[]>;
}

/** The lean server bundle (`npm run serve`): the same pipeline behind bare node:http. */
export const LEAN_SERVER = path.join(ROOT, 'dist', 'service', 'serve.js');

export type ServerKind = 'framework' | 'lean';

export async function startService(options: { routesFile?: string; env?: Record<string, string>; server?: ServerKind } = {}): Promise<Service> {
  const port = await freePort();
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: String(port), ...options.env };
  if (options.routesFile) env['ROUTES_FILE'] = options.routesFile;
  let stdout = '';
  const args = options.server === 'lean' ? [LEAN_SERVER] : [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'];
  const peer = await startPeer('eventarc-router', process.execPath, args, {
    env,
    cwd: ROOT,
    readyPort: port,
    readyTimeoutMs: 20000,
  });
  peer.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    peer,
    stop: () => peer.stop(),
    logs,
    async waitForLogs(predicate, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = logs();
        if (predicate(current)) return current;
        if (Date.now() > deadline) throw new Error(`log condition not met in ${timeoutMs} ms; logs:\n${stdout}${peer.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
