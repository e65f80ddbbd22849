/** Stage: the auth check (receive/auth) admits the caller or refuses it; the check logs why it refused. */
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import type { AuthCheck } from './auth/check';
import type { Incoming } from './incoming';

const REASONS = { 401: 'unauthorized', 403: 'forbidden', 503: 'unavailable' } as const;

export function authenticate(check: AuthCheck): Stage<Incoming, Outcome> {
  return async (request, next) => {
    const verdict = await check(request.raw, request.log);
    if (verdict.ok) return next();
    return { kind: 'unauthenticated', status: verdict.status, reason: REASONS[verdict.status] };
  };
}
