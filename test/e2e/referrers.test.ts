/**
 * Signed releases: an image copied with what refers to it (a cosign signature,
 * an attestation and an SBOM through `subject`, a signature of the attestation),
 * between two docker-registry instances (no referrers API: fallback tags), and
 * against a test registry that serves the referrers API. A verifier reading only
 * the target checks the signatures; every digest is the source's.
 */
import { copyImageCommand } from '../../functions/cli/copy-image';
import { copyImage, ReadBackMismatchError, type CopyOptions } from '../../functions/registry/copy';
import { credentialSource } from '../../functions/registry/credentials';
import { parseImageRef } from '../../functions/registry/reference';
import { Registries } from '../../functions/registry/registries';
import { DEFAULT_RETRY } from '../../functions/registry/retry';
import { startRegistry, type Registry } from '../support/registry';
import { startReferrersRegistry, type ReferrersRegistry } from '../support/referrers-registry';
import {
  OCI_MANIFEST,
  SIMPLE_SIGNING,
  attestationSpec,
  cosignSign,
  fallbackIndexDigests,
  helmChartSpec,
  pushArtifact,
  pushFallbackIndex,
  sbomSpec,
  signingKeys,
  verifyCosign,
  type Described,
} from '../support/signed-images';
import { blobDigest, pushBlob, pushImage, tagDigest } from '../support/synthetic-images';
import { Readable } from 'stream';
import { createHash } from 'crypto';

const KIB = 1024;
let source: Registry;
let target: Registry;
const keys = signingKeys();

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry('referrers-source'), startRegistry('referrers-target')]);
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

function copy(src: string, dst: string, extra: Partial<CopyOptions> = {}) {
  const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });
  const [s, d] = [parseImageRef(src), parseImageRef(dst)];
  return copyImage(registries.client(s.host), s, registries.client(d.host), d, { jobs: 4, retry: DEFAULT_RETRY, ...extra }).finally(() => registries.close());
}

async function manifestBytes(registryUrl: string, repository: string, reference: string): Promise<Buffer> {
  const res = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: `${OCI_MANIFEST}, application/vnd.oci.image.index.v1+json` },
  });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

/** A signed release in `registryUrl`: image, its .sig, an attestation and an SBOM in its fallback tag, a .sig of the attestation. */
async function signedRelease(registryUrl: string, repo: string, seed: string) {
  const image = await pushImage(registryUrl, repo, { seed, layerSizes: [64 * KIB, 32 * KIB] }, 'v1');
  const subject: Described = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
  const signature = await cosignSign(registryUrl, repo, `${registryUrl.replace('http://', '')}/${repo}`, image.digest, keys.privateKey);
  const attestation = await pushArtifact(registryUrl, repo, attestationSpec(subject, keys.privateKey));
  const sbom = await pushArtifact(registryUrl, repo, sbomSpec(subject));
  const fallback = await pushFallbackIndex(
    registryUrl,
    repo,
    image.digest,
    [attestation, sbom].map(({ bytes: _b, ...d }) => d),
  );
  const attestationSignature = await cosignSign(registryUrl, repo, `${registryUrl.replace('http://', '')}/${repo}`, attestation.digest, keys.privateKey);
  return { image, subject, signature, attestation, sbom, fallback, attestationSignature };
}

