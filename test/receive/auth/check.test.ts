/**
 * Inbound auth proof (issue 5, item 6c): tokens made with real RSA keys and
 * verified by google-auth-library against certificates served locally. Every
 * hostile token is refused, the answer says nothing of why, and the audit line
 * never holds the token.
 */
import { createApp } from '../../../functions/app';
import { memorySink } from '../../../functions/support/logger';
import type { RawRequest } from '../../../functions/receive/raw-request';
import { loadRequestFixtures, rawOf } from '../../support/fixtures';
import { pushClaims, startIssuer, type Issuer } from '../../support/oidc-issuer';
import { CertificatesUnavailableError, createCertificateSource } from '../../../functions/receive/auth/certificates';

const push = rawOf(loadRequestFixtures().find((f) => f.name === 'D-push-plain')!);
const AUDIENCE = 'https://router.example.run.app';
const EMAIL = 'pusher@test-project.iam.gserviceaccount.com';
const b64url = (v: string) => Buffer.from(v).toString('base64url');

let issuer: Issuer;
beforeAll(async () => (issuer = await startIssuer()));
afterAll(() => issuer.close());

function oidcApp(extraEnv: Record<string, string> = {}) {
  const sink = memorySink();
  const app = createApp({
    env: { AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: EMAIL, AUTH_OIDC_CERTS_URL: issuer.certsUrl, ...extraEnv },
    sink,
  });
  return { app, sink };
}

const withHeaders = (headers: Record<string, string>): RawRequest => ({ ...push, headers: { ...push.headers, ...headers } });
const bearer = (token: string) => withHeaders({ authorization: `Bearer ${token}` });

