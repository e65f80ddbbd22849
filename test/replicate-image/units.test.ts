/**
 * The pure parts: references, targets, challenges, Retry-After, backoff, manifests, the streamed digest check.
 */
import { Readable, Writable } from 'stream';
import { pipeline } from 'stream/promises';
import { parseTarget, targetRef } from '../../functions/act/replicate-image/targets';
import { parseChallenge } from '../../functions/registry/challenge';
import { credentialSource } from '../../functions/registry/credentials';
import { readCopyImageSettings } from '../../functions/config';
import { digestVerifier, sha256Digest } from '../../functions/registry/digest';
import { filteredIndex, parseManifest, parsePlatform, selectPlatforms } from '../../functions/registry/manifest';
import { isGoogleRegistryHost, isLoopbackHost, parseImageRef, registryBaseUrl } from '../../functions/registry/reference';
import { DEFAULT_RETRY, RegistryHttpError, isRetryableFailure, parseRetryAfter, retryDelay, withRetry } from '../../functions/registry/retry';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('image references parse host, path, tag and digest, and refuse what is not one', () => {
  expect(parseImageRef(`us-docker.pkg.dev/p/r/img:v1@${DIGEST}`)).toEqual({ host: 'us-docker.pkg.dev', repository: 'p/r/img', tag: 'v1', digest: DIGEST });
  expect(parseImageRef('127.0.0.1:5000/a/b/c:latest')).toMatchObject({ host: '127.0.0.1:5000', repository: 'a/b/c', tag: 'latest' });
  expect(parseImageRef('127.0.0.1:5000/a/b/c')).toMatchObject({ tag: undefined, digest: undefined });
  expect(() => parseImageRef('nohost')).toThrow('must start with a registry host');
  expect(() => parseImageRef('h.example/a/B')).toThrow('invalid repository path');
  expect(() => parseImageRef('h.example/a@sha256:xyz')).toThrow('invalid digest');
});

test('plain HTTP only for loopback hosts or when insecure; Google hosts are recognised', () => {
  expect(registryBaseUrl('127.0.0.1:5000', false)).toBe('http://127.0.0.1:5000');
  expect(registryBaseUrl('localhost:5000', false)).toBe('http://localhost:5000');
  expect(registryBaseUrl('[::1]:5000', false)).toBe('http://[::1]:5000');
  expect(registryBaseUrl('registry.example.com', false)).toBe('https://registry.example.com');
  expect(registryBaseUrl('registry.example.com', true)).toBe('http://registry.example.com');
  expect(isLoopbackHost('127.example.com')).toBe(false);
  for (const h of ['europe-west1-docker.pkg.dev', 'gcr.io', 'eu.gcr.io']) expect(isGoogleRegistryHost(h)).toBe(true);
  expect(isGoogleRegistryHost('docker.io')).toBe(false);
});

test('targets name a repository (the source image name is appended) or a whole image path', () => {
  expect(targetRef(parseTarget('us-docker.pkg.dev/prod/images'), 'team/api', 'v1')).toEqual({ host: 'us-docker.pkg.dev', repository: 'prod/images/team/api', tag: 'v1' });
  expect(targetRef(parseTarget('us-docker.pkg.dev/prod/images/renamed'), 'api', 'v1')).toMatchObject({ repository: 'prod/images/renamed' });
  expect(targetRef(parseTarget('eu.gcr.io/prod'), 'api', undefined)).toEqual({ host: 'eu.gcr.io', repository: 'prod/api' });
  expect(targetRef(parseTarget('127.0.0.1:5000/prod/images'), 'api', 'v1')).toMatchObject({ repository: 'prod/images/api' });
  expect(() => parseTarget('us-docker.pkg.dev/prod')).toThrow('HOST/PROJECT/REPO');
  expect(() => parseTarget('us-docker.pkg.dev/prod/images:v1')).toThrow();
});

test('WWW-Authenticate challenges are read with quoted, comma-holding values', () => {
  expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  expect(parseChallenge(undefined)).toBeUndefined();
});

