/**
 * Path patterns as Eventarc and Firebase write them (`users/{uid}/orders/{orderId}`,
 * `projects/_/buckets/**\/r*.txt`, `users/{rest=**}`): matched segment by segment,
 * with the named segments captured.
 *
 * A segment of the pattern is one of:
 *   - a literal, equal to the value's segment (nothing in it is special but `*` and braces);
 *   - `*` or `{name}` (also `{name=*}`): one non-empty segment, `{name}` captures it;
 *   - text with `*` in it (`r*.txt`): one segment, each `*` any run of characters but `/`;
 *   - `**` or `{name=**}`: zero or more whole segments, `{name=**}` captures them joined by `/`.
 * At most one multi-segment part per pattern, so a match, and what it captures, is
 * unambiguous and found in one pass: the segments before it from the start, those after
 * it from the end. A leading `/` is ignored on both sides. Nothing is URL-decoded.
 *
 * No backtracking anywhere: time is linear in the value's length for a given pattern.
 */
import type { RouteParams } from '../../act/action';

/** The routes file is an input too: a pattern's size is bounded, like a glob's. */
export const MAX_PATH_PATTERN_LENGTH = 1024;
const MAX_NAME_LENGTH = 64;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class PathPatternError extends Error {
  override name = 'PathPatternError';
  constructor(
    readonly pattern: string,
    readonly problem: string,
  ) {
    super(`path pattern ${JSON.stringify(pattern)}: ${problem}`);
  }
}

type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'any'; readonly name?: string }
  | { readonly kind: 'wild'; readonly text: string; readonly pieces: readonly string[] }
  | { readonly kind: 'rest'; readonly name?: string };

export interface PathPattern {
  readonly source: string;
  /** The parameter names it captures, in order. */
  readonly names: readonly string[];
  /** The captured parameters when `value` matches; otherwise why not, naming the segment that failed. */
  match(value: string): RouteParams | PathMiss;
}

/**
 * A value that does not match. Why, in words, is made only when asked (`routes explain`):
 * routing itself only needs to know that it missed.
 */
export class PathMiss {
  constructor(
    /** 1-based; 0 when the number of segments is wrong. */
    private readonly position: number,
    private readonly part: string,
    private readonly segment: Segment | { readonly kind: 'count'; readonly want: string; readonly got: number } | { readonly kind: 'absent' },
  ) {}

  /** A value the event does not have. */
  static readonly ABSENT = new PathMiss(0, '', { kind: 'absent' });

  get why(): string {
    const s = this.segment;
    if (s.kind === 'absent') return 'is absent';
    if (s.kind === 'count') return `has ${s.got} segment${s.got === 1 ? '' : 's'}, want ${s.want}`;
    const want = s.kind === 'any' ? (s.name === undefined ? '*' : `{${s.name}}`) : JSON.stringify((s as { text: string }).text);
    return `segment ${this.position} ${this.part === '' && s.kind === 'any' ? 'is empty' : `is ${show(this.part)}`}, want ${want}`;
  }
}

const NO_CAPTURES: RouteParams = Object.freeze({});

export function compilePathPattern(source: string): PathPattern {
  if (source.length > MAX_PATH_PATTERN_LENGTH) {
    throw new PathPatternError(source.slice(0, 40) + '…', `longer than ${MAX_PATH_PATTERN_LENGTH} characters`);
  }
  const body = source.startsWith('/') ? source.slice(1) : source;
  if (body === '') throw new PathPatternError(source, 'is empty');
  const segments = body.split('/').map((text, i) => parseSegment(source, text, i + 1));
  const names: string[] = [];
  let rest = -1;
  segments.forEach((s, i) => {
    if (s.kind === 'rest') {
      if (rest >= 0) throw new PathPatternError(source, `only one "**" or "{name=**}" per pattern (segments ${rest + 1} and ${i + 1})`);
      rest = i;
    }
    const name = s.kind === 'any' || s.kind === 'rest' ? s.name : undefined;
    if (name === undefined) return;
    if (names.includes(name)) throw new PathPatternError(source, `the name "${name}" is captured twice`);
    names.push(name);
  });
  const head = rest < 0 ? segments : segments.slice(0, rest);
  const tail = rest < 0 ? [] : segments.slice(rest + 1);
  const restName = rest < 0 ? undefined : (segments[rest] as { name?: string }).name;
  const captures = names.length > 0;

  return {
    source,
    names,
    match(raw) {
      const value = raw.startsWith('/') ? raw.slice(1) : raw;
      const parts = value === '' ? [] : value.split('/');
      const n = parts.length;
      if (rest < 0 ? n !== head.length : n < head.length + tail.length) {
        const want = rest < 0 ? `${head.length}` : `at least ${head.length + tail.length}`;
        return new PathMiss(0, '', { kind: 'count', want, got: n });
      }
      const params: Record<string, string> | undefined = captures ? {} : undefined;
      for (let i = 0; i < head.length; i++) {
        if (!segmentMatches(head[i], parts[i], params)) return new PathMiss(i + 1, parts[i], head[i]);
      }
      const tailStart = n - tail.length;
      for (let k = 0; k < tail.length; k++) {
        const part = parts[tailStart + k];
        if (!segmentMatches(tail[k], part, params)) return new PathMiss(tailStart + k + 1, part, tail[k]);
      }
      if (restName !== undefined) params![restName] = parts.slice(head.length, tailStart).join('/');
      return params ?? NO_CAPTURES;
    },
  };
}

