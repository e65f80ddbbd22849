/**
 * Issue 10, class 11: no prototype lookups on attacker strings. Every place the
 * parser looks a delivered string up (CloudEvent types, notification eventTypes,
 * background eventTypes, attribute and header names, metadata keys) is tried with
 * the names Object.prototype answers to: each must stay exactly what it is.
 */
import { parseDelivery, PayloadError } from '../../functions/parse/delivery';
import type { RouterEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';
import { createApp } from '../../functions/app';
import { memorySink } from '../../functions/support/logger';

const KEYS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'] as const;

const json = (body: unknown, headers: Record<string, string> = {}): RawRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});
// A JSON text with an own "__proto__" member, exactly as it arrives on the wire.
const text = (body: string, headers: Record<string, string>): RawRequest => ({ method: 'POST', path: '/', headers, body: Buffer.from(body) });

const binary = (type: string) =>
  json(
    { bucket: 'b', name: 'n' },
    { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '//storage.googleapis.com/projects/_/buckets/b', 'ce-type': type, 'ce-subject': 'objects/n' },
  );
const structured = (type: string) =>
  text(
    JSON.stringify({
      specversion: '1.0',
      id: '1',
      type,
      source: '//storage.googleapis.com/projects/_/buckets/b',
      subject: 'objects/n',
      data: { bucket: 'b', name: 'n' },
    }),
    {
      'content-type': 'application/cloudevents+json',
    },
  );
const notification = (eventType: string) =>
  json({
    subscription: 'projects/p/subscriptions/s',
    message: { messageId: '1', attributes: { eventType, bucketId: 'b', objectId: 'n', payloadFormat: 'NONE' } },
  });
const background = (eventType: string) =>
  json({ context: { eventId: '1', eventType, resource: 'projects/_/buckets/b/objects/n' }, data: { bucket: 'b', name: 'n' } });

function kindOrRejection(raw: RawRequest): string {
  try {
    return parseDelivery(raw).kind;
  } catch (err) {
    if (err instanceof PayloadError) return 'rejected';
    throw err;
  }
}

describe.each(KEYS)('the string %j', (key) => {
  it('as a binary CloudEvent type is an ordinary CloudEvent of that type', () => {
    const event = parseDelivery(binary(key));
    expect(event.kind).toBe('cloudevent');
    expect(event.type).toBe(key);
  });

  it('as a structured CloudEvent type is an ordinary CloudEvent of that type', () => {
    const event = parseDelivery(structured(key));
    expect(event.kind).toBe('cloudevent');
    expect(event.type).toBe(key);
  });

  it('as a storage notification eventType is a plain Pub/Sub message, not a storage change', () => {
    const event = parseDelivery(notification(key));
    expect(event.kind).toBe('pubsub.message');
    expect(event.delivery.attributes['eventType']).toBe(key);
  });

  it('as a background eventType is refused as no known event, never a storage change', () => {
    expect(kindOrRejection(background(key))).toBe('rejected');
  });

  it('as a Pub/Sub attribute name is an attribute with its own value, and absent ones are absent', () => {
    const body = `{"message":{"messageId":"1","data":"","attributes":{${JSON.stringify(key)}:"v"}}}`;
    const event = parseDelivery(text(body, { 'content-type': 'application/json' }));
    expect(Object.keys(event.delivery.attributes)).toEqual([key]);
    expect(Object.getOwnPropertyDescriptor(event.delivery.attributes, key)?.value).toBe('v');
    const other = parseDelivery(text('{"message":{"messageId":"1","data":"","attributes":{"a":"b"}}}', { 'content-type': 'application/json' }));
    expect(Object.hasOwn(other.delivery.attributes, key)).toBe(false);
  });

  it('as a noWrapper header is a message attribute with its value', () => {
    const headers: Record<string, string> = { 'x-goog-pubsub-message-id': '1', 'x-goog-pubsub-subscription-name': 'projects/p/subscriptions/s' };
    Object.defineProperty(headers, key.toLowerCase(), { value: 'v', enumerable: true, writable: true, configurable: true });
    const event = parseDelivery(text('hello', headers)) as Extract<RouterEvent, { kind: 'pubsub.message' }>;
    expect(event.kind).toBe('pubsub.message');
    expect(Object.getOwnPropertyDescriptor(event.message.attributes, key.toLowerCase())?.value).toBe('v');
  });

  it('as a storage object metadata key is kept with its value', () => {
    const body = `{"message":{"messageId":"1","data":"${Buffer.from(`{"bucket":"b","name":"n","metadata":{${JSON.stringify(key)}:"v"}}`).toString('base64')}","attributes":{"eventType":"OBJECT_FINALIZE","bucketId":"b","objectId":"n","payloadFormat":"JSON_API_V1"}}}`;
    const event = parseDelivery(text(body, { 'content-type': 'application/json' }));
    expect(event.kind).toBe('storage.object');
    const metadata = (event as Extract<RouterEvent, { kind: 'storage.object' }>).object.metadata!;
    expect(Object.getOwnPropertyDescriptor(metadata, key)?.value).toBe('v');
  });
});

it('a ce-__proto__ header (not a CloudEvents attribute name) is refused, not silently dropped', () => {
  const raw = binary('com.example.x');
  const headers = { ...raw.headers };
  Object.defineProperty(headers, 'ce-__proto__', { value: 'x', enumerable: true });
  expect(kindOrRejection({ ...raw, headers })).toBe('rejected');
});

it('through the whole pipeline, a route for storage.object never sees a "constructor" event', async () => {
  const sink = memorySink();
  const fs = await import('fs');
  const os = await import('os');
  const path = await import('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, 'routes:\n  - name: objects\n    match: { kind: storage.object }\n    action: log\n');
  const app = createApp({ env: { ROUTES_FILE: file }, sink });
  for (const raw of [binary('constructor'), structured('toString'), notification('hasOwnProperty'), notification('valueOf')]) {
    const { answer } = await app.handle(raw);
    expect(answer.status).toBe(204);
  }
  expect(sink.entries().filter((e) => (e['event'] as { type?: string } | undefined)?.type !== undefined)).toEqual([]);
});

describe('routing on attacker-chosen attribute names', () => {
  const push = (attributes: Record<string, string>) => json({ subscription: 'projects/p/subscriptions/s', message: { messageId: '1', data: '', attributes } });
  const routesFile = async (yaml: string) => {
    const fs = await import('fs');
    const os = await import('os');
    const path = await import('path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'proto-')), 'routes.yaml');
    fs.writeFileSync(file, yaml);
    return file;
  };

  it.each(KEYS.filter((k) => k !== '__proto__'))('a route on attribute %j matches only a message that carries it', async (key) => {
    const { compileMatchSpec } = await import('../../functions/route/match-spec');
    const present = compileMatchSpec({ attributes: { [key]: { exists: true } } });
    const equal = compileMatchSpec({ attributes: { [key]: 'v' } });
    expect(present.test(parseDelivery(push({ a: 'b' }))).matched).toBe(false);
    expect(present.test(parseDelivery(push({ [key]: 'v' }))).matched).toBe(true);
    expect(equal.test(parseDelivery(push({ [key]: 'v' }))).matched).toBe(true);
  });

  it('a routes file matching an attribute named __proto__ stops start-up instead of matching everything', async () => {
    const file = await routesFile('routes:\n  - name: r\n    match: { attributes: { __proto__: secret } }\n    action: log\n');
    expect(() => createApp({ env: { ROUTES_FILE: file }, sink: memorySink() })).toThrow(/__proto__/);
  });
});
