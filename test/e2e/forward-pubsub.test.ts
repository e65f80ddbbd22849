/**
 * End to end with real peers on 127.0.0.1: the Pub/Sub emulator pushes to the
 * real service (functions-framework, routes file), whose forward route relays to
 * a real HTTP or HTTPS target. Missing peers fail the suite, never skip it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startPubSubEmulator, PROJECT, type PubSubEmulator } from '../support/pubsub-emulator';
import { startService, type Service } from '../support/service';
import { startTarget, type Target } from '../support/forward-target';
import { makeCertificate } from '../support/tls';

let emulator: PubSubEmulator;
const running: { stop(): Promise<void> }[] = [];
let topicCount = 0;

beforeAll(async () => {
  emulator = await startPubSubEmulator();
}, 90_000);
afterAll(() => emulator?.stop());
afterEach(async () => {
  for (const peer of running.splice(0).reverse()) await peer.stop();
});

async function track<T extends { stop(): Promise<void> }>(peer: Promise<T>): Promise<T> {
  const started = await peer;
  running.push(started);
  return started;
}

function routesFile(forward: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forward-e2e-'));
  const file = path.join(dir, 'routes.yaml');
  // JSON is YAML: no quoting surprises for URLs and paths.
  fs.writeFileSync(file, JSON.stringify({ routes: [{ name: 'relay', match: { kind: 'pubsub.message' }, action: 'forward', with: forward }] }));
  return file;
}

/** A topic with a push subscription to the service; returns the publish function and names. */
async function pushTo(service: Service) {
  const topic = `forward-${++topicCount}`;
  const subscription = `${topic}-push`;
  await emulator.createTopic(topic);
  await emulator.createPushSubscription(subscription, topic, { pushEndpoint: `${service.url}/` });
  return { topic, subscription, publish: (data: string, attributes: Record<string, string>) => emulator.publish(topic, [{ data, attributes }]) };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectPushRelayed(target: Target, messageId: string, subscription: string) {
  const got = target.received[0];
  expect(got.path).toBe('/events');
  expect(got.headers['ce-type']).toBe('google.cloud.pubsub.topic.v1.messagePublished');
  expect(got.headers['ce-id']).toBe(messageId);
  expect(got.headers['ce-specversion']).toBe('1.0');
  expect(got.headers['content-type']).toMatch(/^application\/json/);
  expect(got.headers['x-relay']).toBe('eventarc-router');
  const body = JSON.parse(got.body.toString('utf8'));
  expect(body.subscription).toBe(`projects/${PROJECT}/subscriptions/${subscription}`);
  expect(body.message.messageId).toBe(messageId);
  expect(Buffer.from(body.message.data, 'base64').toString('utf8')).toBe('order 17 shipped ✓');
  expect(body.message.attributes).toEqual({ region: 'eu', kind: 'order' });
}

test('a push from the emulator reaches an HTTP target once, with the CloudEvent headers and the push body', async () => {
  const target = await track(startTarget());
  const service = await track(startService({ routesFile: routesFile({ url: `${target.url}/events`, headers: { 'X-Relay': 'eventarc-router' } }) }));
  const { publish, subscription } = await pushTo(service);
  const [messageId] = await publish('order 17 shipped ✓', { region: 'eu', kind: 'order' });

  await until(() => target.received.length >= 1, 15_000, 'the target to receive the event');
  await sleep(2500); // the emulator redelivers a nack after about a second: give it the chance
  expect(target.received).toHaveLength(1);
  expectPushRelayed(target, messageId, subscription);
});

test('HTTPS with a certificate made in the test (trusted through caFile)', async () => {
  const cert = makeCertificate();
  const target = await track(startTarget(cert));
  const service = await track(
    startService({ routesFile: routesFile({ url: `${target.url}/events`, caFile: cert.certFile, headers: { 'X-Relay': 'eventarc-router' } }) }),
  );
  const { publish, subscription } = await pushTo(service);
  const [messageId] = await publish('order 17 shipped ✓', { region: 'eu', kind: 'order' });

  await until(() => target.received.length >= 1, 15_000, 'the HTTPS target to receive the event');
  await sleep(2500);
  expect(target.received).toHaveLength(1);
  expectPushRelayed(target, messageId, subscription);
});

test('a target failing for a while and then recovering ends with exactly one accepted delivery', async () => {
  const target = await track(startTarget());
  let accepted = 0;
  // Down (503, 429, connection-level slowness past the timeout) for the first three tries, then up.
  target.respond = (_req, index) => {
    if (index === 0) return { status: 503, body: 'warming up' };
    if (index === 1) return { status: 429 };
    if (index === 2) return { status: 200, delayMs: 1500 };
    accepted++;
    return { status: 200 };
  };
  const service = await track(startService({ routesFile: routesFile({ url: `${target.url}/events`, timeoutMs: 500 }) }));
  const { publish } = await pushTo(service);
  const [messageId] = await publish('order 17 shipped ✓', { region: 'eu', kind: 'order' });

  await until(() => accepted === 1, 30_000, 'the recovered target to accept the event');
  await sleep(2500);
  expect(accepted).toBe(1);
  expect(target.received.length).toBe(4);
  expect(new Set(target.received.map((r) => r.headers['ce-id']))).toEqual(new Set([messageId]));
  const retries = service.logs().filter((l) => String(l.message).includes('will be redelivered'));
  expect(retries.length).toBe(3);
});

test('a 4xx from the target is acknowledged (not redelivered) and the request is preserved in an ERROR log', async () => {
  const target = await track(startTarget());
  target.respond = () => ({ status: 400, body: 'schema mismatch' });
  const service = await track(startService({ routesFile: routesFile({ url: `${target.url}/events` }) }));
  const { publish } = await pushTo(service);
  await publish('order 17 shipped ✓', { region: 'eu', kind: 'order' });

  await until(() => target.received.length >= 1, 15_000, 'the target to receive the event');
  await sleep(2500);
  expect(target.received).toHaveLength(1);
  const errors = service.logs().filter((l) => l.severity === 'ERROR');
  expect(errors).toHaveLength(1);
  expect(String(errors[0].message)).toContain('answered 400: schema mismatch');
  expect(errors[0]).toHaveProperty('request');
});

test('drop-in for the nginx proxy: PROXY_PROTOCOL/PROXY_HOST/PROXY_PATH and no routes file forward every event', async () => {
  const target = await track(startTarget());
  const service = await track(
    startService({ env: { ROUTES_FILE: '', PROXY_PROTOCOL: 'http', PROXY_HOST: `127.0.0.1:${target.port}`, PROXY_PATH: '/events' } }),
  );
  const { publish, subscription } = await pushTo(service);
  const [messageId] = await publish('order 17 shipped ✓', { region: 'eu', kind: 'order' });

  await until(() => target.received.length >= 1, 15_000, 'the target to receive the event');
  await sleep(1500);
  expect(target.received).toHaveLength(1);
  const got = target.received[0];
  expect(got.path).toBe('/events');
  expect(got.headers['ce-id']).toBe(messageId);
  expect(JSON.parse(got.body.toString('utf8')).subscription).toBe(`projects/${PROJECT}/subscriptions/${subscription}`);
});
