/**
 * Structured logging in Cloud Logging's JSON form: one line per entry on stdout
 * (Cloud Run and Functions pick up `severity`, `message`, the trace and labels).
 * One JSON.stringify per entry, so no value (an object name with a newline, say)
 * can break a line or forge another entry.
 */

import { stdoutTurnSink } from './turn-sink';

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** Where entries go. `stdout` in production; tests and benchmarks pass their own. */
export interface LogSink {
  write(line: string): void;
}

/** stdout, the lines of one turn of the event loop in one write (support/turn-sink.ts). */
export const stdoutSink: LogSink = stdoutTurnSink;
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
  /**
   * An entry whose members after severity and message are given as JSON text
   * (`,"key":value` each, every string made by jsonText, every number finite):
   * for lines written on every event (route lines), where building and serialising
   * an object was most of their cost. Bounded like any entry.
   */
  logMembers(severity: Severity, message: string, membersJson: string): void;
  /** A logger that adds this trace/labels to every entry. */
  child(context: LogContext): Logger;
}

// bigint (object sizes, generations) is not JSON; Buffers would print as byte arrays.
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

/**
 * True when JSON.stringify needs no replacer for `value`: no bigint, Error or Buffer
 * in it (looked at to a bounded depth). A replacer costs a call per key, which made
 * formatting the largest cost per logged event; most entries need none.
 */
function isPlainJson(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'bigint';
  if (depth > 8 || value instanceof Error || Buffer.isBuffer(value)) return false;
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function stringify(entry: Record<string, unknown>, fields: Record<string, unknown> | undefined): string | undefined {
  if (fields === undefined || isPlainJson(fields)) {
    try {
      return JSON.stringify(entry);
    } catch {
      // A toJSON() that returned a bigint, say: the replacer below knows what to do.
    }
  }
  try {
    return JSON.stringify(entry, replacer);
  } catch {
    // Nested too deep for JSON.stringify's recursion (or a cycle): the entry is written without its fields.
    return undefined;
  }
}

/** Cloud Logging refuses an entry over 256 KB: a longer line would be lost whole, so it is replaced. */
export const MAX_LINE_BYTES = 250 * 1024;

/** What is written instead of an entry that cannot be serialised or is too long: the message and what was dropped. */
function substitute(severity: Severity, message: string, context: LogContext, fields: Record<string, unknown> | undefined, dropped: string): string {
  const entry: Record<string, unknown> = {
    severity,
    message: message.length > 2000 ? `${message.slice(0, 2000)}…` : message,
    loggingError: `${dropped}; fields left out: ${Object.keys(fields ?? {})
      .join(', ')
      .slice(0, 500)}`,
  };
  if (context.trace) entry['logging.googleapis.com/trace'] = context.trace;
  if (context.spanId) entry['logging.googleapis.com/spanId'] = context.spanId;
  if (context.labels && Object.keys(context.labels).length > 0) entry['logging.googleapis.com/labels'] = context.labels;
  return JSON.stringify(entry);
}

const LINE_SEPARATORS = /[\u2028\u2029]/;

/** The line as written: U+2028/U+2029 escaped too (JSON.stringify leaves them), as some readers split on them. */
function endLine(line: string): string {
  return (LINE_SEPARATORS.test(line) ? line.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : line) + '\n';
}

/** A string as JSON text that is safe on one line: JSON.stringify, and U+2028/U+2029 escaped as well. */
export function jsonText(value: string): string {
  const json = JSON.stringify(value);
  return LINE_SEPARATORS.test(json) ? json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') : json;
}

const TRACE_KEY = 'logging.googleapis.com/trace';
const SPAN_KEY = 'logging.googleapis.com/spanId';
const LABELS_KEY = 'logging.googleapis.com/labels';

/**
 * The context's members as JSON text, to close an entry with: `,"logging.googleapis.com/trace":…}`.
 * A request's logger writes several entries with the same context (an action's line, each route's
 * line), and serialising its labels was a good part of each entry's cost, so it is done once per logger.
 */
export function contextJson(context: LogContext): string {
  let json = '';
  if (context.trace) json += `,"${TRACE_KEY}":${JSON.stringify(context.trace)}`;
  if (context.spanId) json += `,"${SPAN_KEY}":${JSON.stringify(context.spanId)}`;
  const labels = context.labels;
  if (labels) {
    // Labels are strings: each member stringified alone costs a fraction of JSON.stringify(object).
    let members = '';
    for (const key in labels) members += `${members ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(labels[key])}`;
    if (members) json += `,"${LABELS_KEY}":{${members}}`;
  }
  return `${json}}`;
}

/** Serialises one entry to exactly one line; U+2028/U+2029 are escaped too, as some readers split on them. */
export function formatEntry(severity: Severity, message: string, context: LogContext, fields?: Record<string, unknown>, closing?: string): string {
  let line: string | undefined;
  if (fields === undefined || !(TRACE_KEY in fields || SPAN_KEY in fields || LABELS_KEY in fields)) {
    // The entry's own members, then the context's as text made once: the same line as serialising them together.
    const own = stringify({ severity, message, ...fields }, fields);
    if (own !== undefined && own.endsWith('}')) line = own.slice(0, -1) + (closing ?? contextJson(context));
  }
  if (line === undefined) {
    // A field named like a context member (the context's value wins, as it always has), or a top-level toJSON.
    const entry: Record<string, unknown> = { severity, message, ...fields };
    if (context.trace) entry[TRACE_KEY] = context.trace;
    if (context.spanId) entry[SPAN_KEY] = context.spanId;
    if (context.labels && Object.keys(context.labels).length > 0) entry[LABELS_KEY] = context.labels;
    line = stringify(entry, fields);
  }
  line ??= substitute(severity, message, context, fields, 'the entry could not be serialised');
  // Characters undercount UTF-8 bytes at most threefold: count bytes only for a line that may be too long.
  if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line) > MAX_LINE_BYTES) {
    line = substitute(severity, message, context, fields, `the entry was ${Buffer.byteLength(line)} bytes, over ${MAX_LINE_BYTES}`);
  }
  return endLine(line);
}

