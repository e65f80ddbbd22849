/**
 * The Distribution API calls a copy needs, against one registry host. Each
 * call answers its 401 once through the host's authorizer; calls with buffered
 * bodies retry here, streamed blob uploads are retried as a whole by the copier.
 * Our URLs are built from parts (reference.ts apiUrl); the registry's own
 * Authorization goes only to its origin, so an upload Location, a tags Link or
 * a redirect elsewhere is followed without it (or refused: peer.ts).
 */
import type { Readable } from 'stream';
import { HostAuthorizer } from './auth';
import type { CredentialSource } from './credentials';
import { DigestMismatchError, digestOf, sha256Digest } from './digest';
import { discard, header, type HttpTransport, readText, type HttpResponse } from './http';
import { nextPageLink } from './link';
import { MANIFEST_ACCEPT, MEDIA_TYPES, ManifestError, parseManifest, type Descriptor } from './manifest';
import { MAX_REFERRERS, referrersOf } from './referrers';
import { followedUrl, UnsafePeerError } from './peer';
import type { HostQuota } from './quota';
import { apiUrl, isDigest, quoted, registryOrigin, sameOrigin, type ApiPath } from './reference';
import { RepositoryFacts } from './repository-facts';
import { RegistryHttpError, parseRetryAfter, withRetry, type RetryObserver, type RetryPolicy } from './retry';

export interface ClientOptions {
  readonly insecure: boolean;
  readonly credentials: CredentialSource;
  readonly retry: RetryPolicy;
  readonly transport: HttpTransport;
  readonly observer?: RetryObserver;
  /** The instance's budget for this host (quota.ts): every request waits its turn. */
  readonly quota?: HostQuota;
}

export interface ManifestHead {
  readonly digest?: string;
  readonly mediaType?: string;
}

export interface Manifest {
  readonly bytes: Buffer;
  readonly mediaType?: string;
  readonly digest: string;
}

export interface ManifestPut {
  readonly digest: string;
  /** The registry answered `OCI-Subject`: it lists this manifest in its referrers API itself (OCI 1.1). */
  readonly subjectRecorded: boolean;
}

export type UploadStart = { readonly mounted: true } | { readonly mounted: false; readonly location: URL };

interface CallOptions {
  readonly repository: string;
  readonly push?: boolean;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  readonly signal?: AbortSignal;
  /** Scopes beyond the challenge's, e.g. pull on the repository a mount takes from. */
  readonly extraScopes?: readonly string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Tag listing follows `Link` pages; a registry that never stops is refused. */
const MAX_TAG_PAGES = 100;
/**
 * Whether a repository's referrers API is served, or its tag list is longer than
 * one short page, as its last answer said, is trusted this long.
 */
const REPOSITORY_FACTS_TTL_MS = 60_000;
/**
 * A tag list of at most this many tags is read whole to see which referrer tags
 * exist (one request instead of a HEAD per tag); a longer one is not read.
 */
const SHORT_TAG_LIST = 1000;

/** "404 (MANIFEST_UNKNOWN)" from a registry's error document, without echoing anything else it said. */
async function describeFailure(res: HttpResponse): Promise<string> {
  let code = '';
  try {
    const body = JSON.parse((await readText(res, 64 * 1024)).toString('utf8')) as { errors?: { code?: string }[] };
    const codes = (body.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
    if (codes.length > 0) code = ` (${codes.join(', ')})`;
  } catch {
    /* not a registry error document */
  }
  return `${res.status}${code}`;
}

async function failure(res: HttpResponse, what: string): Promise<RegistryHttpError> {
  const retryAfter = parseRetryAfter(header(res, 'retry-after'));
  return new RegistryHttpError(`${what}: ${await describeFailure(res)}`, res.status, retryAfter);
}

/** A digest a registry named in a header: it is used in URLs, so it must be one. */
function namedDigest(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isDigest(value)) throw new ManifestError(`${what}: the registry named an invalid digest ${quoted(value)}`);
  return value;
}

export class RegistryClient {
  readonly baseUrl: string;
  /** scheme://host:port of this registry: the only place its credentials are sent. */
  readonly origin: URL;
  private readonly auth: HostAuthorizer;
  /** Per repository: did its last referrers request find the API served (getReferrers). */
  private readonly referrersSupport = new RepositoryFacts<boolean>(REPOSITORY_FACTS_TTL_MS);
  /** Per repository: its tag list did not fit one short page, or could not be read (shortTagList). */
  private readonly longTagList = new RepositoryFacts<true>(REPOSITORY_FACTS_TTL_MS);

