/**
 * The declarative form of a route's filter, shared by routes files and
 * `router.on()`: keys in one spec must all hold; `all`, `any` and `not` nest.
 *
 *   { kind: 'storage.object', bucket: 'in', name: { glob: 'uploads/**\/*.csv' }, not: { name: { suffix: '.tmp' } } }
 *   { kind: 'storage.object', name: { pathPattern: 'releases/{version}/{file=**}' } }   // ctx.params.version
 */
import '../support/schema';
import * as z from 'zod/mini';
import { EVENT_KINDS, type EventKind } from '../parse/event';
import { FIELD_NAMES, type FieldName } from './fields';
import { all, any, attribute, field, not, type Filter, type ValueMatcher } from './filter';

export type MatchSpec = { readonly [K in Exclude<FieldName, 'kind'>]?: ValueMatcher } & {
  readonly kind?: EventKind | readonly EventKind[];
  readonly attributes?: Readonly<Record<string, ValueMatcher>>;
  readonly all?: readonly MatchSpec[];
  readonly any?: readonly MatchSpec[];
  readonly not?: MatchSpec;
};

const valueMatcherSchema: z.ZodMiniType<ValueMatcher> = z.union(
  [
    z.string(),
    z.array(z.string()).check(z.minLength(1)),
    z.strictObject({ exact: z.string() }),
    z.strictObject({ prefix: z.string() }),
    z.strictObject({ suffix: z.string() }),
    z.strictObject({ glob: z.string().check(z.minLength(1)) }),
    z.strictObject({ pathPattern: z.string().check(z.minLength(1)) }),
    z.strictObject({ exists: z.boolean() }),
  ],
  { error: 'expected a string, a list of strings, or one of {exact|prefix|suffix|glob|pathPattern|exists: ...}' },
);

/**
 * Attribute names as written: a record schema drops a key `__proto__` without a word, so a
 * route would silently match more than it says. Refused instead, by name.
 */
const attributeMatchersSchema = z.pipe(
  z.custom<unknown>((v) => v === null || typeof v !== 'object' || !Object.hasOwn(v, '__proto__'), {
    error: 'attribute name "__proto__" cannot be matched',
  }),
  z.record(z.string(), valueMatcherSchema),
);

const kindSchema = z.enum(EVENT_KINDS as [EventKind, ...EventKind[]], {
  error: `expected one of ${EVENT_KINDS.join(', ')}`,
});

export const matchSpecSchema: z.ZodMiniType<MatchSpec> = z.lazy(() => {
  const shape: Record<string, z.ZodMiniType> = {
    // One kind or a list; normalised first so an error names the bad kind, not the union.
    kind: z.optional(
      z.pipe(
        z.transform((v) => (typeof v === 'string' ? [v] : v)),
        z.array(kindSchema).check(z.minLength(1)),
      ),
    ),
    attributes: z.optional(attributeMatchersSchema),
    all: z.optional(z.array(matchSpecSchema)),
    any: z.optional(z.array(matchSpecSchema)),
    not: z.optional(matchSpecSchema),
  };
  for (const name of FIELD_NAMES) if (name !== 'kind') shape[name] = z.optional(valueMatcherSchema);
  return z.strictObject(shape);
});

export function compileMatchSpec(spec: MatchSpec): Filter {
  const parts: Filter[] = [];
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    switch (key) {
      case 'attributes':
        for (const [k, m] of Object.entries(value as Record<string, ValueMatcher>)) parts.push(attribute(k, m));
        break;
      case 'all':
        parts.push(all((value as MatchSpec[]).map(compileMatchSpec)));
        break;
      case 'any':
        parts.push(any((value as MatchSpec[]).map(compileMatchSpec)));
        break;
      case 'not':
        parts.push(not(compileMatchSpec(value as MatchSpec)));
        break;
      default:
        if (!(FIELD_NAMES as string[]).includes(key)) throw new Error(`unknown match field "${key}" (known: ${FIELD_NAMES.join(', ')})`);
        parts.push(field(key as FieldName, value as ValueMatcher));
    }
  }
  return parts.length === 1 ? parts[0] : all(parts);
}
