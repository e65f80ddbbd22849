/**
 * The same object change delivered by Eventarc (binary and structured), by a
 * Pub/Sub storage notification (wrapped and noWrapper) and by a 1st-gen
 * background event yields the same typed event.
 */
import { parseDelivery } from '../../functions/parse/delivery';
import type { StorageObjectEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';

const object = {
  kind: 'storage#object',
  bucket: 'my-bucket',
  name: 'in/dir with space/ré#1.csv',
  generation: '1700000000000001',
  metageneration: '1',
  size: '9007199254740993',
  contentType: 'text/csv',
  md5Hash: '1B2M2Y8AsgTpgAmY7PhCfg==',
  crc32c: 'AAAAAA==',
  metadata: { team: 'data' },
};
const attributes = {
  eventType: 'OBJECT_FINALIZE',
  payloadFormat: 'JSON_API_V1',
  bucketId: object.bucket,
  objectId: object.name,
  objectGeneration: object.generation,
  eventTime: '2026-11-22T14:00:00.000000Z',
  notificationConfig: 'projects/_/buckets/my-bucket/notificationConfigs/1',
};
const json = (body: unknown, headers: Record<string, string> = {}): RawRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

const carriers: Record<string, RawRequest> = {
  'eventarc binary': json(object, {
    'ce-specversion': '1.0',
    'ce-id': 'e1',
    'ce-type': 'google.cloud.storage.object.v1.finalized',
    'ce-time': attributes.eventTime,
    'ce-source': '//storage.googleapis.com/projects/_/buckets/my-bucket',
    'ce-subject': `objects/${object.name}`,
  }),
  'eventarc structured': {
    ...json({
      specversion: '1.0',
      id: 'e1',
      type: 'google.cloud.storage.object.v1.finalized',
      time: attributes.eventTime,
      source: '//storage.googleapis.com/projects/_/buckets/my-bucket',
      subject: `objects/${object.name}`,
      data: object,
    }),
    headers: { 'content-type': 'application/cloudevents+json' },
  },
  'pubsub push notification': json({
    subscription: 'projects/p/subscriptions/s',
    message: { data: Buffer.from(JSON.stringify(object)).toString('base64'), attributes, messageId: 'm1', publishTime: '2026-11-22T14:00:01Z' },
  }),
  'pubsub noWrapper notification': {
    method: 'POST',
    path: '/',
    body: Buffer.from(JSON.stringify(object)),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-goog-pubsub-message-id': 'm1',
      ...Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v])),
    },
  },
  'background event': json({
    context: {
      eventId: 'b1',
      timestamp: attributes.eventTime,
      eventType: 'google.storage.object.finalize',
      resource: { service: 'storage.googleapis.com', name: `projects/_/buckets/my-bucket/objects/${object.name}`, type: 'storage#object' },
    },
    data: object,
  }),
};

describe('one object change, five carriers', () => {
  const events = Object.entries(carriers).map(([name, raw]) => [name, parseDelivery(raw)] as const);
  const [, reference] = events[0];

  it.each(events)('%s gives the same typed event', (_name, event) => {
    expect(event.kind).toBe('storage.object');
    const e = event as StorageObjectEvent;
    const r = reference as StorageObjectEvent;
    expect({ kind: e.kind, change: e.change, type: e.type, source: e.source, time: e.time }).toEqual({
      kind: r.kind,
      change: r.change,
      type: r.type,
      source: r.source,
      time: r.time,
    });
    expect(e.object.size).toBe(9007199254740993n); // above 2^53: no precision lost
  });

  it('the object is identical wherever the data is carried', () => {
    const withData = events.filter(([name]) => name !== 'pubsub noWrapper notification').map(([, e]) => (e as StorageObjectEvent).object);
    for (const o of withData) expect(o).toEqual((reference as StorageObjectEvent).object);
  });
});
