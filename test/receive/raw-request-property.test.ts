/**
 * Property-based: random and mutated requests at the intake. It never throws,
 * never answers 5xx (nothing here can succeed later) and never 202; every answer
 * is a 2xx acknowledgement or a 4xx for a non-delivery. Runs in process, then a
 * bounded sample over real HTTP through functions-framework.
 */
import fc from 'fast-check';
import { createApp } from '../../functions/app';
import { nullSink } from '../../functions/support/logger';
import type { RawRequest } from '../../functions/receive/raw-request';
import { loadRequestFixtures, rawOf } from '../support/fixtures';
import { startService, type Service } from '../support/service';

const seeds = loadRequestFixtures()
  .filter((f) => f.request.method === 'POST')
  .map(rawOf);
const app = createApp({ env: {}, sink: nullSink });

const headerName = fc.oneof(
  fc.constantFrom(
    'content-type',
    'ce-specversion',
    'ce-id',
    'ce-type',
    'ce-source',
    'ce-subject',
    'ce-time',
    'x-goog-pubsub-message-id',
    'traceparent',
    'x-cloud-trace-context',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
  'application/cloudevents+json; charset=UTF-8',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  '',
);
const ceType = fc.constantFrom(
  'google.cloud.pubsub.topic.v1.messagePublished',
  'google.cloud.storage.object.v1.finalized',
  'google.cloud.storage.object.v1.deleted',
  'x.y',
);

/** A JSON value that walks the envelope shapes: message/data/attributes/context keys appear often. */
const envelopeish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.base64String(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom(
        'message',
        'data',
        'attributes',
        'messageId',
        'subscription',
        'context',
        'eventType',
        'eventId',
        'resource',
        'bucket',
        'name',
        'size',
        'generation',
        'action',
        'tag',
        'digest',
        'specversion',
        'id',
        'type',
        'source',
        'data_base64',
        'payloadFormat',
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const randomRequest: fc.Arbitrary<RawRequest> = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
  path: fc.constantFrom('/', '/nowrapper', '/x'),
  headers: fc.tuple(fc.dictionary(headerName, fc.string({ maxLength: 40 }), { maxKeys: 6 }), contentType, ceType).map(([h, ct, t]) => ({
    ...h,
    ...(ct && { 'content-type': ct }),
    ...(h['ce-specversion'] !== undefined && { 'ce-type': t }),
  })),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    envelopeish.map((v) => Buffer.from(JSON.stringify(v) ?? '')),
  ),
});

/** A real fixture with one header or a few body bytes changed. */
const mutated: fc.Arbitrary<RawRequest> = fc
  .tuple(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.option(fc.tuple(headerName, fc.string({ maxLength: 30 }))))
  .map(([seed, at, byte, header]) => {
    const body = Buffer.from(seed.body);
    if (body.length > 0) body[at % body.length] = byte;
    return { ...seed, body, headers: header ? { ...seed.headers, [header[0]]: header[1] } : seed.headers };
  });

async function answerIsSafe(raw: RawRequest): Promise<void> {
  const { answer } = await app.handle(raw);
  expect(answer.status).not.toBe(202);
  expect(answer.status).toBeLessThan(500);
  expect([200, 204, 400, 405, 413, 415]).toContain(answer.status);
  if (answer.status === 200 && answer.body) expect(JSON.parse(answer.body)).toMatchObject({ acknowledged: true });
}

describe('intake under random input', () => {
  it('random requests: no throw, no 5xx, no 202', async () => {
    await fc.assert(fc.asyncProperty(randomRequest, answerIsSafe), { numRuns: 1500 });
  });

  it('mutated real deliveries: no throw, no 5xx, no 202', async () => {
    await fc.assert(fc.asyncProperty(mutated, answerIsSafe), { numRuns: 1500 });
  });

  describe('over HTTP through functions-framework', () => {
    let service: Service;
    beforeAll(async () => {
      service = await startService({ env: { ROUTES_FILE: '' } });
    });
    afterAll(async () => service?.stop());

    it('mutated deliveries never get a 5xx', async () => {
      const samples = fc.sample(
        fc.oneof(
          mutated,
          randomRequest.filter((r) => r.method === 'POST'),
        ),
        { numRuns: 300, seed: 42 },
      );
      const statuses = new Map<number, number>();
      for (const raw of samples) {
        const headers = Object.fromEntries(
          Object.entries(raw.headers).filter(([k, v]) => /^[a-z0-9-]+$/.test(k) && /^[\x20-\x7e]*$/.test(v) && k !== 'content-length' && k !== 'host'),
        );
        const res = await fetch(service.url + raw.path, { method: 'POST', headers, body: raw.body });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(res.status).not.toBe(202);
      }
      // The service is still up and serving.
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    });
  });
});
