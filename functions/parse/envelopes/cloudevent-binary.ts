/** Shapes A and B: a binary-mode CloudEvent, as Eventarc sends it (`ce-*` headers, data in the body). */
import type { RawRequest } from '../../receive/raw-request';
import { requireAttributeName, requireContextAttributes } from '../cloudevent-attributes';
import type { Envelope } from './envelope';
import { unwrapped, type Unwrapped } from '../unwrapped';

const SHAPE = 'cloudevent-binary';

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

function unwrap(raw: RawRequest): Unwrapped {
  const attributes = contextAttributesOfHeaders(raw.headers);
  requireContextAttributes(attributes, SHAPE, 'ce-');
  const dataContentType = raw.headers['content-type'];
  if (dataContentType !== undefined) attributes['datacontenttype'] = dataContentType;
  return unwrapped({ shape: SHAPE, raw, attributes, data: raw.body, dataValue: raw.bodyJson, dataContentType });
}

export const cloudEventBinary: Envelope = {
  shape: SHAPE,
  reads: 'headers',
  detect: (raw) => raw.headers['ce-specversion'] !== undefined,
  unwrap,
};
