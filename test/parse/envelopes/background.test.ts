/**
 * 1st-gen background events that are neither Pub/Sub nor Storage (issue 12 item 6):
 * each becomes the CloudEvent Functions Framework's conformance pairs say it is, a
 * `cloudevent` a route can match on type, source and subject, never refused.
 */
import { createApp } from '../../../functions/app';
import { parseDelivery, PayloadError } from '../../../functions/parse/delivery';
import type { RawRequest } from '../../../functions/receive/raw-request';
import { FIELDS } from '../../../functions/route/fields';
import { memorySink } from '../../../functions/support/logger';
import { readReal } from '../../support/fixtures';

const dir = ['functions-framework-conformance', 'events', 'generate', 'data'];
const CASES = ['firebase-auth', 'firebase-db1', 'firebase-db2', 'firebase-dbdelete1'];
const post = (json: unknown): RawRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(json)),
});

interface CloudEventOut {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
}

describe.each(CASES)('conformance case %s, legacy input', (name) => {
  const input = readReal(...dir, `${name}-legacy-input.json`);
  const out = readReal<CloudEventOut>(...dir, `${name}-cloudevent-output.json`);

  it('is the CloudEvent of the conformance output', () => {
    const event = parseDelivery(post(input));
    expect(event.kind).toBe('cloudevent');
    expect({ id: event.id, type: event.type, source: event.source, subject: FIELDS.subject(event), time: event.time }).toEqual({
      id: out.id,
      type: out.type,
      source: out.source,
      subject: out.subject,
      time: out.time,
    });
    // The data as it came: nothing lost, readable as JSON.
    expect(event.kind === 'cloudevent' && event.json()).toEqual((input as { data: unknown }).data);
  });

  it('is acknowledged, not answered 5xx', async () => {
    const app = createApp({ env: {}, sink: memorySink() });
    const { answer } = await app.handle(post(input));
    expect(answer.status).toBe(204);
  });
});

it('still refuses a 1st-gen type it knows nothing of, naming it (acknowledged and preserved, not routed)', () => {
  const raw = post({
    context: { eventId: 'x1', eventType: 'providers/example.com/eventTypes/thing.happen', resource: 'projects/p9/things/t' },
    data: { a: 1 },
  });
  expect(() => parseDelivery(raw)).toThrow(PayloadError);
  expect(() => parseDelivery(raw)).toThrow(
    'background context.eventType: "providers/example.com/eventTypes/thing.happen" is not a Pub/Sub, Cloud Storage, Firestore or Firebase event',
  );
});
