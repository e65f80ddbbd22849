/**
 * Parses the regular-expression subset picomatch emits for a glob into a tree
 * our linear matcher can run: literals, classes, `.`, groups, alternation,
 * quantifiers (greedy or lazy: the same language for a yes/no test), `^`, `$`
 * and the few fixed lookaheads picomatch uses for `.`/`..` segments. Anything
 * else (backreferences, other lookarounds, word boundaries) is refused, so a
 * pattern never runs with a meaning other than the one picomatch gives it.
 */
import { ANY_BUT_LINE_TERMINATOR, type CharSet, classEscape, complement, normalise, single } from './char-set';

/** Position assertions: each is decided by the input at and just around one position. */
export type Assertion =
  | 'start' // ^
  | 'end' // $
  | 'oneChar' // (?=.)
  | 'noDot' // (?!\.)
  | 'noDotsSlash' // (?!\.{1,2}(?:\/|$))  no `.` or `..` segment starts here
  | 'noDots' // (?!(?:^|\/)\.{1,2}(?:\/|$))  nor after a slash here, nor at the start
  | 'noDotSlash'; // (?!\.{0,1}(?:\/|$))  neither a slash, the end, nor a `.` segment

export type RegexNode =
  | { readonly type: 'set'; readonly set: CharSet }
  | { readonly type: 'assert'; readonly assertion: Assertion }
  | { readonly type: 'concat'; readonly items: readonly RegexNode[] }
  | { readonly type: 'alternate'; readonly items: readonly RegexNode[] }
  | { readonly type: 'repeat'; readonly item: RegexNode; readonly min: number; readonly max: number };

export class UnsupportedRegex extends Error {
  override name = 'UnsupportedRegex';
}

/** picomatch's lookaheads (lib/constants.js, posix slashes), by their exact text. */
const LOOKAHEADS: Readonly<Record<string, Assertion>> = {
  '(?=.)': 'oneChar',
  '(?!\\.)': 'noDot',
  '(?!\\.{1,2}(?:\\/|$))': 'noDotsSlash',
  '(?!(?:^|\\/)\\.{1,2}(?:\\/|$))': 'noDots',
  '(?!\\.{0,1}(?:\\/|$))': 'noDotSlash',
};

/** Counted repetition is expanded into copies; beyond this it is refused. */
const MAX_REPEAT = 100;

