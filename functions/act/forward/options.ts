/**
 * The routes file's `with:` block for `action: forward`. Imported on the
 * cold-start path, so it holds only the schema.
 */
import '../../support/schema';
import * as z from 'zod/mini';

// Headers the HTTP layer owns; letting a routes file set them would corrupt the request.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

const headerName = z.string().check(
  z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name'),
  z.refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'this header is set by the HTTP layer'),
);

// Values may come from secrets later; here they are plain strings, checked for what HTTP refuses.
const headerValue = z.string().check(z.regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'header values cannot contain control characters'));

const targetUrl = z.url().check(z.refine((u) => /^https?:$/.test(new URL(u).protocol), 'url must be http or https'));

export const forwardOptions = z.strictObject({
  /** Where every matching event is relayed. */
  url: targetUrl,
  /**
   * `cloudevent`: binary CloudEvent (`ce-*` headers, data bytes and content type as received).
   * `original`: the received body and content type, untouched.
   */
  format: z._default(z.enum(['cloudevent', 'original']), 'cloudevent'),
  /** Budget for one delivery: waiting for a slot, the ID token, the request and the response.
   *  Below the route's own deadline (9 s by default) so the log names the target as the slow part. */
  timeoutMs: z._default(z.int().check(z.positive(), z.lte(600_000)), 8_000),
  /** Added to every request (after the event's own headers). */
  headers: z._default(z.record(headerName, headerValue), {}),
  /** Send `Authorization: Bearer <Google ID token>` for this audience (default: the url's origin). */
  idToken: z.optional(z.strictObject({ audience: z.optional(z.string().check(z.minLength(1))) })),
  /** 4xx statuses to treat as retryable (redelivered) instead of permanent. */
  retryStatuses: z._default(z.array(z.int().check(z.gte(400), z.lte(499))), []),
  /** Most requests to the target at once; further events wait (within timeoutMs). */
  maxInFlight: z._default(z.int().check(z.positive(), z.lte(10_000)), 100),
  /** PEM file of extra CA certificates to trust for an https target (private CAs). */
  caFile: z.optional(z.string().check(z.minLength(1))),
});

export type ForwardOptions = z.output<typeof forwardOptions>;
