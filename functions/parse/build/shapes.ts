/**
 * Builds a delivery of any shape A to H for one event described by flags, so
 * `eventarc-router emit` and eventarc-router/testing can exercise a route exactly
 * as Eventarc or Pub/Sub would. This folder is parsing's inverse: requests built
 * as their senders build them. Pure: returns the request; sending is the caller's business.
 */
import type { StorageChange } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { MESSAGE_PUBLISHED } from '../payloads/pubsub-message';

export type ShapeLetter = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H';

export interface EventSpec {
  readonly id: string;
  readonly time: string;
  readonly project: string;
  readonly topic: string;
  readonly subscription: string;
  /** Pub/Sub message data (A, C, D, E). */
  readonly data?: string | Buffer;
  readonly attributes?: Readonly<Record<string, string>>;
  /** Push deliveries (A, C, D, F, G): set by Pub/Sub when the subscription has a dead-letter policy. */
  readonly deliveryAttempt?: number;
  readonly orderingKey?: string;
  /** Storage object (B, C with --bucket, F, H). */
  readonly bucket?: string;
  readonly name?: string;
  readonly generation?: string;
  readonly size?: string;
  readonly contentType?: string;
  readonly change?: StorageChange;
  /** Registry notification (G). */
  readonly action?: 'INSERT' | 'DELETE';
  readonly digest?: string;
  readonly tag?: string;
}

const NOTIFICATION = { finalized: 'OBJECT_FINALIZE', deleted: 'OBJECT_DELETE', archived: 'OBJECT_ARCHIVE', metadataUpdated: 'OBJECT_METADATA_UPDATE' } as const;
const BACKGROUND = { finalized: 'finalize', deleted: 'delete', archived: 'archive', metadataUpdated: 'metadataUpdate' } as const;

const json = (headers: Record<string, string>, body: unknown, path = '/'): RawRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

function storageObject(e: EventSpec): Record<string, string> {
  if (!e.bucket || !e.name) throw new Error('a storage event needs --bucket and --name');
  return {
    kind: 'storage#object',
    bucket: e.bucket,
    name: e.name,
    generation: e.generation ?? '1',
    metageneration: '1',
    size: e.size ?? '0',
    contentType: e.contentType ?? 'application/octet-stream',
    timeCreated: e.time,
    updated: e.time,
  };
}

function message(e: EventSpec, data: string | Buffer | undefined = e.data, attributes = e.attributes ?? {}): Record<string, unknown> {
  return {
    ...(data !== undefined && data !== '' && { data: Buffer.from(data).toString('base64') }),
    attributes,
    messageId: e.id,
    message_id: e.id,
    publishTime: e.time,
    publish_time: e.time,
    ...(e.orderingKey !== undefined && { orderingKey: e.orderingKey }),
  };
}

const pushBody = (e: EventSpec, m: Record<string, unknown>) => ({
  message: m,
  subscription: subscriptionName(e),
  ...(e.deliveryAttempt !== undefined && { deliveryAttempt: e.deliveryAttempt }),
});

const subscriptionName = (e: EventSpec) => `projects/${e.project}/subscriptions/${e.subscription}`;

function storageNotification(e: EventSpec): { data: string; attributes: Record<string, string> } {
  const o = storageObject(e);
  return {
    data: JSON.stringify(o),
    attributes: {
      eventType: NOTIFICATION[e.change ?? 'finalized'],
      payloadFormat: 'JSON_API_V1',
      bucketId: o['bucket'],
      objectId: o['name'],
      objectGeneration: o['generation'],
      eventTime: e.time,
      notificationConfig: `projects/_/buckets/${o['bucket']}/notificationConfigs/1`,
    },
  };
}

export function buildDelivery(shape: ShapeLetter, e: EventSpec): RawRequest {
  switch (shape) {
    case 'A':
      return json(
        {
          'ce-specversion': '1.0',
          'ce-id': e.id,
          'ce-type': MESSAGE_PUBLISHED,
          'ce-time': e.time,
          'ce-source': `//pubsub.googleapis.com/projects/${e.project}/topics/${e.topic}`,
          'content-type': 'application/json; charset=utf-8',
        },
        pushBody(e, message(e)),
      );
    case 'B': {
      const o = storageObject(e);
      return json(
        {
          'ce-specversion': '1.0',
          'ce-id': e.id,
          'ce-type': `google.cloud.storage.object.v1.${e.change ?? 'finalized'}`,
          'ce-time': e.time,
          'ce-source': `//storage.googleapis.com/projects/_/buckets/${o['bucket']}`,
          'ce-subject': `objects/${encodeURI(o['name'])}`,
          'ce-bucket': o['bucket'],
          'content-type': 'application/json; charset=utf-8',
        },
        o,
      );
    }
    case 'C': {
      const storage = e.bucket !== undefined;
      const ce = storage
        ? {
            specversion: '1.0',
            id: e.id,
            time: e.time,
            type: `google.cloud.storage.object.v1.${e.change ?? 'finalized'}`,
            source: `//storage.googleapis.com/projects/_/buckets/${e.bucket}`,
            subject: `objects/${e.name}`,
            datacontenttype: 'application/json',
            data: storageObject(e),
          }
        : {
            specversion: '1.0',
            id: e.id,
            time: e.time,
            type: MESSAGE_PUBLISHED,
            source: `//pubsub.googleapis.com/projects/${e.project}/topics/${e.topic}`,
            datacontenttype: 'application/json',
            data: pushBody(e, message(e)),
          };
      return { ...json({}, ce), headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' } };
    }
    case 'D':
      return json({}, pushBody(e, message(e)));
    case 'E': {
      const headers: Record<string, string> = {
        'content-type': 'application/octet-stream',
        'x-goog-pubsub-message-id': e.id,
        'x-goog-pubsub-publish-time': e.time,
        'x-goog-pubsub-subscription-name': subscriptionName(e),
        ...e.attributes,
      };
      return { method: 'POST', path: '/', headers, body: Buffer.from(e.data ?? '') };
    }
    case 'F': {
      const n = storageNotification(e);
      return json({}, pushBody(e, message(e, n.data, n.attributes)));
    }
    case 'G': {
      if (!e.digest && !e.tag) throw new Error('a registry notification needs --digest and/or --tag');
      const data = JSON.stringify({ action: e.action ?? 'INSERT', ...(e.digest && { digest: e.digest }), ...(e.tag && { tag: e.tag }) });
      return json({}, pushBody(e, message(e, data, {})));
    }
    case 'H': {
      if (e.bucket !== undefined) {
        const o = storageObject(e);
        return json(
          {},
          {
            context: {
              eventId: e.id,
              timestamp: e.time,
              eventType: `google.storage.object.${BACKGROUND[e.change ?? 'finalized']}`,
              resource: { service: 'storage.googleapis.com', name: `projects/_/buckets/${o['bucket']}/objects/${o['name']}`, type: 'storage#object' },
            },
            data: o,
          },
        );
      }
      return json(
        {},
        {
          context: {
            eventId: e.id,
            timestamp: e.time,
            eventType: 'google.pubsub.topic.publish',
            resource: {
              service: 'pubsub.googleapis.com',
              name: `projects/${e.project}/topics/${e.topic}`,
              type: 'type.googleapis.com/google.pubsub.v1.PubsubMessage',
            },
          },
          data: { '@type': 'type.googleapis.com/google.pubsub.v1.PubsubMessage', ...message(e) },
        },
      );
    }
  }
}
