/**
 * OIDC bearer tokens as Pub/Sub push and Eventarc send them, verified with
 * google-auth-library against Google's certificates (or a configured source,
 * so tests run offline; see certificates.ts for the cache). The audience and the
 * callers come from configuration only: nothing in the request can widen them.
 */
import type { OAuth2Client, TokenPayload } from 'google-auth-library';
import { createCertificateSource, type PemCertificates } from './certificates';
import { onFirstUse } from '../../support/on-first-use';

export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export interface OidcSettings {
  /** Accepted audiences (`aud`); at least one. */
  readonly audiences: readonly string[];
  /** Service-account emails allowed to call (verified `email`, lower-cased); this or subjects names someone. */
  readonly emails: readonly string[];
  /** Token subjects (`sub`) allowed to call. */
  readonly subjects: readonly string[];
  readonly certsUrl: string;
  /** Our own skew on `exp`: the library allows 300 s, which is more than a replayed token needs. */
  readonly clockSkewSeconds: number;
}

/** Why a token was refused: for the audit line only, never for the response. */
export type OidcVerdict =
  | { readonly ok: true; readonly principal: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string; readonly email?: string }
  /** The certificates cannot be had: neither accepted nor refused, so Pub/Sub comes back. */
  | { readonly ok: false; readonly status: 503; readonly reason: string };

export interface OidcVerifier {
  verify(token: string): Promise<OidcVerdict>;
}

/** The `kid` of the token's header, if it has one; the signature is checked later. */
function kidOf(token: string): string | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.', 1)[0], 'base64url').toString('utf8'));
    const kid = (header as { kid?: unknown } | null)?.kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** Classifies the library's error without its message: several of them quote the whole token. */
function classify(message: string): string {
  if (/signature/i.test(message)) return 'bad signature';
  if (/no pem found/i.test(message)) return 'unknown signing key';
  if (/too late/i.test(message)) return 'expired';
  if (/too early/i.test(message)) return 'not yet valid';
  if (/issuer/i.test(message)) return 'wrong issuer';
  if (/audience/i.test(message)) return 'wrong audience';
  if (/segments|parse|envelope|payload/i.test(message)) return 'malformed token';
  if (/expiration|issue time|iat|exp/i.test(message)) return 'bad time claims';
  return 'invalid token';
}

export interface OidcOptions {
  /** Told when the certificates cannot be fetched (the log's WARNING). */
  readonly onCertificatesFailure?: (message: string, servingStale: boolean) => void;
}

export function createOidcVerifier(settings: OidcSettings, options: OidcOptions = {}): OidcVerifier {
  // Enforced here too, where every verifier is made: an empty list must never mean "any".
  if (settings.audiences.length === 0) throw new Error('OIDC needs at least one accepted audience');
  if (settings.emails.length === 0 && settings.subjects.length === 0) throw new Error('OIDC needs an email or subject allow-list');
  const emails = new Set(settings.emails.map((e) => e.toLowerCase()));
  const subjects = new Set(settings.subjects);
  const certificates = createCertificateSource(settings.certsUrl, { ...(options.onCertificatesFailure && { onFetchFailure: options.onCertificatesFailure }) });
  const unavailable = { ok: false, status: 503, reason: 'certificates unavailable' } as const;
  // Loaded on first use: google-auth-library is not needed at all when auth is off.
  const clientOf = onFirstUse<OAuth2Client>(async () => {
    const { OAuth2Client: Client } = await import('google-auth-library');
    return new Client();
  });
  return {
    async verify(token) {
      let payload: TokenPayload | undefined;
      let certs: PemCertificates;
      const kid = kidOf(token);
      try {
        certs = await certificates.get();
        // A key we do not have may be a new one: refetch (rate-limited) before refusing.
        if (kid !== undefined && !Object.hasOwn(certs, kid)) certs = await certificates.refetchFor(kid);
      } catch {
        return unavailable;
      }
      if (kid === undefined) return { ok: false, status: 401, reason: 'malformed token' };
      if (!Object.hasOwn(certs, kid)) return { ok: false, status: 401, reason: 'unknown signing key' };
      try {
        const oauth = await clientOf();
        const ticket = await oauth.verifySignedJwtWithCertsAsync(token, { [kid]: certs[kid] }, [...settings.audiences], GOOGLE_ISSUERS);
        payload = ticket.getPayload();
      } catch (err) {
        return { ok: false, status: 401, reason: classify(err instanceof Error ? err.message : String(err)) };
      }
      if (!payload || !GOOGLE_ISSUERS.includes(payload.iss)) return { ok: false, status: 401, reason: 'wrong issuer' };
      if (payload.exp + settings.clockSkewSeconds < Date.now() / 1000) return { ok: false, status: 401, reason: 'expired' };
      // `azp` is not checked: for service-account tokens it is that account's id, already named by `sub`.
      if (typeof payload.sub === 'string' && subjects.has(payload.sub)) return { ok: true, principal: payload.email ?? `sub:${payload.sub}` };
      const email = payload.email;
      if (emails.size === 0) return { ok: false, status: 403, reason: 'subject not allowed', ...(email && { email }) };
      if (!email || payload.email_verified !== true) return { ok: false, status: 403, reason: 'email missing or not verified', ...(email && { email }) };
      if (!emails.has(email.toLowerCase())) return { ok: false, status: 403, reason: 'email not allowed', email };
      return { ok: true, principal: email };
    },
  };
}
