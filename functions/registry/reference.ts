/**
 * Image references as the Distribution API names them: HOST/PATH[:TAG][@DIGEST].
 * Pure parsing; no network.
 */

export interface ImageRef {
  /** Registry host with optional port, e.g. `us-docker.pkg.dev`, `127.0.0.1:5000`. */
  readonly host: string;
  /** Repository path below the host, e.g. `proj/repo/img`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

/** Parses `HOST/PATH[:TAG][@DIGEST]`; a host is required (no Docker Hub defaulting: replication names registries explicitly). */
export function parseImageRef(text: string): ImageRef {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new Error(`invalid digest in image reference "${text}"`);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw new Error(`image reference "${text}" must start with a registry host`);
  const host = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!isTag(tag)) throw new Error(`invalid tag in image reference "${text}"`);
  }
  if (!path || !path.split('/').every((c) => PATH_COMPONENT.test(c))) {
    throw new Error(`invalid repository path in image reference "${text}"`);
  }
  return { host, repository: path, tag, digest };
}

/** The manifest reference the API uses: the digest when known, else the tag. */
export function manifestReference(ref: ImageRef): string {
  const r = ref.digest ?? ref.tag;
  if (!r) throw new Error(`image reference ${formatImageRef(ref)} has neither tag nor digest`);
  return r;
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

export function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Loopback registries are spoken to in plain HTTP; nothing else is unless the caller says `insecure`. */
export function isLoopbackHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name === 'localhost' || name === '::1' || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/** Artifact Registry (`*-docker.pkg.dev`) and Container Registry (`gcr.io`, `us.gcr.io`, ...) hosts take ADC tokens. */
export function isGoogleRegistryHost(host: string): boolean {
  const name = hostName(host).toLowerCase();
  return name.endsWith('-docker.pkg.dev') || name === 'gcr.io' || name.endsWith('.gcr.io');
}

/** Docker Hub's references say `docker.io`; its API answers elsewhere. */
function apiHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}

export function registryBaseUrl(host: string, insecure: boolean): string {
  return `${insecure || isLoopbackHost(host) ? 'http' : 'https'}://${apiHost(host)}`;
}
