/** The log line and fields of the three newer kinds: what a user reads in the `log` action's entry. */
import { describeEvent, eventFields } from '../../functions/parse/describe-event';
import type { Delivery, RouterEvent } from '../../functions/parse/event';
import { auditLogEventOf } from '../../functions/parse/payloads/audit-log';
import { cloudBuildEventOfMessage } from '../../functions/parse/payloads/cloud-build';
import { firestoreDocumentEventOf } from '../../functions/parse/payloads/firestore-document';
import { readReal } from '../support/fixtures';

const delivery: Delivery = {
  shape: 'cloudevent-binary',
  attributes: {},
  cloudEvent: { attributes: {}, data: Buffer.alloc(0) },
  raw: { method: 'POST', path: '/', headers: {}, body: Buffer.alloc(0) },
};
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

it('a Firestore event names its change, database and document', () => {
  const type = 'google.cloud.firestore.document.v1.updated';
  const data = json(readReal('google-cloudevents', 'examples', 'binary', 'firestore', 'DocumentEventData-simple.json'));
  const event: RouterEvent = { id: '1', type, delivery, ...firestoreDocumentEventOf({ type, dataContentType: 'application/json', data, extensions: {} }) };
  expect(describeEvent(event)).toBe('Firestore document updated: (default)/gcf-test/2Vm2mI1d0wIaK2Waj5to');
  expect(eventFields(event, false)).toMatchObject({
    change: 'updated',
    database: '(default)',
    document: 'gcf-test/2Vm2mI1d0wIaK2Waj5to',
    updateMask: ['count'],
  });
});

it('an audit log names service, method, resource and principal', () => {
  const type = 'google.cloud.audit.log.v1.written';
  const data = json(readReal('google-cloudevents', 'examples', 'binary', 'audit', 'LogEntryData-pubsubCreateTopic.json'));
  const event: RouterEvent = { id: '1', type, delivery, ...auditLogEventOf({ type, data, extensions: {} }) };
  expect(describeEvent(event)).toBe(
    'Audit log: pubsub.googleapis.com google.pubsub.v1.Publisher.CreateTopic on projects/test-project/topics/test-auditlogs-source by robot@test-project.iam.gserviceaccount.com',
  );
  expect(eventFields(event, false)).toMatchObject({
    serviceName: 'pubsub.googleapis.com',
    principalEmail: 'robot@test-project.iam.gserviceaccount.com',
    severity: 'NOTICE',
  });
});

it('a build names its id, status and trigger', () => {
  const data = json({ id: 'b-1', status: 'SUCCESS', buildTriggerId: 't-1', substitutions: { TRIGGER_NAME: 'deploy' }, images: ['us-docker.pkg.dev/p/r/app'] });
  const event: RouterEvent = {
    id: '1',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    delivery,
    ...cloudBuildEventOfMessage({ data, attributes: { buildId: 'b-1', status: 'SUCCESS' } }),
  };
  expect(describeEvent(event)).toBe('Cloud Build b-1 SUCCESS (trigger deploy)');
  expect(eventFields(event, false)).toMatchObject({ build: { id: 'b-1', status: 'SUCCESS', images: [{ name: 'us-docker.pkg.dev/p/r/app' }] } });
});