test('Retry-After (seconds or a date) is honoured; otherwise backoff grows and is capped', () => {
  expect(parseRetryAfter('3')).toBe(3000);
  expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
  expect(parseRetryAfter('soon')).toBeUndefined();
  expect(retryDelay(1, DEFAULT_RETRY, 7000)).toBe(7000);
  expect(retryDelay(1, DEFAULT_RETRY, undefined, () => 1)).toBe(200);
  expect(retryDelay(3, DEFAULT_RETRY, undefined, () => 1)).toBe(800);
  expect(retryDelay(30, DEFAULT_RETRY, undefined, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
});

test('408, 429, 5xx and resets are retried; 401, 403, 404 are not', async () => {
  for (const s of [408, 429, 500, 503]) expect(isRetryableFailure(new RegistryHttpError('x', s))).toBe(true);
  for (const s of [400, 401, 403, 404]) expect(isRetryableFailure(new RegistryHttpError('x', s))).toBe(false);
  expect(isRetryableFailure(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  let calls = 0;
  const policy = { attempts: 3, maxElapsedMs: 1000, baseDelayMs: 1, maxDelayMs: 2 };
  await expect(withRetry(async () => { calls++; throw new RegistryHttpError('busy', 503); }, policy)).rejects.toThrow('busy');
  expect(calls).toBe(3);
  calls = 0;
  await expect(withRetry(async () => { calls++; throw new RegistryHttpError('denied', 403); }, policy)).rejects.toThrow('denied');
  expect(calls).toBe(1);
  // A Retry-After beyond the time budget ends the retries at once.
  calls = 0;
  await expect(withRetry(async () => { calls++; throw new RegistryHttpError('later', 429, 60_000); }, policy)).rejects.toThrow('later');
  expect(calls).toBe(1);
});

test('manifests and indexes are told apart, and a platform filter keeps only matching children', () => {
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ],
  }));
  const parsed = parseManifest(index, 'application/vnd.oci.image.index.v1+json', 'x');
  expect(parsed.kind).toBe('index');
  if (parsed.kind !== 'index') return;
  expect(selectPlatforms(parsed.manifests, [parsePlatform('linux/arm')]).map((m) => m.digest)).toEqual([`sha256:${'b'.repeat(64)}`]);
  expect(selectPlatforms(parsed.manifests, [parsePlatform('linux/arm/v6')])).toEqual([]);
  expect(JSON.parse(filteredIndex(index, [parsed.manifests[0]]).toString()).manifests).toHaveLength(1);
  expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'x')).toThrow('schema 1 is not supported');
});

test('the streamed digest check passes good bytes and stops a wrong blob before its last chunk', async () => {
  const bytes = Buffer.alloc(200_000, 7);
  const received: Buffer[] = [];
  const sink = () => new Writable({ write: (c, _e, done) => void (received.push(c), done()) });
  let counted = 0;
  await pipeline(Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]), digestVerifier(sha256Digest(bytes), bytes.length, 'blob', (n) => (counted += n)), sink());
  expect(Buffer.concat(received).equals(bytes)).toBe(true);
  expect(counted).toBe(bytes.length);

  received.length = 0;
  await expect(
    pipeline(Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]), digestVerifier(DIGEST, bytes.length, 'blob', () => undefined), sink()),
  ).rejects.toThrow(`blob: digest mismatch (expected ${DIGEST}`);
  expect(Buffer.concat(received).length).toBeLessThan(bytes.length);
});

test('credentials come from the routes file or the environment, never echoed when malformed', async () => {
  const adc = async () => ({ username: 'oauth2accesstoken', password: 'adc' });
  const source = credentialSource([{ host: 'r.example', username: 'u', passwordEnv: 'P' }], { P: 'secret' }, adc);
  expect(await source(new URL('https://r.example/'))).toEqual({ username: 'u', password: 'secret' });
  expect(await source(new URL('https://us-docker.pkg.dev/'))).toEqual({ username: 'oauth2accesstoken', password: 'adc' });
  expect(await source(new URL('https://anonymous.example/'))).toBeUndefined();
  expect(readCopyImageSettings({ EVENTARC_ROUTER_REGISTRY_CREDENTIALS: '[{"host":"h.example","username":"u","password":"p"}]' }).registryCredentials).toHaveLength(1);
  expect(() => readCopyImageSettings({ EVENTARC_ROUTER_REGISTRY_CREDENTIALS: 'hunter2' })).toThrow(/^EVENTARC_ROUTER_REGISTRY_CREDENTIALS is not JSON$/);
});

test('credentials are chosen by the exact host of the URL requested; Docker Hub entries name docker.io', async () => {
  const adc = async () => ({ username: 'oauth2accesstoken', password: 'adc' });
  const source = credentialSource(
    [
      { host: 'Registry.Example', username: 'u', password: 'p' },
      { host: 'docker.io', username: 'hub', password: 'h' },
    ],
    {},
    adc,
  );
  expect(await source(new URL('https://registry.example/'))).toEqual({ username: 'u', password: 'p' });
  expect(await source(new URL('https://registry.example:5000/'))).toBeUndefined();
  expect(await source(new URL('https://registry-1.docker.io/'))).toEqual({ username: 'hub', password: 'h', realm: 'auth.docker.io' });
  // The runtime's token: exact Google hosts over https only.
  expect(await source(new URL('http://gcr.io/'))).toBeUndefined();
  expect(await source(new URL('https://evil.gcr.io/'))).toBeUndefined();
  expect(await source(new URL('https://gcr.io:8443/'))).toBeUndefined();
  expect(await source(new URL('https://europe-west1-docker.pkg.dev/'))).toEqual({ username: 'oauth2accesstoken', password: 'adc' });
});
