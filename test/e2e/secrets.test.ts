/**
 * Secret Manager references in the environment and the routes file, resolved
 * once at start by the real @google-cloud/secret-manager client (REST transport)
 * against a local server: Secret Manager has no emulator. Every log line, error
 * and response is searched for the secret values.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { startApp } from '../../functions/app';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import { memorySink } from '../../functions/support/logger';
import { secretReferenceOf } from '../../functions/secrets/reference';
import { startSecretServer, type SecretServer } from '../support/secret-manager-server';
import { pushOf } from '../support/idempotency-harness';

const API_KEY = 'ak-7f3c9e1d5b2a4f6e8c0d';
const TARGET_TOKEN = 'tok-a1b2c3d4e5f60718293a';
const VALUES = [API_KEY, TARGET_TOKEN];

let server: SecretServer;
beforeAll(async () => {
  server = await startSecretServer({
    'projects/test-project/secrets/api-key/versions/latest': API_KEY,
    'projects/test-project/secrets/target-token/versions/3': TARGET_TOKEN,
    'projects/test-project/secrets/empty/versions/latest': '',
    'projects/test-project/secrets/blank/versions/latest': '\n ',
  });
});
afterAll(() => server.close());

function routesWith(value: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'routes-')), 'routes.yaml');
  fs.writeFileSync(file, `routes:\n  - name: capture\n    action: capture\n    with: { token: "${value}", plain: "not-a-secret" }\n`);
  return file;
}

/** An action that uses its option the way a real one would (it becomes a header) and fails loudly with it. */
function captureAction(seen: string[]): ActionDefinition<unknown> {
  return defineAction({
    name: 'capture',
    options: z.object({ token: z.string(), plain: z.string() }),
    create: (options) => (event) => {
      seen.push(options.token);
      if (event.id === 'boom') throw new Error('target refused the request');
    },
  });
}

describe('secret references', () => {
  it('parses sm://PROJECT/SECRET[#VERSION] and full resource names; leaves other values alone', () => {
    expect(secretReferenceOf('sm://my-proj/api-key')?.versionName).toBe('projects/my-proj/secrets/api-key/versions/latest');
    expect(secretReferenceOf('sm://my-proj/api-key#7')?.versionName).toBe('projects/my-proj/secrets/api-key/versions/7');
    expect(secretReferenceOf('projects/my-proj/secrets/api-key/versions/2')?.versionName).toBe('projects/my-proj/secrets/api-key/versions/2');
    expect(secretReferenceOf('projects/my-proj/secrets/api-key')?.versionName).toBe('projects/my-proj/secrets/api-key/versions/latest');
    expect(secretReferenceOf('https://example.com')).toBeUndefined();
    expect(() => secretReferenceOf('sm://bad ref')).toThrow(/not a valid secret reference/);
  });

  it('env and routes-file values are resolved once at start; no value appears in any log line, error or response', async () => {
    const sink = memorySink();
    const seen: string[] = [];
    const app = await startApp({
      env: { AUTH_API_KEY: 'sm://test-project/api-key', ROUTES_FILE: routesWith('projects/test-project/secrets/target-token/versions/3') },
      sink,
      actions: [captureAction(seen)],
      secretAccessor: () => server.accessor(),
    });
    const asked = server.requests.length;
    expect(asked).toBe(2);

    const answers = [];
    const ok = await app.handle({ ...pushOf('m1'), headers: { ...pushOf('m1').headers, 'x-api-key': API_KEY } });
    answers.push(ok.answer);
    expect(ok.answer.status).toBe(204);
    expect(seen).toEqual([TARGET_TOKEN]);
    const refused = await app.handle({ ...pushOf('m2'), headers: { ...pushOf('m2').headers, 'x-api-key': `${API_KEY}-wrong` } });
    answers.push(refused.answer);
    expect(refused.answer.status).toBe(401);
    const failed = await app.handle({ ...pushOf('boom'), headers: { ...pushOf('boom').headers, 'x-api-key': API_KEY } });
    answers.push(failed.answer);
    expect(failed.answer.status).toBe(500);
    // Resolved once: requests did not go back to Secret Manager.
    expect(server.requests.length).toBe(asked);

    const everything = [...sink.lines, ...answers.map((a) => JSON.stringify(a))].join('\n');
    for (const value of VALUES) expect(everything).not.toContain(value);
    // The references themselves may be named (they are not secret).
    expect(sink.lines.length).toBeGreaterThan(2);
  });

  it('an unresolvable reference stops start-up with a message naming the reference, never a value', async () => {
    const attempt = startApp({
      env: { AUTH_API_KEY: 'sm://test-project/api-key', TARGET: 'sm://test-project/missing#4' },
      sink: memorySink(),
      secretAccessor: () => server.accessor(),
    });
    await expect(attempt).rejects.toThrow('secret sm://test-project/missing#4 cannot be resolved: NOT_FOUND');
    const message = await attempt.catch((e: Error) => `${e.message}\n${e.stack}`);
    for (const value of VALUES) expect(message).not.toContain(value);
  });

  it('an empty or blank secret, wherever it is used, stops start-up naming the reference', async () => {
    await expect(startApp({ env: { AUTH_API_KEY: 'sm://test-project/empty' }, sink: memorySink(), secretAccessor: () => server.accessor() })).rejects.toThrow(
      'secret sm://test-project/empty cannot be resolved: the secret is empty',
    );
    const routes = routesWith('sm://test-project/blank');
    await expect(
      startApp({ env: { ROUTES_FILE: routes }, sink: memorySink(), actions: [captureAction([])], secretAccessor: () => server.accessor() }),
    ).rejects.toThrow('secret sm://test-project/blank cannot be resolved: the secret is only whitespace');
  });

  it('a malformed sm:// value stops start-up rather than being used as a literal', async () => {
    await expect(startApp({ env: { AUTH_API_KEY: 'sm://test-project' }, sink: memorySink(), secretAccessor: () => server.accessor() })).rejects.toThrow(
      /sm:\/\/test-project" is not a valid secret reference/,
    );
  });

  it('no reference: Secret Manager is never contacted', async () => {
    const before = server.requests.length;
    let made = 0;
    await startApp({ env: { AUTH_API_KEY: 'literal' }, sink: memorySink(), secretAccessor: () => (made++, server.accessor()) });
    expect(made).toBe(0);
    expect(server.requests.length).toBe(before);
  });
});

describe('the real service', () => {
  it('stops at start with a CRITICAL line naming the reference when it cannot be resolved', async () => {
    const { spawnSync } = await import('child_process');
    const { FRAMEWORK_CLI, SERVICE_SOURCE } = await import('../support/service');
    const run = spawnSync(process.execPath, [FRAMEWORK_CLI, `--source=${SERVICE_SOURCE}`, '--target=router', '--signature-type=http'], {
      env: { ...process.env, PORT: '0', AUTH_API_KEY: 'sm://test-project/api-key', GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent-credentials.json' },
      timeout: 30000,
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('"severity":"CRITICAL","message":"eventarc-router cannot start: secret sm://test-project/api-key cannot be resolved');
  }, 40000);
});
