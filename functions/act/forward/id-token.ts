/**
 * Google ID tokens for an audience, fetched once and reused until shortly before
 * they expire. Concurrent requests for the same audience share one fetch. The
 * cache belongs to one action instance (created at start-up), never to the module.
 */
import { onFirstUse } from '../../support/on-first-use';

/** Fetches a fresh ID token (a JWT) for an audience. */
export type IdTokenSource = (audience: string) => Promise<string>;

export interface IdTokenCache {
  get(audience: string): Promise<string>;
}

export interface IdTokenCacheOptions {
  readonly source: IdTokenSource;
  readonly now?: () => number;
  /** Refresh this long before `exp`, so a token never expires on its way to the target. */
  readonly refreshBeforeMs?: number;
}

/** `exp` of a JWT in epoch milliseconds, or undefined when the token carries none. */
export function jwtExpiryMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function createIdTokenCache({ source, now = Date.now, refreshBeforeMs = 5 * 60_000 }: IdTokenCacheOptions): IdTokenCache {
  const cached = new Map<string, { token: string; refreshAt: number }>();
  const fetching = new Map<string, Promise<string>>();

  const fetchAndStore = async (audience: string): Promise<string> => {
    const token = await source(audience);
    const expiry = jwtExpiryMs(token);
    // A token without `exp` cannot be judged fresh later: use it once, do not keep it.
    if (expiry !== undefined) cached.set(audience, { token, refreshAt: expiry - refreshBeforeMs });
    return token;
  };

  return {
    get(audience) {
      const entry = cached.get(audience);
      if (entry && now() < entry.refreshAt) return Promise.resolve(entry.token);
      let pending = fetching.get(audience);
      if (!pending) {
        pending = fetchAndStore(audience).finally(() => fetching.delete(audience));
        fetching.set(audience, pending);
      }
      return pending;
    },
  };
}

/**
 * The production source: Application Default Credentials (the metadata server on
 * Cloud Run). google-auth-library is loaded on first use, not at start-up.
 */
export function googleIdTokenSource(): IdTokenSource {
  const auth = onFirstUse(async () => {
    const { GoogleAuth } = await import('google-auth-library');
    return new GoogleAuth();
  });
  return async (audience) => {
    const client = await (await auth()).getIdTokenClient(audience);
    return client.idTokenProvider.fetchIdToken(audience);
  };
}
