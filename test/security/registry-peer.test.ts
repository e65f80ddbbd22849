/**
 * Issue 10, class 2: registry credentials go only where they were issued. A
 * hostile registry on loopback names URLs on another host (127.0.0.2, a
 * recorder): an upload Location, a tags Link, a blob redirect, a token realm
 * elsewhere and a plain-http realm. Our Authorization and the password we hold
 * for the registry never reach that other host.
 */
import { spawn } from 'child_process';
import type * as http from 'http';
import * as path from 'path';
import { copyImage } from '../../functions/registry/copy';
import { credentialSource } from '../../functions/registry/credentials';
import { parseImageRef } from '../../functions/registry/reference';
import { Registries } from '../../functions/registry/registries';
import { untag } from '../../functions/registry/untag';
import { startRegistry, type Registry } from '../support/registry';
import { basic, basicChallenge, makeCertificate, startRecorder, type Recorder } from '../support/hostile-registry';
import { pushImage, type Pushed } from '../support/synthetic-images';

const USER = 'robot';
const PASSWORD = 'registry-password-issued-for-the-hostile-host';
const RETRY = { attempts: 1, maxElapsedMs: 5000, baseDelayMs: 10, maxDelayMs: 10 };
const OTHER = '127.0.0.2';

let source: Registry;
let image: Pushed;
const peers: Recorder[] = [];

beforeAll(async () => {
  source = await startRegistry('peer-source');
  image = await pushImage(source.url, 'build/app', { seed: 'peer', layerSizes: [4096] }, 'v1');
});

afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  await source?.stop();
});

async function recorder(script: Parameters<typeof startRecorder>[0], options?: Parameters<typeof startRecorder>[1]): Promise<Recorder> {
  const r = await startRecorder(script, options);
  peers.push(r);
  return r;
}

/** Our credentials for `host`, as a routes file would give them. */
function registriesFor(host: string): Registries {
  return new Registries({ insecure: false, credentials: credentialSource([{ host, username: USER, password: PASSWORD }], {}), retry: RETRY });
}

/** Every Authorization the other host saw, and whether any carried our password. */
/** One copy from `from` to `to` as the copier runs it, with credentials for `credentialed`; its failure is the test's to look at. */
async function copyBetween(credentialed: string, from: string, to: string): Promise<void> {
  const registries = registriesFor(credentialed);
  try {
    await copyImage(registries.client(from), parseImageRef(`${from}/build/app:v1`), registries.client(to), parseImageRef(`${to}/prod/app:v1`), {
      jobs: 1,
      retry: RETRY,
    }).catch(() => undefined);
  } finally {
    registries.close();
  }
}

