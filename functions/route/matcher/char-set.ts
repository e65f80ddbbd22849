/**
 * Sets of UTF-16 code units as sorted, disjoint, inclusive [lo, hi] ranges:
 * the alphabet of a compiled pattern. JavaScript regexps without the `u` flag
 * match code units, so this is the unit the matcher reads too.
 */
export type CharSet = readonly (readonly [number, number])[];

export const MAX_CODE_UNIT = 0xffff;

export const DOT = 0x2e;
export const SLASH = 0x2f;
/** What `.` does not match without the `s` flag. */
export const LINE_TERMINATORS = [0x0a, 0x0d, 0x2028, 0x2029] as const;

export function normalise(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_UNIT) out.push([next, MAX_CODE_UNIT]);
  return out;
}

export const single = (c: number): CharSet => [[c, c]];

export const ANY_BUT_LINE_TERMINATOR: CharSet = complement(normalise(LINE_TERMINATORS.map((c) => [c, c] as const)));

const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = normalise([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
/** ECMAScript WhiteSpace and LineTerminator, what `\s` matches. */
const SPACE: CharSet = normalise(
  [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff].map((c) => [c, c] as const).concat([[0x2000, 0x200a]]),
);

/** The class escapes `\d \D \w \W \s \S`, or undefined for any other letter. */
export function classEscape(letter: string): CharSet | undefined {
  switch (letter) {
    case 'd':
      return DIGIT;
    case 'D':
      return complement(DIGIT);
    case 'w':
      return WORD;
    case 'W':
      return complement(WORD);
    case 's':
      return SPACE;
    case 'S':
      return complement(SPACE);
    default:
      return undefined;
  }
}

export function contains(set: CharSet, c: number): boolean {
  for (const [lo, hi] of set) {
    if (c < lo) return false;
    if (c <= hi) return true;
  }
  return false;
}
