/**
 * Dead letters on the real Pub/Sub emulator: deliveries we acknowledge without
 * handling (rejected, or out of delivery attempts) are published with the raw
 * request and the reason; if that publish fails, the delivery is not acknowledged.
 */
import { z } from 'zod';
import { createApp } from '../../functions/app';
import { PermanentError, RetryableError } from '../../functions/act/errors';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import { memorySink } from '../../functions/support/logger';
import type { RawRequest } from '../../functions/receive/raw-request';
import { PROJECT, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator';
import { startService, type Service } from '../support/service';
import { pushOf, routesFile } from '../support/idempotency-harness';

let emulator: PubSubEmulator;
beforeAll(async () => {
  emulator = await startPubSubEmulator();
  process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
  await emulator.createTopic('dead');
  await emulator.createSubscription('dead-pull', 'dead', {});
}, 90000);
afterAll(async () => {
  delete process.env['PUBSUB_EMULATOR_HOST'];
  await emulator?.stop();
});

/** Fails as the event id says: `perm-*` permanently, `flaky-*` transiently. */
const failing: ActionDefinition<unknown> = defineAction({
  name: 'count',
  options: z.object({}).passthrough(),
  create: () => (event) => {
    if (event.id!.startsWith('perm-')) throw new PermanentError('target says 400: no such object');
    if (event.id!.startsWith('flaky-')) throw new RetryableError('target says 503');
  },
});

function app(extra: Record<string, string> = {}) {
  const sink = memorySink();
  const a = createApp({
    env: { ROUTES_FILE: routesFile('false'), DEAD_LETTER_TOPIC: 'dead', GOOGLE_CLOUD_PROJECT: PROJECT, DEAD_LETTER_MAX_ATTEMPTS: '5', ...extra },
    sink,
    actions: [failing],
  });
  return { app: a, sink };
}

function withAttempt(raw: RawRequest, attempt: number): RawRequest {
  const body = JSON.parse(raw.body.toString()) as Record<string, unknown>;
  return { ...raw, body: Buffer.from(JSON.stringify({ ...body, deliveryAttempt: attempt })) };
}

async function pullAll(subscription: string, want: number, timeoutMs = 10000) {
  const got: Awaited<ReturnType<PubSubEmulator['pull']>> = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < deadline) {
    got.push(...(await emulator.pull(subscription)));
    if (got.length < want) await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

it('a permanently failing event is acknowledged (200) and published with the raw request and the reason', async () => {
  const { app: a } = app();
  const raw = { ...pushOf('perm-1'), headers: { ...pushOf('perm-1').headers, authorization: 'Bearer should-not-travel' } };
  const { answer } = await a.handle(raw);
  expect(answer.status).toBe(200);
  const [msg] = await pullAll('dead-pull', 1);
  const letter = JSON.parse(msg.data.toString()) as { reason: string; eventId: string; request: { body: string; headers: Record<string, string> } };
  expect(letter.eventId).toBe('perm-1');
  expect(letter.reason).toContain('no such object');
  expect(letter.request.body).toBe(raw.body.toString());
  expect(letter.request.headers['authorization']).toBeUndefined();
  expect(msg.attributes['eventId']).toBe('perm-1');
});

it('deliveryAttempt at the limit: dead-lettered and acknowledged instead of failing again; below it: 503, nothing published', async () => {
  const { app: a } = app();
  expect((await a.handle(withAttempt(pushOf('flaky-1'), 4))).answer.status).toBe(503);
  expect((await a.handle(withAttempt(pushOf('flaky-1'), 5))).answer.status).toBe(200);
  const letters = await pullAll('dead-pull', 1);
  expect(letters.map((m) => m.attributes['eventId'])).toEqual(['flaky-1']);
  expect(JSON.parse(letters[0].data.toString()).reason).toContain('delivery attempt 5 reached the limit 5');
  await new Promise((r) => setTimeout(r, 300));
  expect(await emulator.pull('dead-pull')).toHaveLength(0);
});

it('when the dead-letter topic cannot take it, the delivery is not acknowledged (503), so nothing is lost', async () => {
  const { app: a, sink } = app({ DEAD_LETTER_TOPIC: 'no-such-topic' });
  expect((await a.handle(pushOf('perm-2'))).answer.status).toBe(503);
  expect(sink.entries().some((e) => String(e['message']).includes('dead-letter publish failed'))).toBe(true);
}, 30000);

describe('through the real service and a push subscription', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({
      env: { ROUTES_FILE: '', DEAD_LETTER_TOPIC: `projects/${PROJECT}/topics/dead`, PUBSUB_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: PROJECT },
    });
    await emulator.createTopic('gcr');
    await emulator.createPushSubscription('gcr-push', 'gcr', { pushEndpoint: `${service.url}/` });
  }, 60000);
  afterAll(() => service?.stop());

  it('a notification that can never be parsed ends on the dead-letter topic exactly once', async () => {
    const [id] = await emulator.publish('gcr', [{ data: JSON.stringify({ action: 'INSERT', tag: 'not a reference' }) }]);
    const letters = await pullAll('dead-pull', 1, 15000);
    expect(letters).toHaveLength(1);
    const letter = JSON.parse(letters[0].data.toString()) as { reason: string; request: { body: string } };
    expect(letter.reason).toContain('registry-notification');
    expect(letter.request.body).toContain(`"messageId":"${id}"`);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await emulator.pull('dead-pull')).toHaveLength(0);
  }, 40000);
});
