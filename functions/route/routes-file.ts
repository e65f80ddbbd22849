/**
 * Routes files (YAML or JSON: JSON is YAML, so one parser serves both):
 *
 *   routes:
 *     - name: csv-uploads
 *       match: { kind: storage.object, change: finalized, name: { glob: "uploads/**\/*.csv" } }
 *       action: log
 *       with: { severity: NOTICE }
 *       timeoutSeconds: 30
 *
 * Every problem is reported with the file, line and column it is on, so a bad
 * file stops start-up with a message the user can act on.
 */
import * as fs from 'fs';
import { LineCounter, parseDocument, isMap, isSeq, type Document } from 'yaml';
import { safeParse } from '../support/schema';
import * as z from 'zod/mini';
import type { ActionDefinition, ActionEnvironment } from '../act/action';
import { matchSpecSchema, compileMatchSpec } from './match-spec';
import type { Route } from './router';
import { SETTINGS } from '../config';
import { checkKeyTemplate, type KeySpec } from './idempotency/key';
import { substitute } from '../secrets/reference';

export class RoutesFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
    this.name = 'RoutesFileError';
  }
}

const routeEntrySchema = z.strictObject({
  name: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][-_.A-Za-z0-9]*$/, 'route names use letters, digits, - _ .'))),
  match: z.optional(matchSpecSchema),
  action: z.string({ error: 'is required: the built-in action to run' }),
  with: z.optional(z.record(z.string(), z.unknown())),
  timeoutSeconds: z.optional(z.number().check(z.positive(), z.lte(3600))),
  /** Run once per event id (true) or per key template: `{ key: "{object.bucket}/{object.name}#{object.generation}" }`. */
  idempotent: z.optional(z.union([z.boolean(), z.strictObject({ key: z.string().check(z.minLength(1)) })])),
});

const routesFileSchema = z.union([z.strictObject({ routes: z.array(routeEntrySchema) }), z.array(routeEntrySchema)]);

/** A route as written in the file, before its action is built. */
export interface RouteEntry {
  readonly name: string;
  readonly action: ActionDefinition<unknown>;
  readonly options: unknown;
  readonly route: Omit<Route, 'handler'>;
}

type Path = readonly (string | number)[];

function locate(doc: Document, lines: LineCounter, path: Path): { line: number; col: number } {
  // Walk up to the deepest node that exists: a missing key is reported at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function describePath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parses and validates a routes file's text against the given actions; builds nothing yet. */
export function parseRoutesFile(
  text: string,
  file: string,
  actions: readonly ActionDefinition<unknown>[],
  defaultTimeoutMs = SETTINGS.routeTimeoutMs.default,
  /** Secret references in `with:` values, already resolved (secrets/resolve.ts). */
  secrets: ReadonlyMap<string, string> = new Map(),
): RouteEntry[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0] ?? { line: 1, col: 1 };
    throw new RoutesFileError(file, pos.line, pos.col, syntax.message.split('\n')[0]);
  }
  const fail = (path: Path, problem: string): never => {
    const pos = locate(doc, lines, path);
    const where = path.length > 0 ? `${describePath(path)}: ` : '';
    throw new RoutesFileError(file, pos.line, pos.col, `${where}${problem}`);
  };
  /** What `compile` makes, or a RoutesFileError at `path` with its message. */
  const compileAt = <T>(path: Path, compile: () => T): T => {
    try {
      return compile();
    } catch (err) {
      return fail(path, (err as Error).message);
    }
  };
  const contents = doc.contents;
  if (!isMap(contents) && !isSeq(contents)) fail([], 'expected `routes:` with a list of routes');
  const parsed = routesFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    // With a union of the two layouts, prefer the issue from the layout the file uses.
    const issue = deepestIssue(parsed.error);
    fail(issue.path, issue.message);
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data!.routes;
  const base: Path = isSeq(contents) ? [] : ['routes'];
  const byName = new Map(actions.map((a) => [a.name, a]));
  const seen = new Set<string>();

  return entries.map((entry, i) => {
    const at = [...base, i];
    const action = byName.get(entry.action);
    if (!action) fail([...at, 'action'], `unknown action "${entry.action}" (built in: ${[...byName.keys()].join(', ')})`);
    const name = entry.name ?? `${entry.action}-${i + 1}`;
    if (seen.has(name)) fail([...at, 'name'], `duplicate route name "${name}"`);
    seen.add(name);
    const options = safeParse(action!.options, substitute(entry.with ?? {}, secrets));
    if (!options.success) {
      const issue = options.error.issues[0];
      fail([...at, 'with', ...(issue.path as (string | number)[])], `${issue.message} (options of action "${entry.action}")`);
    }
    let idempotent: KeySpec | undefined;
    if (entry.idempotent === true) idempotent = true;
    else if (typeof entry.idempotent === 'object') {
      try {
        checkKeyTemplate(entry.idempotent.key);
      } catch (err) {
        fail([...at, 'idempotent', 'key'], (err as Error).message);
      }
      idempotent = { key: entry.idempotent.key };
    }
    const filter = compileAt([...at, 'match'], () => compileMatchSpec(entry.match ?? {}));
    return {
      name,
      action: action!,
      options: options.data,
      route: {
        name,
        filter,
        action: action!.name,
        timeoutMs: entry.timeoutSeconds !== undefined ? entry.timeoutSeconds * 1000 : defaultTimeoutMs,
        ...(idempotent && { idempotent }),
      },
    };
  });
}

function deepestIssue(error: z.core.$ZodError): { path: Path; message: string } {
  let best: { path: Path; message: string } = { path: [], message: 'invalid routes file' };
  const visit = (issues: readonly z.core.$ZodIssue[], prefix: Path) => {
    for (const issue of issues) {
      const path = [...prefix, ...(issue.path as (string | number)[])];
      if (issue.code === 'invalid_union' && 'errors' in issue) {
        for (const branch of issue.errors) visit(branch, path);
      } else if (path.length >= best.path.length) {
        best = { path, message: issue.message };
      }
    }
  };
  visit(error.issues, []);
  return best;
}

/** Builds each entry's handler; actions load their heavy clients lazily, so this stays cheap. */
export function buildRoutes(entries: readonly RouteEntry[], environment: ActionEnvironment): Route[] {
  return entries.map((e) => ({ ...e.route, handler: e.action.create(e.options, environment) }));
}

export function loadRoutesFile(
  file: string,
  actions: readonly ActionDefinition<unknown>[],
  environment: ActionEnvironment,
  defaultTimeoutMs?: number,
  secrets?: ReadonlyMap<string, string>,
): Route[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutesFileError(file, 0, 0, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return buildRoutes(parseRoutesFile(text, file, actions, defaultTimeoutMs, secrets), environment);
}
