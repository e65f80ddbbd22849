/**
 * What refers to a manifest, and how a registry records it. Three ways exist in
 * the wild, and a released image may use all of them:
 * - OCI 1.1 `subject`: a manifest naming another; listed by the referrers API
 *   (`GET /v2/<repo>/referrers/<digest>`) or, on registries without it, in an
 *   index under the fallback tag `<alg>-<hex>` that clients keep up to date;
 * - cosign's tags `sha256-<hex>.sig`, `.att` and `.sbom`, naming a manifest
 *   whose layers are the signatures, attestations or SBOM.
 * Pure functions; client.ts and copy.ts make the requests.
 */
import { MEDIA_TYPES, ManifestError, type Descriptor, type ParsedManifest } from './manifest';
import { isDigest, quoted } from './reference';

/** cosign's tag suffixes, in the order cosign documents them. */
export const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** A hostile source could list referrers without end: more than this in one copy is refused. */
export const MAX_REFERRERS = 256;
/** Referrers of referrers (a signature of an attestation) are followed this deep. */
export const MAX_REFERRER_DEPTH = 4;

function parts(digest: string): [string, string] {
  if (!isDigest(digest)) throw new ManifestError(`invalid digest ${quoted(digest)}`);
  const colon = digest.indexOf(':');
  return [digest.slice(0, colon), digest.slice(colon + 1)];
}

/** The referrers tag schema (OCI distribution spec 1.1): `<alg>-<ref>`, alg cut to 32 and ref to 64 characters. */
export function fallbackTag(digest: string): string {
  const [alg, hex] = parts(digest);
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`;
}

/** cosign's tags for a digest: `sha256-<hex>.sig`, `.att`, `.sbom`. */
export function cosignTags(digest: string): string[] {
  const [alg, hex] = parts(digest);
  return COSIGN_SUFFIXES.map((suffix) => `${alg}-${hex}.${suffix}`);
}

const REFERRER_TAG = /^sha(?:256|512)-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?$/;

/** A tag that records referrers (a fallback index, or cosign's .sig/.att/.sbom), not a release of its own. */
export function isReferrerTag(tag: string): boolean {
  return REFERRER_TAG.test(tag);
}

const GENERIC_CONFIGS = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
  'application/vnd.oci.empty.v1+json',
]);

/**
 * What an artifact is, as the referrers API reports it: `artifactType`, else the
 * config's media type (OCI 1.1); for cosign's manifests (a generic config) the
 * first layer's, e.g. `application/vnd.dev.cosign.simplesigning.v1+json`.
 */
export function artifactTypeOf(manifest: ParsedManifest): string | undefined {
  if (manifest.artifactType) return manifest.artifactType;
  if (manifest.kind !== 'image') return undefined;
  const [config, ...layers] = manifest.blobs;
  if (config && !GENERIC_CONFIGS.has(config.mediaType)) return config.mediaType;
  return layers[0]?.mediaType ?? config?.mediaType;
}

/** True when a filter (a list of artifact types; absent or empty: all) keeps this type. */
export function artifactTypeAllowed(filter: readonly string[] | undefined, type: string | undefined): boolean {
  return !filter || filter.length === 0 || (type !== undefined && filter.includes(type));
}

/** The descriptor a referrers index lists for a manifest (spec: its artifactType and annotations). */
export function referrerDescriptor(manifest: ParsedManifest, bytes: Buffer, digest: string): Descriptor {
  const type = artifactTypeOf(manifest);
  return {
    mediaType: manifest.mediaType,
    digest,
    size: bytes.length,
    ...(type !== undefined && { artifactType: type }),
    ...(manifest.annotations && { annotations: manifest.annotations }),
  };
}

/** The descriptors a referrers index (the API's answer or a fallback tag's manifest) lists. */
export function referrersOf(index: ParsedManifest, where: string): readonly Descriptor[] {
  if (index.kind !== 'index') throw new ManifestError(`${where}: a referrers list must be an index`);
  return index.manifests;
}

/**
 * The target's fallback index with `added` merged in: every entry already there
 * is kept as it is (another tool's referrers, or an earlier copy's), and only
 * digests it does not list are appended. Undefined when nothing is missing, so
 * the tag is not rewritten.
 */
export function mergedReferrersIndex(existing: Buffer | undefined, added: readonly Descriptor[], where: string): Buffer | undefined {
  let body: Record<string, unknown> = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  if (existing) {
    try {
      body = JSON.parse(existing.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ManifestError(`${where}: the target's referrers tag is not JSON; it is not overwritten`);
    }
    if (!body || typeof body !== 'object' || !Array.isArray(body.manifests)) {
      throw new ManifestError(`${where}: the target's referrers tag is not an index; it is not overwritten`);
    }
  }
  const manifests = body.manifests as { digest?: unknown }[];
  const listed = new Set(manifests.map((m) => m?.digest));
  const missing = added.filter((d, i) => !listed.has(d.digest) && added.findIndex((o) => o.digest === d.digest) === i);
  if (missing.length === 0) return undefined;
  return Buffer.from(JSON.stringify({ ...body, manifests: [...manifests, ...missing] }));
}
