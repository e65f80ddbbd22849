/**
 * The filterable fields of the event families added for Firestore, Cloud Audit Logs and
 * Cloud Build, on Google's own examples: each field reads what a user filters on, and a
 * path pattern on `document` / `resourceName` captures what the handler is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { HandlerContext } from '../../functions/act/action';
import { parseDelivery } from '../../functions/parse/delivery';
import type { RawRequest } from '../../functions/receive/raw-request';
import { dispatch } from '../../functions/route/dispatch';
import { FIELDS } from '../../functions/route/fields';
import { Router } from '../../functions/route/router';
import { createLogger, memorySink } from '../../functions/support/logger';
import { FIXTURES } from '../support/fixtures';

const example = (...parts: string[]) => fs.readFileSync(path.join(FIXTURES, ...parts));

function binary(type: string, source: string, body: Buffer, contentType: string, extra: Record<string, string> = {}): RawRequest {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': contentType, 'ce-specversion': '1.0', 'ce-id': 'e-1', 'ce-type': type, 'ce-source': source, ...extra },
    body,
  };
}

const firestore = (contentType: 'application/json' | 'application/protobuf') =>
  binary(
    'google.cloud.firestore.document.v1.updated',
    '//firestore.googleapis.com/projects/project-id/databases/(default)',
    contentType === 'application/json'
      ? example('real', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json')
      : example('protobuf', 'google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.binpb'),
    contentType,
    {
      'ce-subject': 'documents/gcf-test/2Vm2mI1d0wIaK2Waj5to',
      'ce-dataschema': 'https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto',
    },
  );

const auditLog = binary(
  'google.cloud.audit.log.v1.written',
  '//cloudaudit.googleapis.com/projects/test-project/logs/activity',
  example('real', 'google-cloudevents', 'examples', 'binary', 'audit', 'LogEntryData-pubsubCreateTopic.json'),
  'application/json',
  {
    'ce-servicename': 'pubsub.googleapis.com',
    'ce-methodname': 'google.pubsub.v1.Publisher.CreateTopic',
    'ce-resourcename': 'projects/test-project/topics/test-auditlogs-source',
  },
);

const build = binary(
  'google.cloud.cloudbuild.build.v1.statusChanged',
  '//cloudbuild.googleapis.com/projects/test-project/locations/global/builds/b-1',
  example('real', 'google-cloudevents', 'examples', 'binary', 'cloudbuild', 'BuildEventData-simple.json'),
  'application/json',
);

describe('fields of the new families', () => {
  it.each(['application/json', 'application/protobuf'] as const)('firestore.document (%s): database, document, change', (contentType) => {
    const event = parseDelivery(firestore(contentType));
    expect([FIELDS.kind(event), FIELDS.change(event), FIELDS.database(event), FIELDS.document(event)]).toEqual([
      'firestore.document',
      'updated',
      '(default)',
      'gcf-test/2Vm2mI1d0wIaK2Waj5to',
    ]);
    expect(FIELDS.name(event)).toBeUndefined();
  });

  it('audit.log: service, method, resource, principal', () => {
    const event = parseDelivery(auditLog);
    expect([FIELDS.serviceName(event), FIELDS.methodName(event), FIELDS.resourceName(event)]).toEqual([
      'pubsub.googleapis.com',
      'google.pubsub.v1.Publisher.CreateTopic',
      'projects/test-project/topics/test-auditlogs-source',
    ]);
    expect(FIELDS.principalEmail(event)).toMatch(/@/);
  });

  it('build.status: status and trigger', () => {
    const event = parseDelivery(build);
    expect(FIELDS.kind(event)).toBe('build.status');
    expect(FIELDS.status(event)).toEqual(expect.any(String));
    expect(FIELDS.trigger(event)).toBe('trigger-id');
  });
});

describe('path patterns on the new families reach the handler', () => {
  it('a Firestore route on document: "gcf-test/{docId}" and an audit route on resourceName', async () => {
    const seen: Record<string, HandlerContext['params']> = {};
    const router = new Router(5000)
      .on({ kind: 'firestore.document', document: { pathPattern: 'gcf-test/{docId}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'docs' })
      .on({ resourceName: { pathPattern: 'projects/{project}/topics/{topic}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'topics' })
      .on({ document: { pathPattern: 'users/{uid}' } }, (_e, ctx) => void (seen[ctx.route] = ctx.params), { name: 'users' });
    for (const request of [firestore('application/protobuf'), auditLog]) {
      const event = parseDelivery(request);
      const outcomes = await dispatch(event, router.matching(event), createLogger(memorySink()));
      expect(outcomes.map((o) => o.status)).toEqual(['done']);
    }
    expect(seen).toEqual({ docs: { docId: '2Vm2mI1d0wIaK2Waj5to' }, topics: { project: 'test-project', topic: 'test-auditlogs-source' } });
  });
});
