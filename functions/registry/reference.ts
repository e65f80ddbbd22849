/**
 * Image references as the Distribution API names them: HOST[:PORT]/PATH[:TAG][@DIGEST],
 * parsed strictly by the distribution reference grammar. Every reference,
 * host and URL of the copier comes from here: a host is canonical (lower case,
 * no trailing dot, IPv6 in brackets), and a URL is built from checked, encoded
 * parts, so the host credentials are chosen for is the host a request goes to.
 * Pure; no network.
 */
import { DispositionError } from '../support/disposition';

export interface ImageRef {
  /** Canonical registry host with optional port, e.g. `us-docker.pkg.dev`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly host: string;
  /** Repository path below the host, e.g. `proj/repo/img`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** A digest as the OCI image spec registers them: lower-case hex of the algorithm's length. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** Dot-separated DNS labels; a label cannot hold a dot, so the match is linear. */
const DOMAIN_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const PORT = /^[0-9]{1,5}$/;
const IPV6_TEXT = /^[0-9a-f:.]+$/;
const IPV4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
/** A last label URL parsers read as a number (`0x7f`, `2130706433`): then the whole name must be a plain dotted quad. */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
/** distribution's NameTotalLengthMax. */
const NAME_MAX = 255;

/** A reference that cannot be built: redelivery meets the same answer. */
export class ImageReferenceError extends DispositionError {
  constructor(message: string) {
    super(message, 'permanent');
    this.name = 'ImageReferenceError';
  }
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value);
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

export function isRepository(value: string): boolean {
  return value.length > 0 && value.length <= NAME_MAX && value.split('/').every((c) => PATH_COMPONENT.test(c));
}

/** A short, quoted form of text that failed a check, safe to put in a message (bounded, escapes shown). */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}

/** A URL parser reads the name as written (no IDNA mapping of an `xn--` label, no numeric IPv4 forms). */
function readsAsItself(name: string): boolean {
  try {
    return new URL(`http://${name}/`).hostname === name;
  } catch {
    return false;
  }
}

/**
 * `HOST[:PORT]` -> its canonical form, or undefined when it is not a registry
 * host: DNS labels or an IPv4 address, or an IPv6 address in brackets; an
 * optional decimal port 1-65535. Nothing else (userinfo, `#`, `?`, `\`, `%`,
 * whitespace, empty labels, unicode) passes.
 */
export function canonicalHost(text: string): string | undefined {
  let name: string;
  let port: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const inner = text.slice(1, close).toLowerCase();
    const rest = text.slice(close + 1);
    if (!IPV6_TEXT.test(inner) || (rest !== '' && !rest.startsWith(':'))) return undefined;
    let parsed: string;
    try {
      parsed = new URL(`http://[${inner}]/`).hostname; // WHATWG's IPv6 parser, on hex digits, colons and dots only
    } catch {
      return undefined;
    }
    name = parsed;
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.indexOf(':');
    name = (colon < 0 ? text : text.slice(0, colon)).toLowerCase();
    port = colon < 0 ? undefined : text.slice(colon + 1);
    if (name.endsWith('.')) name = name.slice(0, -1); // `gcr.io.` is `gcr.io`
    if (name.length > 253 || !DOMAIN_NAME.test(name)) return undefined;
    if (NUMERIC_LABEL.test(name.slice(name.lastIndexOf('.') + 1)) && !IPV4.test(name)) return undefined;
    // Only an IDNA label can read otherwise (numeric forms are settled above): the URL parser is asked only then.
    if (name.includes('xn--') && !readsAsItself(name)) return undefined;
  }
  if (port === undefined) return name;
  if (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
  return `${name}:${Number(port)}`;
}

/** Like canonicalHost, but throws naming what was given. */
export function parseHost(text: string): string {
  const host = canonicalHost(text);
  if (host === undefined) throw new ImageReferenceError(`${quoted(text)} is not a registry host (DNS name or IP address, optional :PORT)`);
  return host;
}

/** Docker's rule for "the first component is a registry": it has a dot or a port, or is localhost. */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component.startsWith('[') || component.toLowerCase() === 'localhost';
}

/** Parses `HOST/PATH[:TAG][@DIGEST]`; a host is required (no Docker Hub defaulting: replication names registries explicitly). */
export function parseImageRef(text: string): ImageRef {
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw new ImageReferenceError(`invalid digest in image reference ${quoted(text)} (sha256:<64 hex> or sha512:<128 hex>)`);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0 || !looksLikeHost(rest.slice(0, slash))) throw new ImageReferenceError(`image reference ${quoted(text)} must start with a registry host`);
  const host = canonicalHost(rest.slice(0, slash));
  if (host === undefined) throw new ImageReferenceError(`invalid registry host in image reference ${quoted(text)}`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!isTag(tag)) throw new ImageReferenceError(`invalid tag in image reference ${quoted(text)}`);
  }
  if (!isRepository(path)) throw new ImageReferenceError(`invalid repository path in image reference ${quoted(text)}`);
  return { host, repository: path, tag, digest };
}

