/**
 * The trace a forwarded event carries, as a real target on 127.0.0.1 receives it
 * from the real service (functions-framework, routes file): valid trace headers
 * arrive, rebuilt; malformed ones never arrive; without trace headers, the
 * CloudEvent's tracing extension or Pub/Sub's googclient_ attributes are used; no
 * other incoming header goes along.
 */
import * as net from 'net';
import { startService, type Service } from '../support/service';
import { startTarget, type Target } from '../support/forward-target';
import { loadRequestFixtures, rawOf } from '../support/fixtures';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TP = `00-${TRACE}-${PARENT}-01`;
const PARENT_DECIMAL = BigInt(`0x${PARENT}`).toString();

let target: Target;
let service: Service;

beforeAll(async () => {
  target = await startTarget();
  service = await startService({
    routes: JSON.stringify({ routes: [{ name: 'relay', match: {}, action: 'forward', with: { url: `${target.url}/events` } }] }),
  });
}, 30000);
afterAll(async () => {
  await service?.stop();
  await target?.stop();
});

const push = rawOf(loadRequestFixtures().find((f) => f.name === 'D-push-plain')!);
const structured = rawOf(loadRequestFixtures().find((f) => f.name === 'C-structured-pubsub')!);

/** Posts one delivery and returns the headers the target got for it. */
async function relayed(body: Buffer | string, headers: Record<string, string>): Promise<Record<string, string | string[] | undefined>> {
  const before = target.received.length;
  const res = await fetch(`${service.url}/`, { method: 'POST', headers, body });
  expect([200, 204]).toContain(res.status);
  expect(target.received).toHaveLength(before + 1);
  return target.received[before].headers;
}
const traceOnly = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => /trace/.test(k)));

test('valid trace headers arrive as sent; no other incoming header goes along', async () => {
  const h = await relayed(push.body, {
    'content-type': 'application/json',
    traceparent: TP,
    tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    'x-cloud-trace-context': `${TRACE}/${PARENT_DECIMAL};o=1`,
    cookie: 'session=1',
    authorization: 'Bearer incoming',
    'x-forwarded-for': '203.0.113.9',
    'x-custom': 'mine',
  });
  expect(traceOnly(h)).toEqual({
    traceparent: TP,
    tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    'x-cloud-trace-context': `${TRACE}/${PARENT_DECIMAL};o=1`,
  });
  for (const name of ['cookie', 'authorization', 'x-forwarded-for', 'x-custom']) expect([name, h[name]]).toEqual([name, undefined]);
});

test('a malformed traceparent never arrives: with a valid X-Cloud-Trace-Context, a traceparent made from it does', async () => {
  const h = await relayed(push.body, {
    'content-type': 'application/json',
    traceparent: '00-abc-def-01',
    tracestate: 'a=1',
    'x-cloud-trace-context': `${TRACE}/1;o=1`,
  });
  expect(traceOnly(h)).toEqual({ traceparent: `00-${TRACE}-0000000000000001-01`, 'x-cloud-trace-context': `${TRACE}/1;o=1` });
});

test('only malformed trace headers: none arrives', async () => {
  const h = await relayed(push.body, {
    'content-type': 'application/json',
    traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01`,
    'x-cloud-trace-context': `${TRACE}/18446744073709551616;o=1`,
  });
  expect(traceOnly(h)).toEqual({});
});

test('two traceparent headers on the wire (an attempt to smuggle one): neither arrives', async () => {
  const before = target.received.length;
  const other = `00-${'1'.repeat(32)}-${PARENT}-01`;
  const head = [
    'POST / HTTP/1.1',
    `Host: 127.0.0.1:${service.port}`,
    'Content-Type: application/json',
    `Content-Length: ${push.body.length}`,
    `traceparent: ${TP}`,
    `traceparent: ${other}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(service.port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from(head), push.body])));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  expect(answer).toMatch(/^HTTP\/1\.1 20[04]/);
  expect(target.received).toHaveLength(before + 1);
  expect(traceOnly(target.received[before].headers)).toEqual({});
});

test("no trace headers: the CloudEvent's Distributed Tracing extension", async () => {
  const event = { ...(JSON.parse(structured.body.toString()) as Record<string, unknown>), traceparent: TP, tracestate: 'congo=t61rcWkgMzE' };
  const h = await relayed(JSON.stringify(event), { 'content-type': structured.headers['content-type'] });
  expect(traceOnly(h)).toMatchObject({ traceparent: TP, tracestate: 'congo=t61rcWkgMzE', 'x-cloud-trace-context': `${TRACE}/${PARENT_DECIMAL};o=1` });
});

test("no trace headers: Pub/Sub's googclient_traceparent attribute", async () => {
  const body = JSON.parse(push.body.toString()) as { message: { attributes: Record<string, string> } };
  body.message.attributes['googclient_traceparent'] = `00-${TRACE}-${PARENT}-00`;
  const h = await relayed(JSON.stringify(body), { 'content-type': 'application/json' });
  expect(traceOnly(h)).toEqual({ traceparent: `00-${TRACE}-${PARENT}-00`, 'x-cloud-trace-context': `${TRACE}/${PARENT_DECIMAL};o=0` });
});

test("the service's own log lines carry the same trace it forwarded", async () => {
  await relayed(push.body, { 'content-type': 'application/json', traceparent: `00-${'2'.repeat(32)}-${PARENT}-01` });
  const logs = await service.waitForLogs((l) => l.some((e) => String(e['logging.googleapis.com/trace']).endsWith('2'.repeat(32))));
  expect(logs.filter((e) => String(e['logging.googleapis.com/trace']).endsWith('2'.repeat(32)))).toContainEqual(
    expect.objectContaining({ route: 'relay', outcome: 'handled' }),
  );
});
