/**
 * Limits before work (issue 10, class 6): on both servers, with and without a
 * secret reference configured, with and without Content-Type, a request costs the
 * instance at most its limits before any work is done for it, authenticated or not:
 *   - a declared Content-Length over MAX_BODY_BYTES is answered 413 before a byte
 *     of the body is sent, and the connection is closed;
 *   - a chunked body is answered 413 as soon as it passes the limit, and closed;
 *   - a body (or a head) that stops arriving is answered 408 at RECEIVE_TIMEOUT_SECONDS;
 *   - a head over MAX_HEADER_BYTES or with more than 256 headers is answered 431,
 *     while a noWrapper push with Pub/Sub's 100 largest attributes is admitted;
 *   - past MAX_BODY_BYTES_IN_FLIGHT a request is answered 503 (redelivered);
 *   - 20 concurrent 200 MiB uploads keep the service's peak RSS under 200 MiB.
 * Real service processes; the secret reference is resolved by the real Secret
 * Manager client against the local test server.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { startSecretServer, type SecretServer } from '../support/secret-manager-server';
import { SERVICE_SOURCE, startService, type ServerKind, type Service } from '../support/service';
import { peakRssBytes, rssBytes, sendSlowly, upload, type Exchange } from '../support/upload-flood';

const LIMIT = 64 * 1024;
const RECEIVE_TIMEOUT_S = 1.5;
const API_KEY = 'body-limits-key-1';
const PRELOAD = path.join(__dirname, '..', 'support', 'secret-manager-preload.js');
const MiB = 1024 * 1024;

let secrets: SecretServer;
beforeAll(async () => {
  secrets = await startSecretServer({ 'projects/test-project/secrets/api-key/versions/latest': API_KEY });
});
afterAll(() => secrets?.close());

function envOf(withSecret: boolean, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ROUTES_FILE: '',
    ...extra,
    ...(withSecret && {
      AUTH_API_KEY: 'sm://test-project/api-key',
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --require ${PRELOAD}`.trim(),
      TEST_SECRET_MANAGER_PORT: String(secrets.port),
    }),
  };
}

function pushBody(id: string, padTo = 0): Buffer {
  const body = {
    subscription: 'projects/test-project/subscriptions/s',
    message: { data: Buffer.from('{}').toString('base64'), messageId: id, publishTime: '2026-12-01T10:00:00Z' },
  };
  const text = JSON.stringify(body);
  // Padding in an ignored envelope field brings the body to exactly padTo bytes.
  return Buffer.from(padTo > text.length ? JSON.stringify({ ...body, pad: 'x'.repeat(padTo - text.length - 9) }) : text);
}

const head = (lines: string[]) => lines.join('\r\n') + '\r\n\r\n';

const CASES: [ServerKind, boolean][] = [
  ['lean', false],
  ['lean', true],
  ['framework', false],
  ['framework', true],
];

describe.each(CASES)('%s server, secret reference configured: %s', (server, withSecret) => {
  let service: Service;
  const auth: Record<string, string> = withSecret ? { 'x-api-key': API_KEY } : {};
  beforeAll(async () => {
    service = await startService({
      server,
      env: envOf(withSecret, {
        MAX_BODY_BYTES: String(LIMIT),
        MAX_BODY_BYTES_IN_FLIGHT: String(2 * LIMIT),
        RECEIVE_TIMEOUT_SECONDS: String(RECEIVE_TIMEOUT_S),
      }),
    });
    // The service is up (and its secret resolved): an event at the limit is handled.
    const res = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: pushBody('at-limit', LIMIT) });
    expect(res.status).toBe(204);
  }, 40000);
  afterAll(() => service?.stop());

  if (withSecret) {
    it('auth is on (the secret was resolved): without the key an event is refused 401', async () => {
      expect((await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushBody('no-key') })).status).toBe(401);
    });
  }

  it.each([['application/json'], ['text/plain'], [undefined]])(
    'Content-Type %s: a declared 200 MiB body is answered 413 before a byte of it is sent, and the connection closed',
    async (contentType) => {
      const r = await upload(service.port, { bytes: 200 * MiB, chunked: false, ...(contentType && { contentType }), stopAfter: 0, deadlineMs: 5000 });
      expect(r.status).toBe(413);
      expect(r.response).toContain(`request body larger than ${LIMIT} bytes`);
      expect(r.bodyBytesSent).toBe(0);
      expect(r.closedByServer).toBe(true);
    },
  );

  it('with Expect: 100-continue, a declared 200 MiB body gets 413 instead of 100 Continue', async () => {
    const r = await sendSlowly(
      service.port,
      [head(['POST / HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${200 * MiB}`, 'Expect: 100-continue'])],
      0,
      5000,
    );
    expect(r.response.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(r.closedByServer).toBe(true);
  });

  it.each([['application/json'], ['application/cloudevents+json'], [undefined]])(
    'Content-Type %s: a chunked body is answered 413 as soon as it passes the limit, and the connection closed without the rest',
    async (contentType) => {
      // Send a little more than the limit, then nothing: the answer must come without the rest.
      const r = await upload(service.port, { bytes: 200 * MiB, chunked: true, ...(contentType && { contentType }), stopAfter: LIMIT + 4096, deadlineMs: 5000 });
      expect(r.status).toBe(413);
      expect(r.closedByServer).toBe(true);
    },
  );

  it('a body that stops arriving is answered 408 at RECEIVE_TIMEOUT_SECONDS, and the connection closed', async () => {
    const partial = head(['POST / HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', 'Content-Length: 1000']) + '{"message":';
    const r = await sendSlowly(service.port, [partial], 0, 10000);
    expect(r.status).toBe(408);
    expect(r.closedByServer).toBe(true);
    // Node's own request timeout is only a backstop at twice the figure (and looks every 30 s under the framework).
    expect(r.answeredAfterMs).toBeGreaterThanOrEqual(RECEIVE_TIMEOUT_S * 1000 - 100);
    expect(r.answeredAfterMs).toBeLessThan(RECEIVE_TIMEOUT_S * 1000 + 3000);
  }, 15000);

  it('a body trickling a byte every 100 ms is answered 408 too: the bound is on the whole body, not on silence', async () => {
    const pieces = [head(['POST / HTTP/1.1', 'Host: 127.0.0.1', 'Content-Length: 1000'])].concat(Array.from({ length: 100 }, () => 'x'));
    const r = await sendSlowly(service.port, pieces, 100, 10000);
    expect(r.status).toBe(408);
    expect(r.closedByServer).toBe(true);
  }, 15000);

  it('a head over MAX_HEADER_BYTES (160 KiB) is answered 431 and closed', async () => {
    const r = await sendSlowly(service.port, [head(['POST / HTTP/1.1', 'Host: 127.0.0.1', `X-Big: ${'a'.repeat(200 * 1024)}`, 'Content-Length: 0'])], 0, 5000);
    expect(r.status).toBe(431);
    expect(r.closedByServer).toBe(true);
  });

  it('more than 256 headers are answered 431, not silently cut to the first ones', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: v`);
    const r = await sendSlowly(service.port, [head(['POST / HTTP/1.1', 'Host: 127.0.0.1', ...many, 'Content-Length: 0'])], 0, 5000);
    expect(r.status).toBe(431);
    expect(r.response).toContain('more than 256 request headers');
  });

  it("a noWrapper push with writeMetadata and Pub/Sub's largest attributes (100, keys of 256 bytes, values of 1024) is admitted", async () => {
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'x-goog-pubsub-message-id': 'nowrapper-1',
      'x-goog-pubsub-subscription-name': 'projects/test-project/subscriptions/s',
      'x-goog-pubsub-publish-time': '2026-12-01T10:00:00Z',
      ...auth,
    };
    for (let i = 0; i < 100; i++) headers[`a${i}`.padEnd(256, 'k')] = 'v'.repeat(1024);
    const res = await fetch(`${service.url}/nowrapper`, { method: 'POST', headers, body: 'payload' });
    expect(res.status).toBe(204);
  });

  it('past MAX_BODY_BYTES_IN_FLIGHT a request is answered 503 (redelivered) and closed; the budget comes back once those bodies are answered', async () => {
    // Two bodies of the limit's size, half sent: together they hold the whole budget.
    const holders = [0, 1].map(() =>
      upload(service.port, { bytes: LIMIT, chunked: false, contentType: 'application/json', stopAfter: LIMIT / 2, deadlineMs: 5000 }),
    );
    await new Promise((r) => setTimeout(r, 400));
    const third = await upload(service.port, { bytes: 1024, chunked: false, contentType: 'application/json', stopAfter: 0, deadlineMs: 5000 });
    expect(third.status).toBe(503);
    expect(third.response).toContain('in flight');
    expect(third.closedByServer).toBe(true);
    // The holders are cut off at the receive timeout (408), which gives their bytes back.
    expect((await Promise.all(holders)).map((h: Exchange) => h.status)).toEqual([408, 408]);
    const after = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: pushBody('after-budget') });
    expect(after.status).toBe(204);
  }, 15000);

  if (server === 'lean') {
    it('a head that trickles in is answered 408 at RECEIVE_TIMEOUT_SECONDS (slowloris), and closed', async () => {
      const pieces = ['POST / HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n'].concat(Array.from({ length: 100 }, (_, i) => `X-Slow-${i}: 1\r\n`));
      const r = await sendSlowly(service.port, pieces, 100, 10000);
      expect(r.status).toBe(408);
      expect(r.closedByServer).toBe(true);
      // Node looks every second on the lean server.
      expect(r.answeredAfterMs).toBeLessThan(RECEIVE_TIMEOUT_S * 1000 + 3000);
    }, 15000);

    it('an idle keep-alive connection outlives RECEIVE_TIMEOUT_SECONDS: the head bound applies only to a request in progress', async () => {
      const get = head(['GET /healthz HTTP/1.1', 'Host: 127.0.0.1']);
      const r = await sendSlowly(service.port, [get, get], RECEIVE_TIMEOUT_S * 1000 + 1500, RECEIVE_TIMEOUT_S * 1000 + 2500);
      expect(r.response.match(/HTTP\/1\.1 200/g)?.length).toBe(2);
      expect(r.closedByServer).toBe(false);
    }, 15000);
  }
});

it("outside Functions Framework, loading the package leaves the process's own servers alone (their body parsers still see Content-Type)", () => {
  const script = `
    require(${JSON.stringify(SERVICE_SOURCE)});
    const http = require('http');
    const server = http.createServer((req, res) => res.end(String(req.headers['content-type']))).listen(0, '127.0.0.1', async () => {
      const res = await fetch('http://127.0.0.1:' + server.address().port + '/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      console.log('seen: ' + (await res.text()));
      server.close();
      process.exit(0);
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ROUTES_FILE: '' }, encoding: 'utf8', timeout: 20000 });
  expect(run.stdout).toContain('seen: application/json');
});

/**
 * 20 uploads of 200 MiB at once against the default limits, one flood with
 * Content-Length and one chunked, with and without Content-Type. The service's
 * RSS is watched while they run; past the bound the flood is stopped (so a
 * regression cannot eat the machine's memory) and the test fails with the figure.
 */
