/**
 * The routes file's `with:` block for `action: forward`. Imported on the
 * cold-start path, so it holds only the schema.
 */
import { z } from 'zod';

// Headers the HTTP layer owns; letting a routes file set them would corrupt the request.
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'this header is set by the HTTP layer');

// Values may come from secrets later; here they are plain strings, checked for what HTTP refuses.
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'header values cannot contain control characters');

const targetUrl = z
  .string()
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'url must be http or https');

export const forwardOptions = z
  .object({
    /** Where every matching event is relayed. */
    url: targetUrl,
    /**
     * `cloudevent`: binary CloudEvent (`ce-*` headers, data bytes and content type as received).
     * `original`: the received body and content type, untouched.
     */
    format: z.enum(['cloudevent', 'original']).default('cloudevent'),
    /** Budget for one delivery: waiting for a slot, the ID token, the request and the response.
     *  Below the route's own deadline (9 s by default) so the log names the target as the slow part. */
    timeoutMs: z.number().int().positive().max(600_000).default(8_000),
    /** Added to every request (after the event's own headers). */
    headers: z.record(headerName, headerValue).default({}),
    /** Send `Authorization: Bearer <Google ID token>` for this audience (default: the url's origin). */
    idToken: z.object({ audience: z.string().min(1).optional() }).strict().optional(),
    /** 4xx statuses to treat as retryable (redelivered) instead of permanent. */
    retryStatuses: z.array(z.number().int().min(400).max(499)).default([]),
    /** Most requests to the target at once; further events wait (within timeoutMs). */
    maxInFlight: z.number().int().positive().max(10_000).default(100),
    /** PEM file of extra CA certificates to trust for an https target (private CAs). */
    caFile: z.string().min(1).optional(),
  })
  .strict();

export type ForwardOptions = z.output<typeof forwardOptions>;
