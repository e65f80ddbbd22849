/** Stage: GET /healthz and /readyz are answered here, before admission (they do not count as work in flight). */
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import type { Incoming } from './incoming';
import type { RawRequest } from './raw-request';
import type { InFlight } from './shutdown';

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/** The answer to a health check; undefined for any other request. */
export function healthOf(inFlight: InFlight, raw: RawRequest): Outcome | undefined {
  if (raw.method !== 'GET' || !HEALTH_PATHS.has(raw.path)) return undefined;
  // Draining: not ready for new work, but alive.
  return { kind: 'health', ready: !(inFlight.draining && raw.path === '/readyz') };
}

export function health(inFlight: InFlight): Stage<Incoming, Outcome> {
  return async (request, next) => healthOf(inFlight, request.raw) ?? next();
}