const RSS_BOUND = 200 * MiB;

async function flood(
  service: Service,
  chunked: boolean,
  contentType?: string,
  chunkBytes?: number,
  bytes = 200 * MiB,
): Promise<{ results: Exchange[]; peakSeen: number }> {
  let peakSeen = 0;
  const watch = setInterval(() => {
    try {
      peakSeen = Math.max(peakSeen, rssBytes(service.peer.pid));
      if (peakSeen > RSS_BOUND) void service.peer.stop(0);
    } catch {
      /* the process is gone */
    }
  }, 20);
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        upload(service.port, { bytes, chunked, ...(contentType && { contentType }), ...(chunkBytes && { chunkBytes }), deadlineMs: 20000 }),
      ),
    );
    return { results, peakSeen };
  } finally {
    clearInterval(watch);
  }
}

describe.each([['lean'], ['framework']] as [ServerKind][])('default limits (%s server)', (server) => {
  it("admit Pub/Sub's largest push: 10 MiB of data in base64 with 100 attributes of the largest size", async () => {
    const service = await startService({ server, env: envOf(false) });
    try {
      const attributes: Record<string, string> = {};
      for (let i = 0; i < 100; i++) attributes[`a${i}`.padEnd(256, 'k')] = 'v'.repeat(1024);
      const message = {
        data: Buffer.alloc(10 * MiB, 7).toString('base64'),
        messageId: 'largest-1',
        publishTime: '2026-12-01T10:00:00Z',
        attributes,
        orderingKey: 'o'.repeat(1024),
      };
      const body = JSON.stringify({ subscription: 'projects/test-project/subscriptions/s', message });
      expect(body.length).toBeGreaterThan(14 * 1000 * 1000);
      const res = await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      // What the pipeline then makes of it is another class's concern: here, that no limit refused it.
      expect([408, 413, 431, 503]).not.toContain(res.status);
    } finally {
      await service.stop();
    }
  }, 60000);

  it('refuse 20 concurrent 200 MiB uploads (413, or 503 past the body budget) without reading them, and the peak RSS stays under 200 MiB', async () => {
    const service = await startService({ server, env: envOf(false) });
    try {
      const idle = peakRssBytes(service.peer.pid);
      const runs: { results: Exchange[]; peakSeen: number }[] = [];
      // Each flood in turn; past the bound the service was stopped, so say so with the figure.
      const next = async (...args: Parameters<typeof flood> extends [Service, ...infer R] ? R : never) => {
        const run = await flood(service, ...args);
        if (run.peakSeen > RSS_BOUND)
          throw new Error(`RSS passed ${RSS_BOUND / MiB} MiB (${(run.peakSeen / MiB).toFixed(0)} MiB) during the flood ${JSON.stringify(args)}`);
        return run;
      };
      runs.push(await next(false, 'application/json'), await next(false), await next(true, 'application/json'), await next(true));
      // A body of one-byte chunks: each would be a Buffer of its own if kept as node hands it over.
      const tiny = await next(true, 'application/json', 1, 256 * 1024);
      console.log(`${server}: peak seen per flood (MiB): ${[...runs, tiny].map((r) => (r.peakSeen / MiB).toFixed(0)).join(' ')}`);
      const peak = peakRssBytes(service.peer.pid);
      const sent = runs.flatMap((r) => r.results.map((x) => x.bodyBytesSent));
      console.log(
        `${server}: peak RSS ${(peak / MiB).toFixed(1)} MiB (idle ${(idle / MiB).toFixed(1)} MiB); body bytes taken per upload: max ${(Math.max(...sent) / MiB).toFixed(1)} MiB of 200`,
      );
      expect(peak).toBeLessThan(RSS_BOUND);
      // Refused as too fragmented after a few hundred pieces (or 503 past the budget), and closed.
      for (const r of tiny.results) {
        expect([400, 503]).toContain(r.status);
        expect(r.closedByServer).toBe(true);
      }
      for (const { results } of runs) {
        for (const r of results) {
          expect([413, 503]).toContain(r.status);
          expect(r.closedByServer).toBe(true);
          expect(r.bodyBytesSent).toBeLessThan(200 * MiB);
        }
      }
      // And it still serves.
      expect((await fetch(service.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pushBody('after-flood') })).status).toBe(204);
    } finally {
      await service.stop();
    }
  }, 120000);
});
