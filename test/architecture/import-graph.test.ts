/**
 * Dependencies in functions/ point one way. A module imports only from its own
 * folder or from a folder of a LOWER rank; nothing imports the composition roots
 * but another root; and no chain of imports comes back to where it started.
 *
 *   9  app.ts, index.ts, serve.ts, lean-server.ts, start.ts, router-loader.ts, cli/  composition roots: wire everything
 *      library.ts, router-internals.ts, testing/                 the package's entries (`eventarc-router`, `eventarc-router/testing`)
 *   8  answer/    the outcome of a request, its HTTP answer, dead letters, preserved requests
 *   7  route/     routes, filters, dispatch to an action, idempotency around it
 *   6  act/       the actions and the contract they implement (act/action.ts, act/errors.ts)
 *   5  parse/     the request as a typed event (envelopes, payloads, the event model)
 *   4  receive/   the request as it arrived (RawRequest), limits, auth, the lean server
 *   3  secrets/   Secret Manager references, resolved once at start
 *   2  config.ts  the settings table (it checks registry credential entries, so it sits above registry/)
 *   1  registry/  the OCI Distribution client replicate-image and the CLI use: a library that knows nothing of the service
 *   0  support/   what every layer uses: logger, schema, onFirstUse, the pipeline runner, the outcome union, the HTTP answer, dispositions, code cache
 *
 * The flow of an event is receive -> parse -> route -> act -> answer, and a later
 * stage knows the earlier ones' types (parse reads a RawRequest, answer an event and
 * its routes' outcomes), never the other way. Route and act swap ranks on purpose:
 * a route is made of an action (route/router.ts holds its handler, route/dispatch.ts
 * calls it and reads the errors it throws), so the router imports the action
 * contract, and an action never knows the routes that run it.
 *
 * Type-only imports count: a type is a dependency of the design even when the
 * compiler erases it, and a type import the wrong way is how a runtime one starts.
 * Dynamic import()/require() of a path count too (they are how heavy modules stay lazy).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const FUNCTIONS = path.resolve(__dirname, '..', '..', 'functions');

const ROOT_RANK = 9;
const RANKS: ReadonlyMap<string, number> = new Map([
  ['support', 0],
  ['registry', 1],
  ['config.ts', 2],
  ['secrets', 3],
  ['receive', 4],
  ['parse', 5],
  ['act', 6],
  ['route', 7],
  ['answer', 8],
  ['app.ts', ROOT_RANK],
  ['index.ts', ROOT_RANK],
  ['serve.ts', ROOT_RANK],
  ['lean-server.ts', ROOT_RANK],
  ['start.ts', ROOT_RANK],
  ['router-loader.ts', ROOT_RANK],
  ['cli', ROOT_RANK],
  ['library.ts', ROOT_RANK],
  ['router-internals.ts', ROOT_RANK],
  ['testing', ROOT_RANK],
]);

export interface Edge {
  readonly from: string;
  readonly to: string;
}

/** The top folder (or root file) of a path relative to functions/. */
function layerOf(file: string): string {
  return file.split('/')[0];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every module specifier a file names: import and export declarations (type-only too), import(), require(), import types. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isLoad = callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require');
      const [first] = node.arguments;
      if (isLoad && first && ts.isStringLiteralLike(first)) found.push(first.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The functions/ module a relative specifier names (file.ts or folder/index.ts), relative to functions/. */
function resolveLocal(fromFile: string, specifier: string): string {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return path.relative(FUNCTIONS, candidate).split(path.sep).join('/');
  }
  throw new Error(`${path.relative(FUNCTIONS, fromFile)}: cannot resolve ${specifier}`);
}

function importGraph(): Edge[] {
  return sourceFiles(FUNCTIONS).flatMap((file) =>
    specifiersOf(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => ({ from: path.relative(FUNCTIONS, file).split(path.sep).join('/'), to: resolveLocal(file, s) })),
  );
}

/** Imports into the same or a higher rank from another folder, and imports of an unranked folder. */
export function backwardImports(edges: readonly Edge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const [a, b] = [layerOf(from), layerOf(to)];
    if (a === b) continue;
    const [ra, rb] = [RANKS.get(a), RANKS.get(b)];
    if (ra === undefined || rb === undefined) {
      problems.push(`${from} -> ${to}: ${ra === undefined ? a : b} has no rank (add it to RANKS, with its place in the comment)`);
    } else if (!(rb < ra || (ra === ROOT_RANK && rb === ROOT_RANK))) {
      problems.push(`${from} -> ${to}: ${a} (rank ${ra}) imports ${b} (rank ${rb})`);
    }
  }
  return problems;
}

/** Each cycle of imports between modules, as the path that closes it. */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === 'open') found.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...next.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('the import graph of functions/', () => {
  const edges = importGraph();

  it('is read: every file, every kind of import', () => {
    // A reader that found nothing would pass everything.
    expect(edges.length).toBeGreaterThan(200);
    expect(edges).toContainEqual({ from: 'act/catalog.ts', to: 'act/forward/index.ts' }); // require()
    expect(edges).toContainEqual({ from: 'cli/main.ts', to: 'cli/copy-image.ts' }); // import()
  });

  it('has no backward import between the layers', () => {
    expect(backwardImports(edges)).toEqual([]);
  });

  it('has no cycle', () => {
    expect(cycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('would catch a backward import and a cycle', () => {
    expect(backwardImports([{ from: 'receive/raw-request.ts', to: 'answer/outcome.ts' }])).toHaveLength(1);
    expect(backwardImports([{ from: 'registry/client.ts', to: 'secrets/reference.ts' }])).toHaveLength(1); // siblings
    expect(backwardImports([{ from: 'parse/event.ts', to: 'somewhere/new.ts' }])).toHaveLength(1);
    expect(backwardImports([{ from: 'answer/outcome.ts', to: 'app.ts' }])).toHaveLength(1);
    expect(backwardImports([{ from: 'serve.ts', to: 'app.ts' }])).toEqual([]);
    expect(
      cycles([
        { from: 'a.ts', to: 'b.ts' },
        { from: 'b.ts', to: 'c.ts' },
        { from: 'c.ts', to: 'a.ts' },
      ]),
    ).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