function parseSegment(source: string, text: string, position: number): Segment {
  const at = `segment ${position}`;
  if (text === '') throw new PathPatternError(source, `${at} is empty ("//" or a trailing "/")`);
  if (text === '**') return { kind: 'rest' };
  if (text === '*') return { kind: 'any' };
  if (text.startsWith('{') && text.endsWith('}')) {
    const inner = text.slice(1, -1);
    const eq = inner.indexOf('=');
    const name = eq < 0 ? inner : inner.slice(0, eq);
    const wildcard = eq < 0 ? '*' : inner.slice(eq + 1);
    if (!NAME.test(name) || name.length > MAX_NAME_LENGTH) {
      throw new PathPatternError(
        source,
        `${at}: "${name}" is not a parameter name (letters, digits and _, not starting with a digit, at most ${MAX_NAME_LENGTH})`,
      );
    }
    if (name === '__proto__') throw new PathPatternError(source, `${at}: "__proto__" cannot be a parameter name`);
    if (wildcard === '*') return { kind: 'any', name };
    if (wildcard === '**') return { kind: 'rest', name };
    throw new PathPatternError(source, `${at}: {${name}=${wildcard}} is not supported (use {${name}} or {${name}=**})`);
  }
  if (text.includes('{') || text.includes('}')) {
    throw new PathPatternError(source, `${at} "${text}": a capture is a whole segment, {name} or {name=**}`);
  }
  if (text.includes('**')) throw new PathPatternError(source, `${at} "${text}": "**" stands alone as a segment`);
  if (text.includes('*')) return { kind: 'wild', text, pieces: text.split('*') };
  return { kind: 'literal', text };
}

/** Whether one value segment fits a pattern segment; a capture is recorded. */
function segmentMatches(s: Segment, part: string, params: Record<string, string> | undefined): boolean {
  switch (s.kind) {
    case 'literal':
      return part === s.text;
    case 'any':
      if (part === '') return false;
      if (s.name !== undefined) params![s.name] = part;
      return true;
    case 'wild':
      return wildMatches(s.pieces, part);
    case 'rest':
      return true; // never asked: the multi-segment part is what lies between head and tail
  }
}

/**
 * `*` within one segment (no `/` can occur in `part`): the first piece starts it, the last
 * ends it, and each middle piece is found leftmost after the previous one. Leftmost is
 * always right when `*` is the only wildcard, so this never backtracks.
 */
function wildMatches(pieces: readonly string[], part: string): boolean {
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (part.length < first.length + last.length || !part.startsWith(first) || !part.endsWith(last)) return false;
  let from = first.length;
  const end = part.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i];
    if (piece === '') continue;
    const at = part.indexOf(piece, from);
    if (at < 0 || at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

const show = (v: string) => JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v);

/**
 * The parameter names a pattern captures, at compile time (`users/{uid}/{rest=**}`
 * gives `'uid' | 'rest'`): the same grammar as parseSegment, for a pattern written
 * as a literal. A pattern only known at run time (a `string`) gives `string`.
 */
export type PathParamNames<P extends string> = string extends P ? string : CaptureName<SegmentsOf<P extends `/${infer B}` ? B : P>>;
type SegmentsOf<P extends string> = P extends `${infer Head}/${infer Tail}` ? Head | SegmentsOf<Tail> : P;
type CaptureName<S extends string> = S extends `{${infer Inner}}` ? (Inner extends `${infer Name}=${string}` ? Name : Inner) : never;
