/**
 * One entry is one line of Cloud Logging JSON, whatever the values: names with
 * line breaks cannot break or forge a line, and values JSON has no form for
 * (bigint, Error, Buffer) come out readable, on the fast path and the slow one.
 */
import { MAX_LINE_BYTES, createLogger, formatEntry, jsonText, memorySink } from '../../functions/support/logger';

const parse = (line: string) => {
  expect(line.endsWith('\n')).toBe(true);
  expect(line.slice(0, -1)).not.toMatch(/[\n\r\u2028\u2029]/);
  return JSON.parse(line) as Record<string, unknown>;
};

test.each([
  ['a name with a newline and a forged entry', { name: 'a\n{"severity":"CRITICAL","message":"forged"}' }],
  ['a name with U+2028 and U+2029', { name: 'line\u2028separator\u2029paragraph' }],
  ['control characters', { name: 'tab\tnul\u0000bell\u0007' }],
])('%s stays in one line and reads back unchanged', (_case, fields) => {
  expect(parse(formatEntry('INFO', 'm', {}, fields))).toEqual({ severity: 'INFO', message: 'm', ...fields });
});

test.each([
  ['bigint', { object: { size: 18446744073709551615n } }, { object: { size: '18446744073709551615' } }],
  ['Error', { error: new TypeError('bad') }, { error: { name: 'TypeError', message: 'bad' } }],
  ['Buffer', { data: Buffer.from('hi') }, { data: 'aGk=' }],
  ['a toJSON() giving a bigint', { v: { toJSON: () => 5n } }, { v: '5' }],
  ['plain values', { a: 'x', n: 1, list: [true, null] }, { a: 'x', n: 1, list: [true, null] }],
])('%s', (_case, fields, expected) => {
  expect(parse(formatEntry('WARNING', 'm', {}, fields))).toEqual({ severity: 'WARNING', message: 'm', ...expected });
});

test('trace, span and labels go under Cloud Logging keys', () => {
  const entry = parse(formatEntry('ERROR', 'm', { trace: 'projects/p/traces/t', spanId: '5', labels: { eventId: '1' } }, { x: 1 }));
  expect(entry).toEqual({
    severity: 'ERROR',
    message: 'm',
    x: 1,
    'logging.googleapis.com/trace': 'projects/p/traces/t',
    'logging.googleapis.com/spanId': '5',
    'logging.googleapis.com/labels': { eventId: '1' },
  });
});

describe('bounded: an entry never throws and never outgrows what Cloud Logging keeps', () => {
  const deep = (depth: number) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };

  it('a field nested 10,000 deep is one readable line without that field, not an exception', () => {
    const entry = parse(formatEntry('ERROR', 'rejected', { labels: { eventId: 'e1' } }, { request: deep(10000) }));
    expect(entry['message']).toBe('rejected');
    expect(String(entry['loggingError'])).toContain('request');
    expect(entry['logging.googleapis.com/labels']).toEqual({ eventId: 'e1' });
  });

  it('an entry over the limit is replaced by one that says so, with the message kept', () => {
    const line = formatEntry('INFO', 'big', {}, { data: 'x'.repeat(MAX_LINE_BYTES) });
    expect(Buffer.byteLength(line)).toBeLessThan(4096);
    expect(parse(line)).toMatchObject({ severity: 'INFO', message: 'big', loggingError: expect.stringContaining('over') });
  });

  it('multi-byte text is measured in bytes', () => {
    const line = formatEntry('INFO', 'm', {}, { text: '€'.repeat(MAX_LINE_BYTES / 2) });
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_LINE_BYTES);
  });

  it('a long event id label is cut', () => {
    const log = createLogger(memorySink());
    const sink = memorySink();
    createLogger(sink)
      .child({ labels: { eventId: 'i'.repeat(100_000) } })
      .info('m');
    expect(log).toBeDefined();
    expect(String((sink.entries()[0]['logging.googleapis.com/labels'] as Record<string, string>)['eventId']).length).toBeLessThan(300);
  });
});

test('the context is serialised once per logger, and every line is byte for byte what serialising the whole entry gives', () => {
  const context = { trace: 'projects/p/traces/t\u2028', spanId: '5', labels: { eventId: 'e"1', eventType: 't' } };
  const sink = memorySink();
  const log = createLogger(sink).child(context);
  const cases: (Record<string, unknown> | undefined)[] = [
    undefined,
    { route: 'r', outcome: 'handled', durationMs: 0.25 },
    { event: { id: 'x', size: 5n } },
    { severity: 'forged', message: 'forged' },
    { 'logging.googleapis.com/labels': { eventId: 'forged' }, 'logging.googleapis.com/trace': 'forged' },
    { toJSON: () => 'not an object' },
  ];
  for (const fields of cases) log.info('m', fields);
  const wholeEntry = (fields: Record<string, unknown> | undefined) => {
    const entry: Record<string, unknown> = { severity: 'INFO', message: 'm', ...fields };
    entry['logging.googleapis.com/trace'] = context.trace;
    entry['logging.googleapis.com/spanId'] = context.spanId;
    entry['logging.googleapis.com/labels'] = context.labels;
    return JSON.stringify(entry, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).replace(/\u2028/g, '\\u2028') + '\n';
  };
  expect(sink.lines).toEqual(cases.map(wholeEntry));
});

test('an entry of prepared members (route lines) is one line that parses to what the same fields as an object give', () => {
  const sink = memorySink();
  const hostile = 'a\u2028b\u2029c\n"d"';
  const log = createLogger(sink).child({ trace: 'projects/p/traces/t\u2028', labels: { eventId: hostile } });
  log.logMembers(
    'INFO',
    `route ${hostile}: retried`,
    `,"route":${jsonText(hostile)},"outcome":"retried","attempt":3,"durationMs":1.25,"reason":${jsonText(hostile)}`,
  );
  log.log('INFO', `route ${hostile}: retried`, { route: hostile, outcome: 'retried', attempt: 3, durationMs: 1.25, reason: hostile });
  expect(sink.lines).toHaveLength(2);
  for (const line of sink.lines) expect(line.slice(0, -1)).not.toMatch(/[\n\u2028\u2029]/);
  expect(sink.lines[0]).toBe(sink.lines[1]);
  expect(sink.entries()[0]).toMatchObject({ route: hostile, reason: hostile, 'logging.googleapis.com/labels': { eventId: hostile } });
});

test('an entry of prepared members past the size bound is replaced, not written', () => {
  const sink = memorySink();
  createLogger(sink).logMembers('INFO', 'route r: rejected', `,"reason":${jsonText('x'.repeat(MAX_LINE_BYTES))}`);
  expect(sink.entries()[0]).toMatchObject({ severity: 'INFO', message: 'route r: rejected', loggingError: expect.stringContaining('over') });
});
