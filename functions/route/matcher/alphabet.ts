/**
 * The pattern's alphabet: code units fall into a few classes that every set
 * in the pattern treats alike, so the automaton's tables are indexed by class,
 * not by code unit. `.`, `/` and each line terminator get classes of their own
 * because assertions look at them.
 */
import { type CharSet, DOT, LINE_TERMINATORS, MAX_CODE_UNIT, SLASH, contains } from './char-set';
import { UnsupportedRegex } from './regex-syntax';

export const DOT_CLASS = 0;
export const SLASH_CLASS = 1;

export interface Alphabet {
  readonly size: number;
  /** The class of each ASCII code unit (the hot path). */
  readonly ascii: Uint8Array;
  /** Sorted interval starts and each interval's class, for the rest. */
  readonly starts: Uint32Array;
  readonly classes: Uint16Array;
  readonly isDot: Uint8Array;
  readonly isSlash: Uint8Array;
  readonly isLineTerminator: Uint8Array;
  /** member[setIndex * size + class]: whether the set holds that class. */
  readonly member: Uint8Array;
}

export function buildAlphabet(sets: readonly CharSet[]): Alphabet {
  const points = new Set<number>([0]);
  const mark = (lo: number, hi: number) => {
    points.add(lo);
    if (hi < MAX_CODE_UNIT) points.add(hi + 1);
  };
  for (const set of sets) for (const [lo, hi] of set) mark(lo, hi);
  for (const c of [DOT, SLASH, ...LINE_TERMINATORS]) mark(c, c);
  const starts = Uint32Array.from([...points].sort((a, b) => a - b));

  // `.` and `/` come first (classes 0 and 1): the matcher tests for them with one comparison.
  const bySignature = new Map<string, number>([
    ['d', DOT_CLASS],
    ['s', SLASH_CLASS],
  ]);
  const intervalClass = new Uint16Array(starts.length);
  const samples: number[] = [DOT, SLASH];
  starts.forEach((lo, k) => {
    const special = lo === DOT ? 'd' : lo === SLASH ? 's' : (LINE_TERMINATORS as readonly number[]).includes(lo) ? `l${lo}` : '';
    const signature = special === 'd' || special === 's' ? special : special + sets.map((set) => (contains(set, lo) ? '1' : '0')).join('');
    let cls = bySignature.get(signature);
    if (cls === undefined) {
      cls = bySignature.size;
      bySignature.set(signature, cls);
      samples.push(lo);
    }
    intervalClass[k] = cls;
  });

  const size = bySignature.size;
  if (size > 255) throw new UnsupportedRegex('pattern too complex (over 255 distinct character classes)');
  const classOf = (c: number) => intervalClass[intervalIndex(starts, c)];
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = classOf(c);
  const member = new Uint8Array(sets.length * size);
  sets.forEach((set, s) => samples.forEach((c, cls) => (member[s * size + cls] = contains(set, c) ? 1 : 0)));
  const flag = (test: (c: number) => boolean) => Uint8Array.from(samples, (c) => (test(c) ? 1 : 0));
  return {
    size,
    ascii,
    starts,
    classes: intervalClass,
    isDot: flag((c) => c === DOT),
    isSlash: flag((c) => c === SLASH),
    isLineTerminator: flag((c) => (LINE_TERMINATORS as readonly number[]).includes(c)),
    member,
  };
}

function intervalIndex(starts: Uint32Array, c: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= c) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function classOf(alphabet: Alphabet, c: number): number {
  return c < 128 ? alphabet.ascii[c] : alphabet.classes[intervalIndex(alphabet.starts, c)];
}
