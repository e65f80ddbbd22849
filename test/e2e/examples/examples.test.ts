/**
 * Each example (examples/<name>/) as a user runs it: this repository packed with
 * `npm pack` (once per content, shared with the package suite), the tarball installed
 * offline (one install: the examples declare the same dependencies), a copy of the
 * example compiled with `tsc --strict`, its function started by the installed
 * functions-framework, deliveries built with the installed
 * `eventarc-router/testing`, and the effect checked on real local peers: the log line, the
 * image in the target registry, the object in the partner bucket, the request at the
 * target, 401/403 without the right credential. The example's public names (registry
 * hosts, the target URL) are replaced in the copy's routes file by the loopback peers' addresses.
 */
import { spawnSync } from 'child_process';
import { createVerify } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import { Storage } from '@google-cloud/storage';
import { parse as parseYaml } from 'yaml';
import type * as Testing from '../../../functions/testing/index';
import {
  compileExample,
  copyExample,
  EXAMPLES,
  examplePackage,
  installExampleDependencies,
  ROOT,
  send,
  startExample,
  type RunningExample,
} from '../../support/example-project';
import { packRepository } from '../../support/packed-package';
import { startGcsDouble, type GcsDouble } from '../../support/gcs-double';
import { startTarget, type Target } from '../../support/forward-target';
import { startMetadataServer, type MetadataServer } from '../../support/metadata-server';
import { pushClaims, startIssuer, type Issuer } from '../../support/oidc-issuer';
import { startRegistry, type Registry } from '../../support/registry';
import { startSecretServer, type SecretServer } from '../../support/secret-manager-server';
import { pushImage } from '../../support/synthetic-images';
import { startTokenServer, type TokenServer } from '../../support/token-server';

const NAMES = ['copy-to-partner-bucket', 'forward-to-gke', 'log-storage-notifications', 'release-images', 'secure-the-service'];
let work: string;
let installed: string;
/** The installed package's testing entry, loaded by Node from the user's node_modules (not from this repository's sources). */
let testing: typeof Testing;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'examples-'));
  const packed = await packRepository();
  const reference = examplePackage('release-images');
  for (const name of NAMES) {
    const own = examplePackage(name);
    expect([name, own.dependencies, own.devDependencies]).toEqual([name, reference.dependencies, reference.devDependencies]);
  }
  installed = await installExampleDependencies(packed, reference, path.join(work, 'install'));
  testing = createRequire(path.join(installed, 'package.json'))('eventarc-router/testing') as typeof Testing;
}, 240_000);
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the examples folder holds the five jobs, each with a README, an entry module and a deploy script', () => {
  expect(fs.readdirSync(EXAMPLES).sort()).toEqual(NAMES);
  for (const name of NAMES)
    for (const file of ['README.md', 'package.json', 'tsconfig.json', 'src/index.ts', 'deploy.sh'])
      expect([name, fs.existsSync(path.join(EXAMPLES, name, file))]).toEqual([name, true]);
  // What the user installed is the packed package, not a link to this repository.
  const installedPackage = path.join(installed, 'node_modules', 'eventarc-router');
  expect(fs.lstatSync(installedPackage).isSymbolicLink()).toBe(false);
  expect(fs.existsSync(path.join(installedPackage, 'functions'))).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(installedPackage, 'package.json'), 'utf8')).version).toBe(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
  );
});

/** Copies, compiles and starts one example; stopped after its describe block. */
function exampleUnderTest(name: string, target: string, setup: () => Promise<{ replace?: Record<string, string>; env?: Record<string, string> }>) {
  const state: { dir: string; running?: RunningExample } = { dir: '' };
  beforeAll(async () => {
    const { replace, env } = await setup();
    state.dir = copyExample(name, work, installed, replace);
    compileExample(state.dir);
    state.running = await startExample(state.dir, target, env);
  }, 90_000);
  afterAll(async () => {
    await state.running?.stop();
  });
  return state;
}

const statusOf = async (res: Response) => ({ status: res.status, body: await res.text() });

