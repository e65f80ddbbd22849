/**
 * Graceful shutdown. Functions Framework 5 owns the server, and on SIGTERM it
 * answers the latest response with a crash and calls process.exit() at once,
 * losing every other request in flight. We take SIGTERM over: stop taking
 * requests (new ones get 503, so Pub/Sub redelivers them elsewhere), let those in
 * flight finish within the grace period, flush stdout, exit 0.
 */
export interface InFlight {
  /** Counts a request in; undefined when draining (the caller answers 503). */
  enter(): (() => void) | undefined;
  readonly count: number;
  readonly draining: boolean;
  /** Stops taking requests; resolves when none is in flight or after `graceMs`. Returns how many were left. */
  drain(graceMs: number): Promise<number>;
}

export function createInFlight(): InFlight {
  let count = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  return {
    enter() {
      if (draining) return undefined;
      count++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        if (--count === 0) idle?.();
      };
    },
    get count() {
      return count;
    },
    get draining() {
      return draining;
    },
    drain(graceMs) {
      draining = true;
      if (count === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(count), graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve(0);
        };
      });
    },
  };
}

export interface ShutdownOptions {
  readonly graceMs: number;
  readonly log: (message: string, fields?: Record<string, unknown>) => void;
  readonly exit?: (code: number) => void;
  /** Called when draining starts, e.g. to stop listening (the lean server owns its listener). */
  readonly onDrain?: () => void;
}

/** Installs our SIGTERM/SIGINT handling and keeps the framework's from being added after it. */
export function installShutdown(inFlight: InFlight, options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    const startedAt = Date.now();
    options.log(`${signal}: draining ${inFlight.count} request(s) in flight`, { inFlight: inFlight.count });
    options.onDrain?.();
    void inFlight.drain(options.graceMs).then((left) => {
      options.log(`${signal}: drained in ${Date.now() - startedAt} ms; ${left} request(s) cut off; exiting`, { left });
      // Exit only once stdout has taken every log line.
      process.stdout.write('', () => exit(0));
    });
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  for (const signal of signals) process.on(signal, onSignal);
  // The framework registers its handler once it listens, after this module ran: remove it as it arrives.
  process.on('newListener', (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if ((event === 'SIGTERM' || event === 'SIGINT') && listener !== onSignal) {
      process.nextTick(() => process.removeListener(event, listener));
    }
  });
}
