/**
 * Filters as small composable values (after Knative's subscriptionsapi): each
 * answers whether an event matches and, when it does not, why, so
 * `routes explain` can tell a user which condition failed.
 */
import type { RouteParams } from '../act/action';
import type { RouterEvent } from '../parse/event';
import { FIELDS, type FieldName, type FieldValue } from './fields';
import { compileGlob } from './glob';
import { compilePathPattern, PathMiss } from './matcher/path-pattern';

export interface Verdict {
  readonly matched: boolean;
  /** For a miss: the first condition that failed, in words. */
  readonly why?: string;
  /** For a match: what its path patterns captured, when they captured anything. */
  readonly params?: RouteParams;
}

export interface Filter {
  test(event: RouterEvent): Verdict;
  describe(): string;
  /** The parameter names its path patterns may capture (none when absent). */
  readonly captures?: readonly string[];
}

const MATCH: Verdict = { matched: true };
const miss = (why: string): Verdict => ({ matched: false, why });
/** A miss whose words are made only if read (`routes explain`, `any`): routing only needs `matched`. */
const missBecause = (why: () => string): Verdict => ({
  matched: false,
  get why() {
    return why();
  },
});

/** A condition on one string value. */
export type ValueMatcher =
  | string
  | readonly string[]
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly glob: string }
  | { readonly pathPattern: string }
  | { readonly exists: boolean };

interface CompiledMatcher {
  test(value: string | undefined): boolean;
  describe(): string;
  /** Path patterns only: the captured parameters, or why the value does not match. */
  readonly capture?: (value: string | undefined) => RouteParams | PathMiss;
  readonly captures?: readonly string[];
}

/**
 * A plain string is an exact value; one that reads like a path pattern (`users/{uid}`) is
 * refused rather than silently compared as is, since it would never match what its author means.
 */
const LOOKS_LIKE_CAPTURE = /\{[A-Za-z_][A-Za-z0-9_]*(=\*\*?)?\}/;
function exactValue(value: string): string {
  if (LOOKS_LIKE_CAPTURE.test(value)) {
    throw new Error(
      `${JSON.stringify(value)} reads like a path pattern, but a plain string is an exact value: write { pathPattern: ${JSON.stringify(value)} } (or { exact: ... } for the literal string)`,
    );
  }
  return value;
}

export function compileMatcher(m: ValueMatcher): CompiledMatcher {
  if (typeof m === 'string') {
    exactValue(m);
    return { test: (v) => v === m, describe: () => JSON.stringify(m) };
  }
  if (Array.isArray(m)) {
    if (m.length === 1) return compileMatcher(m[0] as string);
    (m as readonly string[]).forEach(exactValue);
    const set = new Set<string>(m as readonly string[]);
    return { test: (v) => v !== undefined && set.has(v), describe: () => `one of ${JSON.stringify(m)}` };
  }
  const o = m as Exclude<ValueMatcher, string | readonly string[]>;
  if ('exact' in o) return { test: (v) => v === o.exact, describe: () => JSON.stringify(o.exact) };
  if ('prefix' in o) return { test: (v) => v !== undefined && v.startsWith(o.prefix), describe: () => `prefix ${JSON.stringify(o.prefix)}` };
  if ('suffix' in o) return { test: (v) => v !== undefined && v.endsWith(o.suffix), describe: () => `suffix ${JSON.stringify(o.suffix)}` };
  if ('glob' in o) {
    const glob = compileGlob(o.glob);
    return { test: (v) => v !== undefined && glob(v), describe: () => `glob ${JSON.stringify(o.glob)}` };
  }
  if ('pathPattern' in o) {
    const pattern = compilePathPattern(o.pathPattern);
    const capture = (v: string | undefined) => (v === undefined ? PathMiss.ABSENT : pattern.match(v));
    return {
      test: (v) => !(capture(v) instanceof PathMiss),
      describe: () => `path pattern ${JSON.stringify(o.pathPattern)}`,
      capture,
      captures: pattern.names,
    };
  }
  return { test: (v) => (v !== undefined) === o.exists, describe: () => (o.exists ? 'present' : 'absent') };
}