test("a signed image arrives with its signature, attestation, SBOM and the attestation's signature; a verifier on the target accepts them", async () => {
  const r = await signedRelease(source.url, 'build/app', 'signed-app');
  // The target already lists a referrer of its own for this image: it must survive the merge.
  await pushImage(target.url, 'prod/app', { seed: 'signed-app', layerSizes: [64 * KIB, 32 * KIB] }); // the same image, by digest
  const own = await pushArtifact(target.url, 'prod/app', {
    artifactType: 'application/vnd.example.scan+json',
    layers: [{ mediaType: 'application/json', bytes: Buffer.from('{"ok":true}') }],
    subject: r.subject,
  });
  await pushFallbackIndex(target.url, 'prod/app', r.image.digest, [
    { mediaType: own.mediaType, digest: own.digest, size: own.size, artifactType: own.artifactType },
  ]);

  const report = await copy(`${source.host}/build/app:v1`, `${target.host}/prod/app:v1`);
  expect(report.readBack).toBe(r.image.digest);
  expect(await tagDigest(target.url, 'prod/app', 'v1')).toBe(r.image.digest);
  // The same set, digest for digest.
  expect(await tagDigest(target.url, 'prod/app', `sha256-${r.image.digest.slice(7)}.sig`)).toBe(r.signature.digest);
  expect(await tagDigest(target.url, 'prod/app', `sha256-${r.attestation.digest.slice(7)}.sig`)).toBe(r.attestationSignature.digest);
  for (const m of [r.attestation, r.sbom]) expect((await manifestBytes(target.url, 'prod/app', m.digest)).equals(m.bytes)).toBe(true);
  expect((await fallbackIndexDigests(target.url, 'prod/app', r.image.digest)).sort()).toEqual([own.digest, r.attestation.digest, r.sbom.digest].sort());
  expect(report.referrers.map((x) => [x.digest, x.recordedAs]).sort()).toEqual(
    [
      [r.signature.digest, 'tag'],
      [r.attestation.digest, 'fallback-tag'],
      [r.sbom.digest, 'fallback-tag'],
      [r.attestationSignature.digest, 'tag'],
    ].sort(),
  );
  // What a target organisation enforcing signatures checks, reading the target only.
  expect(await verifyCosign(target.url, 'prod/app', r.image.digest, keys.publicKey)).toBe(1);
  expect(await verifyCosign(target.url, 'prod/app', r.attestation.digest, keys.publicKey)).toBe(1);
  expect(await verifyCosign(target.url, 'prod/app', r.image.digest, signingKeys().publicKey)).toBe(0); // the verifier can say no

  // Redelivered: nothing is written again; an SBOM attached since arrives.
  const fallbackBefore = await manifestBytes(target.url, 'prod/app', `sha256-${r.image.digest.slice(7)}`);
  const again = await copy(`${source.host}/build/app:v1`, `${target.host}/prod/app:v1`);
  expect(again.upToDate).toBe(true);
  expect(again.referrers.every((x) => !x.copied)).toBe(true);
  expect((await manifestBytes(target.url, 'prod/app', `sha256-${r.image.digest.slice(7)}`)).equals(fallbackBefore)).toBe(true);
  const late = await pushArtifact(source.url, 'build/app', { ...sbomSpec(r.subject), annotations: { late: 'yes' } });
  await pushFallbackIndex(
    source.url,
    'build/app',
    r.image.digest,
    [r.attestation, r.sbom, late].map(({ bytes: _b, ...d }) => d),
  );
  const third = await copy(`${source.host}/build/app:v1`, `${target.host}/prod/app:v1`);
  expect(third.referrers.filter((x) => x.copied).map((x) => x.digest)).toEqual([late.digest]);
  expect((await fallbackIndexDigests(target.url, 'prod/app', r.image.digest)).sort()).toEqual(
    [own.digest, r.attestation.digest, r.sbom.digest, late.digest].sort(),
  );
});

test('the artifactType filter keeps only the named referrers; --no-referrers copies the image alone; copy-image copies them by default', async () => {
  const r = await signedRelease(source.url, 'build/filtered', 'filtered-app');
  const report = await copy(`${source.host}/build/filtered:v1`, `${target.host}/prod/filtered:v1`, { referrers: { artifactTypes: [SIMPLE_SIGNING] } });
  expect(report.referrers.map((x) => x.digest).sort()).toEqual([r.signature.digest].sort());
  expect(await verifyCosign(target.url, 'prod/filtered', r.image.digest, keys.publicKey)).toBe(1);
  expect(await fallbackIndexDigests(target.url, 'prod/filtered', r.image.digest)).toEqual([]);

  const io = () => ({ stderr: { write: () => true, isTTY: false }, env: {} });
  expect(await copyImageCommand(['--no-referrers', `${source.host}/build/filtered:v1`, `${target.host}/prod/bare:v1`], io())).toBe(0);
  expect(await tagDigest(target.url, 'prod/bare', 'v1')).toBe(r.image.digest);
  expect(await tagDigest(target.url, 'prod/bare', `sha256-${r.image.digest.slice(7)}.sig`)).toBeUndefined();
  expect(await fallbackIndexDigests(target.url, 'prod/bare', r.image.digest)).toEqual([]);

  expect(await copyImageCommand([`${source.host}/build/filtered:v1`, `${target.host}/prod/cli:v1`], io())).toBe(0);
  expect(await verifyCosign(target.url, 'prod/cli', r.image.digest, keys.publicKey)).toBe(1);
  expect((await fallbackIndexDigests(target.url, 'prod/cli', r.image.digest)).sort()).toEqual([r.attestation.digest, r.sbom.digest].sort());
});