// Label values come from events (an event id): each is cut, so no entry grows with one.
const MAX_LABEL_CHARS = 256;
function boundedLabels(labels: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  if (!labels) return labels;
  for (const key in labels) {
    if (labels[key].length > MAX_LABEL_CHARS) {
      const cut: Record<string, string> = {};
      for (const k in labels) cut[k] = labels[k].length > MAX_LABEL_CHARS ? `${labels[k].slice(0, MAX_LABEL_CHARS)}…` : labels[k];
      return cut;
    }
  }
  return labels;
}

/** One per request (a child carries its trace and labels): methods on the prototype, not closures per instance. */
class StructuredLogger implements Logger {
  /** contextJson(context), made on the first entry. */
  private closing: string | undefined;
  /** The closing with U+2028/U+2029 escaped, for logMembers. */
  private safeClosing: string | undefined;

  constructor(
    private readonly sink: LogSink,
    private readonly context: LogContext,
  ) {}

  log(severity: Severity, message: string, fields?: Record<string, unknown>): void {
    this.sink.write(formatEntry(severity, message, this.context, fields, (this.closing ??= contextJson(this.context))));
  }
  logMembers(severity: Severity, message: string, membersJson: string): void {
    // Each piece is safe on one line already (jsonText; the closing once per logger), so the line is not scanned again.
    let line = `{"severity":"${severity}","message":${jsonText(message)}${membersJson}${(this.safeClosing ??= endLine((this.closing ??= contextJson(this.context))).slice(0, -1))}`;
    if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line) > MAX_LINE_BYTES) {
      line = endLine(substitute(severity, message, this.context, undefined, `the entry was ${Buffer.byteLength(line)} bytes, over ${MAX_LINE_BYTES}`)).slice(
        0,
        -1,
      );
    }
    this.sink.write(line + '\n');
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('INFO', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('WARNING', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('ERROR', message, fields);
  }
  child(more: LogContext): Logger {
    const { context } = this;
    return new StructuredLogger(this.sink, {
      trace: more.trace ?? context.trace,
      spanId: more.spanId ?? context.spanId,
      labels: context.labels ? { ...context.labels, ...boundedLabels(more.labels) } : boundedLabels(more.labels),
    });
  }
}

export function createLogger(sink: LogSink = stdoutSink, context: LogContext = {}): Logger {
  return new StructuredLogger(sink, context);
}

/** Collects entries in memory, for tests. */
export function memorySink(): LogSink & { lines: string[]; entries(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(line),
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
