/**
 * Filters as small composable values (after Knative's subscriptionsapi): each
 * answers whether an event matches and, when it does not, why, so
 * `routes explain` can tell a user which condition failed.
 */
import type { RouterEvent } from '../parse/event';
import { FIELDS, type FieldName } from './fields';
import { compileGlob } from './glob';

export interface Verdict {
  readonly matched: boolean;
  /** For a miss: the first condition that failed, in words. */
  readonly why?: string;
}

export interface Filter {
  test(event: RouterEvent): Verdict;
  describe(): string;
}

const MATCH: Verdict = { matched: true };
const miss = (why: string): Verdict => ({ matched: false, why });

/** A condition on one string value. */
export type ValueMatcher =
  | string
  | readonly string[]
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly glob: string }
  | { readonly exists: boolean };

interface CompiledMatcher {
  test(value: string | undefined): boolean;
  describe(): string;
}

export function compileMatcher(m: ValueMatcher): CompiledMatcher {
  if (typeof m === 'string') return { test: (v) => v === m, describe: () => JSON.stringify(m) };
  if (Array.isArray(m)) {
    if (m.length === 1) return compileMatcher(m[0] as string);
    const set = new Set<string>(m as readonly string[]);
    return { test: (v) => v !== undefined && set.has(v), describe: () => `one of ${JSON.stringify(m)}` };
  }
  const o = m as Exclude<ValueMatcher, string | readonly string[]>;
  if ('exact' in o) return compileMatcher(o.exact);
  if ('prefix' in o) return { test: (v) => v !== undefined && v.startsWith(o.prefix), describe: () => `prefix ${JSON.stringify(o.prefix)}` };
  if ('suffix' in o) return { test: (v) => v !== undefined && v.endsWith(o.suffix), describe: () => `suffix ${JSON.stringify(o.suffix)}` };
  if ('glob' in o) {
    const glob = compileGlob(o.glob);
    return { test: (v) => v !== undefined && glob(v), describe: () => `glob ${JSON.stringify(o.glob)}` };
  }
  return { test: (v) => (v !== undefined) === o.exists, describe: () => (o.exists ? 'present' : 'absent') };
}

const show = (v: string | undefined) => (v === undefined ? 'absent' : JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}…` : v));

export function field(name: FieldName, matcher: ValueMatcher): Filter {
  const m = compileMatcher(matcher);
  const get = FIELDS[name];
  return {
    test: (e) => {
      const v = get(e);
      return m.test(v) ? MATCH : miss(`${name} is ${show(v)}, want ${m.describe()}`);
    },
    describe: () => `${name} ${m.describe()}`,
  };
}

/** A Pub/Sub message attribute (or a noWrapper header attribute). */
export function attribute(key: string, matcher: ValueMatcher): Filter {
  const m = compileMatcher(matcher);
  return {
    test: (e) => {
      // Own keys only: an attribute named `constructor` must not find Object's.
      const attributes = e.delivery.attributes;
      const v = Object.hasOwn(attributes, key) ? attributes[key] : undefined;
      return m.test(v) ? MATCH : miss(`attribute ${key} is ${show(v)}, want ${m.describe()}`);
    },
    describe: () => `attribute ${key} ${m.describe()}`,
  };
}

export function all(filters: readonly Filter[]): Filter {
  return {
    test: (e) => {
      for (const f of filters) {
        const v = f.test(e);
        if (!v.matched) return v;
      }
      return MATCH;
    },
    describe: () => (filters.length === 0 ? 'every event' : filters.map((f) => f.describe()).join(' and ')),
  };
}

export function any(filters: readonly Filter[]): Filter {
  return {
    test: (e) => {
      const whys: string[] = [];
      for (const f of filters) {
        const v = f.test(e);
        if (v.matched) return MATCH;
        whys.push(v.why ?? f.describe());
      }
      return miss(`none of: ${whys.join('; ')}`);
    },
    describe: () => `(${filters.map((f) => f.describe()).join(' or ')})`,
  };
}

export function not(filter: Filter): Filter {
  return {
    test: (e) => (filter.test(e).matched ? miss(`matches excluded condition: ${filter.describe()}`) : MATCH),
    describe: () => `not (${filter.describe()})`,
  };
}

