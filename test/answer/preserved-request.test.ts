/**
 * What a preserved request keeps: the headers that matter for replay (an
 * allow-list, plus a noWrapper push's attribute headers), never a credential, and
 * a body within its bound whatever its bytes, with length and sha256 of the whole.
 */
import * as crypto from 'crypto';
import fc from 'fast-check';
import { preservedRequest } from '../../functions/answer/preserved-request';
import { cutToUtf8Bytes, deadLetterOf, MAX_ATTRIBUTE_BYTES } from '../../functions/answer/dead-letter';
import type { RawRequest } from '../../functions/receive/raw-request';

const raw = (headers: Record<string, string>, body: Buffer, path = '/'): RawRequest => ({ method: 'POST', path, headers, body });
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

test('headers: replay headers kept, anything else dropped (an allow-list)', () => {
  const kept = preservedRequest(
    raw(
      {
        'content-type': 'application/json',
        'ce-id': '1',
        'x-goog-pubsub-attempt': '9',
        traceparent: 't',
        'x-custom': 'c',
        host: 'h',
        'x-serverless-authorization': 'Bearer s',
        'x-made-up-credential-holder': 's',
      },
      Buffer.from('{}'),
    ),
    1000,
  ).headers;
  expect(kept).toEqual({ 'content-type': 'application/json', 'ce-id': '1', 'x-goog-pubsub-attempt': '9', traceparent: 't' });
});

test('headers: a noWrapper push keeps its attribute headers, not its credentials', () => {
  const kept = preservedRequest(
    raw({ 'x-goog-pubsub-message-id': '9', bucketid: 'b', 'proxy-authorization': 'Basic s', 'x-goog-iap-jwt-assertion': 'j' }, Buffer.from('x')),
    1000,
  ).headers;
  expect(kept).toEqual({ 'x-goog-pubsub-message-id': '9', bucketid: 'b' });
});

test('body: any bytes fit the bound as JSON, as a prefix of the body, with length and sha256 of the whole', () => {
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '€', 'a', '\n', '😀'), maxLength: 2000 }).map((s) => new Uint8Array(Buffer.from(s))),
  );
  fc.assert(
    fc.property(bodies, fc.integer({ min: 16, max: 2000 }), (bytes, bound) => {
      const body = Buffer.from(bytes);
      const p = preservedRequest(raw({}, body), bound);
      const encoded = p.body !== undefined ? JSON.stringify(p.body) : JSON.stringify(p.bodyBase64);
      expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(bound + 2);
      const prefix = p.body !== undefined ? Buffer.from(p.body) : Buffer.from(p.bodyBase64!, 'base64');
      expect(body.subarray(0, prefix.length).equals(prefix)).toBe(true);
      expect(p.truncated === true).toBe(prefix.length < body.length);
      expect(p.bodyLength).toBe(body.length);
      expect(p.bodySha256).toBe(sha256(body));
    }),
    { numRuns: 500 },
  );
});

test('cutToUtf8Bytes: the longest prefix within the bytes, never a split character', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀'), maxLength: 800 }), fc.integer({ min: 0, max: 1200 }), (text, max) => {
      const cut = cutToUtf8Bytes(text, max);
      expect(text.startsWith(cut)).toBe(true);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      expect(cut).not.toContain('\ufffd');
      if (cut.length < text.length)
        expect(Buffer.byteLength(text.slice(0, cut.length + (text.codePointAt(cut.length)! > 0xffff ? 2 : 1)))).toBeGreaterThan(max);
    }),
  );
});

test('a dead letter of a huge id and reason keeps every attribute within Pub/Sub limits', () => {
  const letter = deadLetterOf(raw({}, Buffer.from('{}')), '😀'.repeat(3000), 'é'.repeat(3000));
  for (const value of Object.values(letter.attributes)) expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_ATTRIBUTE_BYTES);
  expect(JSON.parse(letter.data.toString()).eventIdLength).toBe(3000);
});