test('a Helm chart (any config and layer types, artifactType, annotations, subject) copies unchanged, with the chart listed as a referrer', async () => {
  const image = await pushImage(source.url, 'charts/api', { seed: 'helm-image', layerSizes: [16 * KIB] }, 'v1');
  const chart = await pushArtifact(source.url, 'charts/api', helmChartSpec(), '1.2.0');
  const subject = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
  const attached = await pushArtifact(source.url, 'charts/api', helmChartSpec(subject));
  await pushFallbackIndex(source.url, 'charts/api', image.digest, [
    { mediaType: attached.mediaType, digest: attached.digest, size: attached.size, artifactType: attached.artifactType },
  ]);

  const report = await copy(`${source.host}/charts/api:1.2.0`, `${target.host}/prod/charts/api:1.2.0`);
  expect(report.readBack).toBe(chart.digest);
  expect((await manifestBytes(target.url, 'prod/charts/api', '1.2.0')).equals(chart.bytes)).toBe(true);
  const body = JSON.parse(chart.bytes.toString('utf8')) as { config: Described; layers: Described[] };
  for (const b of [body.config, ...body.layers]) expect(await blobDigest(target.url, 'prod/charts/api', b.digest)).toBe(b.digest);

  await copy(`${source.host}/charts/api:v1`, `${target.host}/prod/charts/api:v1`);
  expect((await manifestBytes(target.url, 'prod/charts/api', attached.digest)).equals(attached.bytes)).toBe(true);
  expect(await fallbackIndexDigests(target.url, 'prod/charts/api', image.digest)).toEqual([attached.digest]);
});

test('a fallback index listing a manifest that does not name the image as its subject: that one is not copied', async () => {
  const image = await pushImage(source.url, 'build/liar', { seed: 'liar', layerSizes: [4 * KIB] }, 'v1');
  const unrelated = await pushImage(source.url, 'build/liar', { seed: 'liar-unrelated', layerSizes: [4 * KIB] });
  await pushFallbackIndex(source.url, 'build/liar', image.digest, [{ mediaType: unrelated.mediaType, digest: unrelated.digest, size: unrelated.bytes.length }]);
  const report = await copy(`${source.host}/build/liar:v1`, `${target.host}/prod/liar:v1`);
  expect(report.referrers).toEqual([]);
  expect(await tagDigest(target.url, 'prod/liar', unrelated.digest)).toBeUndefined();
  expect(await fallbackIndexDigests(target.url, 'prod/liar', image.digest)).toEqual([]);
});