describe('OIDC bearer tokens', () => {
  it('a token signed by the published key, for our audience, from an allowed verified email: handled (204)', async () => {
    const { app } = oidcApp();
    expect((await app.handle(bearer(issuer.sign(pushClaims())))).answer.status).toBe(204);
    // Both issuer spellings Google uses are accepted.
    expect((await app.handle(bearer(issuer.sign(pushClaims({ iss: 'accounts.google.com' }))))).answer.status).toBe(204);
  });

  const now = () => Math.floor(Date.now() / 1000);
  const hostile: [string, () => string, 401 | 403][] = [
    ['forged signature (key not published, same kid)', () => issuer.sign(pushClaims(), { key: issuer.foreignKey }), 401],
    [
      'signature of another token pasted on',
      () => {
        const [h, , s] = issuer.sign(pushClaims()).split('.');
        return `${h}.${b64url(JSON.stringify(pushClaims({ email: 'attacker@evil.iam.gserviceaccount.com' })))}.${s}`;
      },
      401,
    ],
    ['wrong audience', () => issuer.sign(pushClaims({ aud: 'https://someone-else.run.app' })), 401],
    ['expired an hour ago', () => issuer.sign(pushClaims({ iat: now() - 7200, exp: now() - 3600 })), 401],
    ["expired 2 minutes ago (inside the library's 5 min skew, outside ours)", () => issuer.sign(pushClaims({ iat: now() - 3720, exp: now() - 120 })), 401],
    ['wrong issuer', () => issuer.sign(pushClaims({ iss: 'https://evil.example.com' })), 401],
    ['unlisted email', () => issuer.sign(pushClaims({ email: 'other@test-project.iam.gserviceaccount.com' })), 403],
    ['email not verified', () => issuer.sign(pushClaims({ email_verified: false })), 403],
    ['alg none, no signature', () => `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(pushClaims()))}.`, 401],
    ['alg none with our kid', () => `${b64url(JSON.stringify({ alg: 'none', kid: 'test-key-1' }))}.${b64url(JSON.stringify(pushClaims()))}.`, 401],
    ['alg HS256 in the header, signed with an unpublished key', () => issuer.sign(pushClaims(), { header: { alg: 'HS256' }, key: issuer.foreignKey }), 401],
    ['unknown kid', () => issuer.sign(pushClaims(), { kid: 'nope' }), 401],
    ['garbage', () => 'not.a.jwt', 401],
  ];

  it.each(hostile.map(([name, make, status]) => ({ name, make, status })))(
    '$name: refused $status, no reason given, audit line without the token',
    async ({ make, status }) => {
      const { app, sink } = oidcApp();
      const token = make();
      const { answer } = await app.handle(bearer(token));
      expect(answer.status).toBe(status);
      expect(answer.body).toBe(status === 401 ? 'unauthorized\n' : 'forbidden\n');
      const audit = sink.entries().filter((e) => e['audit']);
      expect(audit).toHaveLength(1);
      expect(audit[0]['severity']).toBe('WARNING');
      for (const line of sink.lines) {
        expect(line).not.toContain(token);
        // Not even the signature or the payload part alone.
        for (const part of token.split('.').filter((p) => p.length > 20)) expect(line).not.toContain(part);
      }
    },
  );

  it('missing Authorization header: 401; malformed one: 401; nothing parsed or run', async () => {
    const { app, sink } = oidcApp();
    let ran = 0;
    app.router.on({}, () => void ran++, { name: 'counter' });
    expect((await app.handle(push)).answer.status).toBe(401);
    expect((await app.handle(withHeaders({ authorization: 'Basic dXNlcjpwYXNz' }))).answer.status).toBe(401);
    expect(ran).toBe(0);
    expect(
      sink
        .entries()
        .filter((e) => e['audit'])
        .map((e) => (e['audit'] as { reason: string }).reason),
    ).toEqual(['no credentials', 'malformed authorization header']);
  });

  it('the audience is configuration only: Host and X-Forwarded-Host naming another audience do not widen it', async () => {
    const { app } = oidcApp();
    const spoofed = (aud: string) =>
      withHeaders({ host: 'elsewhere.run.app', 'x-forwarded-host': 'elsewhere.run.app', authorization: `Bearer ${issuer.sign(pushClaims({ aud }))}` });
    expect((await app.handle(spoofed('https://elsewhere.run.app'))).answer.status).toBe(401);
    expect((await app.handle(spoofed(`https://elsewhere.run.app${push.path}`))).answer.status).toBe(401);
    expect((await app.handle(spoofed(AUDIENCE))).answer.status).toBe(204);
  });

  it('OIDC without an audience or without an allow-list does not start', () => {
    expect(() => createApp({ env: { AUTH_OIDC: 'true', AUTH_OIDC_EMAILS: EMAIL }, sink: memorySink() })).toThrow(/AUTH_OIDC_AUDIENCE is not set/);
    expect(() => createApp({ env: { AUTH_OIDC_AUDIENCE: AUDIENCE }, sink: memorySink() })).toThrow(/neither AUTH_OIDC_EMAILS nor AUTH_OIDC_SUBJECTS/);
    expect(() => createApp({ env: { AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: ' , ' }, sink: memorySink() })).toThrow(
      /AUTH_OIDC_EMAILS is set but names nothing/,
    );
    for (const name of ['AUTH_OIDC', 'AUTH_OIDC_AUDIENCE', 'AUTH_OIDC_EMAILS', 'AUTH_OIDC_SUBJECTS', 'AUTH_OIDC_CERTS_URL', 'AUTH_API_KEY']) {
      expect(() => createApp({ env: { AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: EMAIL, [name]: ' ' }, sink: memorySink() })).toThrow(
        `${name} is set but empty`,
      );
    }
    // A bad value may have come from a secret: the message names the setting, not the value.
    expect(() => createApp({ env: { AUTH_OIDC: 'k3y-from-a-secret', AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: EMAIL }, sink: memorySink() })).toThrow(
      /^AUTH_OIDC is not true or false$/,
    );
  });

  it('a subject allow-list (AUTH_OIDC_SUBJECTS) admits that sub only', async () => {
    const { app } = oidcApp({ AUTH_OIDC_EMAILS: 'someone-else@test-project.iam.gserviceaccount.com', AUTH_OIDC_SUBJECTS: '1234567890' });
    expect((await app.handle(bearer(issuer.sign(pushClaims())))).answer.status).toBe(204);
    expect((await app.handle(bearer(issuer.sign(pushClaims({ sub: '42' }))))).answer.status).toBe(403);
  });

  it('certificates are fetched once and cached across requests', async () => {
    const before = issuer.fetches();
    const { app } = oidcApp();
    for (let i = 0; i < 5; i++) await app.handle(bearer(issuer.sign(pushClaims())));
    expect(issuer.fetches() - before).toBe(1);
  });

  it('health checks stay open', async () => {
    const { app } = oidcApp();
    expect((await app.handle({ method: 'GET', path: '/healthz', headers: {}, body: Buffer.alloc(0) })).answer.status).toBe(200);
  });
});

