/**
 * Issue 10, class 8: a delivery that can never succeed is acknowledged once and
 * preserved, never answered 5xx on every redelivery. End to end: the real Pub/Sub
 * emulator pushes to the real service through a counting hop (test/support/
 * counting-proxy.ts); CloudEvents arrive as Eventarc sends them, by HTTP POST,
 * and a forward route has a real target that must receive nothing it cannot take.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import { PubSub } from '@google-cloud/pubsub';
import { PROJECT, startPubSubEmulator, type PubSubEmulator } from '../support/pubsub-emulator';
import { startService, type Service, type ServerKind } from '../support/service';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy';
import type { HandlerContext } from '../../functions/act/action';
import { PermanentError } from '../../functions/act/errors';
import { createForwardHandler, type ForwardHandler } from '../../functions/act/forward/handler';
import { forwardOptions } from '../../functions/act/forward/options';
import { createLogger, memorySink } from '../../functions/support/logger';
import { eventarcPubSubEvent } from '../support/events/forward';
import { parseDelivery, PayloadError } from '../../functions/parse/delivery';
import { startTarget, type Target } from '../support/forward-target';

/** Cloud Logging's entry limit; our ERROR entries must stay under it. */
const ENTRY_LIMIT = 256 * 1024;

describe.each<ServerKind>(['framework', 'lean'])('through the %s server', (server) => {
  let emulator: PubSubEmulator;
  let service: Service;
  let proxy: CountingProxy;
  let target: http.Server;
  let targetRequests = 0;
  const stdoutBytes: number[] = [];

  beforeAll(async () => {
    target = http.createServer((req, res) => {
      targetRequests++;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/in`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poison-'));
    const routes = path.join(dir, 'routes.yaml');
    fs.writeFileSync(
      routes,
      [
        'routes:',
        '  - name: relay-custom',
        '    match: { kind: cloudevent, type: com.example.poison }',
        '    action: forward',
        `    with: { url: "${targetUrl}", timeoutMs: 3000 }`,
        '  - name: log-all',
        '    action: log',
        '',
      ].join('\n'),
    );
    [emulator, service] = await Promise.all([startPubSubEmulator(), startService({ routesFile: routes, server })]);
    let pending = '';
    service.peer.process.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) stdoutBytes.push(Buffer.byteLength(line));
    });
    proxy = await startCountingProxy(service.url);
    await emulator.createTopic(`poison-${server}`);
    await emulator.createPushSubscription(`poison-push-${server}`, `poison-${server}`, { pushEndpoint: `${proxy.url}/` });
  }, 120000);

  afterAll(async () => {
    await Promise.all([emulator?.stop(), service?.stop(), proxy?.close(), new Promise((r) => (target ? target.close(r) : r(undefined)))]);
  });

  type Entry = Record<string, unknown> & { request?: { bodyLength?: number; bodySha256?: string; truncated?: boolean } };

  /** Waits out three of the emulator's redelivery rounds (about one a second) after the first answer. */
  async function settle(ids: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => proxy.of(id).length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 4000));
  }

  it('messages of 3.5 MB and 9.9 MB data are each delivered once and acknowledged; a 9.9 MB one that is no JSON is preserved in a bounded ERROR entry', async () => {
    const large = crypto.randomBytes(3_500_000);
    const huge = Buffer.alloc(9_900_000, 'x'); // storage notification whose JSON_API_V1 payload is not JSON
    // Over gRPC, as publishers send them: the emulator's REST front refuses bodies this large.
    process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
    const client = new PubSub({ projectId: PROJECT });
    const topic = client.topic(`poison-${server}`);
    const plainId = await topic.publishMessage({ data: large, attributes: { origin: 'poison-test' } });
    const poisonId = await topic.publishMessage({
      data: huge,
      attributes: { eventType: 'OBJECT_FINALIZE', payloadFormat: 'JSON_API_V1', bucketId: 'in', objectId: 'big.json' },
    });
    await client.close();
    delete process.env['PUBSUB_EMULATOR_HOST'];
    await settle([plainId, poisonId], 60000);

    expect(proxy.of(plainId).map((d) => d.status)).toEqual([204]);
    expect(proxy.of(poisonId).map((d) => d.status)).toEqual([200]);

    const errors = (service.logs() as Entry[]).filter((e) => e['severity'] === 'ERROR');
    const preserved = errors.filter((e) => String(e['reason'] ?? '').includes('storage-notification message.data'));
    expect(preserved).toHaveLength(1);
    const deliveredBytes = proxy.of(poisonId)[0].bytes;
    expect(preserved[0].request!.bodyLength).toBe(deliveredBytes);
    expect(preserved[0].request!.bodySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(preserved[0].request!.truncated).toBe(true);
    // No line the service wrote for these deliveries is larger than an entry Cloud Logging keeps.
    expect(Math.max(...stdoutBytes)).toBeLessThan(ENTRY_LIMIT);
  }, 120000);

  /** A CloudEvent as Eventarc posts it; answered like a push: anything but 2xx is redelivered. */
  async function postCloudEvent(body: string | Buffer, headers: Record<string, string>): Promise<number> {
    const res = await fetch(`${service.url}/`, { method: 'POST', headers, body });
    await res.arrayBuffer();
    return res.status;
  }

  it('a structured CloudEvent nested 10,000 deep is acknowledged and preserved, not answered 5xx', async () => {
    const deep = `${'['.repeat(10000)}${']'.repeat(10000)}`;
    const body = `{"specversion":"1.0","id":"deep-1","type":"com.example.deep","source":"//test/poison","datacontenttype":"application/json","data":${deep}}`;
    const status = await postCloudEvent(body, { 'content-type': 'application/cloudevents+json' });
    expect(status).toBe(200);
    const entries = await service.waitForLogs(
      (logs) => logs.some((e) => e['severity'] === 'ERROR' && String(e['reason'] ?? '').includes('cloudevent-structured data')),
      10000,
    );
    const entry = entries.find((e) => String(e['reason'] ?? '').includes('cloudevent-structured data')) as Entry;
    expect(entry.request!.bodyLength).toBe(Buffer.byteLength(body));
    expect(Math.max(...stdoutBytes)).toBeLessThan(ENTRY_LIMIT);
  }, 30000);

  it('a CloudEvent with an extension attribute named "my ext" is a payload error: acknowledged, preserved, never forwarded', async () => {
    const before = targetRequests;
    const structured = JSON.stringify({ specversion: '1.0', id: 'ext-1', type: 'com.example.poison', source: '//test/poison', 'my ext': 'x', data: { a: 1 } });
    expect(await postCloudEvent(structured, { 'content-type': 'application/cloudevents+json' })).toBe(200);
    // Binary mode: the same name as a header name an HTTP client can send (`ce-my_ext`; a space cannot be in a name).
    const binary = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'ext-2',
      'ce-type': 'com.example.poison',
      'ce-source': '//test/poison',
      'ce-my_ext': 'x',
    };
    expect(await postCloudEvent('{"a":1}', binary)).toBe(200);
    const logs = await service.waitForLogs(
      (l) => l.filter((e) => e['severity'] === 'ERROR' && String(e['reason'] ?? '').includes('not a CloudEvents attribute name')).length >= 2,
      10000,
    );
    const reasons = logs.filter((e) => String(e['reason'] ?? '').includes('not a CloudEvents attribute name')).map((e) => String(e['reason']));
    expect(reasons.some((r) => r.includes('"my ext"'))).toBe(true);
    expect(reasons.some((r) => r.includes('ce-"my_ext"'))).toBe(true);
    expect(targetRequests).toBe(before);
  }, 30000);

  it('a valid CloudEvent still reaches the forward target (the route is live)', async () => {
    const before = targetRequests;
    const ok = JSON.stringify({ specversion: '1.0', id: 'ok-1', type: 'com.example.poison', source: '//test/poison', myext: 'x', data: { a: 1 } });
    expect(await postCloudEvent(ok, { 'content-type': 'application/cloudevents+json' })).toBe(200);
    expect(targetRequests).toBe(before + 1);
  }, 30000);
});

describe('a request forward cannot build is permanent, never a 5xx (events made in code, past intake)', () => {
  const context = (): HandlerContext => ({ log: createLogger(memorySink()), signal: new AbortController().signal, route: 'relay', params: {} });
  let t: Target;
  let handler: ForwardHandler;
  beforeEach(async () => {
    t = await startTarget();
    handler = createForwardHandler(forwardOptions.parse({ url: `${t.url}/in` }), { idTokenSource: async () => 'unused' });
  });
  afterEach(async () => {
    handler.close();
    await t.stop();
  });

  it.each([
    ['an attribute name that is no header name', eventarcPubSubEvent({ attributes: { specversion: '1.0', id: '1', source: '//s', type: 't', 'my ext': 'x' } })],
  ])('%s', async (_name, event) => {
    await expect(Promise.resolve().then(() => handler(event, context()))).rejects.toBeInstanceOf(PermanentError);
    expect(t.received).toHaveLength(0);
  });

  // Trace headers are checked against their grammar and rebuilt (act/forward/trace-headers.ts): one HTTP
  // cannot carry, or any malformed one, is dropped, never sent; the event itself is still relayed.
  it.each([
    ['a line break', 'a\nb'],
    ['a CR LF and a header after it', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01\r\nx-injected: 1`],
    ['a NUL', `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01\u0000`],
  ])('a relayed trace header with %s is dropped, never sent', async (_name, value) => {
    const e = eventarcPubSubEvent();
    const headers = { ...e.delivery.raw.headers, traceparent: value, tracestate: value, 'x-cloud-trace-context': value };
    await handler({ ...e, delivery: { ...e.delivery, raw: { ...e.delivery.raw, headers } } }, context());
    expect(t.received).toHaveLength(1);
    const sent = t.received[0];
    expect(Object.keys(sent.headers).filter((h) => /trace|injected/.test(h))).toEqual([]);
    expect(sent.rawHeaders.join('\n')).not.toContain('x-injected');
  });
});

describe('integers too long for 64 bits are payload errors (BigInt of a long digit string is quadratic)', () => {
  const notification = (object: Record<string, unknown>, attributes: Record<string, string> = {}) => ({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      JSON.stringify({
        message: {
          messageId: '1',
          data: Buffer.from(JSON.stringify({ bucket: 'in', name: 'n', ...object })).toString('base64'),
          attributes: { eventType: 'OBJECT_FINALIZE', payloadFormat: 'JSON_API_V1', bucketId: 'in', objectId: 'n', ...attributes },
        },
      }),
    ),
  });
  const digits = '9'.repeat(200_000);

  it.each([
    ['size', notification({ size: digits })],
    ['generation', notification({ generation: digits })],
    ['objectGeneration attribute', notification({}, { objectGeneration: digits })],
  ])('%s', (_name, raw) => {
    expect(() => parseDelivery(raw)).toThrow(PayloadError);
  });

  it('a 20-digit value still parses exactly', () => {
    const event = parseDelivery(notification({ size: '18446744073709551615' }));
    expect(event.kind === 'storage.object' && event.object.size).toBe(18446744073709551615n);
  });
});
