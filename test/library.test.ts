/**
 * The library entry (functions/library.ts) as a project that installs the package uses
 * it: importing does nothing; the router's handler serves under Functions Framework
 * with the project's own function name, and `listen()` from the lean server, over real
 * HTTP on loopback; a routes file and code routes run together; Secret Manager
 * references are resolved before the first request (against a local Secret Manager).
 */
import { execFile, execFileSync } from 'child_process';
import { promisify } from 'util';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import * as functions from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createRouter, PermanentError } from '../functions/library';
import { deliveries, runDelivery, type DeliveryRequest } from '../functions/testing';
import { memorySink } from '../functions/support/logger';
import { startSecretServer, type SecretServer } from './support/secret-manager-server';

const ROOT = path.resolve(__dirname, '..');

async function listening(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

async function post(url: string, d: DeliveryRequest, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(d.path, url), { method: d.method, headers: { ...d.headers, ...headers }, body: d.method === 'GET' ? undefined : d.body });
  return { status: res.status, body: await res.text() };
}

describe('createRouter', () => {
  it('has no side effect at import: nothing registered with Functions Framework, nothing written, process.env not read', () => {
    const script = `
      const registry = require(${JSON.stringify(path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'function_registry.js'))});
      const read = new Set();
      // Node itself looks up NODE_V8_COVERAGE as it loads modules: only other names count.
      const env = new Proxy(process.env, { get: (t, k) => (String(k).startsWith('NODE_') || read.add(String(k)), t[k]) });
      Object.defineProperty(process, 'env', { value: env });
      const lib = require(${JSON.stringify(path.join(ROOT, 'dist', 'functions', 'library.js'))});
      process.stdout.write(JSON.stringify({ router: registry.getRegisteredFunction('router') !== undefined, read: [...read], exports: Object.keys(lib).sort() }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(out).toEqual({ router: false, read: [], exports: ['PermanentError', 'RetryableError', 'createRouter', 'defineAction'] });
  });

  it("serves under Functions Framework with the project's own function name", async () => {
    const router = createRouter({ env: {}, sink: memorySink() }).on(
      { kind: 'storage.object', name: { pathPattern: 'releases/{version}/{file=**}' } },
      (event, ctx) => ({ summary: `release ${ctx.params.version}: ${ctx.params.file} (${event.object.size} bytes)` }),
      { name: 'release' },
    );
    functions.http('releases', router.handler);
    const server = getTestServer('releases');
    try {
      const url = await listening(server);
      const answer = await post(url, deliveries.storageObject({ bucket: 'b', name: 'releases/1.2.0/app.tgz', size: 42 }));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({
        acknowledged: true,
        handled: true,
        results: [{ route: 'release', summary: 'release 1.2.0: app.tgz (42 bytes)' }],
      });
      // Unmatched: acknowledged, and no default route ran.
      expect((await post(url, deliveries.pubsubMessage({ data: 'x' }))).status).toBe(204);
      expect((await post(url, deliveries.request({ method: 'GET' }))).status).toBe(405);
    } finally {
      await close(server);
    }
  });

  it('serves from the lean server with listen(), and lists its routes once, on the first request', async () => {
    const sink = memorySink();
    const router = createRouter({ env: { ROUTE_TIMEOUT_SECONDS: '3' }, sink }).on(
      { kind: 'pubsub.message' },
      (event) => {
        if (event.text() === 'poison') throw new PermanentError('cannot be handled');
      },
      { name: 'messages' },
    );
    const server = await router.listen({ port: 0, host: '127.0.0.1', shutdown: false });
    try {
      const url = await listening(server);
      expect((await post(url, deliveries.pubsubMessage({ data: 'ok' }))).status).toBe(204);
      const poisoned = await post(url, deliveries.pubsubMessage({ data: 'poison' }));
      expect(poisoned.status).toBe(200);
      expect(JSON.parse(poisoned.body)).toMatchObject({ acknowledged: true, handled: false, reason: 'route messages: cannot be handled' });
      const lines = sink.entries();
      expect(lines.filter((l) => String(l['message']).startsWith('eventarc-router: '))).toEqual([
        { severity: 'INFO', message: 'eventarc-router: 1 route(s)', routes: [{ name: 'messages', match: 'kind "pubsub.message"', timeoutMs: 3000 }] },
      ]);
      expect(router.routes()).toEqual([{ name: 'messages', match: 'kind "pubsub.message"', timeoutMs: 3000 }]);
    } finally {
      await close(server);
    }
  });

  it('runs a routes file and code routes together', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lib-routes-'));
    const file = path.join(dir, 'routes.yaml');
    fs.writeFileSync(file, 'routes:\n  - name: log-uploads\n    match: { kind: storage.object, bucket: uploads }\n    action: log\n');
    const seen: string[] = [];
    const router = createRouter({ env: {}, routesFile: file }).on({ kind: 'storage.object' }, (e) => void seen.push(e.object.name), { name: 'code' });
    const result = await runDelivery(router, deliveries.storageObject({ bucket: 'uploads', name: 'a.csv' }));
    expect(result.routes.map((r) => [r.route, r.status])).toEqual([
      ['log-uploads', 'done'],
      ['code', 'done'],
    ]);
    expect(seen).toEqual(['a.csv']);
    expect(result.logs.map((l) => l['message'])).toContain('GCS object finalized: gs://uploads/a.csv');
    expect(router.routes().map((r) => [r.name, r.action])).toEqual([
      ['log-uploads', 'log'],
      ['code', undefined],
    ]);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses a wrong spec at run time too, for a JavaScript caller', () => {
    const router = createRouter({ env: {} });
    const on = router.on as (spec: unknown, handler: () => void) => unknown;
    expect(() => on({ kind: 'storage.objekt' }, () => undefined)).toThrow('expected one of pubsub.message, storage.object');
    expect(() => on({ kind: 'storage.object', name: 'users/{uid}' }, () => undefined)).toThrow('reads like a path pattern');
    expect(() => on({ buckett: 'b' }, () => undefined)).toThrow(/buckett/);
    expect(() => on({ kind: 'storage.object', tag: 'v1' }, () => undefined)).toThrow(
      '"tag" is not a field of storage.object events: the route would never match them',
    );
    expect(() => on({ kind: ['storage.object', 'registry.image'], not: { bucket: 'b' } }, () => undefined)).toThrow(
      '"bucket" is not a field of registry.image events',
    );
    expect(() =>
      on(
        {
          any: [
            { kind: 'audit.log', methodName: 'm' },
            { kind: 'build.status', status: 'SUCCESS' },
          ],
        },
        () => undefined,
      ),
    ).not.toThrow();
    expect(() => createRouter({ env: { ROUTE_TIMEOUT_SECONDS: 'soon' } })).toThrow('ROUTE_TIMEOUT_SECONDS="soon"');
  });

  describe('with Secret Manager references (a local Secret Manager; the router runs in a child process, as under jest the client cannot load its HTTP transport)', () => {
    let secrets: SecretServer;
    beforeAll(async () => {
      secrets = await startSecretServer({ 'projects/test-project/secrets/api-key/versions/latest': 'k-123' });
    });
    afterAll(() => secrets.close());

    /** Runs `body` in a child with the compiled library and testing entries; its stdout is the JSON it prints. */
    // Asynchronously: the local Secret Manager answers from this process.
    async function inChild(body: string): Promise<Record<string, unknown>> {
      const script = `
        const { createRouter } = require(${JSON.stringify(path.join(ROOT, 'dist', 'functions', 'library.js'))});
        const { deliveries } = require(${JSON.stringify(path.join(ROOT, 'dist', 'functions', 'testing', 'index.js'))});
        const lines = [];
        const post = async (url, d, headers = {}) => (await fetch(url, { method: 'POST', headers: { ...d.headers, ...headers }, body: d.body })).status;
        (async () => { ${body} })().then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { process.stdout.write(JSON.stringify({ thrown: e.message })); process.exit(0); });`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 20000,
        env: { PATH: process.env['PATH'] ?? '' },
      });
      return JSON.parse(stdout) as Record<string, unknown>;
    }

    it('resolves them before the first request; routes added meanwhile run', async () => {
      const env = { AUTH_API_KEY: 'sm://test-project/api-key', SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${secrets.port}` };
      const out = await inChild(
        `const seen = [];
         const router = createRouter({ env: ${JSON.stringify(env)}, sink: { write: (l) => lines.push(l) } })
           .on({ kind: 'pubsub.message' }, (e) => void seen.push(e.text()), { name: 'early' });
         const before = router.routes().map((r) => r.name);
         const server = await router.listen({ port: 0, host: '127.0.0.1', shutdown: false });
         const url = 'http://127.0.0.1:' + server.address().port;
         const noKey = await post(url, deliveries.pubsubMessage({ data: 'no key' }));
         const withKey = await post(url, deliveries.pubsubMessage({ data: 'with key' }), { 'x-api-key': 'k-123' });
         server.close();
         return { before, noKey, withKey, seen };`,
      );
      expect(out).toEqual({ before: ['early'], noKey: 401, withKey: 204, seen: ['with key'] });
      expect(secrets.requests).toEqual(['projects/test-project/secrets/api-key/versions/latest']);
    });

    it('one that cannot be resolved: `ready` rejects naming it, every request is answered 503 (redelivered), and a CRITICAL line says why', async () => {
      const env = { AUTH_API_KEY: 'sm://test-project/missing', SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${secrets.port}` };
      const out = await inChild(
        `const router = createRouter({ env: ${JSON.stringify(env)}, sink: { write: (l) => lines.push(JSON.parse(l)) } });
         const ready = await router.ready.then(() => 'resolved', (e) => e.message);
         const server = await router.listen({ port: 0, host: '127.0.0.1', shutdown: false });
         const status = await post('http://127.0.0.1:' + server.address().port, deliveries.pubsubMessage());
         server.close();
         return { ready, status, critical: lines.filter((l) => l.severity === 'CRITICAL').map((l) => l.message) };`,
      );
      expect(out).toEqual({
        ready: 'secret sm://test-project/missing cannot be resolved: NOT_FOUND',
        status: 503,
        critical: ['eventarc-router cannot start: secret sm://test-project/missing cannot be resolved: NOT_FOUND'],
      });
    });
  });
});