/** The manifest reference the API uses: the digest when known, else the tag. */
export function manifestReference(ref: ImageRef): string {
  const r = ref.digest ?? ref.tag;
  if (!r) throw new ImageReferenceError(`image reference ${formatImageRef(ref)} has neither tag nor digest`);
  return r;
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.host}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The name part of a canonical host (no port; IPv6 without brackets). */
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

const CONTAINER_REGISTRY_HOSTS = new Set(['gcr.io', 'us.gcr.io', 'eu.gcr.io', 'asia.gcr.io']);
/** `<location>-docker.pkg.dev`, the location one DNS label (`us`, `europe-west1`). */
const ARTIFACT_REGISTRY_HOST = /^[a-z0-9](?:[a-z0-9-]{0,50}[a-z0-9])?-docker\.pkg\.dev$/;

/** Container Registry (`gcr.io` and its regional hosts): no repository segment in the path. Exact canonical hosts, no port. */
export function isContainerRegistryHost(host: string): boolean {
  return CONTAINER_REGISTRY_HOSTS.has(host);
}

/** The hosts an ADC access token may go to: Container Registry's, and Artifact Registry's `<location>-docker.pkg.dev`. Exact, no port. */
export function isGoogleRegistryHost(host: string): boolean {
  return isContainerRegistryHost(host) || ARTIFACT_REGISTRY_HOST.test(host);
}

/** Docker Hub's references say `docker.io`; its API answers elsewhere (and credentials for it are for that host). */
export function apiHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}

/** The registry's origin; the host must be canonical (parseHost), which is checked again against what URL made of it. */
export function registryOrigin(host: string, insecure: boolean): URL {
  const canonical = parseHost(host);
  const want = apiHost(canonical);
  const url = new URL(`${insecure || isLoopbackHost(canonical) ? 'http' : 'https'}://${want}/`);
  // What the URL will connect to must be the host we chose credentials for (URL drops a default port).
  const port = want.startsWith('[') ? want.slice(want.indexOf(']') + 1).replace(/^:/, '') : want.includes(':') ? want.slice(want.lastIndexOf(':') + 1) : '';
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const name = want.startsWith('[') ? want.slice(0, want.indexOf(']') + 1) : hostName(want);
  if (url.hostname !== name || (url.port || defaultPort) !== (port || defaultPort) || url.pathname !== '/' || url.username || url.search || url.hash) {
    throw new ImageReferenceError(`registry host ${quoted(host)} does not make a plain origin`);
  }
  return url;
}

export function registryBaseUrl(host: string, insecure: boolean): string {
  return registryOrigin(host, insecure).origin;
}

/** One path segment, percent-encoded; `:` is a plain path character (RFC 3986 pchar) and stays as digests are written. */
function segment(text: string): string {
  return encodeURIComponent(text).replace(/%3A/g, ':');
}

export type ApiPath =
  | { readonly kind: 'manifests'; readonly repository: string; readonly reference: string }
  | { readonly kind: 'blobs'; readonly repository: string; readonly digest: string }
  | { readonly kind: 'uploads'; readonly repository: string }
  | { readonly kind: 'tags'; readonly repository: string }
  | { readonly kind: 'referrers'; readonly repository: string; readonly digest: string };

/**
 * A Distribution API URL on `origin`, built from checked parts, each encoded:
 * nothing in a repository, tag or digest can move the request to another path or host.
 */
export function apiUrl(origin: URL, path: ApiPath): URL {
  if (!isRepository(path.repository)) throw new ImageReferenceError(`invalid repository ${quoted(path.repository)}`);
  const repo = path.repository.split('/').map(segment).join('/');
  let tail: string;
  switch (path.kind) {
    case 'manifests':
      if (!isTag(path.reference) && !isDigest(path.reference)) throw new ImageReferenceError(`invalid manifest reference ${quoted(path.reference)}`);
      tail = `manifests/${segment(path.reference)}`;
      break;
    case 'blobs':
      if (!isDigest(path.digest)) throw new ImageReferenceError(`invalid blob digest ${quoted(path.digest)}`);
      tail = `blobs/${segment(path.digest)}`;
      break;
    case 'uploads':
      tail = 'blobs/uploads/';
      break;
    case 'tags':
      tail = 'tags/list';
      break;
    case 'referrers':
      if (!isDigest(path.digest)) throw new ImageReferenceError(`invalid referrers digest ${quoted(path.digest)}`);
      tail = `referrers/${segment(path.digest)}`;
      break;
  }
  const url = new URL(origin.href);
  url.pathname = `/v2/${repo}/${tail}`;
  return url;
}

/** Same scheme, host and port: the only URLs a registry's own credentials go to. */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.protocol === b.protocol && a.host === b.host;
}
