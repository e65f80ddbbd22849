/**
 * Runtime schemas of the payloads we accept, with the TypeScript types inferred
 * from them (zod: one declaration gives both the check and the type, and its
 * issues name the failing field). Unknown fields pass through: Google adds fields.
 */
import '../support/schema';
import * as z from 'zod/mini';

/**
 * proto3 JSON sends int64 as a string; some examples send numbers. Accept both, keep precision.
 * At most 20 digits (a 64-bit value): BigInt of a long digit string takes time quadratic in its length.
 */
export const int64 = z.pipe(
  z.union([z.string().check(z.regex(/^-?\d{1,20}$/, 'expected an integer string of at most 20 digits')), z.int()]),
  z.transform((v) => BigInt(v)),
);

const nonEmpty = z.string().check(z.minLength(1));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Attributes as parsed from JSON, kept as they are (not z.record, whose copy drops an
 * attribute named `__proto__` without a word): a plain object of string values.
 */
function isAttributeRecord(v: unknown): v is Record<string, string> {
  if (!isObject(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const key of Object.keys(v)) if (typeof v[key] !== 'string') return false;
  return true;
}
const attributes = z.custom<Record<string, string>>(isAttributeRecord, { error: 'attribute values must be strings' });

/** google.pubsub.v1.PubsubMessage as push and Eventarc send it (both id spellings occur). */
export const pubsubMessageSchema = z.looseObject({
  data: z.optional(z.string()),
  attributes: z.optional(attributes),
  messageId: z.optional(z.string()),
  message_id: z.optional(z.string()),
  publishTime: z.optional(z.string()),
  publish_time: z.optional(z.string()),
  orderingKey: z.optional(z.string()),
  ordering_key: z.optional(z.string()),
});
export type PubsubMessageJson = z.infer<typeof pubsubMessageSchema>;

/** The push envelope, also Eventarc's messagePublished data. */
export const pushEnvelopeSchema = z.looseObject({
  message: pubsubMessageSchema,
  subscription: z.optional(z.string()),
  deliveryAttempt: z.optional(z.int()),
});
export type PushEnvelopeJson = z.infer<typeof pushEnvelopeSchema>;

// Every field of a message but its attributes is an optional string.
const MESSAGE_STRING_FIELDS = Object.keys(pubsubMessageSchema.shape).filter((field) => field !== 'attributes');
const isOptionalString = (v: unknown) => v === undefined || typeof v === 'string';

/**
 * The push envelope checked by hand: what every Pub/Sub event pays. zod's parse
 * copies each object and was the largest single cost per event in the served
 * function (~7 µs of ~30 we add, profiled). Accepting only what pushEnvelopeSchema
 * accepts, unchanged (test/parse/push-envelope.test.ts holds the two to that);
 * anything else goes to the schema, whose issue names the field.
 */
export function conformsToPushEnvelopeSchema(json: unknown): json is PushEnvelopeJson {
  if (!isObject(json) || !isOptionalString(json['subscription'])) return false;
  const attempt = json['deliveryAttempt'];
  if (attempt !== undefined && !Number.isSafeInteger(attempt)) return false;
  const message = json['message'];
  if (!isObject(message)) return false;
  for (const field of MESSAGE_STRING_FIELDS) if (!isOptionalString(message[field])) return false;
  const attributes = message['attributes'];
  return attributes === undefined || isAttributeRecord(attributes);
}

/** google.events.cloud.storage.v1.StorageObjectData (the storage#object resource). */
export const storageObjectSchema = z.looseObject({
  bucket: z.optional(nonEmpty),
  name: z.optional(nonEmpty),
  generation: z.optional(int64),
  metageneration: z.optional(int64),
  size: z.optional(int64),
  contentType: z.optional(z.string()),
  md5Hash: z.optional(z.string()),
  crc32c: z.optional(z.string()),
  storageClass: z.optional(z.string()),
  timeCreated: z.optional(z.string()),
  updated: z.optional(z.string()),
  metadata: z.optional(z.custom<Record<string, string>>(isAttributeRecord, { error: 'metadata values must be strings' })),
});

/** Artifact Registry / Container Registry notification on the `gcr` topic. */
export const registryNotificationSchema = z
  .looseObject({
    action: z.enum(['INSERT', 'DELETE']),
    digest: z.optional(nonEmpty),
    tag: z.optional(nonEmpty),
  })
  .check(z.refine((n) => n.digest !== undefined || n.tag !== undefined, { message: 'needs a digest or a tag', path: ['digest'] }));

/** A structured-mode CloudEvent body. */
export const structuredCloudEventSchema = z.looseObject({
  specversion: nonEmpty,
  id: nonEmpty,
  type: nonEmpty,
  source: nonEmpty,
  subject: z.optional(z.string()),
  time: z.optional(z.string()),
  datacontenttype: z.optional(z.string()),
  data: z.optional(z.unknown()),
  data_base64: z.optional(z.string()),
});

/** Cloud Functions 1st-gen background event: `{context, data}` or the older flat form. */
export const backgroundEventSchema = z.union([
  z.looseObject({
    context: z.looseObject({
      eventId: nonEmpty,
      timestamp: z.optional(z.string()),
      eventType: nonEmpty,
      resource: z.union([z.string(), z.looseObject({ service: z.optional(z.string()), name: z.string(), type: z.optional(z.string()) })]),
    }),
    data: z.unknown(),
  }),
  z.looseObject({
    eventId: nonEmpty,
    timestamp: z.optional(z.string()),
    eventType: nonEmpty,
    resource: z.union([z.string(), z.looseObject({ name: z.string() })]),
    data: z.unknown(),
  }),
]);