function leaks(other: Recorder): string[] {
  return other.seen.flatMap((s) => (s.authorization !== undefined ? [s.authorization] : []));
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

test('an upload Location on another host is followed without our credentials', async () => {
  const other = await recorder((_req, res) => res.writeHead(201, { 'docker-content-digest': image.blobs[0].digest }).end(), { address: OTHER });
  const hostile = await recorder((req, res) => {
    if (!basicChallenge(req, res, basic(USER, PASSWORD))) return;
    if (req.method === 'HEAD') return json(res, 404, {});
    if (req.method === 'POST') return res.writeHead(202, { location: `http://${other.host}/v2/prod/app/blobs/uploads/stolen?_state=x` }).end();
    json(res, 201, {});
  });
  await copyBetween(hostile.host, source.host, hostile.host);
  // The hostile registry did get our credentials (it is the host they are for) ...
  expect(hostile.seen.some((s) => s.authorization === basic(USER, PASSWORD))).toBe(true);
  // ... the host it sent the upload to got the blob, and nothing of ours.
  expect(other.seen.length).toBeGreaterThan(0);
  expect(leaks(other)).toEqual([]);
});

test('a tags Link to another host is refused, and that host is never contacted', async () => {
  const other = await recorder((_req, res) => json(res, 200, { name: 'prod/app', tags: ['v1'] }), { address: OTHER });
  const digest = `sha256:${'c'.repeat(64)}`;
  const hostile = await recorder((req, res) => {
    if (!basicChallenge(req, res, basic(USER, PASSWORD))) return;
    const url = req.url ?? '';
    if (req.method === 'HEAD' && url.includes('/manifests/')) return res.writeHead(200, { 'docker-content-digest': digest }).end();
    if (req.method === 'DELETE') return json(res, 405, { errors: [{ code: 'UNSUPPORTED' }] });
    if (url.includes('/tags/list'))
      return json(res, 200, { name: 'prod/app', tags: ['old'] }, { link: `<http://${other.host}/v2/prod/app/tags/list?last=old>; rel="next"` });
    json(res, 404, {});
  });
  const registries = registriesFor(hostile.host);
  let failure: unknown;
  try {
    await untag(registries.client(hostile.host), 'prod/app', 'old').catch((err: unknown) => (failure = err));
  } finally {
    registries.close();
  }
  expect(leaks(other)).toEqual([]);
  expect(other.seen).toEqual([]);
  expect(String((failure as Error | undefined)?.message)).toContain('points to another host');
  // Nothing was deleted on the word of another host.
  expect(hostile.seen.filter((s) => s.method === 'DELETE' && s.authorization).map((s) => s.path)).toEqual(['/v2/prod/app/manifests/old']);
});

test('a blob redirect to another host carries no credentials', async () => {
  const blob = image.blobs[1];
  const other = await recorder(
    (req, res) => {
      // The storage behind the redirect: serves the real blob from the source registry, anonymously.
      void fetch(`${source.url}${req.url}`).then(async (up) => res.writeHead(up.status).end(Buffer.from(await up.arrayBuffer())));
    },
    { address: OTHER },
  );
  const hostile = await recorder((req, res) => {
    if (!basicChallenge(req, res, basic(USER, PASSWORD))) return;
    void fetch(`${source.url}${req.url}`, { method: req.method, headers: { accept: String(req.headers.accept ?? '') }, redirect: 'manual' }).then(
      async (up) => {
        if (req.method === 'GET' && (req.url ?? '').includes('/blobs/')) return res.writeHead(307, { location: `http://${other.host}${req.url}` }).end();
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'docker-content-digest', 'content-length']) if (up.headers.get(name)) headers[name] = up.headers.get(name)!;
        res.writeHead(up.status, headers).end(req.method === 'HEAD' ? undefined : Buffer.from(await up.arrayBuffer()));
      },
    );
  });
  const target = await startRegistry('peer-target');
  const registries = registriesFor(hostile.host);
  try {
    await copyImage(
      registries.client(hostile.host),
      parseImageRef(`${hostile.host}/build/app:v1`),
      registries.client(target.host),
      parseImageRef(`${target.host}/prod/app:v1`),
      {
        jobs: 1,
        retry: RETRY,
      },
    );
  } finally {
    registries.close();
    await target.stop();
  }
  expect(other.seen.map((s) => s.path)).toContain(`/v2/build/app/blobs/${blob.digest}`);
  expect(leaks(other)).toEqual([]);
});

test('a token realm on another host gets an anonymous token request, never our password', async () => {
  const other = await recorder((_req, res) => json(res, 200, { token: 'anonymous-token', expires_in: 300 }), { address: OTHER });
  const hostile = await recorder((req, res) => {
    if (req.headers.authorization !== 'Bearer anonymous-token') {
      return json(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED' }] },
        { 'www-authenticate': `Bearer realm="http://${other.host}/token",service="hostile",scope="repository:prod/app:pull,push"` },
      );
    }
    if (req.method === 'HEAD') return json(res, 404, {});
    json(res, 403, { errors: [{ code: 'DENIED' }] });
  });
  await copyBetween(hostile.host, source.host, hostile.host);
  expect(other.seen.length).toBeGreaterThan(0);
  expect(leaks(other)).toEqual([]);
});

test('a plain-http token realm named by an https registry is refused: the password never travels in clear', async () => {
  const cert = makeCertificate(['registry.example']);
  const other = await recorder((_req, res) => json(res, 200, { token: 't', expires_in: 300 }), { address: OTHER });
  const hostile = await recorder(
    (_req, res) =>
      json(res, 401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': `Bearer realm="http://${other.host}/token",service="hostile"` }),
    { tls: cert },
  );
  const registryHost = `registry.example:${hostile.port}`;
  const target = await startRegistry('peer-tls-target');
  try {
    // The CLI in a child: it trusts the registry's certificate and resolves its name to loopback.
    const child = spawn(
      process.execPath,
      [path.join(__dirname, '..', 'cli', 'run-copy-image.js'), `${registryHost}/build/app:v1`, `${target.host}/prod/app:v1`],
      {
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: cert.certFile,
          NODE_OPTIONS: `--require ${path.join(__dirname, '..', 'support', 'loopback-dns.js')}`,
          LOOPBACK_DNS: 'registry.example',
          // Even credentials that name that realm are not sent over plain http.
          EVENTARC_ROUTER_REGISTRY_CREDENTIALS: JSON.stringify([{ host: registryHost, username: USER, password: PASSWORD, realm: other.host }]),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(hostile.seen.length).toBeGreaterThan(0); // TLS to the named host worked: the challenge was seen
    expect(leaks(other)).toEqual([]);
    expect(other.seen).toEqual([]);
    expect({ code, stderr }).toMatchObject({ code: 1, stderr: expect.stringContaining('is not https') });
  } finally {
    await target.stop();
    cert.remove();
  }
});
