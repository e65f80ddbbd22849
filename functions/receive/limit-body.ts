/**
 * Stage: a body over the limit is refused (413). Both servers refuse these while
 * reading already (read-body.ts); this holds for a RawRequest handed in directly.
 */
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import type { Incoming } from './incoming';
import type { RawRequest } from './raw-request';

/** The refusal of a body over the limit; undefined within it. */
export function oversizeOf(raw: RawRequest, maxBodyBytes: number): Outcome | undefined {
  const declared = Number(raw.headers['content-length'] ?? raw.body.length);
  if (raw.body.length <= maxBodyBytes && declared <= maxBodyBytes) return undefined;
  const reason = `request body larger than ${maxBodyBytes} bytes`;
  return {
    kind: 'not-a-delivery',
    status: 413,
    reason,
    line: { message: reason, fields: { httpRequest: { requestMethod: raw.method, requestUrl: raw.path, status: 413 } } },
  };
}

export function limitBody(maxBodyBytes: number): Stage<Incoming, Outcome> {
  return async (request, next) => oversizeOf(request.raw, maxBodyBytes) ?? next();
}
