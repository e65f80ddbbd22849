/** Shape C: a structured-mode CloudEvent (`application/cloudevents+json`, the whole event in the body). */
import type { RawRequest, RouterEvent } from '../event';
import { fromZodError } from '../errors';
import { structuredCloudEventSchema } from '../schemas';
import { bodyJsonOf, decodeBase64, isJsonMediaType, mediaType, parseJson } from '../payloads/bytes';
import { eventFromCloudEvent, requireContextAttributes } from './cloudevent';

const SHAPE = 'cloudevent-structured';

export function isStructuredCloudEvent(raw: RawRequest): boolean {
  return mediaType(raw.headers['content-type']) === 'application/cloudevents+json';
}

export function parseStructuredCloudEvent(raw: RawRequest): RouterEvent {
  const parsed = structuredCloudEventSchema.safeParse(bodyJsonOf(raw, SHAPE, ''));
  if (!parsed.success) throw fromZodError(SHAPE, parsed.error);
  const ce = parsed.data;
  // Context attributes are strings on the wire of the binary mode; extensions may be numbers or booleans here.
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(ce)) {
    if (name === 'data' || name === 'data_base64' || value === undefined || value === null) continue;
    attributes[name] = typeof value === 'string' ? value : JSON.stringify(value);
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
    data = Buffer.from(JSON.stringify(ce.data), 'utf8');
  }
  const cloudEvent = { attributes, data, ...(ce.datacontenttype !== undefined && { dataContentType: ce.datacontenttype }) };
  return eventFromCloudEvent(
    { attributes, data, ...(dataValue !== undefined && { dataValue }), delivery: { shape: SHAPE, attributes: {}, cloudEvent, raw } },
    SHAPE,
  );
}
