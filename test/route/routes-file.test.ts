/** Routes files: a good one loads; a bad one names file, line and problem. */
import { builtInActions } from '../../functions/act/catalog';
import { parseRoutesFile, RoutesFileError } from '../../functions/route/routes-file';

const parse = (text: string) => parseRoutesFile(text, 'routes.yaml', builtInActions);
function problem(text: string): RoutesFileError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(RoutesFileError);
    return err as RoutesFileError;
  }
  throw new Error('expected the routes file to be rejected');
}

describe('routes file', () => {
  it('loads YAML with names, filters, options and timeouts', () => {
    const entries = parse(`
routes:
  - name: csv
    match: { kind: storage.object, name: { glob: "uploads/**/*.csv" } }
    action: log
    with: { severity: NOTICE }
    timeoutSeconds: 30
  - action: log
`);
    expect(entries.map((e) => e.name)).toEqual(['csv', 'log-2']);
    expect(entries[0].route.timeoutMs).toBe(30000);
    expect(entries[0].options).toMatchObject({ severity: 'NOTICE' });
    expect(entries[0].route.filter.describe()).toBe('kind "storage.object" and name glob "uploads/**/*.csv"');
  });

  it('loads JSON, also as a bare list', () => {
    expect(parse('[{"action": "log", "match": {"bucket": "b"}}]')).toHaveLength(1);
    expect(parse('{"routes": [{"action": "log"}]}')).toHaveLength(1);
  });

  const bad: [string, string, number, string][] = [
    ['unknown action', 'routes:\n  - name: a\n    action: lgo\n', 3, 'unknown action "lgo" (built in: log'],
    ['unknown match field', 'routes:\n  - action: log\n    match:\n      buckett: x\n', 4, 'routes[0].match'],
    ['bad kind', 'routes:\n  - action: log\n    match:\n      kind: storage\n', 4, 'expected one of pubsub.message, storage.object'],
    ['bad option', 'routes:\n  - action: log\n    with:\n      severity: LOUD\n', 4, 'routes[0].with.severity'],
    ['missing action', 'routes:\n  - name: a\n', 2, 'action'],
    ['yaml syntax', 'routes:\n  - action: log\n   bad: [\n', 3, ''],
    ['duplicate name', 'routes:\n  - {name: a, action: log}\n  - {name: a, action: log}\n', 3, 'duplicate route name "a"'],
    ['bad matcher', 'routes:\n  - action: log\n    match: {name: {regex: "x"}}\n', 3, 'routes[0].match.name'],
  ];
  it.each(bad)('%s is reported with its line', (_t, text, line, words) => {
    const err = problem(text);
    expect(err.line).toBe(line);
    expect(err.message).toMatch(/^routes\.yaml:\d+:\d+: /);
    expect(err.message).toContain(words);
  });
});
