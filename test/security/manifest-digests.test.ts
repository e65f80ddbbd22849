/**
 * Issue 10, class 3: a hostile source cannot steer writes on the target. The
 * source (a loopback server) serves manifests whose descriptor digests are
 * paths (`../../other-repo/manifests/latest`), percent-encoded, of the wrong
 * length or upper case, and manifests whose bytes are not what their digest
 * says. The target is a real docker-registry holding another repository's
 * tag: after each copy it is untouched, nothing is written outside the target
 * repository, and the failure is permanent (acknowledged, not retried) with a
 * reason that says what was wrong.
 */
import { createHash } from 'crypto';
import type * as http from 'http';
import { asActionError } from '../../functions/act/replicate-image/failures';
import { isPermanentError } from '../../functions/act/errors';
import { copyImage } from '../../functions/registry/copy';
import { credentialSource } from '../../functions/registry/credentials';
import { parseImageRef } from '../../functions/registry/reference';
import { Registries } from '../../functions/registry/registries';
import { startRegistry, type Registry } from '../support/registry';
import { startRecorder, type Recorder } from '../support/hostile-registry';
import { pushImage, tagDigest, type Pushed } from '../support/synthetic-images';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const RETRY = { attempts: 2, maxElapsedMs: 5000, baseDelayMs: 10, maxDelayMs: 10 };

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Served {
  readonly bytes: Buffer;
  readonly mediaType: string;
  /** The Docker-Content-Digest to send: the bytes' own by default, null for none. */
  readonly digestHeader?: string | null;
  /** The same for a HEAD, when it differs. */
  readonly headDigest?: string | null;
}

let target: Registry;
let victim: Pushed;
/** A manifest over the victim's own blobs: pushed under the victim's tag, it would re-point it. */
let evil: Served;

beforeAll(async () => {
  target = await startRegistry('digests-target');
  victim = await pushImage(target.url, 'prod/other-repo', { seed: 'victim', layerSizes: [2048] }, 'latest');
  const body = JSON.parse(victim.bytes.toString('utf8')) as Record<string, unknown>;
  evil = { bytes: Buffer.from(JSON.stringify({ ...body, annotations: { 'org.example.evil': 'yes' } })), mediaType: OCI_MANIFEST };
});

// Each case starts from a target holding only the victim, so one case's damage cannot hide another's.
beforeEach(async () => {
  await target.reset();
  await pushImage(target.url, 'prod/other-repo', { seed: 'victim', layerSizes: [2048] }, 'latest');
});

afterAll(async () => {
  await target?.stop();
});

/** A source registry that serves `manifests` by reference, `evil` for any other manifest path, and the victim's blobs. */
async function hostileSource(manifests: Record<string, Served>): Promise<Recorder> {
  const blobs = new Map(victim.blobs.map((b) => [b.digest, b]));
  // Each manifest is also served under its own digest, as a registry does.
  for (const served of Object.values(manifests)) manifests[sha256(served.bytes)] ??= served;
  return startRecorder((req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '';
    const blob = /\/blobs\/(.+)$/.exec(url)?.[1];
    if (blob !== undefined) {
      const b = blobs.get(blob);
      if (!b) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(b.size), 'docker-content-digest': b.digest });
      if (req.method === 'HEAD') return res.end();
      return b.open().pipe(res);
    }
    const reference = /\/manifests\/(.+)$/.exec(url)?.[1];
    if (reference === undefined) return res.writeHead(404).end();
    const served = Object.prototype.hasOwnProperty.call(manifests, reference) ? manifests[reference] : evil;
    const named = req.method === 'HEAD' && served.headDigest !== undefined ? served.headDigest : served.digestHeader;
    const digest = named === undefined ? sha256(served.bytes) : named;
    res.writeHead(200, {
      'content-type': served.mediaType,
      'content-length': String(served.bytes.length),
      ...(digest !== null && { 'docker-content-digest': digest }),
    });
    res.end(req.method === 'HEAD' ? undefined : served.bytes);
  });
}

function indexOf(childDigest: string): Served {
  return {
    bytes: Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: childDigest, size: evil.bytes.length, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    ),
    mediaType: OCI_INDEX,
  };
}

