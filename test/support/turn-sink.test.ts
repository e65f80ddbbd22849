import { spawnSync } from 'child_process';
import * as path from 'path';
import { createTurnSink } from '../../functions/support/turn-sink';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('createTurnSink', () => {
  it('writes the lines of one turn of the event loop in one write, in order', async () => {
    const writes: string[] = [];
    const sink = createTurnSink({ write: (text) => void writes.push(text) });
    sink.write('a\n');
    sink.write('b\n');
    sink.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    sink.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when the pending lines reach the bound, and loses none', async () => {
    const writes: string[] = [];
    const sink = createTurnSink({ write: (text) => void writes.push(text), maxPendingChars: 10 });
    sink.write('12345\n');
    sink.write('67890\n'); // 12 pending: written now
    expect(writes).toEqual(['12345\n67890\n']);
    sink.write('x\n');
    await nextTurn();
    expect(writes).toEqual(['12345\n67890\n', 'x\n']);
  });

  it('writes nothing for a turn without lines, and flush() writes what is pending', async () => {
    const writes: string[] = [];
    const sink = createTurnSink({ write: (text) => void writes.push(text) });
    sink.flush();
    sink.write('now\n');
    sink.flush();
    expect(writes).toEqual(['now\n']);
    await nextTurn();
    expect(writes).toEqual(['now\n']);
  });
});

describe('stdoutSink at exit', () => {
  // A process that logs and leaves in the same turn: the lines must still reach stdout.
  // The built module (test/support/global-setup.js builds dist/ before the suites run).
  const logger = path.resolve(__dirname, '../../dist/functions/support/logger.js');
  const run = (ending: string) =>
    spawnSync(
      process.execPath,
      ['-e', `const { createLogger } = require(${JSON.stringify(logger)}); const log = createLogger(); log.info('one'); log.info('two'); ${ending}`],
      {
        encoding: 'utf8',
        cwd: path.resolve(__dirname, '../..'),
      },
    );

  it.each([
    ['process.exit()', 'process.exit(3)', 3],
    ['an uncaught exception', "throw new Error('boom')", 1],
    ['the event loop running dry', '', 0],
  ])('keeps the lines when the process ends by %s', (_name, ending, code) => {
    const result = run(ending);
    expect(result.status).toBe(code);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { message: string }).message),
    ).toEqual(['one', 'two']);
  });
});
