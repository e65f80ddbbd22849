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

/** Collects `peer`'s stdout from now on (the whole of it: the peer's own output keeps only a tail). */
export function collectJsonLogs(peer: Peer): JsonLogs {
  let stdout = '';
  peer.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  return {
    logs,
    async waitForLogs(predicate, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = logs();
        if (predicate(current)) return current;
        if (Date.now() > deadline) throw new Error(`log condition not met in ${timeoutMs} ms; logs:\n${stdout}${peer.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
