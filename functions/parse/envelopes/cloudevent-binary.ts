/** Shapes A and B: a binary-mode CloudEvent, as Eventarc sends it (`ce-*` headers, data in the body). */
import type { RouterEvent } from '../event';
import type { RawRequest } from '../../receive/raw-request';
import { eventFromCloudEvent, requireAttributeName, requireContextAttributes } from './cloudevent';

const SHAPE = 'cloudevent-binary';

export function isBinaryCloudEvent(raw: RawRequest): boolean {
  return raw.headers['ce-specversion'] !== undefined;
}

/** Every `ce-*` header, prefix removed, value exactly as received. */
export function contextAttributesOfHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const attributes: Record<string, string> = {};
  // for...in, not Object.entries: no array of pairs per request (the headers are a plain object).
  for (const header in headers) {
    if (header.length > 3 && header.startsWith('ce-')) {
      // Checked before it is set: `ce-__proto__` must be refused, not assigned away.
      const name = header.slice(3);
      requireAttributeName(name, SHAPE, 'ce-');
      attributes[name] = headers[header]!;
    }
  }
  return attributes;
}

export function parseBinaryCloudEvent(raw: RawRequest): RouterEvent {
  const attributes = contextAttributesOfHeaders(raw.headers);
  requireContextAttributes(attributes, SHAPE, 'ce-');
  const dataContentType = raw.headers['content-type'];
  if (dataContentType !== undefined) attributes['datacontenttype'] = dataContentType;
  const cloudEvent = { attributes, data: raw.body, ...(dataContentType !== undefined && { dataContentType }) };
  return eventFromCloudEvent(
    { attributes, data: raw.body, ...(raw.bodyJson !== undefined && { dataValue: raw.bodyJson }), delivery: { shape: SHAPE, attributes: {}, cloudEvent, raw } },
    SHAPE,
  );
}
