/** The routes file's `idempotent` field: accepted forms, and mistakes reported with line and column. */
import { builtInActions } from '../../functions/act/catalog';
import { parseRoutesFile } from '../../functions/route/routes-file';

const parse = (text: string) => parseRoutesFile(text, 'routes.yaml', builtInActions);

it('idempotent: true, a key template, or absent', () => {
  const entries = parse(
    [
      'routes:',
      '  - { name: a, action: log, idempotent: true }',
      '  - name: b',
      '    action: log',
      '    idempotent: { key: "{object.bucket}/{object.name}#{object.generation}" }',
      '  - { name: c, action: log }',
    ].join('\n'),
  );
  expect(entries.map((e) => e.route.idempotent)).toEqual([true, { key: '{object.bucket}/{object.name}#{object.generation}' }, undefined]);
});

it('a key naming no event field, or a wrong shape, stops start-up at its line', () => {
  expect(() => parse(['routes:', '  - name: a', '    action: log', '    idempotent: { key: "constant" }'].join('\n'))).toThrow(
    /routes\.yaml:4:\d+: routes\[0\]\.idempotent\.key: idempotency key "constant" names no \{field\}/,
  );
  expect(() => parse(['routes:', '  - name: a', '    action: log', '    idempotent: yes-please'].join('\n'))).toThrow(
    /routes\.yaml:4:\d+: routes\[0\]\.idempotent/,
  );
});
