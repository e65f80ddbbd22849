/**
 * Issue 10, class 5: an empty secret must not turn auth off. The real service
 * process (lean server and Functions Framework) resolves AUTH_API_KEY with the
 * real @google-cloud/secret-manager client against the local Secret Manager
 * server; an empty or blank payload, or an AUTH_API_KEY given empty or blank,
 * stops start-up with a CRITICAL line naming the reference, and no request is
 * ever answered 2xx meanwhile.
 */
import { spawn } from 'child_process';
import { FRAMEWORK_CLI, LEAN_SERVER, SERVICE_SOURCE, type ServerKind } from '../support/service';
import { freePort } from '../support/peer';
import { startSecretServer, type SecretServer } from '../support/secret-manager-server';
import { pushOf } from '../hardening/idempotency-harness';

const SECRETS = {
  'projects/test-project/secrets/empty-key/versions/latest': '',
  'projects/test-project/secrets/blank-key/versions/2': ' \n\t ',
};

let secrets: SecretServer;
beforeAll(async () => (secrets = await startSecretServer(SECRETS)));
afterAll(() => secrets?.close());

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  /** Status of every request sent while the process ran (connection failures left out). */
  readonly answered: number[];
}

/** Starts the service, sends unauthenticated deliveries until it exits (bounded), and reports. */
async function runService(server: ServerKind, env: Record<string, string>): Promise<Run> {
  const port = await freePort();
  const args = server === 'lean' ? [LEAN_SERVER] : [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'];
  const child = spawn(process.execPath, args, { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  const answered: number[] = [];
  const body = pushOf('must-not-run').body;
  const deadline = Date.now() + 20000;
  while (running && Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(1000) });
      answered.push(res.status);
      await res.arrayBuffer();
    } catch {
      /* not listening (yet), or the request waits for start-up: both fine */
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  if (running) process.kill(child.pid!, 'SIGKILL');
  return { code: await exited, stderr, stdout, answered };
}

const emulator = () => ({ SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${secrets.port}`, GOOGLE_CLOUD_PROJECT: 'test-project' });

const cases: { name: string; env: () => Record<string, string>; message: RegExp; asks?: string }[] = [
  {
    name: 'AUTH_API_KEY naming an empty secret',
    env: () => ({ ...emulator(), AUTH_API_KEY: 'sm://test-project/empty-key' }),
    message: /cannot start: secret sm:\/\/test-project\/empty-key cannot be resolved: the secret is empty/,
    asks: 'projects/test-project/secrets/empty-key/versions/latest',
  },
  {
    name: 'AUTH_API_KEY naming a whitespace-only secret',
    env: () => ({ ...emulator(), AUTH_API_KEY: 'projects/test-project/secrets/blank-key/versions/2' }),
    message: /cannot start: secret projects\/test-project\/secrets\/blank-key\/versions\/2 cannot be resolved: the secret is only whitespace/,
    asks: 'projects/test-project/secrets/blank-key/versions/2',
  },
  { name: 'AUTH_API_KEY=""', env: () => ({ AUTH_API_KEY: '' }), message: /cannot start: AUTH_API_KEY is set but empty/ },
  { name: 'AUTH_API_KEY="  "', env: () => ({ AUTH_API_KEY: '  ' }), message: /cannot start: AUTH_API_KEY is set but empty/ },
];

describe.each(['lean', 'framework'] as ServerKind[])('%s server', (server) => {
  it.each(cases)('$name: start-up stops with a CRITICAL line naming it; no request is served', async ({ env, message, asks }) => {
    const before = secrets.requests.length;
    const run = await runService(server, env());
    expect(run.answered.filter((s) => s >= 200 && s < 300)).toEqual([]);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const critical = run.stderr.split('\n').filter((l) => l.startsWith('{') && l.includes('"CRITICAL"'));
    expect(critical).toHaveLength(1);
    expect(JSON.parse(critical[0]!).message).toMatch(message);
    // It was the payload that stopped it, fetched from the server by the real client.
    if (asks) expect(secrets.requests.slice(before)).toContain(asks);
  }, 30000);
});