describe('against a registry that serves the referrers API', () => {
  let api: ReferrersRegistry;
  beforeEach(async () => {
    api = await startReferrersRegistry();
  });
  afterEach(async () => {
    await api.stop();
  });

  test('referrers found by the API are copied and recorded in a target without it through its fallback tag', async () => {
    const image = await pushImage(api.url, 'build/api', { seed: 'api-source', layerSizes: [8 * KIB] }, 'v1');
    const subject = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
    const attestation = await pushArtifact(api.url, 'build/api', attestationSpec(subject, keys.privateKey));
    const report = await copy(`${api.host}/build/api:v1`, `${target.host}/prod/from-api:v1`);
    expect(api.requests).toContain(`GET /v2/build/api/referrers/${image.digest}`);
    expect(api.requests).not.toContain(`GET /v2/build/api/manifests/sha256-${image.digest.slice(7)}`); // the API answered: no fallback tag read
    expect(report.referrers).toEqual([
      { digest: attestation.digest, subject: image.digest, artifactType: 'application/vnd.in-toto+json', recordedAs: 'fallback-tag', copied: true },
    ]);
    expect(await fallbackIndexDigests(target.url, 'prod/from-api', image.digest)).toEqual([attestation.digest]);
  });

  test('a target with the API records referrers itself: no fallback tag is written, and its API lists them', async () => {
    const r = await signedRelease(source.url, 'build/to-api', 'to-api');
    const report = await copy(`${source.host}/build/to-api:v1`, `${api.host}/prod/app:v1`);
    expect(
      report.referrers
        .filter((x) => x.recordedAs === 'referrers-api')
        .map((x) => x.digest)
        .sort(),
    ).toEqual([r.attestation.digest, r.sbom.digest].sort());
    expect(api.requests.filter((q) => q.startsWith('PUT ') && q.endsWith(`/manifests/sha256-${r.image.digest.slice(7)}`))).toEqual([]);
    const listed = (await (await fetch(`${api.url}/v2/prod/app/referrers/${r.image.digest}`)).json()) as { manifests: Described[] };
    expect(listed.manifests.map((m) => m.digest).sort()).toEqual([r.attestation.digest, r.sbom.digest].sort());
    expect(await verifyCosign(api.url, 'prod/app', r.image.digest, keys.publicKey)).toBe(1);
    // The referrers went in before the tag moved.
    const tagPut = api.requests.indexOf('PUT /v2/prod/app/manifests/v1');
    for (const d of [r.signature.digest, r.attestation.digest, r.sbom.digest])
      expect(api.requests.indexOf(`PUT /v2/prod/app/manifests/${d}`)).toBeLessThan(tagPut);
  });

  test('a source whose tag list is longer than one page: each referrer tag is asked by HEAD, the signature still copied, the list not asked again soon', async () => {
    const image = await pushImage(api.url, 'build/many', { seed: 'many-tags', layerSizes: [KIB] }, 'v1');
    for (let i = 0; i < 1000; i++) api.put('build/many', `old-${String(i).padStart(4, '0')}`, image.bytes, image.mediaType);
    const signature = await cosignSign(api.url, 'build/many', `${api.host}/build/many`, image.digest, keys.privateKey);
    const registries = new Registries({ insecure: false, credentials: credentialSource([], {}), retry: DEFAULT_RETRY });
    const [s, d] = [parseImageRef(`${api.host}/build/many:v1`), parseImageRef(`${target.host}/prod/many:v1`)];
    const copyOnce = () => copyImage(registries.client(s.host), s, registries.client(d.host), d, { jobs: 4, retry: DEFAULT_RETRY });
    try {
      const first = await copyOnce();
      expect(first.referrers.map((r) => r.digest)).toEqual([signature.digest]);
      expect(await verifyCosign(target.url, 'prod/many', image.digest, keys.publicKey)).toBe(1);
      const hex = image.digest.slice('sha256:'.length);
      for (const suffix of ['sig', 'att', 'sbom']) expect(api.requests).toContain(`HEAD /v2/build/many/manifests/sha256-${hex}.${suffix}`);
      // One page, at the copy's start; it had a Link to more, so no further page, and not again when the referrers were looked up.
      expect(api.requests.filter((r) => r === 'GET /v2/build/many/tags/list')).toHaveLength(1);
      api.requests.length = 0;
      const again = await copyOnce();
      expect(again).toMatchObject({ upToDate: true, digest: image.digest });
      expect(api.requests).not.toContain('GET /v2/build/many/tags/list');
      expect(api.requests).toContain(`HEAD /v2/build/many/manifests/sha256-${hex}.sig`);
    } finally {
      registries.close();
    }
  });

  test('a source listing more referrers than the bound fails the copy permanently, and the tag is not set', async () => {
    const image = await pushImage(api.url, 'build/flood', { seed: 'flood', layerSizes: [KIB] }, 'v1');
    const empty = Buffer.from('{}');
    const emptyDigest = `sha256:${createHash('sha256').update(empty).digest('hex')}`;
    await pushBlob(api.url, 'build/flood', {
      digest: emptyDigest,
      size: 2,
      mediaType: 'application/vnd.oci.empty.v1+json',
      open: () => Readable.from([empty]),
    });
    for (let i = 0; i < 300; i++) {
      const body = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/x-flood',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
        layers: [],
        subject: { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length },
        annotations: { n: String(i) },
      };
      const bytes = Buffer.from(JSON.stringify(body));
      api.put('build/flood', `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes, OCI_MANIFEST);
    }
    const failure = await copy(`${api.host}/build/flood:v1`, `${target.host}/prod/flood:v1`).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/more than 256 referrers/);
    expect((failure as { disposition?: string }).disposition).toBe('permanent');
    expect(await tagDigest(target.url, 'prod/flood', 'v1')).toBeUndefined();
  });

  test('a tag that names another digest when read back after the write fails the copy, permanently', async () => {
    const image = await pushImage(source.url, 'build/raced', { seed: 'raced', layerSizes: [4 * KIB] }, 'v1');
    const other = await pushImage(source.url, 'build/raced', { seed: 'raced-other', layerSizes: [4 * KIB] });
    // Another writer moves the tag right after ours: a registry that lets the last writer win.
    api.afterTagWrite = (repository, tag, registry) => {
      if (tag === 'v1') registry.put(repository, 'v1', other.bytes, other.mediaType);
    };
    const failure = await copy(`${source.host}/build/raced:v1`, `${api.host}/prod/raced:v1`).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ReadBackMismatchError);
    expect((failure as ReadBackMismatchError).disposition).toBe('permanent');
    expect((failure as Error).message).toContain(`names ${other.digest}, not the copied ${image.digest}`);
  });
});
