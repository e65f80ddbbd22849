/**
 * Redirects are followed only to the same origin (scheme, host and port), with
 * the same method and body: an event must never be handed to a host the route
 * did not name.
 */

const FOLLOWED = new Set([301, 302, 307, 308]);
export const MAX_REDIRECTS = 5;

export type RedirectDecision = { follow: URL } | { refuse: string } | undefined;

/** undefined: not a redirect we act on (the status is then judged as it is). */
export function redirectDecision(current: URL, status: number, location: string | undefined): RedirectDecision {
  if (!FOLLOWED.has(status) || location === undefined) return undefined;
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return { refuse: `redirect to an invalid location ${JSON.stringify(location)}` };
  }
  if (next.origin !== current.origin) return { refuse: `redirect to another host (${next.origin}) not followed` };
  return { follow: next };
}
