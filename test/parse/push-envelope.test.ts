/**
 * The push envelope's hand check (schemas.ts conformsToPushEnvelopeSchema) against its zod
 * schema: whatever the hand check accepts, the schema accepts too and yields the
 * same value, so taking the fast path never lets through what zod would refuse.
 * Every real envelope among the fixtures takes the fast path.
 */
import fc from 'fast-check';
import { conformsToPushEnvelopeSchema, pushEnvelopeSchema } from '../../functions/parse/schemas';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
// Mostly well-formed, sometimes anything: both verdicts are exercised.
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: arb, weight: 12 }, { arbitrary: anyValue, weight: 1 });
const attributes = fc.oneof(
  { arbitrary: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'eventType')), maybe(fc.string()), { maxKeys: 4 }), weight: 8 },
  { arbitrary: anyValue, weight: 1 },
);
const messageRecord = fc.record(
  {
    data: maybe(fc.base64String()),
    attributes,
    messageId: maybe(fc.string()),
    message_id: maybe(fc.string()),
    publishTime: maybe(fc.string()),
    publish_time: maybe(fc.string()),
    orderingKey: maybe(fc.string()),
    ordering_key: maybe(fc.string()),
    extra: anyValue,
  },
  { requiredKeys: [] },
);
const message = fc.oneof({ arbitrary: messageRecord, weight: 8 }, { arbitrary: anyValue, weight: 1 });
const envelope = fc.oneof(
  {
    arbitrary: fc.record(
      { message, subscription: maybe(fc.string()), deliveryAttempt: maybe(fc.integer({ min: 1, max: 100 })), extra: anyValue },
      { requiredKeys: ['message'] },
    ),
    weight: 8,
  },
  { arbitrary: anyValue, weight: 1 },
);

test('whatever the hand check accepts, the schema accepts with the same value', () => {
  let accepted = 0;
  fc.assert(
    fc.property(envelope, (value) => {
      // Through JSON, as envelopes arrive (an own "__proto__" key, no undefined).
      const json: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
      if (!conformsToPushEnvelopeSchema(json)) return;
      accepted++;
      const parsed = pushEnvelopeSchema.safeParse(json);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(json);
    }),
    { numRuns: 3000 },
  );
  expect(accepted).toBeGreaterThan(100); // the property was tested on accepted envelopes, not only refused ones
});

test.each([
  ['null attribute value', { message: { attributes: { a: null } } }],
  ['numeric message id', { message: { messageId: 42 } }],
  ['fractional delivery attempt', { message: {}, deliveryAttempt: 1.5 }],
  ['message as a list', { message: [] }],
  ['no message', { subscription: 's' }],
  ['attributes as a list', { message: { attributes: ['a'] } }],
])('%s goes to the schema, which names the field', (_name, json) => {
  expect(conformsToPushEnvelopeSchema(json)).toBe(false);
  expect(pushEnvelopeSchema.safeParse(json).success).toBe(false);
});

test('every Pub/Sub envelope among the fixtures takes the fast path', () => {
  const envelopes = loadRequestFixtures()
    .filter((f) => f.expect.status < 300)
    .map(rawOf)
    .filter((raw) => (raw.headers['ce-type'] ?? 'google.cloud.pubsub.topic.v1.messagePublished') === 'google.cloud.pubsub.topic.v1.messagePublished')
    .map((raw) => {
      try {
        return JSON.parse(raw.body.toString('utf8')) as { message?: unknown };
      } catch {
        return undefined;
      }
    })
    .filter((json) => typeof json?.message === 'object');
  expect(envelopes.length).toBeGreaterThan(5);
  for (const json of envelopes) expect(conformsToPushEnvelopeSchema(json)).toBe(true);
});