describe('X-Api-Key', () => {
  const KEY = 'k3y-0f-the-c4ller-with-enough-entropy';
  it('the right key passes; a wrong, prefix or missing key is 401 and never logged', async () => {
    const sink = memorySink();
    const app = createApp({ env: { AUTH_API_KEY: KEY }, sink });
    expect((await app.handle(withHeaders({ 'x-api-key': KEY }))).answer.status).toBe(204);
    for (const wrong of ['wrong', KEY.slice(0, -1), `${KEY}x`, '']) {
      expect((await app.handle(withHeaders({ 'x-api-key': wrong }))).answer.status).toBe(401);
    }
    expect((await app.handle(push)).answer.status).toBe(401);
    expect(sink.lines.join('')).not.toContain(KEY.slice(0, 10));
  });

  it('with both configured, either credential passes', async () => {
    const app = createApp({
      env: { AUTH_API_KEY: KEY, AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: EMAIL, AUTH_OIDC_CERTS_URL: issuer.certsUrl },
      sink: memorySink(),
    });
    expect((await app.handle(withHeaders({ 'x-api-key': KEY }))).answer.status).toBe(204);
    expect((await app.handle(bearer(issuer.sign(pushClaims())))).answer.status).toBe(204);
    expect((await app.handle(withHeaders({ 'x-api-key': 'wrong' }))).answer.status).toBe(401);
  });
});

describe('off by default', () => {
  it('without configuration, no credential is asked for', async () => {
    const app = createApp({ env: {}, sink: memorySink() });
    expect((await app.handle(push)).answer.status).toBe(204);
  });
});

describe('the certificate cache on a clock it is given (real server, real fetch)', () => {
  let certIssuer: Issuer;
  let t: number;
  const clock = () => t;
  beforeEach(async () => {
    certIssuer = await startIssuer({ maxAgeSeconds: 3600 });
    t = 1_000_000_000_000;
  });
  afterEach(() => certIssuer.close());
  const settle = () => new Promise((r) => setTimeout(r, 100));

  it('fresh for the max-age the issuer sends; past it the copy serves while one refresh runs', async () => {
    const source = createCertificateSource(certIssuer.certsUrl, { now: clock });
    await source.get();
    t += 3599_000;
    await source.get();
    expect(certIssuer.fetches()).toBe(1);
    t += 2000;
    await Promise.all([source.get(), source.get(), source.get()]);
    await settle();
    expect(certIssuer.fetches()).toBe(2);
  });

  it('a stale copy serves through an outage for a day past its freshness, then 503s', async () => {
    const failures: boolean[] = [];
    const source = createCertificateSource(certIssuer.certsUrl, { now: clock, onFetchFailure: (_m, stale) => failures.push(stale) });
    const certs = await source.get();
    certIssuer.setMode('down');
    t += 3600_000 + 24 * 3600_000 - 1000;
    expect(await source.get()).toEqual(certs);
    await settle();
    expect(failures).toEqual([true]);
    t += 2000;
    await expect(source.get()).rejects.toBeInstanceOf(CertificatesUnavailableError);
  });

  it('unknown kids refetch at most once per 10 s', async () => {
    const source = createCertificateSource(certIssuer.certsUrl, { now: clock });
    await source.get();
    await source.refetchFor('k-a');
    t += 5000;
    await source.refetchFor('k-b');
    expect(certIssuer.fetches()).toBe(2);
    t += 6000;
    await source.refetchFor('k-c');
    expect(certIssuer.fetches()).toBe(3);
  });
});