  constructor(
    readonly host: string,
    private readonly options: ClientOptions,
  ) {
    this.origin = registryOrigin(host, options.insecure);
    this.baseUrl = this.origin.origin;
    this.auth = new HostAuthorizer(this.origin, options.transport, options.credentials, options.insecure);
  }

  private url(path: ApiPath): URL {
    return apiUrl(this.origin, path);
  }

  /**
   * One request; a 401 is answered once through the authorizer when the body can be sent again.
   * Credentials are attached only when `url` is on this registry's origin (it may be a Location it named).
   */
  async call(method: string, url: URL, call: CallOptions): Promise<HttpResponse> {
    const key = `${call.repository}|${call.push ? 'push' : 'pull'}|${(call.extraScopes ?? []).join(' ')}`;
    const own = sameOrigin(url, this.origin);
    let sent: string | undefined;
    const send = async () => {
      // Every request to the host counts, an upload's PUT to another origin (a storage Location) does not.
      if (own) await this.options.quota?.request(method, call.signal);
      const headers: Record<string, string> = { ...call.headers };
      sent = own ? this.auth.current(key) : undefined;
      if (sent) headers.authorization = sent;
      return this.options.transport.send({ method, url, headers, body: call.body, signal: call.signal });
    };
    const res = await send();
    const replayable = call.body === undefined || Buffer.isBuffer(call.body);
    if (res.status !== 401 || !replayable || !own) return res;
    discard(res);
    // A parallel request may have fetched a token while this one was out: use it before asking again.
    const fresher = this.auth.current(key);
    if (fresher && fresher !== sent) return send();
    if (!(await this.auth.answer(header(res, 'www-authenticate'), key, call.extraScopes ?? [], call.signal))) return res;
    return send();
  }

  /** A URL the registry named that must stay on its own origin (a tags Link): anything else is refused. */
  private ownUrl(text: string, what: string): URL {
    const url = followedUrl(text, this.origin, what, this.options.insecure);
    if (!sameOrigin(url, this.origin)) throw new UnsafePeerError(`${this.host}: ${what} points to another host (${url.host})`);
    return url;
  }

  private retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(attempt, this.options.retry, signal, this.options.observer);
  }

