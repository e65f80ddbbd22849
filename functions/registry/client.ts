/**
 * The Distribution API calls a copy needs, against one registry host. Each
 * call answers its 401 once through the host's authorizer; calls with buffered
 * bodies retry here, streamed blob uploads are retried as a whole by the copier.
 */
import type { Readable } from 'stream';
import { HostAuthorizer } from './auth';
import type { CredentialSource } from './credentials';
import { DigestMismatchError, sha256Digest } from './digest';
import { discard, header, HttpTransport, readText, type HttpResponse } from './http';
import { MANIFEST_ACCEPT } from './manifest';
import { registryBaseUrl } from './reference';
import { RegistryHttpError, parseRetryAfter, withRetry, type RetryObserver, type RetryPolicy } from './retry';

export interface ClientOptions {
  readonly insecure: boolean;
  readonly credentials: CredentialSource;
  readonly retry: RetryPolicy;
  readonly transport: HttpTransport;
  readonly observer?: RetryObserver;
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

export class RegistryClient {
  readonly baseUrl: string;
  private readonly auth: HostAuthorizer;

  constructor(
    readonly host: string,
    private readonly options: ClientOptions,
  ) {
    this.baseUrl = registryBaseUrl(host, options.insecure);
    this.auth = new HostAuthorizer(host, options.transport, options.credentials);
  }

  private url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  /** One request; a 401 is answered once through the authorizer when the body can be sent again. */
  async call(method: string, url: URL, call: CallOptions): Promise<HttpResponse> {
    const key = `${call.repository}|${call.push ? 'push' : 'pull'}|${(call.extraScopes ?? []).join(' ')}`;
    let sent: string | undefined;
    const send = () => {
      const headers: Record<string, string> = { ...call.headers };
      sent = this.auth.current(key);
      if (sent) headers.authorization = sent;
      return this.options.transport.send({ method, url, headers, body: call.body, signal: call.signal });
    };
    const res = await send();
    const replayable = call.body === undefined || Buffer.isBuffer(call.body);
    if (res.status !== 401 || !replayable) return res;
    discard(res);
    // A parallel request may have fetched a token while this one was out: use it before asking again.
    const fresher = this.auth.current(key);
    if (fresher && fresher !== sent) return send();
    if (!(await this.auth.answer(header(res, 'www-authenticate'), key, call.extraScopes ?? [], call.signal))) return res;
    return send();
  }

  private retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(attempt, this.options.retry, signal, this.options.observer);
  }

  /** The digest a tag or digest currently names, or undefined when the registry has no such manifest. */
  headManifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestHead | undefined> {
    const what = `HEAD ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('HEAD', this.url(`/v2/${repository}/manifests/${reference}`), {
        repository,
        headers: { accept: MANIFEST_ACCEPT },
        signal,
      });
      discard(res);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw await failure(res, what);
      return { digest: header(res, 'docker-content-digest'), mediaType: header(res, 'content-type') };
    }, signal);
  }

  /** Fetches a manifest; when fetched by digest, its bytes are checked against it. */
  getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<Manifest> {
    const what = `GET ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('GET', this.url(`/v2/${repository}/manifests/${reference}`), {
        repository,
        headers: { accept: MANIFEST_ACCEPT },
        signal,
      });
      if (res.status !== 200) throw await failure(res, what);
      const bytes = await readText(res);
      const digest = sha256Digest(bytes);
      if (reference.startsWith('sha256:') && digest !== reference) throw new DigestMismatchError(reference, digest, what);
      return { bytes, mediaType: header(res, 'content-type'), digest };
    }, signal);
  }

  /** Pushes manifest bytes unchanged and checks the registry stored them under the digest we computed. */
  putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string, signal?: AbortSignal): Promise<string> {
    const what = `PUT ${this.host}/${repository} manifest ${reference}`;
    const expected = sha256Digest(bytes);
    return this.retrying(async () => {
      const res = await this.call('PUT', this.url(`/v2/${repository}/manifests/${reference}`), {
        repository,
        push: true,
        headers: { 'content-type': mediaType },
        body: bytes,
        signal,
      });
      if (res.status !== 201 && res.status !== 200) throw await failure(res, what);
      discard(res);
      const stored = header(res, 'docker-content-digest');
      if (stored && stored !== expected) throw new Error(`${what}: registry stored ${stored}, expected ${expected}`);
      return expected;
    }, signal);
  }

  /** Removes a tag; false when it was already absent. */
  deleteManifest(repository: string, reference: string, signal?: AbortSignal): Promise<boolean> {
    const what = `DELETE ${this.host}/${repository} manifest ${reference}`;
    return this.retrying(async () => {
      const res = await this.call('DELETE', this.url(`/v2/${repository}/manifests/${reference}`), { repository, push: true, signal });
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
      let url: URL | undefined = this.url(`/v2/${repository}/tags/list?n=1000`);
      while (url) {
        const res = await this.call('GET', url, { repository, signal });
        if (res.status === 404) return tags;
        if (res.status !== 200) throw await failure(res, what);
        const link = header(res, 'link');
        tags.push(...((JSON.parse((await readText(res)).toString('utf8')) as { tags?: string[] | null }).tags ?? []));
        const next = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
        url = next ? this.url(next) : undefined;
      }
      return tags;
    }, signal);
  }

  /** HEAD on a blob (no retry here: part of a blob copy attempt). */
  async blobExists(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.call('HEAD', this.url(`/v2/${repository}/blobs/${digest}`), { repository, push: true, signal });
    discard(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await failure(res, `HEAD ${this.host}/${repository} blob ${digest}`);
  }

  /** Starts an upload, or mounts the blob from another repository on this host (201: no bytes move). */
  async startUpload(repository: string, signal?: AbortSignal, mount?: { digest: string; from: string }): Promise<UploadStart> {
    const url = this.url(`/v2/${repository}/blobs/uploads/`);
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
    return { mounted: false, location: new URL(location, this.baseUrl) };
  }

  /** Opens a blob for reading, following the redirects storage-backed registries answer with. */
  async openBlob(repository: string, digest: string, signal?: AbortSignal): Promise<HttpResponse> {
    const what = `GET ${this.host}/${repository} blob ${digest}`;
    let res = await this.call('GET', this.url(`/v2/${repository}/blobs/${digest}`), { repository, signal });
    for (let hops = 0; REDIRECTS.has(res.status) && hops < MAX_REDIRECTS; hops++) {
      const location = header(res, 'location');
      discard(res);
      if (!location) break;
      // Storage URLs are pre-signed: our registry token must not travel to another host.
      res = await this.options.transport.send({ method: 'GET', url: new URL(location, this.baseUrl), headers: {}, signal });
    }
    if (res.status !== 200) throw await failure(res, what);
    return res;
  }

  /** Finishes an upload in one streamed PUT (monolithic), the registry checking `digest` itself too. */
  async finishUpload(repository: string, location: URL, digest: string, size: number, body: Readable, signal?: AbortSignal): Promise<void> {
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