describe('log-storage-notifications', () => {
  const ex = exampleUnderTest('log-storage-notifications', 'log-uploads', async () => ({}));

  test('an object finalized in the uploads bucket is logged, from Eventarc and from a Pub/Sub notification alike', async () => {
    const eventarc = testing.deliveries.storageObject({ bucket: 'acme-uploads', name: 'incoming/report 2026-12.csv', size: 5120, contentType: 'text/csv' });
    expect((await send(ex.running!.url, eventarc)).status).toBe(204);
    const notification = testing.deliveries.storageObject({ bucket: 'acme-uploads', name: 'incoming/second.csv' }, 'pubsub-push');
    expect((await send(ex.running!.url, notification)).status).toBe(204);
    const logs = await ex.running!.waitForLogs((l) => l.filter((e) => String(e['message']).startsWith('GCS object finalized')).length === 2);
    const lines = logs.filter((e) => String(e['message']).startsWith('GCS object finalized'));
    expect(lines.map((e) => [e['severity'], e['message']])).toEqual([
      ['INFO', 'GCS object finalized: gs://acme-uploads/incoming/report 2026-12.csv'],
      ['INFO', 'GCS object finalized: gs://acme-uploads/incoming/second.csv'],
    ]);
  });

  test("another bucket's objects and deletions are acknowledged and not logged as uploads", async () => {
    const fixture = testing.fromFixture(path.join(ROOT, 'fixtures', 'requests', 'B-eventarc-storage-finalized.json'));
    expect((await send(ex.running!.url, fixture)).status).toBe(204);
    const deleted = testing.deliveries.storageObject({ bucket: 'acme-uploads', name: 'incoming/old.csv', change: 'deleted' });
    expect((await send(ex.running!.url, deleted)).status).toBe(204);
    await ex.running!.waitForLogs((l) => l.filter((e) => String(e['message']).startsWith('no route matched')).length === 2);
    expect(ex.running!.logs().filter((e) => String(e['message']).startsWith('GCS object finalized'))).toHaveLength(2);
  });
});

describe('release-images', () => {
  const PASSWORD = 'partner-pa55-not-for-logs';
  let source: Registry;
  let target: Registry;
  let tokens: TokenServer;
  let secrets: SecretServer;
  const ex = exampleUnderTest('release-images', 'releases', async () => {
    tokens = await startTokenServer('acme-release-robot', PASSWORD);
    secrets = await startSecretServer({ 'projects/acme-build/secrets/partner-registry-password/versions/latest': PASSWORD });
    [source, target] = await Promise.all([
      startRegistry('release-source'),
      startRegistry('release-target', {
        tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle },
      }),
    ]);
    return {
      replace: { 'europe-docker.pkg.dev': source.host, 'registry.partner.example': target.host, 'auth.partner.example': new URL(tokens.realm).host },
      env: { SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${secrets.port}` },
    };
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await Promise.all([tokens?.stop(), secrets?.close()]);
  });

  test("the example's own test (node --test, eventarc-router/testing) passes", () => {
    const run = spawnSync(process.execPath, ['--test', 'dist/'], {
      cwd: ex.dir,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', METADATA_SERVER_DETECTION: 'none' },
    });
    const out = run.stdout + run.stderr;
    expect({ status: run.status, out }).toEqual({ status: 0, out: expect.stringContaining('# fail 0\n') });
    expect(out).toMatch(/# pass 6\n/);
    expect(out).toMatch(/# fail 0\n/);
  });

  test('a release tag pushed to the build registry lands in the partner registry with the same digest, using the password from Secret Manager', async () => {
    const image = await pushImage(
      source.url,
      'acme-build/releases/api',
      { seed: 'release-example', layerSizes: [96 * 1024, 160 * 1024], compression: 'gzip' },
      'v1.4.0',
    );
    const ref = `${source.host}/acme-build/releases/api`;
    const res = await send(ex.running!.url, testing.deliveries.registryImage({ tag: `${ref}:v1.4.0`, digest: `${ref}@${image.digest}` }));
    const answer = await statusOf(res);
    expect(answer.status).toBe(200);
    const results = (JSON.parse(answer.body) as { results: { route: string; summary: string }[] }).results;
    expect(results.map((r) => r.route).sort()).toEqual(['announce-release', 'release-images']);
    expect(results.find((r) => r.route === 'release-images')!.summary).toContain(`to ${target.host}/acme/releases/api:v1.4.0`);
    const head = await fetch(`${target.url}/v2/acme/releases/api/manifests/v1.4.0`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json', authorization: `Bearer ${tokens.token('repository:acme/releases/api:pull')}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(image.digest);
    const logs = await ex.running!.waitForLogs((l) => l.some((e) => String(e['message']).startsWith('release ')));
    expect(logs.find((e) => String(e['message']).startsWith('release '))).toMatchObject({ release: { image: ref, tag: 'v1.4.0' } });
    expect(JSON.stringify(logs)).not.toContain(PASSWORD);
    expect(secrets.requests).toEqual(['projects/acme-build/secrets/partner-registry-password/versions/latest']);
  });

  test('a tag that is not a release, or an image outside the allow-list, copies nothing', async () => {
    const image = await pushImage(source.url, 'acme-build/releases/api', { seed: 'latest-example', layerSizes: [1024], compression: 'gzip' }, 'latest');
    const ref = `${source.host}/acme-build/releases/api`;
    expect((await send(ex.running!.url, testing.deliveries.registryImage({ tag: `${ref}:latest`, digest: `${ref}@${image.digest}` }))).status).toBe(204);
    const elsewhere = `${source.host}/other-team/releases/api`;
    expect(
      (await send(ex.running!.url, testing.deliveries.registryImage({ tag: `${elsewhere}:v1.0.0`, digest: `${elsewhere}@${image.digest}` }))).status,
    ).toBeLessThan(300);
    const head = await fetch(`${target.url}/v2/acme/releases/api/manifests/latest`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json', authorization: `Bearer ${tokens.token('repository:acme/releases/api:pull')}` },
    });
    expect(head.status).toBe(404);
  });
});

