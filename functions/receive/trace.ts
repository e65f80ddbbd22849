/** The request's trace, from W3C `traceparent` or Google's `X-Cloud-Trace-Context`, for log correlation. */

export interface TraceContext {
  readonly traceId: string;
  readonly spanId?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}/;
// The span id is a uint64 in decimal: at most 20 digits (BigInt of a caller's longer run is quadratic).
const CLOUD_TRACE = /^([0-9a-fA-F]{32})(?:\/(\d{1,20})(?!\d))?/;

export function traceOf(headers: Readonly<Record<string, string>>): TraceContext | undefined {
  const w3c = TRACEPARENT.exec(headers['traceparent'] ?? '');
  if (w3c && !/^0+$/.test(w3c[1])) return { traceId: w3c[1], spanId: w3c[2] };
  const google = CLOUD_TRACE.exec(headers['x-cloud-trace-context'] ?? '');
  if (google) {
    // Cloud Logging wants the span id as 16 hex digits; the header carries it in decimal.
    const span = google[2] !== undefined ? BigInt(google[2]).toString(16).padStart(16, '0').slice(-16) : undefined;
    return { traceId: google[1].toLowerCase(), ...(span !== undefined && { spanId: span }) };
  }
  return undefined;
}

/** `projects/P/traces/T`, the form Cloud Logging links to Cloud Trace; the bare id when no project is known. */
export function traceResource(trace: TraceContext, project: string | undefined): string {
  return project ? `projects/${project}/traces/${trace.traceId}` : trace.traceId;
}
