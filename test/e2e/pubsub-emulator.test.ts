/**
 * End to end on the real Pub/Sub emulator: wrapped and noWrapper push
 * subscriptions to the running service; plain messages, Cloud Storage
 * notifications (JSON_API_V1 and NONE), Artifact Registry notifications and a
 * permanently bad one are each logged exactly once and never redelivered.
 */
import { startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator';
import { startService, type Service, type ServerKind } from '../support/service';

describe.each<ServerKind>(['framework', 'lean'])('through the %s server', (server) => {
  let emulator: PubSubEmulator;
  let service: Service;

  const objectJson = (name: string) =>
    JSON.stringify({
      kind: 'storage#object',
      bucket: 'in-bucket',
      name,
      generation: '1700000000000001',
      metageneration: '1',
      size: '42',
      contentType: 'text/csv',
    });
  const notification = (eventType: string, name: string, payloadFormat: 'JSON_API_V1' | 'NONE') => ({
    ...(payloadFormat === 'JSON_API_V1' && { data: objectJson(name) }),
    attributes: {
      eventType,
      payloadFormat,
      bucketId: 'in-bucket',
      objectId: name,
      objectGeneration: '1700000000000001',
      eventTime: '2026-11-22T14:00:00.000000Z',
      notificationConfig: 'projects/_/buckets/in-bucket/notificationConfigs/1',
    },
  });

  beforeAll(async () => {
    [emulator, service] = await Promise.all([startPubSubEmulator(), startService({ env: { ROUTES_FILE: '' }, server })]);
    for (const topic of ['events', 'gcs', 'gcr']) await emulator.createTopic(topic);
    await emulator.createPushSubscription('events-wrapped', 'events', { pushEndpoint: `${service.url}/` });
    await emulator.createPushSubscription('events-nowrap', 'events', { pushEndpoint: `${service.url}/`, noWrapper: { writeMetadata: true } });
    await emulator.createPushSubscription('gcs-wrapped', 'gcs', { pushEndpoint: `${service.url}/` });
    await emulator.createPushSubscription('gcs-nowrap', 'gcs', { pushEndpoint: `${service.url}/`, noWrapper: { writeMetadata: true } });
    await emulator.createPushSubscription('gcr-wrapped', 'gcr', { pushEndpoint: `${service.url}/` });
  }, 90000);

  afterAll(async () => {
    await Promise.all([emulator?.stop(), service?.stop()]);
  });

  type Entry = Record<string, unknown> & { event?: { id?: string; subscription?: string; shape?: string } };
  const eventLines = (logs: Record<string, unknown>[]) => (logs as Entry[]).filter((e) => e.event?.id !== undefined);
  const key = (e: Entry) => `${e.event!.subscription?.split('/').pop()}:${e.event!.id}`;

  it('each published event is logged exactly once per subscription and not redelivered', async () => {
    const plainIds = await emulator.publish('events', [{ data: '{"hello":"world"}', attributes: { origin: 'e2e' } }, { data: Buffer.from([0, 1, 2, 255]) }]);
    const gcsIds = await emulator.publish('gcs', [
      notification('OBJECT_FINALIZE', 'uploads/2026/report one.csv', 'JSON_API_V1'),
      notification('OBJECT_DELETE', 'uploads/old.csv', 'NONE'),
    ]);
    const gcrIds = await emulator.publish('gcr', [
      {
        data: JSON.stringify({
          action: 'INSERT',
          digest: `us-docker.pkg.dev/proj/repo/app@sha256:${'b'.repeat(64)}`,
          tag: 'us-docker.pkg.dev/proj/repo/app:v1',
        }),
      },
      { data: JSON.stringify({ action: 'INSERT', digest: `us-docker.pkg.dev/proj/repo/app@sha256:${'c'.repeat(64)}` }) },
    ]);
    const expected = [
      ...plainIds.flatMap((id) => [`events-wrapped:${id}`, `events-nowrap:${id}`]),
      ...gcsIds.flatMap((id) => [`gcs-wrapped:${id}`, `gcs-nowrap:${id}`]),
      ...gcrIds.map((id) => `gcr-wrapped:${id}`),
    ].sort();

    await service.waitForLogs((logs) => new Set(eventLines(logs).map(key)).size >= expected.length, 30000);
    // The emulator retries a nack about every second: wait out three rounds, then count.
    await new Promise((r) => setTimeout(r, 3500));
    const lines = eventLines(service.logs());
    expect(lines.map(key).sort()).toEqual(expected);

    const messages = lines.map((e) => String(e['message']));
    expect(messages).toContain('GCS object finalized: gs://in-bucket/uploads/2026/report one.csv');
    expect(messages.filter((m) => m === 'GCS object deleted: gs://in-bucket/uploads/old.csv')).toHaveLength(2);
    expect(messages).toContain(`Image inserted: us-docker.pkg.dev/proj/repo/app:v1@sha256:${'b'.repeat(64)}`);
    expect(messages).toContain(`Image inserted: us-docker.pkg.dev/proj/repo/app@sha256:${'c'.repeat(64)}`);
    expect(lines.filter((e) => e.event!.shape === 'pubsub-push-nowrapper')).toHaveLength(4);
  }, 60000);

  it('a notification that can never be parsed is acknowledged once, preserved, and not redelivered', async () => {
    const [id] = await emulator.publish('gcr', [{ data: JSON.stringify({ action: 'INSERT', tag: 'not a reference' }) }]);
    const isOurs = (e: Record<string, unknown>) => e['severity'] === 'ERROR' && JSON.stringify(e['request'] ?? '').includes(`\\"messageId\\":\\"${id}\\"`);
    await service.waitForLogs((logs) => logs.some(isOurs), 15000);
    await new Promise((r) => setTimeout(r, 3500));
    const errors = service.logs().filter(isOurs);
    expect(errors).toHaveLength(1);
    expect(String(errors[0]['reason'])).toContain('registry-notification message.data.tag');
  }, 30000);
});