describe('copy-to-partner-bucket', () => {
  let gcs: GcsDouble;
  const ex = exampleUnderTest('copy-to-partner-bucket', 'copy-exports', async () => {
    gcs = await startGcsDouble();
    return { env: gcs.env };
  });
  afterAll(() => gcs?.stop());

  test("a finalized export is in the partner's bucket under from-acme/, with the same bytes and content type", async () => {
    const bytes = Buffer.from('order,amount\n17,42.00\n18,7.50\n');
    const object = gcs.put('acme-exports', 'daily/2026-12-01.csv', bytes, { contentType: 'text/csv', metadata: { batch: 'b-1201' } });
    const res = await send(
      ex.running!.url,
      testing.deliveries.storageObject({
        bucket: 'acme-exports',
        name: 'daily/2026-12-01.csv',
        generation: object.generation,
        size: bytes.length,
        contentType: 'text/csv',
      }),
    );
    expect(res.status).toBe(200);
    const file = new Storage({ apiEndpoint: gcs.url, projectId: 'test-project' }).bucket('partner-inbox').file('from-acme/daily/2026-12-01.csv');
    const [copied] = await file.download();
    const [metadata] = await file.getMetadata();
    expect(copied.equals(bytes)).toBe(true);
    expect(metadata.contentType).toBe('text/csv');
    expect(metadata.metadata).toMatchObject({ batch: 'b-1201' });
  });

  test('an object outside daily/ is acknowledged and not copied', async () => {
    gcs.put('acme-exports', 'scratch/tmp.csv', 'x', { contentType: 'text/csv' });
    expect((await send(ex.running!.url, testing.deliveries.storageObject({ bucket: 'acme-exports', name: 'scratch/tmp.csv' }))).status).toBe(204);
    expect(gcs.get('partner-inbox', 'from-acme/scratch/tmp.csv')).toBeUndefined();
  });
});

describe('forward-to-gke', () => {
  const AUDIENCE = 'https://orders.gke.acme.internal';
  const RUN_SA = 'forward-orders@acme-prod.iam.gserviceaccount.com';
  let issuer: Issuer;
  let metadata: MetadataServer;
  let target: Target;
  const ex = exampleUnderTest('forward-to-gke', 'forward-orders', async () => {
    issuer = await startIssuer();
    metadata = await startMetadataServer(issuer, RUN_SA);
    target = await startTarget();
    return {
      replace: { [`${AUDIENCE}/events`]: `${target.url}/events` },
      // Cloud Run's metadata server gives the service's ID tokens; here the local one does.
      env: { GCE_METADATA_HOST: metadata.host, METADATA_SERVER_DETECTION: 'assume-present' },
    };
  });
  afterAll(async () => {
    await target?.stop();
    await metadata?.close();
    await issuer?.close();
  });

  /** What the GKE service checks: the token's signature (the issuer's published key) and its audience. */
  async function verifiedClaims(authorization: string | undefined): Promise<Record<string, unknown>> {
    const token = (authorization ?? '').replace(/^Bearer /, '');
    const [header, payload, signature] = token.split('.');
    const keys = (await (await fetch(issuer.certsUrl)).json()) as Record<string, string>;
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
    const valid = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(keys[kid], Buffer.from(signature, 'base64url'));
    expect(valid).toBe(true);
    return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  }

  test("a pushed order reaches the service once, as a CloudEvent, with an ID token for the service's audience", async () => {
    const delivery = testing.deliveries.pubsubMessage({
      project: 'acme-prod',
      subscription: 'orders-to-gke',
      data: { order: 17, status: 'shipped' },
      attributes: { region: 'eu' },
    });
    const res = await send(ex.running!.url, delivery);
    expect(res.status).toBeLessThan(300);
    expect(target.received).toHaveLength(1);
    const got = target.received[0];
    expect(got.path).toBe('/events');
    expect(got.headers['ce-type']).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(got.headers['x-forwarded-by']).toBe('eventarc-router');
    const pushed = JSON.parse(got.body.toString()) as { message: { data: string; attributes: Record<string, string> } };
    expect(JSON.parse(Buffer.from(pushed.message.data, 'base64').toString())).toEqual({ order: 17, status: 'shipped' });
    expect(pushed.message.attributes).toEqual({ region: 'eu' });
    expect(await verifiedClaims(got.headers['authorization'])).toMatchObject({ aud: AUDIENCE, email: RUN_SA });
    expect(metadata.audiences).toEqual([AUDIENCE]);
  });

  test('the service answering 503 makes Pub/Sub redeliver (503); a 400 is acknowledged and preserved', async () => {
    target.respond = () => ({ status: 503, body: 'draining' });
    const delivery = testing.deliveries.pubsubMessage({ project: 'acme-prod', subscription: 'orders-to-gke', data: 'order 18' });
    expect((await send(ex.running!.url, delivery)).status).toBe(503);
    target.respond = () => ({ status: 400, body: 'unknown order schema' });
    const refused = testing.deliveries.pubsubMessage({ project: 'acme-prod', subscription: 'orders-to-gke', data: 'order 19' });
    expect((await send(ex.running!.url, refused)).status).toBe(200);
    const logs = await ex.running!.waitForLogs((l) => l.some((e) => e['severity'] === 'ERROR'));
    expect(String(logs.find((e) => e['severity'] === 'ERROR')!['message'])).toContain('answered 400: unknown order schema');
    target.respond = () => ({ status: 200 });
  });

  test('a message from another subscription is not forwarded', async () => {
    const before = target.received.length;
    expect((await send(ex.running!.url, testing.deliveries.pubsubMessage({ project: 'acme-prod', subscription: 'audit', data: 'x' }))).status).toBe(204);
    expect(target.received).toHaveLength(before);
  });
});

