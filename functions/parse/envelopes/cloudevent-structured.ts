/** Shape C: a structured-mode CloudEvent (`application/cloudevents+json`), the whole event in the body. */
import type { RawRequest } from '../../receive/raw-request';
import { fromZodError } from '../errors';
import { structuredCloudEventSchema } from '../schemas';
import { bodyJsonOf, decodeBase64, isJsonMediaType, stringifyJson } from '../payloads/bytes';
import { mediaType } from '../../support/media-type';
import { requireAttributeName, requireContextAttributes } from '../cloudevent-attributes';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'cloudevent-structured';

function unwrap(raw: RawRequest): Unwrapped {
  const json = bodyJsonOf(raw, SHAPE, '');
  const parsed = structuredCloudEventSchema.safeParse(json);
  if (!parsed.success) throw fromZodError(SHAPE, parsed.error);
  const ce = parsed.data;
  // Context attributes are strings on the wire of the binary mode; extensions may be numbers or booleans here.
  // Names from the body as parsed (zod's copy drops a `__proto__` member, which must be refused, not lost).
  const members = json as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const name of Object.keys(members)) {
    const value = members[name];
    if (name === 'data' || name === 'data_base64' || value === undefined || value === null) continue;
    requireAttributeName(name, SHAPE, '');
    attributes[name] = typeof value === 'string' ? value : stringifyJson(value, SHAPE, JSON.stringify(name.slice(0, 64)));
  }
  requireContextAttributes(attributes, SHAPE, '');

  let data: Buffer;
  let dataValue: unknown;
  if (ce.data_base64 !== undefined) {
    data = decodeBase64(ce.data_base64, SHAPE, 'data_base64');
  } else if (ce.data === undefined) {
    data = Buffer.alloc(0);
  } else if (typeof ce.data === 'string' && !isJsonMediaType(ce.datacontenttype ?? 'application/json')) {
    data = Buffer.from(ce.data, 'utf8');
  } else {
    dataValue = ce.data;
    data = Buffer.from(stringifyJson(ce.data, SHAPE, 'data'), 'utf8');
  }
  return unwrapped({ shape: SHAPE, raw, attributes, data, dataValue, dataContentType: ce.datacontenttype });
}

export const cloudEventStructured: Envelope = {
  shape: SHAPE,
  reads: 'headers',
  detect: (raw) => mediaType(raw.headers['content-type']) === 'application/cloudevents+json',
  unwrap,
};