  /** The digest a tag or digest currently names, or undefined when the registry has no such manifest. */
  headManifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestHead | undefined> {
    const what = `HEAD ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('HEAD', this.url({ kind: 'manifests', repository, reference }), {
        repository,
        headers: { accept: MANIFEST_ACCEPT },
        signal,
      });
      discard(res);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw await failure(res, what);
      return { digest: namedDigest(header(res, 'docker-content-digest'), what), mediaType: header(res, 'content-type') };
    }, signal);
  }

  /**
   * Fetches a manifest; its bytes are checked against the digest it was asked
   * for, or by a tag against the Docker-Content-Digest the registry sent.
   */
  getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<Manifest> {
    const what = `GET ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('GET', this.url({ kind: 'manifests', repository, reference }), {
        repository,
        headers: { accept: MANIFEST_ACCEPT },
        signal,
      });
      if (res.status !== 200) throw await failure(res, what);
      const named = isDigest(reference) ? reference : namedDigest(header(res, 'docker-content-digest'), what);
      const bytes = await readText(res);
      const digest = named ? digestOf(bytes, named) : sha256Digest(bytes);
      if (named && digest !== named) throw new DigestMismatchError(named, digest, what);
      return { bytes, mediaType: header(res, 'content-type'), digest };
    }, signal);
  }

  /** Pushes manifest bytes unchanged and checks the registry stored them under the digest we computed. */
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<ManifestPut> {
    const what = `PUT ${this.host}/${repository} manifest ${reference}`;
    const expected = isDigest(reference) ? reference : sha256Digest(bytes);
    if (digestOf(bytes, expected) !== expected) throw new DigestMismatchError(expected, digestOf(bytes, expected), what);
    return this.retrying(async () => {
      const res = await this.call('PUT', this.url({ kind: 'manifests', repository, reference }), {
        repository,
        push: true,
        headers: { 'content-type': mediaType },
        body: bytes,
        signal,
      });
      if (res.status !== 201 && res.status !== 200) throw await failure(res, what);
      discard(res);
      const stored = header(res, 'docker-content-digest');
      // The registry may answer in its own algorithm: the digest it names must be one of our bytes.
      if (stored && !(isDigest(stored) && digestOf(bytes, stored) === stored)) {
        throw new Error(`${what}: registry stored ${quoted(stored)}, expected ${expected}`);
      }
      return { digest: expected, subjectRecorded: header(res, 'oci-subject') !== undefined };
    }, signal);
  }

  /** Whether `repository` served the referrers API when last asked (recently); undefined when not known. */
  referrersServed(repository: string): boolean | undefined {
    return this.referrersSupport.get(repository);
  }

  /**
   * What the referrers API lists for `digest` (every page), or undefined when the
   * registry does not serve it (404, as the spec says, or any answer that is not an index).
   */
  async getReferrers(repository: string, digest: string, signal?: AbortSignal): Promise<Descriptor[] | undefined> {
    const what = `GET ${this.host}/${repository} referrers ${digest}`;
    const listed = await this.retrying(async () => {
      const found: Descriptor[] = [];
      let url: URL | undefined = this.url({ kind: 'referrers', repository, digest });
      for (let pages = 0; url; pages++) {
        if (pages >= MAX_TAG_PAGES) throw new UnsafePeerError(`${what}: more than ${MAX_TAG_PAGES} pages`);
        const res = await this.call('GET', url, { repository, headers: { accept: MEDIA_TYPES.ociIndex }, signal });
        if (res.status === 404 || res.status === 400 || res.status === 405) {
          discard(res);
          return pages === 0 ? undefined : found;
        }
        if (res.status !== 200) throw await failure(res, what);
        const link = header(res, 'link');
        const bytes = await readText(res);
        let index;
        try {
          index = parseManifest(bytes, MEDIA_TYPES.ociIndex, what);
        } catch {
          if (pages === 0) return undefined; // a page that is not an index: the API is not served here
          throw new ManifestError(`${what}: a later page is not an index`);
        }
        found.push(...referrersOf(index, what));
        if (found.length > MAX_REFERRERS) throw new ManifestError(`${what}: more than ${MAX_REFERRERS} referrers`);
        const next = nextPageLink(link);
        url = next ? this.ownUrl(next, 'referrers Link') : undefined;
      }
      return found;
    }, signal);
    this.referrersSupport.set(repository, listed !== undefined);
    return listed;
  }

  /** Removes a tag; false when it was already absent. */
  deleteManifest(repository: string, reference: string, signal?: AbortSignal): Promise<boolean> {
    const what = `DELETE ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('DELETE', this.url({ kind: 'manifests', repository, reference }), { repository, push: true, signal });
      discard(res);
      if (res.status === 404) return false;
      if (res.status !== 202 && res.status !== 200) throw await failure(res, what);
      return true;
    }, signal);
  }

  /** Every tag of a repository (one page is enough for the untag fallback's question; follows `Link` otherwise). */
  listTags(repository: string, signal?: AbortSignal): Promise<string[]> {
    const what = `GET ${this.host}/${repository} tags`;
    return this.retrying(async () => {
      const tags: string[] = [];
      const first = this.url({ kind: 'tags', repository });
      first.searchParams.set('n', '1000');
      let url: URL | undefined = first;
      for (let pages = 0; url; pages++) {
        if (pages >= MAX_TAG_PAGES) throw new UnsafePeerError(`${what}: more than ${MAX_TAG_PAGES} pages`);
        const res = await this.call('GET', url, { repository, signal });
        if (res.status === 404) return tags;
        if (res.status !== 200) throw await failure(res, what);
        const link = header(res, 'link');
        tags.push(...((JSON.parse((await readText(res)).toString('utf8')) as { tags?: string[] | null }).tags ?? []));
        const next = nextPageLink(link);
        url = next ? this.ownUrl(next, 'tags Link') : undefined;
      }
      return tags;
    }, signal);
  }

  /**
   * Every tag of `repository` when they fit one page of SHORT_TAG_LIST, so that a
   * copy knows at once which referrer tags exist. Undefined when the list is longer
   * or the registry does not answer it (remembered a while, then asked again): the
   * caller then asks for each tag it needs, as it would without the list.
   */
  async shortTagList(repository: string, signal?: AbortSignal): Promise<ReadonlySet<string> | undefined> {
    if (this.longTagList.get(repository)) return undefined;
    try {
      const url = this.url({ kind: 'tags', repository });
      url.searchParams.set('n', String(SHORT_TAG_LIST));
      const res = await this.call('GET', url, { repository, signal });
      // A 404 may mean no tag list endpoint at all, not no tags: it is not read as an empty list.
      const more = nextPageLink(header(res, 'link')) !== undefined;
      if (res.status !== 200 || more) {
        discard(res);
        this.longTagList.set(repository, true);
        return undefined;
      }
      const tags = (JSON.parse((await readText(res)).toString('utf8')) as { tags?: unknown }).tags ?? [];
      if (!Array.isArray(tags)) throw new ManifestError(`GET ${this.host}/${repository} tags: "tags" is not a list`);
      return new Set(tags.filter((t): t is string => typeof t === 'string'));
    } catch (err) {
      if (signal?.aborted) throw err;
      this.longTagList.set(repository, true);
      return undefined;
    }
  }

  /** Runs one blob upload (start to last byte) within the host's cap on uploads at once. */
  uploading<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.options.quota ? this.options.quota.uploads(task, signal) : task();
  }

  /** HEAD on a blob (no retry here: part of a blob copy attempt). */
  async blobExists(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.call('HEAD', this.url({ kind: 'blobs', repository, digest }), { repository, push: true, signal });
    discard(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await failure(res, `HEAD ${this.host}/${repository} blob ${digest}`);
  }

  /** Starts an upload, or mounts the blob from another repository on this host (201: no bytes move). */
  async startUpload(repository: string, signal?: AbortSignal, mount?: { digest: string; from: string }): Promise<UploadStart> {
    const url = this.url({ kind: 'uploads', repository });
    if (mount) {
      url.searchParams.set('mount', mount.digest);
      url.searchParams.set('from', mount.from);
    }
    const res = await this.call('POST', url, {
      repository,
      push: true,
      body: Buffer.alloc(0),
      signal,
      extraScopes: mount ? [`repository:${mount.from}:pull`] : [],
    });
    discard(res);
    if (mount && res.status === 201) return { mounted: true };
    const location = header(res, 'location');
    if (res.status !== 202 || !location) throw await failure(res, `POST ${this.host}/${repository} blob upload`);
    // Another origin is followed like crane does, without our credentials (call() attaches them only here).
    return { mounted: false, location: followedUrl(location, this.origin, 'upload Location', this.options.insecure) };
  }

  /** Opens a blob for reading, following the redirects storage-backed registries answer with. */
  async openBlob(repository: string, digest: string, signal?: AbortSignal): Promise<HttpResponse> {
    const what = `GET ${this.host}/${repository} blob ${digest}`;
    let res = await this.call('GET', this.url({ kind: 'blobs', repository, digest }), { repository, signal });
    let at = this.origin;
    for (let hops = 0; REDIRECTS.has(res.status) && hops < MAX_REDIRECTS; hops++) {
      const location = header(res, 'location');
      discard(res);
      if (!location) break;
      // Storage URLs are pre-signed: our registry token must not travel to another host, so no redirect carries it.
      at = followedUrl(location, at, 'blob redirect', this.options.insecure);
      res = await this.options.transport.send({ method: 'GET', url: at, headers: {}, signal });
    }
    if (res.status !== 200) throw await failure(res, what);
    return res;
  }

  /** Finishes an upload in one streamed PUT (monolithic), the registry checking `digest` itself too. */
  async finishUpload(repository: string, location: URL, digest: string, size: number, body: Readable, signal?: AbortSignal): Promise<void> {
    if (!isDigest(digest)) throw new ManifestError(`PUT ${this.host}/${repository} blob: invalid digest ${quoted(digest)}`);
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.call('PUT', url, {
      repository,
      push: true,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      signal,
    });
    if (res.status !== 201) throw await failure(res, `PUT ${this.host}/${repository} blob ${digest}`);
    discard(res);
  }
}
