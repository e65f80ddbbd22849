/**
 * Issue 10, class 4: OIDC that is safe by default, on both servers (the lean
 * node:http server and the Functions Framework entry point), with real RS256
 * tokens and certificates served on loopback.
 *
 * - The audience is configuration only: a token for another audience is refused
 *   whatever Host and X-Forwarded-Host say.
 * - OIDC without an audience or without an allow-list does not start.
 * - Certificates: a stale copy serves through an outage; an outage with no copy
 *   answers 503 with a WARNING (not a refusal); an unknown kid refetches once per
 *   window; a certificate URL that never answers does not hold requests.
 */
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';
import { startService, type ServerKind, type Service } from '../support/service';
import { pushClaims, startIssuer, type Issuer } from '../support/oidc-issuer';
import { runRefusedStart } from '../support/start-up';
import { pushOf } from '../support/idempotency-harness';

const AUDIENCE = 'https://router.example.run.app';
const EMAIL = 'pusher@test-project.iam.gserviceaccount.com';
const OTHER_HOST = 'victim-service.example.run.app';
const body = pushOf('oidc-1').body;

interface Answer {
  readonly status: number;
  readonly ms: number;
}

/** POST with exactly these headers (Host included), over node:http so nothing rewrites them. */
function post(url: string, headers: Record<string, string>): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, ms: Date.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const oidcEnv = (certsUrl: string): Record<string, string> => ({ AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_EMAILS: EMAIL, AUTH_OIDC_CERTS_URL: certsUrl });
const audits = (service: Service) => service.logs().filter((e) => e['audit']);
const certificateWarnings = (service: Service) => service.logs().filter((e) => e['severity'] === 'WARNING' && /certificates/.test(String(e['message'])));

