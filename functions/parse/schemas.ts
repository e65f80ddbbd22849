/**
 * Runtime schemas of the payloads we accept, with the TypeScript types inferred
 * from them (zod: one declaration gives both the check and the type, and its
 * issues name the failing field). Unknown fields pass through: Google adds fields.
 */
import { z } from 'zod';

/** proto3 JSON sends int64 as a string; some examples send numbers. Accept both, keep precision. */
export const int64 = z
  .union([z.string().regex(/^-?\d+$/, 'expected an integer string'), z.number().int()])
  .transform((v) => BigInt(v));

const attributes = z.record(z.string(), z.string({ error: 'attribute values must be strings' }));

/** google.pubsub.v1.PubsubMessage as push and Eventarc send it (both id spellings occur). */
export const pubsubMessageSchema = z.looseObject({
  data: z.string().optional(),
  attributes: attributes.optional(),
  messageId: z.string().optional(),
  message_id: z.string().optional(),
  publishTime: z.string().optional(),
  publish_time: z.string().optional(),
  orderingKey: z.string().optional(),
  ordering_key: z.string().optional(),
});
export type PubsubMessageJson = z.infer<typeof pubsubMessageSchema>;

/** The push envelope, also Eventarc's messagePublished data. */
export const pushEnvelopeSchema = z.looseObject({
  message: pubsubMessageSchema,
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().optional(),
});

/** google.events.cloud.storage.v1.StorageObjectData (the storage#object resource). */
export const storageObjectSchema = z.looseObject({
  bucket: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  generation: int64.optional(),
  metageneration: int64.optional(),
  size: int64.optional(),
  contentType: z.string().optional(),
  md5Hash: z.string().optional(),
  crc32c: z.string().optional(),
  storageClass: z.string().optional(),
  timeCreated: z.string().optional(),
  updated: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type StorageObjectJson = z.infer<typeof storageObjectSchema>;

/** Artifact Registry / Container Registry notification on the `gcr` topic. */
export const registryNotificationSchema = z
  .looseObject({
    action: z.enum(['INSERT', 'DELETE']),
    digest: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
  })
  .refine((n) => n.digest !== undefined || n.tag !== undefined, { message: 'needs a digest or a tag', path: ['digest'] });

/** A structured-mode CloudEvent body. */
export const structuredCloudEventSchema = z.looseObject({
  specversion: z.string().min(1),
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  subject: z.string().optional(),
  time: z.string().optional(),
  datacontenttype: z.string().optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
});

/** Cloud Functions 1st-gen background event: `{context, data}` or the older flat form. */
export const backgroundEventSchema = z.union([
  z.looseObject({
    context: z.looseObject({
      eventId: z.string().min(1),
      timestamp: z.string().optional(),
      eventType: z.string().min(1),
      resource: z.union([z.string(), z.looseObject({ service: z.string().optional(), name: z.string(), type: z.string().optional() })]),
    }),
    data: z.unknown(),
  }),
  z.looseObject({
    eventId: z.string().min(1),
    timestamp: z.string().optional(),
    eventType: z.string().min(1),
    resource: z.union([z.string(), z.looseObject({ name: z.string() })]),
    data: z.unknown(),
  }),
]);
