/**
 * The strict base64 check is the old regular expression's verdict on every input,
 * without its limit: the regex threw past ~4.5 M characters (3.35 MB of data).
 * Re-encoding JSON nested beyond JSON.stringify's recursion is a PayloadError.
 */
import fc from 'fast-check';
import { decodeBase64, isBase64, stringifyJson } from '../../functions/parse/payloads/bytes';
import { PayloadError } from '../../functions/parse/errors';

const OLD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

test('agrees with the old regular expression on short inputs', () => {
  const nearBase64 = fc.string({ unit: fc.constantFrom('A', 'z', '0', '+', '/', '=', '-', '_', ' ', '\n', 'é'), maxLength: 24 });
  fc.assert(
    fc.property(fc.oneof(fc.base64String(), nearBase64, fc.string()), (s) => expect(isBase64(s)).toBe(OLD_BASE64.test(s))),
    { numRuns: 5000 },
  );
});

test('checks Pub/Sub-sized data (13.4 M characters) without throwing', () => {
  const data = Buffer.alloc(10_000_000, 0xab);
  expect(decodeBase64(data.toString('base64'), 'pubsub-push', 'message.data').equals(data)).toBe(true);
  expect(isBase64(`${data.toString('base64').slice(0, -4)}A*==`)).toBe(false);
});

test('JSON nested 10,000 deep is a payload error when re-encoded, not a RangeError', () => {
  const deep = JSON.parse(`${'['.repeat(10000)}${']'.repeat(10000)}`) as unknown;
  expect(() => stringifyJson(deep, 'cloudevent-structured', 'data')).toThrow(PayloadError);
});
