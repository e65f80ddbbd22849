/**
 * Issue 10, class 10: dead letters that cannot loop. Published to the real Pub/Sub
 * emulator and pulled back; the emulator enforces none of Pub/Sub's limits, so
 * each letter is measured against them here (1,024 bytes per attribute value,
 * 10 MB of data). A letter the topic refuses is logged once and acknowledged;
 * without a topic the ERROR entry fits Cloud Logging's 256 KB.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { createApp } from '../../functions/app';
import { PermanentError } from '../../functions/act/errors';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import { memorySink } from '../../functions/support/logger';
import type { RawRequest } from '../../functions/receive/raw-request';
import { PROJECT, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator';
import { startService, type Service } from '../support/service';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy';

const MAX_ATTRIBUTE_BYTES = 1024;
const MAX_DATA_BYTES = 10 * 1000 * 1000;
const ENTRY_LIMIT = 256 * 1024;

let emulator: PubSubEmulator;
beforeAll(async () => {
  emulator = await startPubSubEmulator();
  process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
  await emulator.createTopic('dead-letters');
  await emulator.createSubscription('dead-letters-pull', 'dead-letters', {});
}, 90000);
afterAll(async () => {
  delete process.env['PUBSUB_EMULATOR_HOST'];
  await emulator?.stop();
});

// Long and multi-byte: 500 characters of 3 bytes each, as a target's error page might say.
const LONG_REASON = '€'.repeat(600);

const rejecting: ActionDefinition<unknown> = defineAction({
  name: 'reject',
  options: z.object({}).passthrough(),
  create: () => () => {
    throw new PermanentError(LONG_REASON);
  },
});

function routes(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dead-letters-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, 'routes:\n  - name: reject-all\n    action: reject\n');
  return file;
}

function app(env: Record<string, string>) {
  const sink = memorySink();
  const a = createApp({ env: { ROUTES_FILE: routes(), GOOGLE_CLOUD_PROJECT: PROJECT, ...env }, sink, actions: [rejecting] });
  return { app: a, sink };
}

function push(id: string, data: Buffer): RawRequest {
  const body = JSON.stringify({
    subscription: 'projects/test-project/subscriptions/s',
    message: { data: data.toString('base64'), messageId: id, attributes: { a: 'b' } },
  });
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
}

async function pullOne(subscription: string, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await emulator.pull(subscription, 1);
    if (got.length > 0) return got[0];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing on ${subscription} after ${timeoutMs} ms`);
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

it('a long multi-byte reason and a huge event id are cut to 1,024 bytes of UTF-8 in the attributes, without splitting a character', async () => {
  const { app: a } = app({ DEAD_LETTER_TOPIC: 'dead-letters' });
  const id = `id-${'é'.repeat(5000)}`;
  const raw = push(id, Buffer.from('{}'));
  expect((await a.handle(raw)).answer.status).toBe(200);
  const letter = await pullOne('dead-letters-pull');
  for (const [key, value] of Object.entries(letter.attributes)) {
    expect(bytes(key)).toBeLessThanOrEqual(256);
    expect(bytes(value)).toBeLessThanOrEqual(MAX_ATTRIBUTE_BYTES);
    expect(value).not.toContain('\ufffd');
  }
  expect(letter.attributes['reason'].startsWith('route reject-all: €€€')).toBe(true);
  expect(id.startsWith(letter.attributes['eventId'])).toBe(true);
  expect(bytes(letter.attributes['eventId'])).toBeGreaterThan(MAX_ATTRIBUTE_BYTES - 4);
  // The body is small: carried whole.
  const data = JSON.parse(letter.data.toString()) as { request: { body: string; bodyLength: number; bodySha256: string } };
  expect(data.request.body).toBe(raw.body.toString());
  expect(data.request.bodySha256).toBe(sha256(raw.body));
}, 30000);

it("a body over 10 MB is carried as a bounded prefix with its length and sha256, within Pub/Sub's 10 MB", async () => {
  const { app: a } = app({ DEAD_LETTER_TOPIC: 'dead-letters' });
  const raw = push('big-1', crypto.randomBytes(9_000_000)); // 12 MB of JSON
  expect((await a.handle(raw)).answer.status).toBe(200);
  const letter = await pullOne('dead-letters-pull', 30000);
  expect(letter.data.length).toBeLessThanOrEqual(MAX_DATA_BYTES);
  const data = JSON.parse(letter.data.toString()) as {
    request: { body?: string; bodyBase64?: string; bodyLength: number; bodySha256: string; truncated?: boolean };
  };
  expect(data.request.bodyLength).toBe(raw.body.length);
  expect(data.request.bodySha256).toBe(sha256(raw.body));
  expect(data.request.truncated).toBe(true);
  const prefix = data.request.body !== undefined ? Buffer.from(data.request.body) : Buffer.from(data.request.bodyBase64!, 'base64');
  expect(prefix.length).toBeGreaterThan(1_000_000);
  expect(raw.body.subarray(0, prefix.length).equals(prefix)).toBe(true);
}, 60000);

it('without a dead-letter topic, the ERROR entry of a 1 MB body stays under 256 KB and names its length and sha256', async () => {
  const { app: a, sink } = app({});
  const raw = push('no-topic-1', Buffer.alloc(750_000, 'a'));
  expect(raw.body.length).toBeGreaterThan(1_000_000);
  expect((await a.handle(raw)).answer.status).toBe(200);
  const errors = sink.lines.filter((l) => l.includes('"severity":"ERROR"'));
  expect(errors).toHaveLength(1);
  expect(bytes(errors[0])).toBeLessThan(ENTRY_LIMIT);
  const entry = JSON.parse(errors[0]) as { request: { body?: string; bodyLength: number; bodySha256: string; truncated?: boolean } };
  expect(entry.request.bodyLength).toBe(raw.body.length);
  expect(entry.request.bodySha256).toBe(sha256(raw.body));
  expect(raw.body.toString().startsWith(entry.request.body!)).toBe(true);
  expect(entry.request.body!.length).toBeGreaterThan(100_000);
});

describe('a dead letter the topic refuses (INVALID_ARGUMENT), through the real service and a push subscription', () => {
  let service: Service;
  let proxy: CountingProxy;
  beforeAll(async () => {
    // "xy" is no valid topic id (3 to 255 characters): Pub/Sub answers INVALID_ARGUMENT for every publish.
    service = await startService({
      env: { ROUTES_FILE: '', DEAD_LETTER_TOPIC: `projects/${PROJECT}/topics/xy`, PUBSUB_EMULATOR_HOST: emulator.host, GOOGLE_CLOUD_PROJECT: PROJECT },
    });
    proxy = await startCountingProxy(service.url);
    await emulator.createTopic('gcr');
    await emulator.createPushSubscription('gcr-refused', 'gcr', { pushEndpoint: `${proxy.url}/` });
  }, 60000);
  afterAll(async () => {
    await Promise.all([service?.stop(), proxy?.close()]);
  });

  it('is logged once with the request and acknowledged, not redelivered', async () => {
    const [id] = await emulator.publish('gcr', [{ data: JSON.stringify({ action: 'INSERT', tag: 'not a reference' }) }]);
    const deadline = Date.now() + 15000;
    while (proxy.of(id).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 4000)); // three of the emulator's redelivery rounds
    expect(proxy.of(id).map((d) => d.status)).toEqual([200]);
    const refused = service.logs().filter((e) => e['severity'] === 'ERROR' && String(e['message']).includes('dead letter refused'));
    expect(refused).toHaveLength(1);
    const request = refused[0]['request'] as { body: string; bodySha256: string };
    expect(request.body).toContain(`"messageId":"${id}"`);
    expect(request.bodySha256).toMatch(/^[0-9a-f]{64}$/);
  }, 40000);
});
