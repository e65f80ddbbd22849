/**
 * Signed images and OCI artifacts as cosign, in-toto and Helm write them, pushed
 * over the Distribution API with fetch (not with the copier under test), and a
 * verifier that checks a cosign signature the way `cosign verify --key` does:
 * the `.sig` tag's layers are simple-signing payloads naming the image digest,
 * each signed (ECDSA P-256, SHA-256, DER, base64) in the layer's annotation.
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'crypto';
import { gzipSync } from 'zlib';
import { pushBlob, pushManifest, type Blob } from './synthetic-images';
import { Readable } from 'stream';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

export interface Described {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

export interface PushedManifest extends Described {
  readonly bytes: Buffer;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hexOf = (digest: string) => digest.slice('sha256:'.length);

function blob(bytes: Buffer, mediaType: string): Blob {
  return { digest: sha256(bytes), size: bytes.length, mediaType, open: () => Readable.from([bytes]) };
}

export function signingKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export interface ArtifactSpec {
  readonly artifactType?: string;
  readonly config?: { mediaType: string; bytes: Buffer };
  readonly layers: readonly { mediaType: string; bytes: Buffer; annotations?: Record<string, string> }[];
  readonly subject?: Described;
  readonly annotations?: Record<string, string>;
}

/** Pushes an OCI manifest of arbitrary config and layers (an artifact); tagged when `tag` is given. */
export async function pushArtifact(registryUrl: string, repository: string, spec: ArtifactSpec, tag?: string): Promise<PushedManifest> {
  const config = spec.config ?? { mediaType: EMPTY_CONFIG, bytes: Buffer.from('{}') };
  const blobs = [blob(config.bytes, config.mediaType), ...spec.layers.map((l) => blob(l.bytes, l.mediaType))];
  for (const b of blobs) await pushBlob(registryUrl, repository, b);
  const describe = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const body = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(spec.artifactType && { artifactType: spec.artifactType }),
    config: describe(blobs[0]),
    layers: spec.layers.map((l, i) => ({ ...describe(blobs[i + 1]), ...(l.annotations && { annotations: l.annotations }) })),
    ...(spec.subject && { subject: { mediaType: spec.subject.mediaType, digest: spec.subject.digest, size: spec.subject.size } }),
    ...(spec.annotations && { annotations: spec.annotations }),
  };
  const bytes = Buffer.from(JSON.stringify(body));
  const digest = sha256(bytes);
  await pushManifest(registryUrl, repository, tag ?? digest, bytes, OCI_MANIFEST);
  return {
    mediaType: OCI_MANIFEST,
    digest,
    size: bytes.length,
    bytes,
    ...(spec.artifactType && { artifactType: spec.artifactType }),
    ...(spec.annotations && { annotations: spec.annotations }),
  };
}

/** The simple-signing payload cosign signs: it names the image by digest. */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }),
  );
}

/** `cosign sign --key`: a manifest under `sha256-<hex>.sig` whose layer is the payload, its signature in an annotation. */
export async function cosignSign(
  registryUrl: string,
  repository: string,
  dockerReference: string,
  subjectDigest: string,
  privateKey: KeyObject,
): Promise<PushedManifest> {
  const payload = simpleSigningPayload(dockerReference, subjectDigest);
  const signature = sign('sha256', payload, privateKey).toString('base64');
  // cosign's config names the payload as the one layer's diff_id.
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: [sha256(payload)] },
      config: {},
    }),
  );
  return pushArtifact(
    registryUrl,
    repository,
    {
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', bytes: config },
      layers: [{ mediaType: SIMPLE_SIGNING, bytes: payload, annotations: { [SIGNATURE_ANNOTATION]: signature } }],
    },
    `sha256-${hexOf(subjectDigest)}.sig`,
  );
}

