/**
 * The handler registry. Routes are added from code (`router.on(...)`) or a
 * routes file; every route whose filter matches an event runs. Holds
 * configuration only: nothing per request lives here.
 */
import type { Handler, RouteParams } from '../act/action';
import type { RouterEvent } from '../parse/event';
import type { Filter, Verdict } from './filter';
import type { KeySpec } from './idempotency/key';
import { compileMatchSpec, matchSpecSchema, type MatchSpec } from './match-spec';
import type { HandlerFor, SpecCheck } from './typed-match';
import { fieldOfOtherKinds } from './field-kinds';

export interface Route {
  readonly name: string;
  readonly filter: Filter;
  readonly handler: Handler;
  /** The built-in action this route runs, when it came from a routes file. */
  readonly action?: string;
  /** Deadline for one event on this route; past it the event is answered 503 and redelivered. */
  readonly timeoutMs: number;
  /** Which of the handler's errors can never succeed (besides PermanentError). */
  readonly isPermanent?: (error: unknown) => boolean;
  /** Run once per event id (`true`) or per key template: see route/idempotency. */
  readonly idempotent?: KeySpec;
  /** What its path patterns captured: only on the copy `matching()` returns for one event. */
  readonly params?: RouteParams;
}

export interface RouteOptions {
  readonly name?: string;
  readonly timeoutMs?: number;
  readonly isPermanent?: (error: unknown) => boolean;
  readonly idempotent?: KeySpec;
}

export class Router {
  private readonly table: Route[] = [];

  constructor(private readonly defaultTimeoutMs: number) {}

  /**
   * Adds a route from code. `match` is a MatchSpec (validated at run time too) whose kind and
   * path patterns type the handler's event and `ctx.params` (route/typed-match.ts), or a Filter built with route/filter.
   */
  on<const S extends MatchSpec>(match: S & SpecCheck<S>, handler: HandlerFor<S>, options?: RouteOptions): this;
  on(match: Filter, handler: Handler, options?: RouteOptions): this;
  on(match: MatchSpec | Filter, handler: Handler, options: RouteOptions = {}): this {
    const filter = isFilter(match) ? match : compileMatchSpec(checkedKinds(matchSpecSchema.parse(match)));
    return this.add({
      name: options.name ?? `route-${this.table.length + 1}`,
      filter,
      // The spec's kind narrows the event at compile time (the overloads); the filter makes it so at run time.
      handler,
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
      ...(options.isPermanent && { isPermanent: options.isPermanent }),
      ...(options.idempotent && { idempotent: options.idempotent }),
    });
  }

  add(route: Route): this {
    if (this.table.some((r) => r.name === route.name)) throw new Error(`a route named "${route.name}" already exists`);
    this.table.push(route);
    return this;
  }

  routes(): readonly Route[] {
    return this.table;
  }

  /** The routes that take this event; one whose path patterns captured parameters comes as a copy carrying them. */
  matching(event: RouterEvent): Route[] {
    const matched: Route[] = [];
    for (const route of this.table) {
      const verdict = route.filter.test(event);
      if (verdict.matched) matched.push(verdict.params ? { ...route, params: verdict.params } : route);
    }
    return matched;
  }

  /** Every route with its verdict on this event: which match, and why the others do not. */
  explain(event: RouterEvent): { route: Route; verdict: Verdict }[] {
    return this.table.map((route) => ({ route, verdict: route.filter.test(event) }));
  }
}

/** What the compiler refuses in a spec from code (a field its kind lacks) is refused at run time too, for a JavaScript caller. */
function checkedKinds(spec: MatchSpec): MatchSpec {
  const problem = fieldOfOtherKinds(spec);
  if (problem) throw new Error(problem);
  return spec;
}

function isFilter(m: MatchSpec | Filter): m is Filter {
  return typeof (m as Filter).test === 'function' && typeof (m as Filter).describe === 'function';
}
