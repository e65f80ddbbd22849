/**
 * OIDC bearer tokens as Pub/Sub push and Eventarc send them, verified with
 * google-auth-library against Google's certificates (or a configured source,
 * so tests run offline). The library caches the certificates per Cache-Control.
 */
import type { OAuth2Client, TokenPayload } from 'google-auth-library';
import { createCertificateSource } from './certificates';
import { onFirstUse } from '../../support/on-first-use';

export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];
export const GOOGLE_PEM_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';

export interface OidcSettings {
  /** Accepted audiences; when empty, the URL the request came to (what Pub/Sub uses by default). */
  readonly audiences: readonly string[];
  /** Service-account emails allowed to call; empty means any verified email. */
  readonly emails: readonly string[];
  readonly certsUrl: string;
  /** Our own skew on `exp`: the library allows 300 s, which is more than a replayed token needs. */
  readonly clockSkewSeconds: number;
}

/** Why a token was refused: for the audit line only, never for the response. */
export type OidcVerdict =
  | { readonly ok: true; readonly email: string }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string; readonly email?: string };

export interface OidcVerifier {
  verify(token: string, requestAudiences: readonly string[]): Promise<OidcVerdict>;
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

export function createOidcVerifier(settings: OidcSettings): OidcVerifier {
  const certificates = createCertificateSource(settings.certsUrl);
  // Loaded on first use: google-auth-library is not needed at all when auth is off.
  const clientOf = onFirstUse<OAuth2Client>(async () => {
    const { OAuth2Client: Client } = await import('google-auth-library');
    return new Client();
  });
  return {
    async verify(token, requestAudiences) {
      const audiences = settings.audiences.length > 0 ? [...settings.audiences] : [...requestAudiences];
      let payload: TokenPayload | undefined;
      let certs;
      try {
        certs = await certificates.get();
      } catch {
        return { ok: false, status: 401, reason: 'certificates unavailable' };
      }
      try {
        const oauth = await clientOf();
        const ticket = await oauth.verifySignedJwtWithCertsAsync(token, certs, audiences, GOOGLE_ISSUERS);
        payload = ticket.getPayload();
      } catch (err) {
        return { ok: false, status: 401, reason: classify(err instanceof Error ? err.message : String(err)) };
      }
      if (!payload || !GOOGLE_ISSUERS.includes(payload.iss)) return { ok: false, status: 401, reason: 'wrong issuer' };
      if (payload.exp + settings.clockSkewSeconds < Date.now() / 1000) return { ok: false, status: 401, reason: 'expired' };
      const email = payload.email;
      if (!email || payload.email_verified !== true) return { ok: false, status: 403, reason: 'email missing or not verified', ...(email && { email }) };
      if (settings.emails.length > 0 && !settings.emails.includes(email.toLowerCase())) return { ok: false, status: 403, reason: 'email not allowed', email };
      return { ok: true, email };
    },
  };
}
