/**
 * What the Functions Framework request becomes: the bytes as sent, and the
 * framework's JSON parse reused only when it is exactly JSON.parse of the UTF-8
 * body (its JSON parsers' media types, UTF-8 or no charset).
 */
import type { IncomingMessage } from 'http';
import { toRawRequest } from '../../functions/receive/raw-request';
import type { RawRequest } from '../../functions/receive/raw-request';
import { receiveLimitsOf } from '../../functions/receive/limits';
import { readSettingsBeforeSecrets } from '../../functions/config';
import { createBodyBudget } from '../../functions/receive/body-budget';

const limits = receiveLimitsOf(readSettingsBeforeSecrets({}));
const received = async (req: IncomingMessage): Promise<RawRequest> => {
  const r = await toRawRequest(req, limits, createBodyBudget(limits.maxBodyBytesInFlight));
  if ('refusal' in r) throw new Error(r.refusal.reason);
  return r.raw;
};

const rawBody = Buffer.from('{"message":{"data":"aGk="}}');
const parsed = JSON.parse(rawBody.toString('utf8')) as unknown;

function frameworkRequest(contentType: string | undefined, body: unknown): IncomingMessage {
  const headers: Record<string, string> = { host: 'x' };
  if (contentType !== undefined) headers['content-type'] = contentType;
  return { method: 'POST', url: '/p?q=1', headers, rawBody, body, readable: false } as unknown as IncomingMessage;
}

test.each([
  ['application/json', true],
  ['application/json; charset=utf-8', true],
  ['Application/JSON; Charset="UTF-8"', true],
  ['application/cloudevents+json; charset=utf-8', true],
  ['application/json; charset=latin1', false],
  ['text/plain', false],
  ['application/x-www-form-urlencoded', false],
  [undefined, false],
])('%s: framework parse reused = %s', async (contentType, reused) => {
  const raw = await received(frameworkRequest(contentType, parsed));
  expect(raw.body).toBe(rawBody);
  expect(raw.path).toBe('/p');
  expect(raw.bodyJson).toBe(reused ? parsed : undefined);
});

test('a body the framework did not parse as an object (a Buffer from its raw parser) is not reused', async () => {
  const raw = await received(frameworkRequest('application/json', rawBody));
  expect(raw.bodyJson).toBeUndefined();
  expect(raw.body).toBe(rawBody);
});
