/**
 * Runs the real service: the compiled `router` under the functions-framework CLI,
 * exactly as `npm start` does, on a free loopback port, and collects its
 * structured log lines.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { collectJsonLogs, type JsonLogs } from './json-logs';
import { freePort, startPeer, type Peer } from './peer';

const ROOT = path.resolve(__dirname, '..', '..');
export const FRAMEWORK_CLI = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
/** The bundle `npm start` serves: tests run what ships. */
export const SERVICE_SOURCE = path.join(ROOT, 'dist', 'service', 'router.js');

export interface Service extends JsonLogs {
  readonly url: string;
  readonly port: number;
  readonly peer: Peer;
  stop(): Promise<void>;
}

/** The lean server bundle (`npm run serve`): the same pipeline behind bare node:http. */
export const LEAN_SERVER = path.join(ROOT, 'dist', 'service', 'serve.js');

export type ServerKind = 'framework' | 'lean';

export interface ServiceOptions {
  /** The routes file to serve. */
  routesFile?: string;
  /** Or the routes file's text (YAML or JSON): written to a temporary file, removed when the service stops. */
  routes?: string;
  env?: Record<string, string>;
  server?: ServerKind;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const port = await freePort();
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: String(port), ...options.env };
  let routesDir: string | undefined;
  if (options.routes !== undefined) {
    routesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'service-routes-'));
    env['ROUTES_FILE'] = path.join(routesDir, 'routes.yaml');
    fs.writeFileSync(env['ROUTES_FILE'], options.routes);
  } else if (options.routesFile) env['ROUTES_FILE'] = options.routesFile;
  const removeRoutes = () => routesDir && fs.rmSync(routesDir, { recursive: true, force: true });
  const args = options.server === 'lean' ? [LEAN_SERVER] : [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'];
  const peer = await startPeer('eventarc-router', process.execPath, args, {
    env,
    cwd: ROOT,
    readyPort: port,
    readyTimeoutMs: 20000,
  }).catch((err: unknown) => {
    removeRoutes();
    throw err;
  });
  const stop = async () => {
    await peer.stop();
    removeRoutes();
  };
  return { url: `http://127.0.0.1:${port}`, port, peer, stop, ...collectJsonLogs(peer) };
}