/** A certificate URL that accepts connections and never answers; counts the requests it was sent. */
async function startHangingServer(): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => (requests += chunk.toString('latin1').match(/^GET /gm)?.length ?? 0));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/v1/certs`,
    requests: () => requests,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(['lean', 'framework'] as ServerKind[])('%s server', (server) => {
  describe('audience and callers from configuration only', () => {
    let issuer: Issuer;
    let service: Service;
    beforeAll(async () => {
      issuer = await startIssuer();
      service = await startService({ server, env: { ROUTES_FILE: '', ...oidcEnv(issuer.certsUrl) } });
    }, 60000);
    afterAll(async () => {
      await service?.stop();
      await issuer?.close();
    });

    it('a token minted for another audience is refused 401, even with Host and X-Forwarded-Host naming that audience', async () => {
      expect((await post(service.url, bearer(issuer.sign(pushClaims())))).status).toBe(204);
      for (const aud of [`https://${OTHER_HOST}`, `https://${OTHER_HOST}/`]) {
        const token = issuer.sign(pushClaims({ aud }));
        expect((await post(service.url, { ...bearer(token), host: OTHER_HOST, 'x-forwarded-host': OTHER_HOST, 'x-forwarded-proto': 'https' })).status).toBe(
          401,
        );
        expect((await post(service.url, { ...bearer(token), host: OTHER_HOST })).status).toBe(401);
      }
      const reasons = (await service.waitForLogs((l) => l.filter((e) => e['audit']).length >= 4))
        .filter((e) => e['audit'])
        .map((e) => (e['audit'] as { reason: string }).reason);
      expect(reasons).toEqual(['wrong audience', 'wrong audience', 'wrong audience', 'wrong audience']);
    });

    it('a valid Google-signed token from an identity not on the allow-list is refused 403', async () => {
      const stranger = issuer.sign(pushClaims({ email: 'anyone@other-project.iam.gserviceaccount.com', sub: '99887766' }));
      expect((await post(service.url, bearer(stranger))).status).toBe(403);
    });

    it('an unknown kid (a key rotation) causes exactly one certificate refetch within the window, shared by concurrent requests', async () => {
      const before = issuer.fetches();
      const rotated = issuer.addKey('test-key-2');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => post(service.url, bearer(issuer.sign(pushClaims(), { kid: 'test-key-2', key: rotated })))),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(204));
      // Unknown kids inside the window: refused, no further fetch.
      for (let i = 0; i < 5; i++)
        expect((await post(service.url, bearer(issuer.sign(pushClaims(), { kid: `forged-${i}`, key: issuer.foreignKey })))).status).toBe(401);
      expect(issuer.fetches() - before).toBe(1);
    });
  });

  describe('start-up refuses OIDC that would accept anyone', () => {
    let issuer: Issuer;
    beforeAll(async () => (issuer = await startIssuer()));
    afterAll(() => issuer?.close());

    it('AUTH_OIDC=true without AUTH_OIDC_AUDIENCE: CRITICAL naming it, exit non-zero, a spoofed-Host token never served', async () => {
      const token = issuer.sign(pushClaims({ aud: `https://${OTHER_HOST}` }));
      const run = await runRefusedStart(
        server,
        { AUTH_OIDC: 'true', AUTH_OIDC_EMAILS: EMAIL, AUTH_OIDC_CERTS_URL: issuer.certsUrl },
        {
          headers: { ...bearer(token), 'x-forwarded-host': OTHER_HOST },
          body,
        },
      );
      expect(run.answered.filter((s) => s < 300)).toEqual([]);
      expect(run.code).not.toBe(0);
      expect(run.critical).toHaveLength(1);
      expect(run.critical[0]).toMatch(/cannot start: AUTH_OIDC is on but AUTH_OIDC_AUDIENCE is not set/);
    }, 30000);

    it("an audience but no AUTH_OIDC_EMAILS / AUTH_OIDC_SUBJECTS: CRITICAL naming them, exit non-zero, a stranger's token never served", async () => {
      const token = issuer.sign(pushClaims({ email: 'anyone@other-project.iam.gserviceaccount.com' }));
      const run = await runRefusedStart(
        server,
        { AUTH_OIDC: 'true', AUTH_OIDC_AUDIENCE: AUDIENCE, AUTH_OIDC_CERTS_URL: issuer.certsUrl },
        { headers: bearer(token), body },
      );
      expect(run.answered.filter((s) => s < 300)).toEqual([]);
      expect(run.code).not.toBe(0);
      expect(run.critical).toHaveLength(1);
      expect(run.critical[0]).toMatch(/cannot start: AUTH_OIDC is on but neither AUTH_OIDC_EMAILS nor AUTH_OIDC_SUBJECTS is set/);
    }, 30000);
  });

  describe('certificate outages', () => {
    it('certificates down with a stale copy: tokens still verify, and the failed refresh is a WARNING', async () => {
      const issuer = await startIssuer({ maxAgeSeconds: 1 });
      const service = await startService({ server, env: { ROUTES_FILE: '', ...oidcEnv(issuer.certsUrl) } });
      try {
        expect((await post(service.url, bearer(issuer.sign(pushClaims())))).status).toBe(204);
        issuer.setMode('down');
        const fetched = issuer.fetches();
        await new Promise((r) => setTimeout(r, 1500)); // past max-age=1: the copy is stale
        for (let i = 0; i < 3; i++) expect((await post(service.url, bearer(issuer.sign(pushClaims())))).status).toBe(204);
        // The refresh was tried (and failed), once for the whole window.
        expect(issuer.fetches() - fetched).toBe(1);
        await service.waitForLogs(() => certificateWarnings(service).some((e) => /serving the cached copy/.test(String(e['message']))));
        expect(audits(service)).toEqual([]);
      } finally {
        await service.stop();
        await issuer.close();
      }
    }, 60000);

    it('certificates down with no copy: 503 (Pub/Sub retries) with a WARNING, never 401 nor an audit line', async () => {
      const issuer = await startIssuer({ mode: 'down' });
      const service = await startService({ server, env: { ROUTES_FILE: '', ...oidcEnv(issuer.certsUrl) } });
      try {
        for (let i = 0; i < 3; i++) expect((await post(service.url, bearer(issuer.sign(pushClaims())))).status).toBe(503);
        await service.waitForLogs(() => certificateWarnings(service).some((e) => /answered 503/.test(String(e['message']))));
        expect(audits(service)).toEqual([]);
      } finally {
        await service.stop();
        await issuer.close();
      }
    }, 60000);

    it('a certificate URL that accepts the connection and never answers: concurrent requests share one fetch and are answered 503 within a small bound; later ones do not ask it again', async () => {
      const hanging = await startHangingServer();
      const issuer = await startIssuer();
      const service = await startService({ server, env: { ROUTES_FILE: '', ...oidcEnv(hanging.url) } });
      try {
        const token = issuer.sign(pushClaims());
        const first = await Promise.all(Array.from({ length: 20 }, () => post(service.url, bearer(token))));
        expect(first.map((a) => a.status)).toEqual(Array(20).fill(503));
        // The old code held each request 5 s on a dead URL; the fetch is now bounded at 2 s.
        expect(Math.max(...first.map((a) => a.ms))).toBeLessThan(4500);
        expect(hanging.requests()).toBe(1);
        // Right after the failure: answered at once, nothing more asked of the dead URL.
        const second = await Promise.all(Array.from({ length: 20 }, () => post(service.url, bearer(token))));
        expect(second.map((a) => a.status)).toEqual(Array(20).fill(503));
        expect(hanging.requests()).toBe(1);
        expect(audits(service)).toEqual([]);
      } finally {
        await service.stop();
        await hanging.close();
        await issuer.close();
      }
    }, 60000);
  });
});
