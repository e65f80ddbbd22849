/**
 * The forward handler against real local HTTP and HTTPS targets on 127.0.0.1.
 */
import { createLogger, memorySink } from '../../../functions/support/logger';
import type { HandlerContext } from '../../../functions/act/action';
import { PermanentError, RetryableError } from '../../../functions/act/errors';
import { forwardAction } from '../../../functions/act/forward';
import { createForwardHandler, type ForwardHandler } from '../../../functions/act/forward/handler';
import type { IdTokenSource } from '../../../functions/act/forward/id-token';
import { forwardOptions } from '../../../functions/act/forward/options';
import { freePort } from '../../support/peer';
import { eventarcPubSubEvent } from '../../support/events/forward';
import { startTarget, type Target } from '../../support/forward-target';
import { makeCertificate } from '../../support/tls';
import { parse } from '../../../functions/support/schema';

const context = (signal: AbortSignal = new AbortController().signal): HandlerContext => ({
  log: createLogger(memorySink()),
  signal,
  route: 'test',
  params: {},
});

const handlers: ForwardHandler[] = [];
const targets: Target[] = [];

function forwarder(options: Record<string, unknown>, idTokenSource: IdTokenSource = async () => 'unused'): ForwardHandler {
  const handler = createForwardHandler(forwardOptions.parse(options), { idTokenSource });
  handlers.push(handler);
  return handler;
}

async function target(tls?: { key: string; cert: string; h2?: boolean }): Promise<Target> {
  const t = await startTarget(tls);
  targets.push(t);
  return t;
}

afterEach(async () => {
  handlers.splice(0).forEach((h) => h.close());
  await Promise.all(targets.splice(0).map((t) => t.stop()));
});

