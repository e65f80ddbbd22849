/**
 * The Docker token flow against a real docker-registry with token auth:
 * credentials from the routes file, tokens cached, and never in a log line.
 */
import { isPermanentError } from '../../functions/act/errors';
import { startRegistry, type Registry } from '../support/registry';
import { imageEvent } from '../support/events/replicate-image';
import { replicateHandler } from '../support/replicate-handler';
import { pushImage } from '../support/synthetic-images';
import { startTokenServer, type TokenServer } from '../support/token-server';

const KIB = 1024;
let source: Registry;
let target: Registry;
let tokens: TokenServer;

beforeAll(async () => {
  tokens = await startTokenServer('ci-robot', 'pa55-w0rd-not-for-logs');
  [source, target] = await Promise.all([
    startRegistry('source-registry'),
    startRegistry('token-registry', {
      tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await tokens?.stop();
});

function run(withBlock: Record<string, unknown>, env: Record<string, string>, event: ReturnType<typeof imageEvent>) {
  const { run: handle, sink } = replicateHandler({ sources: [source.host], ...withBlock }, env);
  return { result: handle(event), sink };
}

async function targetDigest(repository: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`${target.url}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json', authorization: `Bearer ${tokens.token(`repository:${repository}:pull`)}` },
  });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

test('a registry behind the Docker token flow takes the copy with credentials named in the routes file, and no token is logged', async () => {
  const image = await pushImage(source.url, 'build/images/secure', { seed: 'auth', layerSizes: [64 * KIB, 64 * KIB, 64 * KIB] }, 'v1');
  const before = tokens.requests.length;
  const { result, sink } = run(
    {
      targets: [`${target.host}/prod/images`],
      credentials: [{ host: target.host, username: 'ci-robot', passwordEnv: 'TARGET_PASSWORD', realm: new URL(tokens.realm).host }],
    },
    { TARGET_PASSWORD: 'pa55-w0rd-not-for-logs' },
    imageEvent('inserted', source.host, 'build/images/secure', { tag: 'v1', digest: image.digest }),
  );
  const done = await result;
  expect(done!.summary).toContain(`${target.host}/prod/images/secure:v1 (4 blobs copied`);
  expect(await targetDigest('prod/images/secure', 'v1')).toBe(image.digest);
  // Tokens are cached per repository and access: a handful of requests, not one per blob.
  expect(tokens.requests.length - before).toBeLessThanOrEqual(3);
  // The registry's challenge lists the actions in its own order (pull,push or push,pull).
  const pushScopes = tokens.requests
    .slice(before)
    .flat()
    .filter((s) => s.startsWith('repository:prod/images/secure:'));
  expect(pushScopes.some((s) => new Set(s.split(':')[2].split(',')).has('push') && s.includes('pull'))).toBe(true);
  const logged = sink.lines.join('');
  for (const token of tokens.issued) expect(logged).not.toContain(token);
  expect(logged).not.toContain('pa55-w0rd-not-for-logs');
});

test('wrong credentials fail at once as a permanent error naming the registry and the status', async () => {
  const image = await pushImage(source.url, 'build/images/denied', { seed: 'denied', layerSizes: [KIB] }, 'v1');
  const { result } = run(
    {
      targets: [`${target.host}/prod/images`],
      credentials: [{ host: target.host, username: 'ci-robot', password: 'wrong', realm: new URL(tokens.realm).host }],
    },
    {},
    imageEvent('inserted', source.host, 'build/images/denied', { tag: 'v1', digest: image.digest }),
  );
  const err = await result.catch((e: unknown) => e);
  expect(isPermanentError(err)).toBe(true);
  expect((err as Error).message).toContain(`for ${target.host}: 401`);
  expect((err as Error).message).not.toContain('wrong');
  expect(await targetDigest('prod/images/denied', 'v1')).toBeUndefined();
});
