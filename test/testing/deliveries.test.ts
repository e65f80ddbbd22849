/**
 * Every builder of eventarc-router/testing, through the real pipeline: each shape it
 * offers parses into the event its fields describe (kind, shape, the fields a route
 * filters on), so a user's test sends what Eventarc or Pub/Sub would.
 */
import { createRouter, type RouterEvent } from '../../functions/library';
import { deliveries, runDelivery, type DeliveryRequest } from '../../functions/testing';

function recorder() {
  const seen: RouterEvent[] = [];
  const router = createRouter({ env: {} }).on({}, (event) => void seen.push(event), { name: 'all' });
  return { router, seen };
}

const T = '2026-12-01T10:00:00.123456Z';
const storage = { bucket: 'releases', name: 'v1.2/app one.tgz', size: 42n, contentType: 'application/gzip', time: T, id: 'e1' };

const cases: [string, DeliveryRequest, Record<string, unknown>][] = [
  [
    'pubsub push',
    deliveries.pubsubMessage({ data: { a: 1 }, attributes: { k: 'v' }, deliveryAttempt: 3, orderingKey: 'o' }),
    { kind: 'pubsub.message', shape: 'pubsub-push', attempt: 3, ordering: 'o', text: '{"a":1}', attr: 'v' },
  ],
  [
    'pubsub noWrapper',
    deliveries.pubsubMessage({ data: 'hi', attributes: { k: 'v' } }, 'pubsub-push-nowrapper'),
    { kind: 'pubsub.message', shape: 'pubsub-push-nowrapper', text: 'hi', attr: 'v' },
  ],
  [
    'pubsub via Eventarc',
    deliveries.pubsubMessage({ data: Buffer.from([0xff, 0]), topic: 't' }, 'cloudevent-binary'),
    { kind: 'pubsub.message', shape: 'cloudevent-binary', topic: 't', bytes: 'ff00' },
  ],
  [
    'pubsub structured',
    deliveries.pubsubMessage({ data: 'x' }, 'cloudevent-structured'),
    { kind: 'pubsub.message', shape: 'cloudevent-structured', text: 'x' },
  ],
  ['pubsub background', deliveries.pubsubMessage({ data: 'x' }, 'background'), { kind: 'pubsub.message', shape: 'background', text: 'x' }],
  [
    'storage via Eventarc',
    deliveries.storageObject(storage),
    { kind: 'storage.object', shape: 'cloudevent-binary', object: 'releases/v1.2/app one.tgz', size: 42n, change: 'finalized', time: T, id: 'e1' },
  ],
  [
    'storage structured',
    deliveries.storageObject({ ...storage, change: 'deleted' }, 'cloudevent-structured'),
    { kind: 'storage.object', shape: 'cloudevent-structured', change: 'deleted', size: 42n },
  ],
  [
    'storage notification',
    deliveries.storageObject({ ...storage, change: 'archived' }, 'pubsub-push'),
    { kind: 'storage.object', shape: 'pubsub-push', change: 'archived', object: 'releases/v1.2/app one.tgz' },
  ],
  ['storage background', deliveries.storageObject(storage, 'background'), { kind: 'storage.object', shape: 'background', object: 'releases/v1.2/app one.tgz' }],
  [
    'registry image',
    deliveries.registryImage({ digest: 'us-docker.pkg.dev/p/repo/app@sha256:' + 'a'.repeat(64), tag: 'us-docker.pkg.dev/p/repo/app:v1' }),
    { kind: 'registry.image', change: 'inserted', image: 'app', tag: 'v1' },
  ],
  [
    'firestore protobuf',
    deliveries.firestoreDocument({ document: 'users/alice/orders/o1', fields: { total: 12, note: 'x' }, change: 'created' }),
    { kind: 'firestore.document', document: 'users/alice/orders/o1', change: 'created', total: 12n, contentType: 'application/protobuf' },
  ],
  [
    'firestore json',
    deliveries.firestoreDocument({ document: 'users/alice', fields: { total: 1.5 }, oldFields: { total: 1 }, change: 'updated' }, 'json'),
    { kind: 'firestore.document', document: 'users/alice', change: 'updated', total: 1.5, contentType: 'application/json' },
  ],
  [
    'audit log',
    deliveries.auditLog({
      serviceName: 'storage.googleapis.com',
      methodName: 'storage.buckets.create',
      resourceName: 'projects/_/buckets/b',
      principalEmail: 'a@example.com',
    }),
    { kind: 'audit.log', method: 'storage.buckets.create', principal: 'a@example.com' },
  ],
  [
    'build via Eventarc',
    deliveries.buildStatus({ status: 'SUCCESS', triggerId: 'tr', images: [{ name: 'us-docker.pkg.dev/p/r/app:v1', digest: 'sha256:' + 'b'.repeat(64) }] }),
    { kind: 'build.status', status: 'SUCCESS', trigger: 'tr', images: 1 },
  ],
  [
    'build notification',
    deliveries.buildStatus({ status: 'FAILURE', buildId: 'b-1' }, 'pubsub-push'),
    { kind: 'build.status', status: 'FAILURE', shape: 'pubsub-push' },
  ],
  [
    'custom cloudevent',
    deliveries.cloudEvent({ type: 'com.example.order.v1', subject: 'orders/1', data: { n: 1 } }),
    { kind: 'cloudevent', subject: 'orders/1', text: '{"n":1}' },
  ],
  ['custom structured', deliveries.cloudEvent({ type: 'com.example.order.v1', data: 'plain' }, 'cloudevent-structured'), { kind: 'cloudevent', text: 'plain' }],
  [
    'Eventarc raw fallback',
    deliveries.cloudEvent(
      {
        type: 'google.cloud.storage.object.v1.finalized',
        source: '//storage.googleapis.com/projects/_/buckets/b',
        subject: 'objects/x ',
        data: { bucket: 'b', name: 'x ' },
      },
      'pubsub-push-cloudevent',
    ),
    { kind: 'storage.object', shape: 'pubsub-push-cloudevent', object: 'b/x ' },
  ],
];

