/**
 * Inbound auth through the real service under functions-framework: the
 * Authorization header as it arrives over HTTP, certificates from a local
 * server, the audit line in the service's own log.
 */
import { startService, type Service } from '../support/service';
import { pushClaims, startIssuer, type Issuer } from '../support/oidc-issuer';
import { pushOf } from '../support/idempotency-harness';

let issuer: Issuer;
let service: Service;
beforeAll(async () => {
  issuer = await startIssuer();
  service = await startService({
    env: {
      ROUTES_FILE: '',
      AUTH_OIDC_AUDIENCE: 'https://router.example.run.app',
      AUTH_OIDC_EMAILS: 'pusher@test-project.iam.gserviceaccount.com',
      AUTH_OIDC_CERTS_URL: issuer.certsUrl,
    },
  });
}, 60000);
afterAll(async () => {
  await service?.stop();
  await issuer?.close();
});

const post = (headers: Record<string, string>) =>
  fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: pushOf('a1').body });

it('a valid push token is handled; forged, expired, unlisted and missing ones are refused without detail', async () => {
  const now = Math.floor(Date.now() / 1000);
  expect((await post({ authorization: `Bearer ${issuer.sign(pushClaims())}` })).status).toBe(204);
  const forged = issuer.sign(pushClaims(), { key: issuer.foreignKey });
  const refused = await post({ authorization: `Bearer ${forged}` });
  expect(refused.status).toBe(401);
  expect(await refused.text()).toBe('unauthorized\n');
  expect((await post({ authorization: `Bearer ${issuer.sign(pushClaims({ iat: now - 7200, exp: now - 3600 }))}` })).status).toBe(401);
  const unlisted = await post({ authorization: `Bearer ${issuer.sign(pushClaims({ email: 'x@test-project.iam.gserviceaccount.com' }))}` });
  expect(unlisted.status).toBe(403);
  expect(await unlisted.text()).toBe('forbidden\n');
  expect((await post({})).status).toBe(401);
  const logs = await service.waitForLogs((l) => l.filter((e) => e['audit']).length === 4);
  const audit = logs.filter((e) => e['audit']).map((e) => (e['audit'] as { reason: string }).reason);
  expect(audit).toEqual(['bad signature', 'expired', 'email not allowed', 'no credentials']);
  expect(JSON.stringify(logs)).not.toContain(forged.split('.')[2]);
}, 30000);