/** A JWT-shaped token whose `exp` is `secondsFromNow` ahead. */
function jwt(secondsFromNow: number, marker: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ exp: Math.floor(Date.now() / 1000) + secondsFromNow, sub: marker })}.sig`;
}

describe('what the target receives', () => {
  test('a binary CloudEvent: every attribute as a ce- header, data bytes and content type exactly as received', async () => {
    const t = await target();
    const event = eventarcPubSubEvent();
    const result = await forwarder({ url: `${t.url}/hook`, headers: { 'X-Api-Key': 'k1' } })(event, context());

    expect(t.received).toHaveLength(1);
    const got = t.received[0];
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hook');
    expect(got.headers['ce-id']).toBe('42');
    expect(got.headers['ce-source']).toBe('//pubsub.googleapis.com/projects/p/topics/t');
    expect(got.headers['ce-type']).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    expect(got.headers['ce-specversion']).toBe('1.0');
    expect(got.headers['ce-time']).toBe('2026-11-23T02:00:00.123456Z');
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['x-api-key']).toBe('k1');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.body.equals(event.delivery.cloudEvent.data)).toBe(true);
    expect(result).toMatchObject({ details: { status: 200, target: `${t.url}/hook` } });
  });

  test('format original: the received body and content type, untouched, and no ce- headers', async () => {
    const t = await target();
    const body = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x0a]);
    const event = eventarcPubSubEvent({ data: body, contentType: 'application/octet-stream' });
    await forwarder({ url: t.url, format: 'original' })(event, context());

    const got = t.received[0];
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(Object.keys(got.headers).filter((h) => h.startsWith('ce-'))).toEqual([]);
    expect(got.headers.authorization).toBeUndefined();
  });

  test('a unicode attribute from a structured event is percent-encoded; a received header value goes out byte for byte', async () => {
    const t = await target();
    const structured = eventarcPubSubEvent({ attributes: { specversion: '1.0', id: '1', source: 's', type: 't', subject: 'objects/é x.txt' } });
    const asStructured = { ...structured, delivery: { ...structured.delivery, shape: 'cloudevent-structured' as const } };
    await forwarder({ url: t.url })(asStructured, context());
    expect(t.received[0].headers['ce-subject']).toBe('objects/%C3%A9%20x.txt');

    const latin1 = Buffer.from('objects/é.txt', 'utf8').toString('latin1'); // what node hands over for UTF-8 header bytes
    await forwarder({ url: t.url })(eventarcPubSubEvent({ attributes: { specversion: '1.0', id: '2', source: 's', type: 't', subject: latin1 } }), context());
    const raw = t.received[1].rawHeaders;
    expect(Buffer.from(raw[raw.indexOf('ce-subject') + 1], 'latin1').toString('utf8')).toBe('objects/é.txt');
  });

  test('HTTPS with a certificate made for the test, trusted through caFile', async () => {
    const cert = makeCertificate();
    const t = await target(cert);
    const handler = createForwardHandler(forwardOptions.parse({ url: t.url, caFile: cert.certFile }), {
      idTokenSource: async () => 'unused',
      extraCa: cert.cert,
    });
    handlers.push(handler);
    await handler(eventarcPubSubEvent(), context());
    expect(t.received).toHaveLength(1);
    expect(t.received[0].headers['ce-id']).toBe('42');
  });

  test('an HTTPS target offering HTTP/2 gets the events over h2, many at once on one connection, token and bytes exact', async () => {
    const cert = makeCertificate();
    const t = await target({ ...cert, h2: true });
    t.respond = () => ({ status: 200, delayMs: 50 }); // answers that take a while: the events overlap
    const token = jwt(3600, 'h2');
    const handler = createForwardHandler(forwardOptions.parse({ url: `${t.url}/in?x=1`, caFile: cert.certFile, idToken: {} }), {
      idTokenSource: async () => token,
      extraCa: cert.cert,
    });
    handlers.push(handler);
    const event = eventarcPubSubEvent();
    await handler(event, context()); // the connection, and h2 chosen on it
    await Promise.all(Array.from({ length: 20 }, () => handler(event, context())));
    expect(t.received).toHaveLength(21);
    expect(new Set(t.received.map((r) => r.httpVersion))).toEqual(new Set(['2.0']));
    expect(new Set(t.received.map((r) => r.connection)).size).toBe(1);
    expect(t.maxConcurrent).toBeGreaterThan(1);
    const got = t.received[0];
    expect(got.path).toBe('/in?x=1');
    expect(got.headers.authorization).toBe(`Bearer ${token}`);
    expect(got.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(got.headers['ce-id']).toBe('42');
    expect(got.body.equals(event.delivery.cloudEvent.data)).toBe(true);
  });

  test('an HTTPS target that takes only HTTP/1.1 still gets every event', async () => {
    const cert = makeCertificate();
    const t = await target(cert);
    const handler = createForwardHandler(forwardOptions.parse({ url: t.url, caFile: cert.certFile }), {
      idTokenSource: async () => 'unused',
      extraCa: cert.cert,
    });
    handlers.push(handler);
    await Promise.all(Array.from({ length: 10 }, () => handler(eventarcPubSubEvent(), context())));
    expect(t.received.map((r) => r.httpVersion)).toEqual(Array(10).fill('1.1'));
  });

  test('HTTPS with an untrusted certificate is not delivered and is retried later', async () => {
    const t = await target(makeCertificate());
    await expect(forwarder({ url: t.url })(eventarcPubSubEvent(), context())).rejects.toBeInstanceOf(RetryableError);
    expect(t.received).toHaveLength(0);
  });

  test('the action built from the catalog definition reads caFile itself', async () => {
    const cert = makeCertificate();
    const t = await target(cert);
    const handler = forwardAction.create(parse(forwardAction.options, { url: t.url, caFile: cert.certFile }), {
      variables: {},
      log: createLogger(memorySink()),
    }) as ForwardHandler;
    handlers.push(handler);
    await handler(eventarcPubSubEvent(), context());
    expect(t.received).toHaveLength(1);
  });
});

describe('outcome of the target answer', () => {
  test.each([
    [200, 'accepted'],
    [204, 'accepted'],
    [500, 'retry'],
    [503, 'retry'],
    [429, 'retry'],
    [400, 'permanent'],
    [404, 'permanent'],
  ])('status %d is %s', async (status, expected) => {
    const t = await target();
    t.respond = () => ({ status, body: `answer ${status}` });
    const outcome = forwarder({ url: t.url })(eventarcPubSubEvent(), context());
    if (expected === 'accepted') await expect(outcome).resolves.toBeDefined();
    if (expected === 'retry') await expect(outcome).rejects.toBeInstanceOf(RetryableError);
    if (expected === 'permanent') await expect(outcome).rejects.toBeInstanceOf(PermanentError);
  });

  test('a 4xx listed in retryStatuses is retried', async () => {
    const t = await target();
    t.respond = () => ({ status: 409 });
    await expect(forwarder({ url: t.url, retryStatuses: [409] })(eventarcPubSubEvent(), context())).rejects.toBeInstanceOf(RetryableError);
  });

  test('the error names the target status and the start of its body', async () => {
    const t = await target();
    t.respond = () => ({ status: 422, body: 'field x is missing' });
    await expect(forwarder({ url: t.url })(eventarcPubSubEvent(), context())).rejects.toThrow(`${t.url}/ answered 422: field x is missing`);
  });

  test('a target slower than timeoutMs is retried', async () => {
    const t = await target();
    t.respond = () => ({ status: 200, delayMs: 1000 });
    const started = Date.now();
    await expect(forwarder({ url: t.url, timeoutMs: 150 })(eventarcPubSubEvent(), context())).rejects.toThrow(/did not answer within 150 ms/);
    expect(Date.now() - started).toBeLessThan(900);
  });

  test('a refused connection is retried', async () => {
    const port = await freePort();
    await expect(forwarder({ url: `http://127.0.0.1:${port}` })(eventarcPubSubEvent(), context())).rejects.toThrow(/could not be reached \(ECONNREFUSED\)/);
  });

  test('the request is abandoned when the core aborts it (route deadline)', async () => {
    const t = await target();
    t.respond = () => ({ status: 200, delayMs: 1000 });
    const controller = new AbortController();
    const outcome = forwarder({ url: t.url })(eventarcPubSubEvent(), context(controller.signal));
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    await expect(outcome).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('redirects', () => {
  test('a redirect on the same origin is followed with the same method and body', async () => {
    const t = await target();
    t.respond = (req) => (req.path === '/old' ? { status: 307, headers: { location: '/new' } } : { status: 200 });
    await forwarder({ url: `${t.url}/old` })(eventarcPubSubEvent(), context());
    expect(t.received.map((r) => [r.method, r.path, r.body.length > 0])).toEqual([
      ['POST', '/old', true],
      ['POST', '/new', true],
    ]);
  });

  test('a redirect to another host is not followed and the event is not retried', async () => {
    const elsewhere = await target();
    const t = await target();
    t.respond = () => ({ status: 302, headers: { location: `${elsewhere.url}/steal` } });
    await expect(forwarder({ url: t.url })(eventarcPubSubEvent(), context())).rejects.toThrow(/redirect to another host/);
    expect(elsewhere.received).toHaveLength(0);
  });

  test('a redirect loop stops', async () => {
    const t = await target();
    t.respond = () => ({ status: 308, headers: { location: '/again' } });
    await expect(forwarder({ url: t.url })(eventarcPubSubEvent(), context())).rejects.toBeInstanceOf(PermanentError);
    expect(t.received.length).toBeLessThanOrEqual(5);
  });
});

describe('connections', () => {
  test('consecutive events reuse kept-alive connections', async () => {
    const t = await target();
    const forward = forwarder({ url: t.url });
    for (let i = 0; i < 20; i++) await forward(eventarcPubSubEvent(), context());
    expect(t.received).toHaveLength(20);
    // undici lets a connection rest for one event-loop turn after an answer before reusing it
    // (servers that close despite keep-alive), so back-to-back events alternate between two.
    expect(new Set(t.received.map((r) => r.connection)).size).toBeLessThanOrEqual(2);
  });

  test('no more than maxInFlight requests reach the target at once, and every event is delivered', async () => {
    const t = await target();
    t.respond = () => ({ status: 200, delayMs: 50 });
    const forward = forwarder({ url: t.url, maxInFlight: 2 });
    await Promise.all(Array.from({ length: 10 }, () => forward(eventarcPubSubEvent(), context())));
    expect(t.received).toHaveLength(10);
    expect(t.maxConcurrent).toBe(2);
  });

  test('an event waiting for a slot past timeoutMs is retried, not queued forever', async () => {
    const t = await target();
    t.respond = () => ({ status: 200, delayMs: 400 });
    const forward = forwarder({ url: t.url, maxInFlight: 1, timeoutMs: 200 });
    const outcomes = await Promise.allSettled([forward(eventarcPubSubEvent(), context()), forward(eventarcPubSubEvent(), context())]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(t.received).toHaveLength(1);
  });
});

describe('outbound Google ID token', () => {
  test('sent as a bearer token for the audience, fetched once while it is fresh', async () => {
    const t = await target();
    const audiences: string[] = [];
    const token = jwt(3600, 'first');
    const forward = forwarder({ url: `${t.url}/x`, idToken: {} }, async (audience) => {
      audiences.push(audience);
      return token;
    });
    await Promise.all([1, 2, 3].map(() => forward(eventarcPubSubEvent(), context())));
    await forward(eventarcPubSubEvent(), context());
    expect(t.received.map((r) => r.headers.authorization)).toEqual(Array(4).fill(`Bearer ${token}`));
    expect(audiences).toEqual([t.url]);
  });

  test('an explicit audience is used, and a failing token source means retry later', async () => {
    const t = await target();
    const audiences: string[] = [];
    const forward = forwarder({ url: t.url, idToken: { audience: 'https://svc.internal' } }, async (audience) => {
      audiences.push(audience);
      throw new Error('metadata server unavailable');
    });
    await expect(forward(eventarcPubSubEvent(), context())).rejects.toBeInstanceOf(RetryableError);
    expect(audiences).toEqual(['https://svc.internal']);
    expect(t.received).toHaveLength(0);
  });
});

describe('stale kept-alive connections', () => {
  test('a connection the target drops just as it is reused is retried once on a fresh one', async () => {
    // A raw server: answers the first request on each connection, then drops that connection at the next request.
    const net = await import('net');
    let connections = 0;
    let delivered = 0;
    const server = net.createServer((socket) => {
      connections++;
      let requests = 0;
      socket.on('data', (chunk) => {
        if (!chunk.toString('latin1').includes('POST ')) return;
        requests++;
        if (requests === 1) {
          delivered++;
          socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n');
        } else {
          socket.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as import('net').AddressInfo).port;
    try {
      const forward = forwarder({ url: `http://127.0.0.1:${port}/` });
      await forward(eventarcPubSubEvent(), context());
      await forward(eventarcPubSubEvent(), context());
      expect(delivered).toBe(2);
      expect(connections).toBe(2);
    } finally {
      server.close();
    }
  });
});
