/**
 * What a match spec means to the compiler: `router.on({ kind: 'storage.object', ... }, handler)`
 * gives the handler the event of that kind, and `ctx.params` the names its path
 * patterns capture. Types only: at run time a spec is still checked by
 * match-spec.ts's schema, so a JavaScript caller gets the same routes and clear errors.
 *
 * A field of another kind in a spec never matches (fields.ts gives `undefined` for
 * it), so `{ kind: 'storage.object', tag: 'v1' }` does not compile, naming `tag`.
 */
import type { ActionResult, HandlerContext, RouteParams } from '../act/action';
import type { EventKind, ImageChange, RouterEvent, StorageChange } from '../parse/event';
import type { FirestoreChange } from '../parse/payloads/firestore-document';
import type { FieldName } from './fields';
import type { FieldKinds } from './field-kinds';
import type { MatchSpec } from './match-spec';
import type { PathParamNames } from './matcher/path-pattern';

export type { FieldKinds } from './field-kinds';

/** The kinds a spec names (`kind: 'x'` or `kind: ['x', 'y']`); every kind when it names none. */
export type KindOf<S> = S extends { readonly kind: infer K } ? (K extends readonly (infer E)[] ? E & EventKind : K & EventKind) : EventKind;

/** The event a handler of this spec receives. */
export type EventOf<S> = [KindOf<S>] extends [EventKind] ? (EventKind extends KindOf<S> ? RouterEvent : Extract<RouterEvent, { kind: KindOf<S> }>) : never;

/** Fields every named kind has (all of them when the spec names no kind). */
type FieldsFor<K extends EventKind> = EventKind extends K ? FieldName : { [F in FieldName]: [K] extends [FieldKinds[F]] ? F : never }[FieldName];
type SpecKey<K extends EventKind> = FieldsFor<K> | 'attributes' | 'all' | 'any' | 'not';

/**
 * A spec typed as MatchSpec itself (built at run time, not written as a literal): nothing
 * more is known of it, and looking into it would recurse without end.
 */
type Broad<S> = MatchSpec extends S ? true : false;

/** Keys of a spec (nested ones too) that are not fields of its kinds. */
type UnknownKeys<S, K extends EventKind> =
  Broad<S> extends true
    ? never
    : S extends object
      ? {
          [X in keyof S]-?: X extends 'all' | 'any'
            ? S[X] extends readonly (infer E)[] | undefined
              ? UnknownKeys<E, K>
              : never
            : X extends 'not'
              ? UnknownKeys<S[X], K>
              : X extends SpecKey<K>
                ? never
                : X;
        }[keyof S]
      : never;

/** The literal values of a value matcher; `never` when they are only known at run time. */
type Literals<M> = M extends string
  ? string extends M
    ? never
    : M
  : M extends readonly (infer E extends string)[]
    ? Literals<E>
    : M extends { readonly exact: infer E extends string }
      ? Literals<E>
      : never;
type ChangeOf<K extends EventKind> = K extends 'storage.object'
  ? StorageChange
  : K extends 'registry.image'
    ? ImageChange
    : K extends 'firestore.document'
      ? FirestoreChange
      : never;
type UnknownChanges<S, K extends EventKind> = S extends { readonly change: infer M } ? Exclude<Literals<M>, ChangeOf<K>> : never;

type Names<K extends EventKind> = EventKind extends K ? 'any' : K;
/** The named kinds that lack a field (each kind lacks an unknown name). */
type Lacking<X, K extends EventKind> = X extends FieldName ? Exclude<K, FieldKinds[X]> : K;
/**
 * `unknown` for a spec that is right for its kinds; otherwise a type whose one
 * property names the mistake, so the compiler's message says what is wrong.
 */
export type SpecCheck<S> = [UnknownKeys<S, KindOf<S>>] extends [never]
  ? [UnknownChanges<S, KindOf<S>>] extends [never]
    ? unknown
    : { readonly [C in UnknownChanges<S, KindOf<S>> & string as `change \`${C}\` is not a change of ${Names<KindOf<S>>} events`]: never }
  : { readonly [X in UnknownKeys<S, KindOf<S>> & string as `\`${X}\` is not a field of ${Names<Lacking<X, KindOf<S>>>} events`]: never };

/** The path patterns of a spec's value matchers (`{ pathPattern: '...' }`), by where they sit. */
type PatternOf<M> = M extends { readonly pathPattern: infer P extends string } ? P : never;
type PatternsOf<S> =
  Broad<S> extends true
    ? string
    : S extends object
      ? {
          [X in keyof S]-?: X extends 'all'
            ? S[X] extends readonly (infer E)[] | undefined
              ? PatternsOf<E>
              : never
            : X extends 'any' | 'not'
              ? never
              : X extends 'attributes'
                ? { [A in keyof S[X]]-?: PatternOf<S[X][A]> }[keyof S[X]]
                : PatternOf<S[X]>;
        }[keyof S]
      : never;
/** Patterns under `any`: only the branch that matched captured, so their names may be absent. */
type OptionalPatternsOf<S> =
  Broad<S> extends true
    ? string
    : S extends object
      ? {
          [X in keyof S]-?: X extends 'any'
            ? S[X] extends readonly (infer E)[] | undefined
              ? PatternsOf<E> | OptionalPatternsOf<E>
              : never
            : X extends 'all'
              ? S[X] extends readonly (infer E)[] | undefined
                ? OptionalPatternsOf<E>
                : never
              : never;
        }[keyof S]
      : never;

type ParamsFrom<Required extends string, Optional extends string> = string extends Required | Optional
  ? RouteParams
  : { readonly [N in Required]: string } & { readonly [N in Exclude<Optional, Required>]?: string };

/** `ctx.params` of a route with this spec: `{ uid: string; orderId: string }` for `users/{uid}/orders/{orderId}`. */
export type ParamsOf<S> = ParamsFrom<PathParamNames<PatternsOf<S>>, PathParamNames<OptionalPatternsOf<S>>>;

/** A handler of events of type E on a route capturing parameters P. */
export type RouteHandler<E extends RouterEvent = RouterEvent, P extends RouteParams = RouteParams> = (
  event: E,
  ctx: HandlerContext<P>,
) => Promise<ActionResult | void> | ActionResult | void;

/** The handler `router.on(spec, handler)` takes for a spec. */
export type HandlerFor<S extends MatchSpec> = RouteHandler<EventOf<S>, ParamsOf<S>>;
