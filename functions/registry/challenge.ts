/**
 * `WWW-Authenticate` challenges from a registry's 401 (RFC 7235 auth-params,
 * as the Docker token flow uses them). Pure, and a single left-to-right scan:
 * the header comes from a registry, a peer we do not trust, and a backtracking
 * RegExp over it took seconds on 16 KB of letters without `=`.
 */

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const isTokenStart = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
const isTokenChar = (c: string) => isTokenStart(c) || (c >= '0' && c <= '9') || c === '_' || c === '-';
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Parses the first challenge: `Bearer realm="...",service="...",scope="a,b"`. */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && isSpace(header[i])) i++;
  };
  const token = (): string | undefined => {
    if (i >= n || !isTokenStart(header[i])) return undefined;
    const start = i;
    while (i < n && isTokenChar(header[i])) i++;
    return header.slice(start, i);
  };
  skipSpace();
  const scheme = token();
  if (scheme === undefined) return undefined;
  // A map without a prototype: parameter names are the registry's choice (`constructor`, `__proto__`).
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  while (i < n) {
    skipSpace();
    const start = i;
    const name = token();
    skipSpace();
    if (name === undefined || header[i] !== '=') {
      // Not a parameter: skip it (each character is looked at once).
      i = Math.max(i, start + 1);
      continue;
    }
    i++;
    skipSpace();
    let value = '';
    if (header[i] === '"') {
      i++;
      // Runs between escapes are sliced whole; each escape takes the character after it.
      let from = i;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) {
          value += header.slice(from, i);
          i++;
          from = i;
        }
        i++;
      }
      value += header.slice(from, i);
      i++; // the closing quote
    } else {
      const from = i;
      while (i < n && !isSpace(header[i]) && header[i] !== ',') i++;
      value = header.slice(from, i);
    }
    params[name.toLowerCase()] = value;
    skipSpace();
    if (header[i] === ',') i++;
  }
  return { scheme: scheme.toLowerCase(), params };
}
