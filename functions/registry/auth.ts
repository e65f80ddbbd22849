/**
 * Authorization for one registry origin: Basic, or the Docker token flow
 * (401 + `WWW-Authenticate: Bearer realm=...` -> token endpoint -> Bearer).
 * Tokens are cached per repository and access, held only here, attached only
 * to requests on the registry's own origin (client.ts), and never put into a
 * log line or an error message. The registry's password goes to its token
 * realm only when that realm is on the registry's origin or configured for it.
 */
import { parseChallenge } from './challenge';
import type { CredentialSource } from './credentials';
import { type HttpTransport, readText } from './http';
import { describeUrl, realmMayReceive, tokenRealm } from './peer';
import { RegistryHttpError } from './retry';

interface CachedAuthorization {
  readonly header: string;
  readonly expiresAt: number;
}

/** Refresh a little early so a token does not expire in the middle of a request. */
const EXPIRY_MARGIN_MS = 10_000;
const DEFAULT_TOKEN_SECONDS = 60;

export class HostAuthorizer {
  private readonly cache = new Map<string, CachedAuthorization>();
  /** One token request per key at a time: parallel blob copies share its answer. */
  private readonly pending = new Map<string, Promise<boolean>>();

  private readonly host: string;

  constructor(
    private readonly origin: URL,
    private readonly transport: HttpTransport,
    private readonly credentials: CredentialSource,
    private readonly insecure: boolean,
  ) {
    this.host = origin.host;
  }

  /** The Authorization header to send for `key` (repository + access), if one is known and fresh. */
  current(key: string): string | undefined {
    const cached = this.cache.get(key);
    if (!cached) return undefined;
    if (cached.expiresAt <= Date.now()) {
      this.cache.delete(key);
      return undefined;
    }
    return cached.header;
  }

  /** Answers a 401's challenge; false when there is nothing to answer with (the 401 then stands). */
  answer(wwwAuthenticate: string | undefined, key: string, extraScopes: readonly string[], signal?: AbortSignal): Promise<boolean> {
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.obtain(wwwAuthenticate, key, extraScopes, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async obtain(wwwAuthenticate: string | undefined, key: string, extraScopes: readonly string[], signal?: AbortSignal): Promise<boolean> {
    const challenge = parseChallenge(wwwAuthenticate);
    if (!challenge) return false;
    const creds = await this.credentials(this.origin);
    if (challenge.scheme === 'basic') {
      if (!creds) return false;
      const header = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      this.cache.set(key, { header, expiresAt: Number.POSITIVE_INFINITY });
      return true;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return false;
    const url = tokenRealm(challenge.params.realm, this.origin, this.insecure);
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    for (const scope of [challenge.params.scope, ...extraScopes]) if (scope) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    // A realm elsewhere gets an anonymous token request: enough for public images, and nothing of ours.
    if (creds && realmMayReceive(url, this.origin, creds.realm)) {
      headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    const res = await this.transport.send({ method: 'GET', url, headers, signal });
    const body = await readText(res, 1024 * 1024);
    if (res.status !== 200) {
      // The realm is named, the body is not: a token endpoint may echo what it was sent.
      throw new RegistryHttpError(`token request to ${describeUrl(url)} for ${this.host}: ${res.status}`, res.status);
    }
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json;
    } catch {
      throw new Error(`token endpoint ${describeUrl(url)} for ${this.host} answered no JSON`);
    }
    const token = json.token ?? json.access_token;
    // The token becomes a header: a value with CR/LF or other controls is refused, not sent.
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))
      throw new Error(`token endpoint ${describeUrl(url)} for ${this.host} returned no usable token`);
    const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_TOKEN_SECONDS;
    this.cache.set(key, { header: `Bearer ${token}`, expiresAt: Date.now() + Math.max(1000, seconds * 1000 - EXPIRY_MARGIN_MS) });
    return true;
  }
}
