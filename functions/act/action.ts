/**
 * The contract between the router and an action. The router never knows an
 * action by name: the routes file names one, and the catalog (act/catalog.ts)
 * maps that name to a definition like these.
 */
import type { Schema } from '../support/schema';
import type { RouterEvent } from '../parse/event';
import type { Logger } from '../support/logger';
import type { AbortSource } from '../support/abort-source';
import type { RegistryQuotas } from '../registry/quota';

/** What a handler may report back; it becomes part of the response body and the log. */
export interface ActionResult {
  /** One line for the log and the response, e.g. "copied gs://a/x to gs://b/x (42 bytes)". */
  readonly summary?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What a route's path patterns captured (`users/{uid}` gives `{ uid: 'alice' }`). */
export type RouteParams = Readonly<Record<string, string>>;

/** The parameters of a route that captured none. */
export const NO_PARAMS: RouteParams = Object.freeze({});

/** Per-event context; created per request, never shared across requests. `Params`: what the route's path patterns capture (route/typed-match.ts). */
export interface HandlerContext<Params extends RouteParams = RouteParams> {
  /** Logger carrying this request's trace and event labels. */
  readonly log: Logger;
  /** Aborted when the route's deadline passes or the client goes away. */
  readonly signal: AbortSignal;
  /**
   * The same aborts as `signal`, for a handler that only listens: no AbortSignal is made
   * (each costs µs per event). Set by the router; absent where a context is made by hand.
   */
  readonly aborts?: AbortSource;
  /** Name of the route running the handler. */
  readonly route: string;
  /** What the route's path patterns captured for this event; empty when they captured nothing. */
  readonly params: Params;
}

export type Handler = (event: RouterEvent, ctx: HandlerContext) => Promise<ActionResult | void> | ActionResult | void;

/** Environment an action is created in (start-up time, not per request). */
export interface ActionEnvironment {
  readonly log: Logger;
  /** The deployment's project (settings' `project`), when known. */
  readonly project?: string;
  /** STORAGE_EMULATOR_HOST (settings' `storageEmulatorHost`), for copy-object's client. */
  readonly storageEmulatorHost?: string;
  /**
   * The environment as resolved, only for variables the routes file names (a
   * credential's `passwordEnv`); settings come typed, from config.ts.
   */
  readonly variables: Readonly<Record<string, string | undefined>>;
  /**
   * The instance's per-registry-host budgets, shared by every route's copies
   * (registry/quota.ts). Absent where one action is built alone (a test): it keeps its own.
   */
  readonly registryQuotas?: RegistryQuotas;
}

export interface ActionDefinition<Options = unknown> {
  /** The name a routes file uses: `action: log`. */
  readonly name: string;
  /** Validates the routes file's `with:` block (a zod schema, classic or mini); keep it cheap to import (start-up path). */
  readonly options: Schema<Options>;
  /** Builds the handler once at start-up. Heavy clients must be loaded lazily, on first use. */
  create(options: Options, environment: ActionEnvironment): Handler;
}

/** Keeps each definition's option type checked against its own create(). */
export function defineAction<Options>(definition: ActionDefinition<Options>): ActionDefinition<Options> {
  return definition;
}
