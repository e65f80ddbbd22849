/**
 * End to end through parseDelivery (envelope -> interpreter -> payload module): a
 * Firestore document event gives the same typed `firestore.document` event whatever
 * carried it (binary or structured CloudEvent, JSON or protobuf data, Eventarc's raw
 * Pub/Sub fallback, a 1st-gen background event); an audit log entry and a Cloud Build
 * status change (as a CloudEvent and as a `cloud-builds` notification) reach their
 * families through the same table; a decoder's error names the outer path.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createApp } from '../../functions/app';
import { parseDelivery, PayloadError } from '../../functions/parse/delivery';
import type { RouterEvent } from '../../functions/parse/event';
import type { RawRequest } from '../../functions/receive/raw-request';
import { memorySink } from '../../functions/support/logger';
import { FIXTURES, plain } from '../support/fixtures';

const EXAMPLES = path.join(FIXTURES, 'real', 'google-cloudevents', 'examples', 'binary');
const PROTOBUF = path.join(FIXTURES, 'protobuf', 'google-cloudevents', 'examples', 'binary');
const SOURCE = '//firestore.googleapis.com/projects/project-id/databases/(default)';

const post = (headers: Record<string, string>, body: Buffer | string): RawRequest => ({
  method: 'POST',
  path: '/',
  headers,
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
});
const json = (value: unknown, contentType = 'application/json') => post({ 'content-type': contentType }, JSON.stringify(value));

/** What a route or handler sees of an event, without the record of how it was delivered. */
function seen(event: RouterEvent): Record<string, unknown> {
  const { delivery: _delivery, ...rest } = plain(event);
  return rest;
}

describe.each(['simple', 'complex'])('a Firestore document event (DocumentEventData-%s)', (name) => {
  const dataJson = fs.readFileSync(path.join(EXAMPLES, 'firestore', `DocumentEventData-${name}.json`));
  const dataProtobuf = fs.readFileSync(path.join(PROTOBUF, 'firestore', `DocumentEventData-${name}.binpb`));
  const documentName = (
    (JSON.parse(dataJson.toString()) as { value?: { name: string }; oldValue?: { name: string } }).value ?? JSON.parse(dataJson.toString()).oldValue
  ).name;
  const document = documentName.split('/documents/')[1]!;
  const context = {
    specversion: '1.0',
    id: `fs-${name}`,
    type: 'google.cloud.firestore.document.v1.written',
    source: SOURCE,
    subject: `documents/${document}`,
    time: '2026-12-01T10:00:00.000Z',
    database: '(default)',
    document,
  };
  const binary = (contentType: string, data: Buffer) =>
    post({ 'content-type': contentType, ...Object.fromEntries(Object.entries(context).map(([k, v]) => [`ce-${k}`, v])) }, data);
  const structured = (extra: Record<string, unknown>) => json({ ...context, ...extra }, 'application/cloudevents+json');
  const fallback = (contentType: string, data: Buffer) =>
    json({
      subscription: 'projects/project-id/subscriptions/eventarc-nam5-firestore-sub',
      message: {
        data: data.toString('base64'),
        messageId: 'm1',
        attributes: { ...Object.fromEntries(Object.entries(context).map(([k, v]) => [`ce-${k}`, v])), 'Content-Type': contentType },
      },
    });

  const carriers: Record<string, RawRequest> = {
    'binary, JSON': binary('application/json', dataJson),
    'binary, protobuf': binary('application/protobuf', dataProtobuf),
    'structured, JSON': structured({ datacontenttype: 'application/json', data: JSON.parse(dataJson.toString()) as unknown }),
    'structured, protobuf': structured({ datacontenttype: 'application/protobuf', data_base64: dataProtobuf.toString('base64') }),
    'raw Pub/Sub fallback, JSON': fallback('application/json', dataJson),
    'raw Pub/Sub fallback, protobuf': fallback('application/protobuf', dataProtobuf),
  };
  const expected = seen(parseDelivery(carriers['binary, JSON']));

  it('is a firestore.document event naming its document', () => {
    expect(expected).toMatchObject({
      kind: 'firestore.document',
      change: 'written',
      type: context.type,
      id: context.id,
      database: '(default)',
      project: 'project-id',
      document,
    });
  });

  it.each(Object.entries(carriers))('delivered %s, gives the same typed event', (_carrier, raw) => {
    expect(seen(parseDelivery(raw))).toEqual(expected);
  });

  it('delivered as a 1st-gen background event, gives the same document change', () => {
    const legacy = json({
      context: { eventId: context.id, eventType: 'providers/cloud.firestore/eventTypes/document.write', timestamp: context.time, resource: documentName },
      data: JSON.parse(dataJson.toString()) as unknown,
    });
    const event = seen(parseDelivery(legacy));
    expect(event).toEqual(expected);
  });

  it('is answered 204 through the app (the default route logs it)', async () => {
    const app = createApp({ env: {}, sink: memorySink() });
    for (const raw of Object.values(carriers)) expect((await app.handle(raw)).answer.status).toBe(204);
  });
});

