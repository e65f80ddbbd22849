/**
 * Structured logging in Cloud Logging's JSON form: one line per entry on stdout
 * (Cloud Run and Functions pick up `severity`, `message`, the trace and labels).
 * One JSON.stringify per entry, so no value (an object name with a newline, say)
 * can break a line or forge another entry.
 */

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Where entries go. `stdout` in production; tests and benchmarks pass their own. */
export interface LogSink {
  write(line: string): void;
}

export const stdoutSink: LogSink = { write: (line) => void process.stdout.write(line) };
export const nullSink: LogSink = { write: () => undefined };

export interface LogContext {
  /** `projects/P/traces/T` (or the bare trace id when no project is known). */
  readonly trace?: string;
  readonly spanId?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface Logger {
  log(severity: Severity, message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds this trace/labels to every entry. */
  child(context: LogContext): Logger;
}

// bigint (object sizes, generations) is not JSON; Buffers would print as byte arrays.
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

/** Serialises one entry to exactly one line; U+2028/U+2029 are escaped too, as some readers split on them. */
export function formatEntry(severity: Severity, message: string, context: LogContext, fields?: Record<string, unknown>): string {
  const entry: Record<string, unknown> = { severity, message, ...fields };
  if (context.trace) entry['logging.googleapis.com/trace'] = context.trace;
  if (context.spanId) entry['logging.googleapis.com/spanId'] = context.spanId;
  if (context.labels && Object.keys(context.labels).length > 0) entry['logging.googleapis.com/labels'] = context.labels;
  return JSON.stringify(entry, replacer).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') + '\n';
}

export function createLogger(sink: LogSink = stdoutSink, context: LogContext = {}): Logger {
  const log = (severity: Severity, message: string, fields?: Record<string, unknown>) =>
    sink.write(formatEntry(severity, message, context, fields));
  return {
    log,
    info: (m, f) => log('INFO', m, f),
    warn: (m, f) => log('WARNING', m, f),
    error: (m, f) => log('ERROR', m, f),
    child: (more) =>
      createLogger(sink, {
        trace: more.trace ?? context.trace,
        spanId: more.spanId ?? context.spanId,
        labels: { ...context.labels, ...more.labels },
      }),
  };
}

/** Collects entries in memory; for tests and the CLI's `routes explain`. */
export function memorySink(): LogSink & { lines: string[]; entries(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(line),
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
