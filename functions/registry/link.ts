/**
 * The `rel="next"` target of a `Link` header (RFC 8288), as registries page tag
 * lists. Pure, one left-to-right scan: the header is a peer's, and a RegExp
 * searching it for `<...>` from every `<` took seconds on 16 KB of `<`.
 */

const REL_NEXT = /^\s*;\s*rel="?next"?\s*(?:[;,]|$)/;

export function nextPageLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length) {
    const open = header.indexOf('<', i);
    if (open < 0) return undefined;
    const close = header.indexOf('>', open + 1);
    if (close < 0) return undefined;
    // The parameters of this link run to the next `<` at most: the anchored check sees only them.
    const nextOpen = header.indexOf('<', close + 1);
    const params = header.slice(close + 1, nextOpen < 0 ? header.length : nextOpen);
    if (close > open + 1 && REL_NEXT.test(params)) return header.slice(open + 1, close);
    i = close + 1;
  }
  return undefined;
}
