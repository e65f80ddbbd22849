/**
 * Manifests and indexes (Docker v2 schema 2 and OCI): what a copy must move
 * before a manifest can be pushed. Pure functions over the manifest bytes.
 * A source registry is a peer like any other: every descriptor is checked here,
 * before its digest is used in a URL or a comparison.
 */
import { isDigest, quoted } from './reference';
import { DispositionError } from '../support/disposition';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Sent on every manifest GET/HEAD so the registry never down-converts to schema 1. */
export const MANIFEST_ACCEPT = Object.values(MEDIA_TYPES).join(', ');

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly platform?: Platform;
  /** OCI 1.1: what an artifact is (on referrers' descriptors and artifact manifests). */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What every manifest may carry besides its contents: OCI 1.1 `subject` (the manifest it refers to) and `artifactType`. */
interface ManifestCommon {
  readonly mediaType: string;
  readonly subject?: Descriptor;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type ParsedManifest =
  | (ManifestCommon & { readonly kind: 'index'; readonly manifests: readonly Descriptor[] })
  | (ManifestCommon & { readonly kind: 'image'; readonly blobs: readonly Descriptor[] });

/** A manifest the copier cannot use as it is: retrying will not change it. */
export class ManifestError extends DispositionError {
  constructor(message: string) {
    super(message, 'permanent');
    this.name = 'ManifestError';
  }
}

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest]);

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
    throw new ManifestError(`${where}: descriptor without mediaType, digest and size`);
  }
  if (!isDigest(d.digest)) throw new ManifestError(`${where}: descriptor digest ${quoted(d.digest)} is not sha256:<64 hex> or sha512:<128 hex>`);
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw new ManifestError(`${where}: descriptor ${d.digest} has an invalid size`);
  if (d.urls !== undefined && !(Array.isArray(d.urls) && d.urls.every((u) => typeof u === 'string'))) {
    throw new ManifestError(`${where}: descriptor ${d.digest} has invalid urls`);
  }
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string')
    throw new ManifestError(`${where}: descriptor ${d.digest} has an invalid artifactType`);
  if (d.annotations !== undefined && !isAnnotations(d.annotations)) throw new ManifestError(`${where}: descriptor ${d.digest} has invalid annotations`);
  return d as Descriptor;
}

function isAnnotations(value: unknown): value is Record<string, string> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** `subject`, `artifactType` and `annotations` of a manifest body, checked like descriptors. */
function common(body: Record<string, unknown>, mediaType: string, where: string): ManifestCommon {
  if (body.artifactType !== undefined && typeof body.artifactType !== 'string') throw new ManifestError(`${where}: invalid artifactType`);
  if (body.annotations !== undefined && !isAnnotations(body.annotations)) throw new ManifestError(`${where}: invalid annotations`);
  return {
    mediaType,
    ...(body.subject !== undefined && { subject: descriptor(body.subject, `${where} subject`) }),
    ...(typeof body.artifactType === 'string' && { artifactType: body.artifactType }),
    ...(body.annotations !== undefined && { annotations: body.annotations }),
  };
}

/**
 * The registry's Content-Type wins; the body's own mediaType is the fallback
 * (OCI manifests may omit it, in which case `manifests` vs `layers` decides).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, where: string): ParsedManifest {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ManifestError(`${where}: manifest is not JSON`);
  }
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  const type = [contentType?.split(';')[0].trim(), declared].find((t) => t && (INDEX_TYPES.has(t) || IMAGE_TYPES.has(t)));
  const mediaType = type ?? (Array.isArray(body.manifests) ? MEDIA_TYPES.ociIndex : Array.isArray(body.layers) ? MEDIA_TYPES.ociManifest : '');
  if (INDEX_TYPES.has(mediaType)) {
    const manifests = (Array.isArray(body.manifests) ? body.manifests : []).map((m) => descriptor(m, where));
    return { ...common(body, mediaType, where), kind: 'index', manifests };
  }
  if (IMAGE_TYPES.has(mediaType)) {
    if (!body.config) throw new ManifestError(`${where}: image manifest without config`);
    const layers = (Array.isArray(body.layers) ? body.layers : []).map((l) => descriptor(l, where));
    return { ...common(body, mediaType, where), kind: 'image', blobs: [descriptor(body.config, where), ...layers] };
  }
  throw new ManifestError(`${where}: unsupported manifest type "${contentType ?? declared ?? 'none'}" (schema 1 is not supported)`);
}

/** Foreign and non-distributable layers live outside the registry (their `urls`); registries refuse them as blobs. */
export function isCopyableBlob(d: Descriptor): boolean {
  return !(d.urls && d.urls.length > 0 && /foreign|nondistributable/.test(d.mediaType));
}

/** `linux/arm64/v8` -> Platform; throws on anything else. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) throw new Error(`platform "${text}" must be os/arch[/variant]`);
  return { os, architecture, variant: variant || undefined };
}

export function platformMatches(wanted: Platform, actual: Platform | undefined): boolean {
  if (!actual) return false;
  if (wanted.os !== actual.os || wanted.architecture !== actual.architecture) return false;
  return wanted.variant === undefined || wanted.variant === actual.variant;
}

export function selectPlatforms(manifests: readonly Descriptor[], wanted: readonly Platform[] | undefined): Descriptor[] {
  if (!wanted || wanted.length === 0) return [...manifests];
  return manifests.filter((m) => wanted.some((w) => platformMatches(w, m.platform)));
}

/**
 * An index rewritten to list only `kept` children. Everything else in the body
 * (annotations, mediaType, schemaVersion) is kept; the digest changes, which is
 * the point: the target holds a smaller index.
 */
export function filteredIndex(bytes: Buffer, kept: readonly Descriptor[]): Buffer {
  const body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  const keep = new Set(kept.map((k) => k.digest));
  body.manifests = (body.manifests as Descriptor[]).filter((m) => keep.has(m.digest));
  return Buffer.from(JSON.stringify(body, null, 2));
}
