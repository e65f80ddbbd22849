/**
 * `WWW-Authenticate` challenges from a registry's 401 (RFC 7235 auth-params,
 * as the Docker token flow uses them). Pure.
 */

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses the first challenge: `Bearer realm="...",service="...",scope="a,b"`. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pair = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/g;
  let m: RegExpExecArray | null;
  while ((m = pair.exec(match[2])) !== null && m[0].length > 0) {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { scheme: match[1].toLowerCase(), params };
}
