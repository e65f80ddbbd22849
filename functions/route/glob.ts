/**
 * Glob matching for object names, images and tags (`uploads/**\/*.csv`, `v*`).
 *
 * The syntax and meaning are picomatch's with `{ dot: true }` (names like
 * `.keep` are ordinary object names in a bucket, not hidden files): picomatch
 * translates the glob, and our own matcher runs the translation in time linear
 * in the name. picomatch's RegExp itself never sees an event: V8 backtracks,
 * and `**\/*-*-*-*.csv` against 600 dashes took tens of seconds.
 *
 * What the matcher cannot run with picomatch's meaning is refused here, at
 * route compile time, naming the glob.
 */
import picomatch from 'picomatch';
import { LazyDfa } from './matcher/lazy-dfa';
import { buildNfa } from './matcher/nfa';
import { parseRegex, UnsupportedRegex } from './matcher/regex-syntax';

export type GlobTest = (value: string) => boolean;

/** The routes file is an input too: a glob's size, and what it compiles to, are bounded. */
export const MAX_GLOB_LENGTH = 512;
const MAX_AUTOMATON_STATES = 4096;

export class GlobError extends Error {
  override name = 'GlobError';
  constructor(
    readonly glob: string,
    readonly problem: string,
  ) {
    super(`glob ${JSON.stringify(glob)}: ${problem}`);
  }
}

export function compileGlob(pattern: string): GlobTest {
  const source = globSource(pattern);
  let dfa: LazyDfa;
  try {
    dfa = new LazyDfa(buildNfa(parseRegex(source), MAX_AUTOMATON_STATES));
  } catch (err) {
    if (!(err instanceof UnsupportedRegex)) throw err;
    const hint = pattern.includes('!(') ? ': the negated extglob "!(...)" is not supported, use `not:` around the match' : '';
    throw new GlobError(pattern, `unsupported syntax (${err.message})${hint}`);
  }
  return (value) => dfa.test(value);
}

/** picomatch's RegExp source for the glob, after refusing what would not mean the same. */
function globSource(pattern: string): string {
  if (pattern.length > MAX_GLOB_LENGTH) throw new GlobError(pattern.slice(0, 40) + '…', `longer than ${MAX_GLOB_LENGTH} characters`);
  const scan = picomatch.scan(pattern);
  if (scan.negated) throw new GlobError(pattern, 'a leading "!" (negation) is not supported: use `not:` around the match');
  let re: RegExp;
  try {
    re = picomatch.makeRe(pattern, { dot: true, expandRange: singleCharacterRange(pattern) });
  } catch (err) {
    if (err instanceof GlobError) throw err;
    throw new GlobError(pattern, (err as Error).message);
  }
  if (re.flags !== '') throw new GlobError(pattern, `unexpected RegExp flags "${re.flags}"`);
  return re.source;
}

const RANGE_KINDS = [/^[0-9]$/, /^[a-z]$/, /^[A-Z]$/];

/**
 * `{a..e}` and `{1..9}` mean what picomatch makes of them (a class). Longer
 * ranges picomatch turns into a class of characters too (`{1..10}` is `[1-10]`,
 * i.e. `0` or `1`), which is not what anyone writing them means: refused.
 */
function singleCharacterRange(pattern: string) {
  return (...args: unknown[]): string => {
    const bounds = args.slice(0, -1) as string[]; // the last argument is picomatch's options
    const [from, to] = bounds;
    const sameKind = bounds.length === 2 && RANGE_KINDS.some((kind) => kind.test(from) && kind.test(to));
    if (!sameKind) {
      throw new GlobError(
        pattern,
        `the range {${bounds.join('..')}} is not supported: only single digits or letters of one case ({1..9}, {a..f}); list other values ({10,11,12})`,
      );
    }
    return `[${[from, to].sort().join('-')}]`;
  };
}
