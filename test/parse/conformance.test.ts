/**
 * The Functions Framework conformance pairs: a legacy (1st-gen) input and a
 * structured CloudEvent input of the same event must both give the event that
 * `<case>-cloudevent-output.json` describes.
 */
import { parseDelivery } from '../../functions/parse/delivery';
import type { RouterEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';
import { FIELDS } from '../../functions/route/fields';
import { readReal } from '../support/fixtures';

const CASES = ['storage', 'pubsub_text', 'pubsub_binary', 'legacy_pubsub'];
const dir = ['functions-framework-conformance', 'events', 'generate', 'data'];

interface CloudEventOut {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  data: { message?: { data?: string; attributes?: Record<string, string>; messageId?: string; publishTime?: string } } & Record<string, unknown>;
}

const post = (json: unknown, contentType: string): RawRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': contentType },
  body: Buffer.from(JSON.stringify(json)),
});

function assertMatchesOutput(event: RouterEvent, out: CloudEventOut) {
  expect(event.id).toBe(out.id);
  expect(event.type).toBe(out.type);
  expect(event.source).toBe(out.source);
  expect(event.time).toBe(out.time);
  expect(FIELDS.subject(event)).toBe(out.subject);
  if (event.kind === 'pubsub.message') {
    const m = out.data.message!;
    expect(event.message.data.toString('base64')).toBe(m.data);
    expect(event.message.attributes).toEqual(m.attributes ?? {});
    expect(event.message.id).toBe(m.messageId);
    expect(event.message.publishTime).toBe(m.publishTime);
  } else if (event.kind === 'storage.object') {
    expect(event.object.bucket).toBe(out.data['bucket']);
    expect(event.object.name).toBe(out.data['name']);
    expect(event.object.size?.toString()).toBe(out.data['size']);
    expect(event.object.generation?.toString()).toBe(out.data['generation']);
    expect(event.object.md5Hash).toBe(out.data['md5Hash']);
  } else {
    throw new Error(`unexpected kind ${event.kind}`);
  }
}

describe.each(CASES)('conformance case %s', (name) => {
  const output = readReal<CloudEventOut>(...dir, `${name}-cloudevent-output.json`);

  it('legacy input gives the expected CloudEvent', () => {
    const event = parseDelivery(post(readReal(...dir, `${name}-legacy-input.json`), 'application/json'));
    assertMatchesOutput(event, output);
  });

  it('structured CloudEvent input gives the expected CloudEvent', () => {
    const event = parseDelivery(post(readReal(...dir, `${name}-cloudevent-input.json`), 'application/cloudevents+json'));
    assertMatchesOutput(event, output);
  });
});