async function catalog(): Promise<string[]> {
  const res = await fetch(`${target.url}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

/** Copies `S/src/app:v1` (or `@digest`) to the target's prod/app; returns how the action would answer the failure. */
async function copyFrom(source: Recorder, reference = 'v1'): Promise<{ permanent: boolean; message: string } | undefined> {
  const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: RETRY });
  const sep = reference.startsWith('sha') ? '@' : ':';
  try {
    await copyImage(
      registries.client(source.host),
      parseImageRef(`${source.host}/src/app${sep}${reference}`),
      registries.client(target.host),
      parseImageRef(`${target.host}/prod/app:v1`),
      {
        jobs: 2,
        retry: RETRY,
      },
    );
    return undefined;
  } catch (err) {
    const answer = asActionError(err, 'copy');
    return { permanent: isPermanentError(answer), message: answer.message };
  } finally {
    registries.close();
  }
}

/** What a user checks on the target: the other repository's tag is where it was, and the copy set no tag. */
async function expectTargetUntouched(): Promise<void> {
  expect(await tagDigest(target.url, 'prod/other-repo', 'latest')).toBe(victim.digest);
  expect(await tagDigest(target.url, 'prod/app', 'v1')).toBeUndefined();
  expect((await catalog()).filter((r) => r !== 'prod/other-repo' && r !== 'prod/app')).toEqual([]);
}

const hostileDigests: [string, string][] = [
  ['a path', '../../other-repo/manifests/latest'],
  ['a percent-encoded path', '..%2F..%2Fother-repo%2Fmanifests%2Flatest'],
  ['a digest with a path', `sha256:${'a'.repeat(64)}/../../../other-repo/manifests/latest`],
  ['the wrong length', `sha256:${'a'.repeat(63)}`],
  ['upper-case hex', `sha256:${'A'.repeat(64)}`],
  ['an unknown algorithm', `md5:${'a'.repeat(32)}`],
];

test.each(hostileDigests)('an index child whose digest is %s is refused before anything is written', async (_what, digest) => {
  const source = await hostileSource({ v1: indexOf(digest) });
  try {
    const failure = await copyFrom(source);
    await expectTargetUntouched();
    expect(failure).toMatchObject({ permanent: true, message: expect.stringMatching(/digest/) });
    // Nothing was asked of the source beyond the index itself (and its tag list): the bad digest went into no URL.
    expect(source.seen.filter((s) => !/\/(manifests\/(v1|sha256:[a-f0-9]{64})|tags\/list\?n=1000)$/.test(s.path))).toEqual([]);
  } finally {
    await source.stop();
  }
});

test('a layer whose digest is a path is refused before any blob request', async () => {
  const body = JSON.parse(evil.bytes.toString('utf8')) as { layers: { digest: string }[] };
  body.layers[0].digest = '../../../other-repo/manifests/latest';
  const source = await hostileSource({ v1: { bytes: Buffer.from(JSON.stringify(body)), mediaType: OCI_MANIFEST } });
  try {
    const failure = await copyFrom(source);
    await expectTargetUntouched();
    expect(failure).toMatchObject({ permanent: true, message: expect.stringContaining('descriptor digest') });
  } finally {
    await source.stop();
  }
});

test('a manifest fetched by tag whose bytes are not the digest the registry names is refused', async () => {
  // HEAD names no digest, so the copy reads the tag; the GET names a digest its bytes do not have.
  const source = await hostileSource({ v1: { ...evil, digestHeader: null } });
  const lying = await hostileSource({ v1: { ...evil, headDigest: null, digestHeader: `sha256:${'b'.repeat(64)}` } });
  try {
    // Without a digest from the registry, the bytes' own digest is the identity: this one copies.
    expect(await copyFrom(source)).toBeUndefined();
    expect(await tagDigest(target.url, 'prod/app', 'v1')).toBe(sha256(evil.bytes));
    await fetch(`${target.url}/v2/prod/app/manifests/${sha256(evil.bytes)}`, { method: 'DELETE' });
    const failure = await copyFrom(lying);
    await expectTargetUntouched();
    expect(failure).toMatchObject({ permanent: true, message: expect.stringContaining('digest mismatch') });
  } finally {
    await Promise.all([source.stop(), lying.stop()]);
  }
});

test('a manifest asked for by digest that answers other bytes is refused', async () => {
  const claimed = `sha256:${'d'.repeat(64)}`;
  const source = await hostileSource({ [claimed]: { ...evil, digestHeader: claimed } });
  try {
    const failure = await copyFrom(source, claimed);
    await expectTargetUntouched();
    expect(failure).toMatchObject({ permanent: true, message: expect.stringContaining('digest mismatch') });
  } finally {
    await source.stop();
  }
});

test('a HEAD naming a digest that is a path is refused, not used in a URL', async () => {
  const source = await hostileSource({ v1: { ...evil, digestHeader: '../../other-repo/manifests/latest' } });
  try {
    const failure = await copyFrom(source);
    await expectTargetUntouched();
    expect(failure).toMatchObject({ permanent: true, message: expect.stringContaining('invalid digest') });
  } finally {
    await source.stop();
  }
});
