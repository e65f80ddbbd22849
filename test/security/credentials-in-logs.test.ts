/**
 * Issue 10, class 12: credentials never reach logs. Every request fixture (shapes
 * A to H, and the rejected and non-delivery ones) is sent carrying every form of
 * credential header, through a route that logs each event with its data and one
 * that rejects each (so the request is preserved in an ERROR entry and published
 * as a dead letter to the real Pub/Sub emulator). No log line, preserved request
 * or dead letter holds a secret value, and no credential becomes a message attribute.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { createApp } from '../../functions/app';
import { PermanentError } from '../../functions/act/errors';
import { defineAction, type ActionDefinition } from '../../functions/act/action';
import { builtInActions } from '../../functions/act/catalog';
import { memorySink } from '../../functions/support/logger';
import { parseDelivery } from '../../functions/parse/delivery';
import type { RawRequest } from '../../functions/receive/raw-request';
import { PROJECT, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

// Every credential form we know of, each with its own secret.
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-serverless-authorization',
  'x-forwarded-authorization',
  'x-original-authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'x-goog-iap-jwt-assertion',
  'x-goog-api-key',
  'x-auth-token',
  'x-access-token',
  'x-id-token',
  'x-amz-security-token',
  'x-csrf-token',
  'x-client-secret',
  'x-hub-signature-256',
  'x-password',
  'x-refresh-token',
  'x-apikey',
  'authentication',
];
const secretOf = (name: string) => `s3cr3t-${crypto.createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
const SECRETS = CREDENTIAL_HEADERS.map(secretOf);

function withCredentials(raw: RawRequest): RawRequest {
  const headers: Record<string, string> = { ...raw.headers };
  for (const name of CREDENTIAL_HEADERS)
    headers[name] = name === 'cookie' ? `session=${secretOf(name)}` : name.includes('authorization') ? `Bearer ${secretOf(name)}` : secretOf(name);
  return { ...raw, headers };
}

const leaks = (text: string) => SECRETS.filter((s) => text.includes(s));

const rejectAll: ActionDefinition<unknown> = defineAction({
  name: 'reject',
  options: z.object({}).passthrough(),
  create: () => () => {
    throw new PermanentError('the target refused it');
  },
});

const fixtures = loadRequestFixtures().filter((f) => f.name !== 'health');

let emulator: PubSubEmulator;
beforeAll(async () => {
  emulator = await startPubSubEmulator();
  process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
}, 90000);
afterAll(async () => {
  delete process.env['PUBSUB_EMULATOR_HOST'];
  await emulator?.stop();
});

function routesFile(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cred-'));
  const file = path.join(dir, 'routes.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

it('covers every shape A to H and the rejected ones', () => {
  const shapes = new Set(fixtures.map((f) => f.name.split('-')[0]));
  for (const shape of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'bad', 'none']) expect(shapes).toContain(shape);
});

it.each([
  ['logged with its data', 'log', 'routes:\n  - name: log-all\n    action: log\n    with: { includeData: true }\n'],
  ['rejected, preserved and dead-lettered', 'reject', 'routes:\n  - name: reject-all\n    action: reject\n'],
])(
  'no log line or dead letter holds a credential when every delivery is %s',
  async (_name, topic, yaml) => {
    await emulator.createTopic(`cred-${topic}`);
    await emulator.createSubscription(`cred-${topic}-pull`, `cred-${topic}`, {});
    const sink = memorySink();
    const app = createApp({
      env: { ROUTES_FILE: routesFile(yaml), DEAD_LETTER_TOPIC: `cred-${topic}`, GOOGLE_CLOUD_PROJECT: PROJECT },
      sink,
      actions: [...builtInActions, rejectAll],
    });
    let rejected = 0;
    for (const fixture of fixtures) {
      const { outcome } = await app.handle(withCredentials(rawOf(fixture)));
      if (typeof outcome === 'object' && outcome.kind === 'rejected') rejected++;
    }
    expect(sink.lines.length).toBeGreaterThan(fixtures.length / 2);
    for (const line of sink.lines) expect(leaks(line)).toEqual([]);
    // Preserved requests kept what matters for replay (e.g. the ce-* headers).
    expect(sink.lines.some((l) => l.includes('"ce-specversion"') && l.includes('"request"'))).toBe(true);

    const letters: { data: Buffer; attributes: Record<string, string> }[] = [];
    const deadline = Date.now() + 15000;
    while (letters.length < rejected && Date.now() < deadline) letters.push(...(await emulator.pull(`cred-${topic}-pull`)));
    expect(letters).toHaveLength(rejected);
    for (const letter of letters) {
      expect(leaks(letter.data.toString())).toEqual([]);
      expect(leaks(JSON.stringify(letter.attributes))).toEqual([]);
    }
  },
  60000,
);

it('no credential header becomes a message attribute (noWrapper pushes carry attributes as headers)', () => {
  const pushes = fixtures.filter((f) => f.expect.status < 300 && f.expect.event !== undefined).map((f) => withCredentials(rawOf(f)));
  let messages = 0;
  for (const raw of pushes) {
    const event = parseDelivery(raw);
    const attributes = { ...event.delivery.attributes, ...(event.kind === 'pubsub.message' ? event.message.attributes : {}) };
    for (const name of CREDENTIAL_HEADERS) expect(Object.keys(attributes).map((k) => k.toLowerCase())).not.toContain(name);
    expect(leaks(JSON.stringify(attributes))).toEqual([]);
    if (event.kind === 'pubsub.message') messages++;
  }
  expect(messages).toBeGreaterThan(3);
});

it('a noWrapper push keeps its real attributes, in the event and in the preserved request', async () => {
  const raw = withCredentials(rawOf(fixtures.find((f) => f.name === 'E-push-nowrapper')!));
  const event = parseDelivery(raw);
  expect(event.delivery.attributes).toEqual({ foo: 'bar', n: '1' });
  const sink = memorySink();
  const app = createApp({ env: { ROUTES_FILE: routesFile('routes:\n  - name: reject-all\n    action: reject\n') }, sink, actions: [rejectAll] });
  await app.handle(raw);
  const entry = sink.entries().find((e) => e['severity'] === 'ERROR') as { request: { headers: Record<string, string> } };
  expect(entry.request.headers).toMatchObject({ foo: 'bar', n: '1', 'x-goog-pubsub-message-id': '1036' });
  expect(leaks(JSON.stringify(entry))).toEqual([]);
});