export function parseRegex(source: string): RegexNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new UnsupportedRegex(`${what} at offset ${i} of /${source}/`);
  };

  const hex = (digits: number): number => {
    const text = source.slice(i, i + digits);
    if (text.length !== digits || !/^[0-9A-Fa-f]+$/.test(text)) fail('an incomplete hexadecimal escape');
    i += digits;
    return parseInt(text, 16);
  };

  /** One escape after `\`, as a set; `inClass` changes `\b` and `\-`. */
  const escape = (inClass: boolean): CharSet => {
    const c = source[i++];
    if (c === undefined) return fail('a trailing backslash');
    const cls = classEscape(c);
    if (cls) return cls;
    if (/[0-9]/.test(c)) {
      if (c === '0' && !/[0-9]/.test(source[i] ?? '')) return single(0);
      return fail('a backreference or octal escape');
    }
    switch (c) {
      case 'n':
        return single(0x0a);
      case 'r':
        return single(0x0d);
      case 't':
        return single(0x09);
      case 'v':
        return single(0x0b);
      case 'f':
        return single(0x0c);
      case 'x':
        return single(hex(2));
      case 'u':
        return single(hex(4));
      case 'c': {
        const letter = source[i];
        if (letter === undefined || !/[A-Za-z]/.test(letter)) return fail('a control escape');
        i++;
        return single(letter.charCodeAt(0) % 32);
      }
      case 'b':
        if (inClass) return single(0x08);
        return fail('a word boundary');
      case 'B':
        return fail('a word boundary');
      default:
        return single(c.charCodeAt(0)); // identity escape
    }
  };

  const parseClass = (): CharSet => {
    // `[` already read.
    const negated = source[i] === '^';
    if (negated) i++;
    const ranges: (readonly [number, number])[] = [];
    /** One class atom: a single code unit, or a set for `\d`-like escapes. */
    const atom = (): { unit?: number; set: CharSet } => {
      const c = source[i];
      if (c === undefined) return fail('an unterminated class');
      i++;
      if (c !== '\\') return { unit: c.charCodeAt(0), set: single(c.charCodeAt(0)) };
      const isClassEscape = classEscape(source[i] ?? '') !== undefined;
      const set = escape(true);
      return isClassEscape ? { set } : { unit: set[0][0], set };
    };
    while (source[i] !== ']') {
      const from = atom();
      if (source[i] === '-' && source[i + 1] !== ']' && source[i + 1] !== undefined) {
        i++;
        const to = atom();
        if (from.unit === undefined || to.unit === undefined) {
          // Annex B: a range with a class escape at either end is the two sets and a `-`.
          ranges.push(...from.set, ...to.set, [0x2d, 0x2d]);
        } else {
          if (from.unit > to.unit) fail('a range out of order');
          ranges.push([from.unit, to.unit]);
        }
      } else {
        ranges.push(...from.set);
      }
    }
    i++; // `]`
    const set = normalise(ranges);
    return negated ? complement(set) : set;
  };

  /** The index just past the `)` that closes the group opening at `open`. */
  const groupEnd = (open: number): number => {
    let depth = 0;
    let inClass = false;
    for (let j = open; j < source.length; j++) {
      const c = source[j];
      if (c === '\\') j++;
      else if (inClass) inClass = c !== ']';
      else if (c === '[') inClass = true;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return j + 1;
    }
    return fail('an unclosed group');
  };

  const atom = (): RegexNode => {
    const c = source[i];
    if (c === '(') {
      if (source.startsWith('(?=', i) || source.startsWith('(?!', i) || source.startsWith('(?<', i)) {
        const end = groupEnd(i);
        const assertion = LOOKAHEADS[source.slice(i, end)];
        if (!assertion) fail(`the lookaround ${source.slice(i, end)}`);
        i = end;
        return { type: 'assert', assertion: assertion };
      }
      i += source.startsWith('(?:', i) ? 3 : 1;
      if (source[i - 1] === '?') fail('a group modifier');
      const inner = alternation();
      if (source[i] !== ')') fail('an unclosed group');
      i++;
      return inner;
    }
    i++;
    switch (c) {
      case '[':
        return { type: 'set', set: parseClass() };
      case '.':
        return { type: 'set', set: ANY_BUT_LINE_TERMINATOR };
      case '\\':
        return { type: 'set', set: escape(false) };
      case '^':
        return { type: 'assert', assertion: 'start' };
      case '$':
        return { type: 'assert', assertion: 'end' };
      case '*':
      case '+':
      case '?':
      case ')':
      case '|':
        return fail(`a misplaced ${c}`);
      default:
        return { type: 'set', set: single(c.charCodeAt(0)) };
    }
  };

  /** A quantifier after an atom, or undefined; `{` that is not one is a literal (Annex B). */
  const quantifier = (): { min: number; max: number } | undefined => {
    const c = source[i];
    let q: { min: number; max: number } | undefined;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d{1,9})(,(\d{0,9}))?\}/.exec(source.slice(i, i + 22));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) fail('a repetition count over 100');
      i += m[0].length - 1;
      q = { min, max };
    }
    if (!q) return undefined;
    i++;
    if (source[i] === '?') i++; // lazy: same yes/no answer
    return q;
  };

  const sequence = (): RegexNode => {
    const items: RegexNode[] = [];
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const item = atom();
      const q = quantifier();
      if (q && item.type === 'assert') fail('a quantified assertion');
      items.push(q ? { type: 'repeat', item, ...q } : item);
    }
    return items.length === 1 ? items[0] : { type: 'concat', items };
  };

  const alternation = (): RegexNode => {
    const items = [sequence()];
    while (source[i] === '|') {
      i++;
      items.push(sequence());
    }
    return items.length === 1 ? items[0] : { type: 'alternate', items };
  };

  const tree = alternation();
  if (i !== source.length) fail('an unmatched )');
  return tree;
}
