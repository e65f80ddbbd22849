/**
 * What a registry may tell us to do with a URL: a registry is a peer, and a
 * hostile one names other hosts (an upload Location, a tags Link, a redirect,
 * a token realm) to collect the credentials we hold for it or for others.
 * These rules decide which of those URLs are followed, and with what. Pure.
 */
import { isLoopbackHost, quoted, sameOrigin } from './reference';
import { DispositionError } from '../support/disposition';

/** A registry asked for something we refuse to do: retrying will not change its answer. */
export class UnsafePeerError extends DispositionError {
  constructor(message: string) {
    super(message, 'permanent');
    this.name = 'UnsafePeerError';
  }
}

function parse(text: string, base: URL, what: string): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new UnsafePeerError(`${base.host}: ${what} ${quoted(text)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafePeerError(`${base.host}: ${what} ${quoted(text)} is not http(s)`);
  if (url.username || url.password) throw new UnsafePeerError(`${base.host}: ${what} on ${url.host} carries userinfo`);
  return url;
}

/**
 * A URL the registry at `origin` answered with (Location, Link): resolved
 * against it, and never a step down from https to plain http unless `insecure`.
 * The caller attaches credentials only when it is on `origin` (sameOrigin).
 */
export function followedUrl(text: string, origin: URL, what: string, insecure: boolean): URL {
  const url = parse(text, origin, what);
  if (origin.protocol === 'https:' && url.protocol === 'http:' && !insecure) {
    throw new UnsafePeerError(`${origin.host}: ${what} on ${url.host} is plain http`);
  }
  return url;
}

/** The part of a URL that may appear in a message: never its query (pre-signed URLs carry secrets there). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.length > 80 ? `${url.pathname.slice(0, 80)}...` : url.pathname}`;
}

/**
 * The token realm of a Bearer challenge: https, or plain http only on loopback
 * for a loopback registry (tests, a local mirror) or when `insecure` is set.
 */
export function tokenRealm(text: string, origin: URL, insecure: boolean): URL {
  const url = parse(text, origin, 'token realm');
  if (url.protocol === 'http:' && !insecure && !(isLoopbackHost(url.host) && isLoopbackHost(origin.host))) {
    throw new UnsafePeerError(`${origin.host}: token realm ${describeUrl(url)} is not https`);
  }
  return url;
}

/** Basic credentials issued for `origin` go to a realm on that same origin, or on the host configured for them. */
export function realmMayReceive(realm: URL, origin: URL, configuredRealm: string | undefined): boolean {
  if (sameOrigin(realm, origin)) return true;
  return configuredRealm !== undefined && realm.host === configuredRealm && (realm.protocol === 'https:' || origin.protocol === 'http:');
}
