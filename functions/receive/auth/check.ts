/**
 * The inbound auth gate, run before parsing: a request passes when it carries a
 * valid credential of a configured kind (OIDC bearer token, X-Api-Key). A refusal
 * answers 401 or 403 with no detail, and writes one audit line without the token.
 * When the signing certificates cannot be had, the answer is 503 (Pub/Sub comes
 * back) with a WARNING that is not an audit line: nobody was refused.
 */
import type { Logger } from '../../support/logger';
import type { RawRequest } from '../raw-request';
import { apiKeyMatcher } from './api-key';
import { createOidcVerifier, type OidcSettings } from './oidc';

export interface AuthSettings {
  readonly oidc?: OidcSettings;
  readonly apiKey?: string;
}

export type AuthVerdict = { readonly ok: true; readonly principal: string } | { readonly ok: false; readonly status: 401 | 403 | 503 };

export type AuthCheck = (raw: RawRequest, log: Logger) => Promise<AuthVerdict>;

/** `log` gets the process-wide lines (certificate fetch failures); per-request lines go to the check's logger. */
export function createAuthCheck(settings: AuthSettings, log?: Logger): AuthCheck | undefined {
  if (!settings.oidc && settings.apiKey === undefined) return undefined;
  const oidc =
    settings.oidc &&
    createOidcVerifier(settings.oidc, {
      onCertificatesFailure: (message, servingStale) =>
        log?.warn(
          `OIDC certificates could not be fetched (${message}); ${servingStale ? 'serving the cached copy' : 'token requests answer 503 until they can'}`,
        ),
    });
  const keyMatches = settings.apiKey !== undefined ? apiKeyMatcher(settings.apiKey) : undefined;

  return async (raw, log) => {
    const refuse = (status: 401 | 403, reason: string, extra: Record<string, unknown> = {}): AuthVerdict => {
      // The audit line names what was wrong and who claimed to call; never the credential itself.
      log.warn(`request refused: ${status}`, {
        audit: { status, reason, ...extra },
        httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status, userAgent: raw.headers['user-agent'] },
      });
      return { ok: false, status };
    };
    const presentedKey = raw.headers['x-api-key'];
    if (keyMatches && presentedKey !== undefined) {
      if (keyMatches(presentedKey)) return { ok: true, principal: 'api-key' };
      if (!oidc) return refuse(401, 'wrong api key');
    }
    const authorization = raw.headers['authorization'];
    if (oidc && authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) return refuse(401, 'malformed authorization header');
      const verdict = await oidc.verify(match[1]);
      if (verdict.ok) return { ok: true, principal: verdict.principal };
      if (verdict.status === 503) {
        log.warn('OIDC certificates unavailable: answered 503 so the delivery is retried', {
          httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status: 503 },
        });
        return { ok: false, status: 503 };
      }
      return refuse(verdict.status, verdict.reason, 'email' in verdict && verdict.email ? { email: verdict.email } : {});
    }
    return refuse(401, presentedKey !== undefined ? 'wrong api key' : 'no credentials');
  };
}