describe('the other new families, through the same table', () => {
  const audit = fs.readFileSync(path.join(EXAMPLES, 'audit', 'LogEntryData-pubsubCreateTopic.json'));
  const build = fs.readFileSync(path.join(EXAMPLES, 'cloudbuild', 'BuildEventData-simple.json'));

  it('an audit log entry (google.cloud.audit.log.v1.written) is an audit.log event', () => {
    const event = parseDelivery(
      post(
        {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'a1',
          'ce-type': 'google.cloud.audit.log.v1.written',
          'ce-source': '//cloudaudit.googleapis.com/projects/test-project/logs/activity',
          'ce-servicename': 'pubsub.googleapis.com',
          'ce-methodname': 'google.pubsub.v1.Publisher.CreateTopic',
          'ce-resourcename': 'projects/test-project/topics/test-topic',
        },
        audit,
      ),
    );
    expect(event).toMatchObject({
      kind: 'audit.log',
      id: 'a1',
      type: 'google.cloud.audit.log.v1.written',
      serviceName: 'pubsub.googleapis.com',
      methodName: 'google.pubsub.v1.Publisher.CreateTopic',
    });
  });

  it('a Cloud Build status change is the same build.status event as a CloudEvent and as a cloud-builds notification', () => {
    const asCloudEvent = parseDelivery(
      post(
        {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'b1',
          'ce-type': 'google.cloud.cloudbuild.build.v1.statusChanged',
          'ce-source': '//cloudbuild.googleapis.com/projects/test-project/locations/global/builds/build-1',
          'ce-subject': 'builds/build-1',
        },
        build,
      ),
    );
    const asNotification = parseDelivery(
      post(
        {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'b1',
          'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
          'ce-source': '//pubsub.googleapis.com/projects/test-project/topics/cloud-builds',
        },
        JSON.stringify({
          subscription: 'projects/test-project/subscriptions/s',
          message: { data: build.toString('base64'), messageId: 'b1', attributes: { buildId: 'build-1', status: 'SUCCESS' } },
        }),
      ),
    );
    expect(asCloudEvent.kind).toBe('build.status');
    expect(asNotification).toMatchObject({
      kind: 'build.status',
      type: 'google.cloud.cloudbuild.build.v1.statusChanged',
      topic: 'cloud-builds',
      project: 'test-project',
    });
    const buildOf = (e: RouterEvent) => (e.kind === 'build.status' ? plain(e)['build'] : undefined) as Record<string, unknown>;
    expect({ ...buildOf(asNotification), status: undefined }).toEqual({ ...buildOf(asCloudEvent), status: undefined });
    expect(buildOf(asNotification)['id']).toBe('build-1');
  });

  it('a plain message with a buildId attribute on another topic stays a pubsub.message', () => {
    const event = parseDelivery(
      post(
        {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': 'p1',
          'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
          'ce-source': '//pubsub.googleapis.com/projects/test-project/topics/orders',
        },
        JSON.stringify({ message: { data: 'eA==', attributes: { buildId: 'x', status: 'y' } } }),
      ),
    );
    expect(event.kind).toBe('pubsub.message');
  });

  it('a decoder error names the outer path, the family and the field', () => {
    const raw = post(
      {
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'f1',
        'ce-type': 'google.cloud.firestore.document.v1.created',
        'ce-source': SOURCE,
        'ce-subject': 'documents/users/u1',
      },
      JSON.stringify({ value: { name: `projects/project-id/databases/(default)/documents/users/u1`, fields: { n: { integerValue: 'twelve' } } } }),
    );
    const err = (() => {
      try {
        parseDelivery(raw);
      } catch (e) {
        return e;
      }
    })() as PayloadError;
    expect(err).toBeInstanceOf(PayloadError);
    expect(err.message).toMatch(/^cloudevent-binary data\.value\.fields\.n[^:]*: DocumentEventData: /);
  });
});
