/**
 * Issue 10, class 5: an empty secret must not turn auth off. The real service
 * process (lean server and Functions Framework) resolves AUTH_API_KEY with the
 * real @google-cloud/secret-manager client against the local Secret Manager
 * server; an empty or blank payload, or an AUTH_API_KEY given empty or blank,
 * stops start-up with a CRITICAL line naming the reference, and no request is
 * ever answered 2xx meanwhile.
 */
import type { ServerKind } from '../support/service';
import { runRefusedStart } from '../support/start-up';
import { startSecretServer, type SecretServer } from '../support/secret-manager-server';
import { pushOf } from '../support/idempotency-harness';

const SECRETS = {
  'projects/test-project/secrets/empty-key/versions/latest': '',
  'projects/test-project/secrets/blank-key/versions/2': ' \n\t ',
};

let secrets: SecretServer;
beforeAll(async () => (secrets = await startSecretServer(SECRETS)));
afterAll(() => secrets?.close());

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
  {
    name: 'AUTH_OIDC_EMAILS naming an empty secret',
    env: () => ({ ...emulator(), AUTH_OIDC_AUDIENCE: 'https://router.example.run.app', AUTH_OIDC_EMAILS: 'sm://test-project/empty-key' }),
    message: /cannot start: secret sm:\/\/test-project\/empty-key cannot be resolved: the secret is empty/,
    asks: 'projects/test-project/secrets/empty-key/versions/latest',
  },
  { name: 'AUTH_API_KEY=""', env: () => ({ AUTH_API_KEY: '' }), message: /cannot start: AUTH_API_KEY is set but empty/ },
  { name: 'AUTH_API_KEY="  "', env: () => ({ AUTH_API_KEY: '  ' }), message: /cannot start: AUTH_API_KEY is set but empty/ },
];

describe.each(['lean', 'framework'] as ServerKind[])('%s server', (server) => {
  it.each(cases)(
    '$name: start-up stops with a CRITICAL line naming it; no request is served',
    async ({ env, message, asks }) => {
      const before = secrets.requests.length;
      const run = await runRefusedStart(server, env(), { body: pushOf('must-not-run').body });
      expect(run.answered.filter((s) => s >= 200 && s < 300)).toEqual([]);
      expect(run.code).not.toBe(0);
      expect(run.code).not.toBeNull();
      expect(run.critical).toHaveLength(1);
      expect(run.critical[0]).toMatch(message);
      // It was the payload that stopped it, fetched from the server by the real client.
      if (asks) expect(secrets.requests.slice(before)).toContain(asks);
    },
    30000,
  );
});
