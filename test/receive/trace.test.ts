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

test('a 100,000-digit span is never converted: the work stays bounded by the 20 digits a uint64 has', () => {
  // BigInt of a caller's 100,000 digits took ~30 ms (quadratic): asserted by what is converted, not by a clock.
  const converted: string[] = [];
  const real = globalThis.BigInt;
  const spy = jest.spyOn(globalThis, 'BigInt').mockImplementation((value: string | number | bigint | boolean) => {
    converted.push(String(value));
    return real(value);
  });
  try {
    expect(traceOf({ 'x-cloud-trace-context': `${ID}/${'7'.repeat(100_000)}` })).toEqual({ traceId: ID });
    expect(traceOf({ 'x-cloud-trace-context': `${ID}/18446744073709551615` })).toEqual({ traceId: ID, spanId: 'ffffffffffffffff' });
  } finally {
    spy.mockRestore();
  }
  expect(converted).toEqual(['18446744073709551615']);
});