/** The facts a case names, read off the event. */
function factsOf(e: RouterEvent, want: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = { kind: e.kind, shape: e.delivery.shape, time: e.time, id: e.id, topic: e.topic };
  if (e.kind === 'pubsub.message')
    Object.assign(all, {
      text: e.text(),
      bytes: e.message.data.toString('hex'),
      attr: e.message.attributes['k'],
      attempt: e.delivery.deliveryAttempt,
      ordering: e.message.orderingKey,
    });
  if (e.kind === 'storage.object') Object.assign(all, { object: `${e.object.bucket}/${e.object.name}`, size: e.object.size, change: e.change });
  if (e.kind === 'registry.image') Object.assign(all, { change: e.change, image: e.image.image, tag: e.image.tag });
  if (e.kind === 'firestore.document')
    Object.assign(all, { document: e.document, change: e.change, total: e.value?.fields['total'], contentType: e.delivery.cloudEvent.dataContentType });
  if (e.kind === 'audit.log') Object.assign(all, { method: e.methodName, principal: e.principalEmail });
  if (e.kind === 'build.status') Object.assign(all, { status: e.build.status, trigger: e.build.trigger?.id, images: e.build.images.length });
  if (e.kind === 'cloudevent') Object.assign(all, { subject: e.subject, text: e.text() });
  return Object.fromEntries(Object.keys(want).map((k) => [k, all[k]]));
}

describe('eventarc-router/testing deliveries', () => {
  it.each(cases)('%s parses into the event its fields describe', async (_name, delivery, want) => {
    const { router, seen } = recorder();
    const result = await runDelivery(router, delivery);
    expect({ outcome: result.outcome, status: result.status }).toEqual({ outcome: 'handled', status: 204 });
    expect(seen).toHaveLength(1);
    expect(factsOf(seen[0], want)).toEqual(want);
    expect(result.event).toBe(seen[0]);
  });

  it('gives the same Firestore event from protobuf and JSON data', async () => {
    const fields = {
      document: 'users/alice',
      id: 'same',
      time: T,
      change: 'updated' as const,
      fields: { n: 2, tags: ['a'], m: { x: null } },
      oldFields: { n: 1 },
    };
    const events = [];
    for (const encoding of ['protobuf', 'json'] as const) {
      const { router, seen } = recorder();
      await runDelivery(router, deliveries.firestoreDocument(fields, encoding));
      const e = seen[0] as RouterEvent & { kind: 'firestore.document' };
      events.push({ value: e.value, oldValue: e.oldValue, updateMask: e.updateMask, document: e.document, change: e.change });
    }
    expect(events[0]).toEqual(events[1]);
  });

  it('adds the headers given (a trace, a credential) and refuses a shape an event does not come in', () => {
    const d = deliveries.pubsubMessage({ headers: { Traceparent: '00-' + '1'.repeat(32) + '-' + '2'.repeat(16) + '-01' } });
    expect(d.headers['traceparent']).toMatch(/^00-1{32}/);
    expect(() => deliveries.storageObject(storage, 'pubsub-push-nowrapper' as never)).toThrow(
      'a storage event does not arrive as pubsub-push-nowrapper (one of: cloudevent-binary, cloudevent-structured, pubsub-push, background)',
    );
  });
});
