/** The request's trace for log correlation, from either header; a caller's header is bounded work. */
import { traceOf } from '../../functions/receive/trace';

const ID = '0af7651916cd43dd8448eb211c80319c';

test.each([
  ['traceparent', { traceparent: `00-${ID}-b7ad6b7169203331-01` }, { traceId: ID, spanId: 'b7ad6b7169203331' }],
  ['an all-zero traceparent is no trace', { traceparent: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` }, undefined],
  [
    'X-Cloud-Trace-Context with a decimal span',
    { 'x-cloud-trace-context': `${ID.toUpperCase()}/13230115468541166385;o=1` },
    { traceId: ID, spanId: 'b79acfec27cc0331' },
  ],
  ['the largest uint64 span', { 'x-cloud-trace-context': `${ID}/18446744073709551615` }, { traceId: ID, spanId: 'ffffffffffffffff' }],
  ['a span longer than a uint64 is dropped, the trace kept', { 'x-cloud-trace-context': `${ID}/${'9'.repeat(21)}` }, { traceId: ID }],
  ['no header', {}, undefined],
])('%s', (_name, headers, expected) => {
  expect(traceOf(headers)).toEqual(expected);
});

test('a 100,000-digit span costs no more than reading the header', () => {
  const headers = { 'x-cloud-trace-context': `${ID}/${'7'.repeat(100_000)}` };
  const start = process.hrtime.bigint();
  expect(traceOf(headers)).toEqual({ traceId: ID });
  // BigInt of 100,000 digits took ~30 ms; the bound is generous for a loaded machine.
  expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(10);
});