describe('secure-the-service', () => {
  const API_KEY = 'rk-5c1e9a7f3b2d4e6f8a0b';
  let issuer: Issuer;
  let secrets: SecretServer;
  let settings: Record<string, string>;
  const ex = exampleUnderTest('secure-the-service', 'secured-router', async () => {
    issuer = await startIssuer();
    secrets = await startSecretServer({ 'projects/acme-prod/secrets/router-api-key/versions/latest': API_KEY });
    // The settings deploy.sh gives Cloud Run (--env-vars-file=env.yaml), plus where the local peers are.
    settings = parseYaml(fs.readFileSync(path.join(EXAMPLES, 'secure-the-service', 'env.yaml'), 'utf8')) as Record<string, string>;
    return { env: { ...settings, AUTH_OIDC_CERTS_URL: issuer.certsUrl, SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${secrets.port}` } };
  });
  afterAll(async () => {
    await secrets?.close();
    await issuer?.close();
  });

  const message = () => testing.deliveries.pubsubMessage({ project: 'acme-prod', subscription: 'pusher-sub', data: 'hello' });

  test('without a credential, or with a wrong key, the answer is 401 and nothing is handled', async () => {
    expect(await statusOf(await send(ex.running!.url, message()))).toEqual({ status: 401, body: 'unauthorized\n' });
    expect((await send(ex.running!.url, message(), { 'x-api-key': 'rk-guess' })).status).toBe(401);
    expect(ex.running!.logs().filter((e) => String(e['message']).startsWith('Pub/Sub message'))).toHaveLength(0);
  });

  test('the API key from Secret Manager passes', async () => {
    const delivery = message();
    expect((await send(ex.running!.url, delivery, { 'x-api-key': API_KEY })).status).toBe(204);
    const id = delivery.headers['ce-id'] ?? (JSON.parse(delivery.body.toString()) as { message: { messageId: string } }).message.messageId;
    await ex.running!.waitForLogs((l) => l.some((e) => String(e['message']).startsWith(`Pub/Sub message ${id} `)));
    expect(secrets.requests).toEqual(['projects/acme-prod/secrets/router-api-key/versions/latest']);
    expect(JSON.stringify(ex.running!.logs())).not.toContain(API_KEY);
  });

  test("the push identity's OIDC token passes; a token of an identity not listed is 403", async () => {
    const audience = settings['AUTH_OIDC_AUDIENCE'];
    const pusher = issuer.sign(pushClaims({ aud: audience, email: 'pusher@acme-prod.iam.gserviceaccount.com' }));
    expect((await send(ex.running!.url, message(), { authorization: `Bearer ${pusher}` })).status).toBe(204);
    const stranger = issuer.sign(pushClaims({ aud: audience, email: 'someone@other-project.iam.gserviceaccount.com' }));
    expect(await statusOf(await send(ex.running!.url, message(), { authorization: `Bearer ${stranger}` }))).toEqual({ status: 403, body: 'forbidden\n' });
    const wrongAudience = issuer.sign(pushClaims({ aud: 'https://another-service.run.app', email: 'pusher@acme-prod.iam.gserviceaccount.com' }));
    expect((await send(ex.running!.url, message(), { authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
  });
});