const showOne = (v: string) => JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v);
const show = (v: FieldValue) =>
  v === undefined ? 'absent' : typeof v === 'string' ? showOne(v) : `[${v.slice(0, 8).map(showOne).join(', ')}${v.length > 8 ? ', …' : ''}]`;

/** One value's condition as a filter: `subject` names the value in a miss ("name", "attribute k"). A list matches when one of its values does. */
function valueFilter(subject: string, m: CompiledMatcher, get: (e: RouterEvent) => FieldValue): Filter {
  const describe = () => `${subject} ${m.describe()}`;
  const capture = m.capture;
  if (capture) {
    const captures = m.captures!;
    const captureAny = (v: FieldValue): RouteParams | PathMiss => {
      if (typeof v !== 'object') return capture(v);
      let first: PathMiss | undefined;
      for (const one of v) {
        const r = capture(one);
        if (!(r instanceof PathMiss)) return r;
        first ??= r;
      }
      return first ?? PathMiss.ABSENT;
    };
    return {
      test: (e) => {
        const v = get(e);
        const r = captureAny(v);
        if (r instanceof PathMiss) return missBecause(() => `${subject} is ${show(v)}, want ${m.describe()}${v === undefined ? '' : `: ${r.why}`}`);
        return captures.length > 0 ? { matched: true, params: r } : MATCH;
      },
      describe,
      captures,
    };
  }
  const test = (v: string) => m.test(v);
  return {
    test: (e) => {
      const v = get(e);
      return (typeof v === 'object' ? v.some(test) : m.test(v)) ? MATCH : miss(`${subject} is ${show(v)}, want ${m.describe()}`);
    },
    describe,
  };
}

export function field(name: FieldName, matcher: ValueMatcher): Filter {
  return valueFilter(name, compileMatcher(matcher), FIELDS[name]);
}

/** A Pub/Sub message attribute (or a noWrapper header attribute). */
export function attribute(key: string, matcher: ValueMatcher): Filter {
  return valueFilter(`attribute ${key}`, compileMatcher(matcher), (e) => {
    // Own keys only: an attribute named `constructor` must not find Object's.
    const attributes = e.delivery.attributes;
    return Object.hasOwn(attributes, key) ? attributes[key] : undefined;
  });
}

/** Each name once across the parts that must all hold, else a handler could not tell which value it got. */
function capturesOfAll(filters: readonly Filter[]): readonly string[] | undefined {
  const names: string[] = [];
  for (const f of filters) {
    for (const name of f.captures ?? []) {
      if (names.includes(name)) throw new Error(`the path parameter "${name}" is captured by two conditions of one route: name them apart`);
      names.push(name);
    }
  }
  return names.length > 0 ? names : undefined;
}

export function all(filters: readonly Filter[]): Filter {
  const captures = capturesOfAll(filters);
  return {
    test: (e) => {
      let params: RouteParams | undefined;
      for (const f of filters) {
        const v = f.test(e);
        if (!v.matched) return v;
        if (v.params) params = params ? { ...params, ...v.params } : v.params;
      }
      return params ? { matched: true, params } : MATCH;
    },
    describe: () => (filters.length === 0 ? 'every event' : filters.map((f) => f.describe()).join(' and ')),
    ...(captures && { captures }),
  };
}

export function any(filters: readonly Filter[]): Filter {
  // Any branch may be the one that matched: a name from any of them may be captured.
  const captures = [...new Set(filters.flatMap((f) => f.captures ?? []))];
  return {
    test: (e) => {
      const whys: string[] = [];
      for (const f of filters) {
        const v = f.test(e);
        if (v.matched) return v;
        whys.push(v.why ?? f.describe());
      }
      return miss(`none of: ${whys.join('; ')}`);
    },
    describe: () => `(${filters.map((f) => f.describe()).join(' or ')})`,
    ...(captures.length > 0 && { captures }),
  };
}

export function not(filter: Filter): Filter {
  return {
    test: (e) => (filter.test(e).matched ? miss(`matches excluded condition: ${filter.describe()}`) : MATCH),
    describe: () => `not (${filter.describe()})`,
  };
}
