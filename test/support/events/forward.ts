/** RouterEvents as the core hands them to an action, for handler-level tests. */
import type { PubSubMessageEvent } from '../../../functions/parse/event';
import type { RawRequest } from '../../../functions/receive/raw-request';

export function eventarcPubSubEvent(overrides: { attributes?: Record<string, string>; data?: Buffer; contentType?: string } = {}): PubSubMessageEvent {
  const data =
    overrides.data ??
    Buffer.from(
      JSON.stringify({
        message: { data: Buffer.from('héllo').toString('base64'), attributes: { a: '1' }, messageId: '42', publishTime: '2026-11-23T02:00:00.123456Z' },
        subscription: 'projects/p/subscriptions/s',
      }),
    );
  const attributes = overrides.attributes ?? {
    specversion: '1.0',
    id: '42',
    source: '//pubsub.googleapis.com/projects/p/topics/t',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    time: '2026-11-23T02:00:00.123456Z',
  };
  const contentType = overrides.contentType ?? 'application/json; charset=utf-8';
  const raw: RawRequest = {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': contentType,
      authorization: 'Bearer incoming-token-must-not-leak',
      ...Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`ce-${k}`, v])),
    },
    body: data,
  };
  return {
    kind: 'pubsub.message',
    id: attributes.id,
    type: attributes.type ?? 'google.cloud.pubsub.topic.v1.messagePublished',
    source: attributes.source,
    time: attributes.time,
    topic: 't',
    project: 'p',
    message: { id: '42', data: Buffer.from('héllo'), attributes: { a: '1' } },
    text: () => 'héllo',
    json: <T>() => JSON.parse('"héllo"') as T,
    delivery: {
      shape: 'cloudevent-binary',
      attributes: { a: '1' },
      cloudEvent: { attributes, data, dataContentType: contentType },
      raw,
    },
  };
}
