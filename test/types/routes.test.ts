/**
 * The type tests of routes.types.ts, run by the compiler: as written it must compile
 * with no error at all (so no `@ts-expect-error` is unused); with the directives taken
 * out, every line they stood before must fail, and no other line. Where a comment names
 * the mistake, the compiler's message must say it (a spec's mistakes are named in words).
 */
import * as path from 'path';
import * as ts from 'typescript';

const FILE = path.join(__dirname, 'routes.types.ts');
const ROOT = path.resolve(__dirname, '..', '..');

let previous: ts.Program | undefined;
function compile(replace?: (text: string) => string): { line: number; message: string }[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  )!;
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => (replace && path.resolve(file) === FILE ? replace(readFile(file)!) : readFile(file));
  // The second compile reuses the first's unchanged files.
  const program = (previous = ts.createProgram([FILE], options, host, previous));
  return ts.getPreEmitDiagnostics(program).map((d) => ({
    line: d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0,
    message: `${d.file ? path.relative(ROOT, d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
  }));
}

const text = ts.sys.readFile(FILE)!;
const lines = text.split('\n');
/** Line numbers (1-based) of the lines each directive stands before. */
const expected = lines.flatMap((l, i) => (l.trim().startsWith('// @ts-expect-error') ? [i + 2] : []));

describe('typed routes (test/types/routes.types.ts, compiled by tsc)', () => {
  it('has the cases it claims', () => {
    expect(expected.length).toBeGreaterThanOrEqual(12);
  });

  it('compiles as written: right specs and handlers compile, and every expected error occurs', () => {
    expect(compile()).toEqual([]);
  });

  it('without the directives, fails exactly on the lines they mark, saying what is wrong', () => {
    const errors = compile((t) => t.replace(/\/\/ @ts-expect-error/g, '// (expected error)'));
    expect([...new Set(errors.map((e) => e.line))].sort((a, b) => a - b)).toEqual(expected);
    const on = (line: number) =>
      errors
        .filter((e) => e.line === line)
        .map((e) => e.message)
        .join('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(on(lineOf("tag: 'v1'"))).toContain('`tag` is not a field of storage.object events');
    expect(on(lineOf("document: 'users/alice'"))).toContain('`document` is not a field of storage.object events');
    expect(on(lineOf("'registry.image'], bucket"))).toContain('`bucket` is not a field of registry.image events');
    expect(on(lineOf("buckett: 'b'"))).toContain('`buckett` is not a field of storage.object events');
    expect(on(lineOf("change: 'inserted' }"))).toContain('change `inserted` is not a change of storage.object events');
    expect(on(lineOf("kind: 'storage.objects'"))).toContain('Did you mean \'"storage.object"\'?');
    expect(on(lineOf('void ctx.params.order;'))).toContain("Property 'order' does not exist");
  });
});
