/**
 * The structured log lines a started service writes on stdout (one JSON object a line, as
 * Cloud Logging reads them), collected as they come.
 */
import type { Peer } from './peer';

export type LogLine = Record<string, unknown>;

export interface JsonLogs {
  /** Every JSON log line the service printed so far. */
  logs(): LogLine[];
  /** Waits until `predicate` holds for the logs, or fails after `timeoutMs` with all the service printed. */
  waitForLogs(predicate: (logs: LogLine[]) => boolean, timeoutMs?: number): Promise<LogLine[]>;
}

/** The JSON lines of `text`. */
function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Polls `read` until `predicate` holds, or fails after `timeoutMs` with all the service printed. */
async function waitForLines(read: () => LogLine[], predicate: (logs: LogLine[]) => boolean, timeoutMs: number, printed: () => string): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = read();
    if (predicate(current)) return current;
    if (Date.now() > deadline) throw new Error(`log condition not met in ${timeoutMs} ms; logs:\n${printed()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Every JSON line `peer` has printed since it started (stdout and stderr, the peer's own record),
 * once `predicate` holds: a request's lines reach stdout at the end of the event-loop turn that
 * wrote them (functions/support/turn-sink.ts), which can be just after its answer.
 */
export function waitForPrinted(peer: Peer, predicate: (logs: LogLine[]) => boolean, timeoutMs = 15000): Promise<LogLine[]> {
  return waitForLines(
    () => jsonLines(peer.output()),
    predicate,
    timeoutMs,
    () => peer.output(),
  );
}

/** Collects `peer`'s stdout from now on (the whole of it: the peer's own output keeps only a tail). */
export function collectJsonLogs(peer: Peer): JsonLogs {
  let stdout = '';
  peer.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const logs = () => jsonLines(stdout);
  return {
    logs,
    waitForLogs: (predicate, timeoutMs = 15000) => waitForLines(logs, predicate, timeoutMs, () => `${stdout}${peer.output()}`),
  };
}
