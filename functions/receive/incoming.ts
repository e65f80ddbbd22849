/**
 * One request as it goes through the pipeline: what arrived, the signal that
 * aborts its work, and its logger. Made per request and never kept: nothing of a
 * request lives in module scope.
 */
import type { Logger } from '../support/logger';
import type { OutcomeEvent } from '../support/outcome';
import type { RawRequest } from './raw-request';
import { traceOf, traceResource } from './trace';
import type { AbortSource } from '../support/abort-source';

/** Makes a request's logger: its trace, and once parsed its event's labels. */
export type RequestLogs = (raw: RawRequest, event?: OutcomeEvent & { readonly project?: string }) => Logger;

export function requestLogsOf(base: Logger, project: string | undefined): RequestLogs {
  return (raw, event) => {
    const trace = traceOf(raw.headers);
    const labels: Record<string, string> = {};
    if (event?.id !== undefined) labels['eventId'] = event.id;
    if (event) labels['eventType'] = event.type;
    return base.child({
      ...(trace && { trace: traceResource(trace, project ?? event?.project), ...(trace.spanId && { spanId: trace.spanId }) }),
      labels,
    });
  };
}

export class Incoming {
  private logger: Logger | undefined;

  constructor(
    readonly raw: RawRequest,
    /** Aborts the routes' work: the client went away, or (set by the deadline stage) the event deadline passed. */
    public signal: AbortSource | undefined,
    private readonly logs: RequestLogs,
  ) {}

  /** Made on first use: most requests log nothing of their own before their event is known. */
  get log(): Logger {
    return (this.logger ??= this.logs(this.raw));
  }

  /** Once the event is parsed: later lines carry its labels. */
  labelWith(event: OutcomeEvent & { readonly project?: string }): Logger {
    return (this.logger = this.logs(this.raw, event));
  }
}
