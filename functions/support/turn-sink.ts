/**
 * A log sink that writes the lines of one turn of the event loop together.
 * Every event writes at least two lines (its action's and one per route), and
 * each `process.stdout.write` is a write(2); under load one turn handles many
 * events, so one write serves all of their lines. The lines wait at most until
 * the turn's check phase (setImmediate), or until enough of them are pending, and
 * are written synchronously at exit (Node emits 'exit' for process.exit() and for
 * an uncaught exception), so only a SIGKILL within that turn loses them.
 */
import { writeSync } from 'fs';

/** Past this many pending characters the lines are written at once: a turn's batch stays a bounded write. */
export const MAX_PENDING_CHARS = 64 * 1024;

/** A LogSink (support/logger.ts) that can be flushed. */
export interface TurnSink {
  write(line: string): void;
  /** Writes what is pending now. */
  flush(): void;
}

export interface TurnSinkOptions {
  /** Where a batch goes, e.g. `(text) => process.stdout.write(text)`. */
  readonly write: (text: string) => void;
  /** Writes what is left when the process exits, synchronously (the event loop no longer runs then). */
  readonly writeAtExit?: (text: string) => void;
  readonly maxPendingChars?: number;
}

export function createTurnSink(options: TurnSinkOptions): TurnSink {
  const max = options.maxPendingChars ?? MAX_PENDING_CHARS;
  let pending = '';
  let scheduled = false;
  let exitHooked = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    options.write(text);
  };
  const atExit = (): void => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    (options.writeAtExit ?? options.write)(text);
  };
  return {
    write(line: string): void {
      pending += line;
      if (pending.length >= max) return flush();
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
      // Hooked on the first line, not at import: loading the library has no side effect.
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', atExit);
      }
    },
    flush,
  };
}

/** stdout, one write per turn; at exit what is pending goes straight to fd 1. */
export const stdoutTurnSink: TurnSink = createTurnSink({
  write: (text) => void process.stdout.write(text),
  writeAtExit: (text) => writeAll(1, text),
});

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  // A pipe may take part of it (EAGAIN on a non-blocking pipe is thrown, and the rest is lost with the process).
  for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
}