/** An in-toto attestation (DSSE envelope) attached through `subject`, as `cosign attest` writes OCI 1.1 referrers. */
export function attestationSpec(subject: Described, privateKey: KeyObject): ArtifactSpec {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: hexOf(subject.digest) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: { buildType: 'test' },
    }),
  );
  const pae = Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${statement.length} `), statement]);
  const envelope = {
    payloadType: 'application/vnd.in-toto+json',
    payload: statement.toString('base64'),
    signatures: [{ sig: sign('sha256', pae, privateKey).toString('base64') }],
  };
  return {
    artifactType: 'application/vnd.in-toto+json',
    layers: [
      {
        mediaType: 'application/vnd.dsse.envelope.v1+json',
        bytes: Buffer.from(JSON.stringify(envelope)),
        annotations: { 'dev.sigstore.cosign/predicateType': 'https://slsa.dev/provenance/v1' },
      },
    ],
    subject,
    annotations: { 'org.opencontainers.image.created': '2026-12-01T00:00:00Z' },
  };
}

export function sbomSpec(subject: Described): ArtifactSpec {
  return {
    artifactType: 'application/spdx+json',
    layers: [{ mediaType: 'application/spdx+json', bytes: Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'image', packages: [] })) }],
    subject,
  };
}

/** A Helm chart as `helm push` stores it: chart config, one .tgz layer, annotations. */
export function helmChartSpec(subject?: Described): ArtifactSpec {
  return {
    artifactType: 'application/vnd.cncf.helm.chart.v1',
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', bytes: Buffer.from(JSON.stringify({ name: 'api', version: '1.2.0', apiVersion: 'v2' })) },
    layers: [
      {
        mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        bytes: gzipSync(Buffer.from('api/Chart.yaml\napiVersion: v2\nname: api\nversion: 1.2.0\n')),
      },
    ],
    annotations: { 'org.opencontainers.image.title': 'api', 'org.opencontainers.image.version': '1.2.0' },
    ...(subject && { subject }),
  };
}

/** The `<alg>-<hex>` referrers index a client without the referrers API keeps. */
export async function pushFallbackIndex(registryUrl: string, repository: string, subjectDigest: string, referrers: readonly Described[]): Promise<Buffer> {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: referrers }));
  await pushManifest(registryUrl, repository, `sha256-${hexOf(subjectDigest)}`, bytes, OCI_INDEX);
  return bytes;
}

async function getJson(url: string, accept?: string): Promise<{ status: number; bytes: Buffer; digest?: string }> {
  const res = await fetch(url, { headers: accept ? { accept } : {} });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes, digest: res.headers.get('docker-content-digest') ?? undefined };
}

/** The manifests a registry's `<alg>-<hex>` fallback tag lists (empty when absent). */
export async function fallbackIndexDigests(registryUrl: string, repository: string, subjectDigest: string): Promise<string[]> {
  const res = await getJson(`${registryUrl}/v2/${repository}/manifests/sha256-${hexOf(subjectDigest)}`, OCI_INDEX);
  if (res.status === 404) return [];
  return (JSON.parse(res.bytes.toString('utf8')) as { manifests: Described[] }).manifests.map((m) => m.digest);
}

/**
 * `cosign verify --key`, reading only `registryUrl`: the image's `.sig` tag, every
 * layer's payload fetched and checked against its digest, the payload naming
 * `imageDigest`, the signature valid under `publicKey`. The count of valid ones.
 */
export async function verifyCosign(registryUrl: string, repository: string, imageDigest: string, publicKey: KeyObject): Promise<number> {
  const sig = await getJson(`${registryUrl}/v2/${repository}/manifests/sha256-${hexOf(imageDigest)}.sig`, OCI_MANIFEST);
  if (sig.status !== 200) return 0;
  const manifest = JSON.parse(sig.bytes.toString('utf8')) as { layers: Described[] };
  let valid = 0;
  for (const layer of manifest.layers) {
    const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
    if (layer.mediaType !== SIMPLE_SIGNING || !signature) continue;
    const payload = await getJson(`${registryUrl}/v2/${repository}/blobs/${layer.digest}`);
    if (payload.status !== 200 || sha256(payload.bytes) !== layer.digest) continue;
    const named = (JSON.parse(payload.bytes.toString('utf8')) as { critical: { image: { 'docker-manifest-digest': string } } }).critical.image[
      'docker-manifest-digest'
    ];
    if (named === imageDigest && verify('sha256', payload.bytes, publicKey, Buffer.from(signature, 'base64'))) valid++;
  }
  return valid;
}
