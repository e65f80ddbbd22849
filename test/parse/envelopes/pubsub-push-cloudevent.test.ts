/**
 * Eventarc's raw Pub/Sub fallback (issue 12 item 5): when a CloudEvent attribute
 * cannot be an HTTP header, the event arrives as a wrapped push whose message
 * attributes are its context attributes and whose data is its data. Each binary
 * Eventarc fixture, re-sent that way, must give the same typed event; only the
 * delivery record says how it came.
 */
import { createApp } from '../../../functions/app';
import { parseDelivery, PayloadError } from '../../../functions/parse/delivery';
import type { RouterEvent } from '../../../functions/parse/event';
import type { RawRequest } from '../../../functions/receive/raw-request';
import { memorySink } from '../../../functions/support/logger';
import { loadRequestFixtures, plain, rawOf } from '../../support/fixtures';

const SUBSCRIPTION = 'projects/my-project/subscriptions/eventarc-us-central1-trigger-sub-001';

/** The push Eventarc sends instead of a binary CloudEvent: `ce-` attributes, or the plain names. */
function fallbackOf(binary: RawRequest, naming: 'ce-' | 'plain'): RawRequest {
  const attributes: Record<string, string> = {};
  for (const [header, value] of Object.entries(binary.headers)) {
    if (header.startsWith('ce-')) attributes[naming === 'ce-' ? header : header.slice(3)] = value;
  }
  const contentType = binary.headers['content-type'];
  if (contentType !== undefined) attributes[naming === 'ce-' ? 'Content-Type' : 'datacontenttype'] = contentType;
  const body = {
    message: { attributes, data: binary.body.toString('base64'), messageId: '17000001', publishTime: '2026-12-01T10:00:00.000Z' },
    subscription: SUBSCRIPTION,
    deliveryAttempt: 2,
  };
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
}

/** What a route or handler sees of an event, without the record of how it was delivered. */
function seen(event: RouterEvent): Record<string, unknown> {
  const { delivery: _delivery, ...rest } = plain(event);
  return rest;
}

const binaries = loadRequestFixtures().filter((f) => /^[AB]-/.test(f.name) && f.request.headers['ce-specversion'] !== undefined);

describe.each(['ce-', 'plain'] as const)('a binary Eventarc delivery re-sent as the raw Pub/Sub fallback (%s names)', (naming) => {
  it('covers the Pub/Sub and Storage binary fixtures', () => expect(binaries.length).toBeGreaterThanOrEqual(5));

  it.each(binaries.map((f) => [f.name, f] as const))('%s gives the same typed event', (_name, fixture) => {
    const binary = parseDelivery(rawOf(fixture));
    const fallback = parseDelivery(fallbackOf(rawOf(fixture), naming));
    expect(seen(fallback)).toEqual(seen(binary));
    expect(fallback.delivery.shape).toBe('pubsub-push-cloudevent');
    // A messagePublished event names its own subscription in its data; the push's attempt counts.
    expect(fallback.delivery.subscription).toBe(binary.delivery.subscription ?? SUBSCRIPTION);
    expect(fallback.delivery.deliveryAttempt).toBe(binary.delivery.deliveryAttempt ?? 2);
    // Forwarded as the CloudEvent it is: its own attributes and data, not the push around it.
    expect(fallback.delivery.cloudEvent.attributes['type']).toBe(binary.type);
    expect(fallback.delivery.cloudEvent.data).toEqual(binary.delivery.cloudEvent.data);
  });
});

describe('the fallback', () => {
  const storage = (subject: string, data: unknown, extra: Record<string, string> = {}): RawRequest => ({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      JSON.stringify({
        subscription: SUBSCRIPTION,
        message: {
          data: Buffer.from(JSON.stringify(data)).toString('base64'),
          attributes: {
            'ce-specversion': '1.0',
            'ce-id': 'e-1',
            'ce-type': 'google.cloud.storage.object.v1.finalized',
            'ce-source': '//storage.googleapis.com/projects/_/buckets/b1',
            'ce-subject': subject,
            'Content-Type': 'application/json',
            ...extra,
          },
        },
      }),
    ),
  });

  it('carries what a header cannot: a subject ending in a space', () => {
    const event = parseDelivery(storage('objects/Test Document2 ', { bucket: 'b1', size: '3' }));
    expect(event.kind).toBe('storage.object');
    expect(event.kind === 'storage.object' && event.object.name).toBe('Test Document2 ');
    expect(event.id).toBe('e-1');
  });

  it('keeps the message attributes that are no CloudEvent attributes in the delivery record only', () => {
    const event = parseDelivery(storage('objects/o', {}, { googclient_schemaencoding: 'JSON' }));
    expect(event.delivery.attributes['googclient_schemaencoding']).toBe('JSON');
    expect(event.delivery.cloudEvent.attributes).not.toHaveProperty('googclient_schemaencoding');
  });

  it('names the outer path when the data is broken', () => {
    const raw = storage('objects/o', {});
    const body = JSON.parse(raw.body.toString()) as { message: { data: string } };
    body.message.data = Buffer.from('not json').toString('base64');
    expect(() => parseDelivery({ ...raw, body: Buffer.from(JSON.stringify(body)) })).toThrow(
      expect.objectContaining({ name: 'PayloadError', message: expect.stringMatching(/^pubsub-push-cloudevent message\.data: is not valid JSON/) }) as Error,
    );
  });

  it('refuses a CloudEvents version it does not speak, naming the attribute', () => {
    const err = (() => {
      try {
        parseDelivery(storage('objects/o', {}, { 'ce-specversion': '0.3' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as PayloadError).path).toBe('message.attributes.ce-specversion');
  });

  it('is not taken for a plain message that merely has a `type` attribute', () => {
    const raw: RawRequest = {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ subscription: SUBSCRIPTION, message: { data: 'eA==', attributes: { type: 'invoice', id: '7' } } })),
    };
    const event = parseDelivery(raw);
    expect(event.kind).toBe('pubsub.message');
    expect(event.delivery.shape).toBe('pubsub-push');
  });

  it('is acknowledged and logged as the event it carries, through the app', async () => {
    const sink = memorySink();
    const app = createApp({ env: {}, sink });
    sink.lines.length = 0;
    const { answer } = await app.handle(storage('objects/Test Document2 ', { bucket: 'b1' }));
    expect(answer.status).toBe(204);
    expect(sink.entries()[0]['message']).toContain('gs://b1/Test Document2 ');
  });
});
