/**
 * Starting the service from the environment, shared by both entry points (the
 * Functions Framework function in index.ts and the lean server in serve.ts):
 * resolve Secret Manager references first when there are any, install graceful
 * shutdown, and stop with one CRITICAL line naming the problem when it cannot start.
 */
import { createApp, startApp, type App } from './app';
import { environment, readSettingsBeforeSecrets } from './config';
import { receiveLimitsOf, type ReceiveLimits } from './receive/limits';
import { installShutdown } from './receive/shutdown';
import { configurationReferences } from './secrets/configuration';

export interface Started {
  /** The app, at once when the configuration holds no secret reference. */
  readonly app?: App;
  readonly ready: Promise<App>;
  /** What a request may cost before any work: from the environment as given, before secrets are resolved. */
  readonly limits: ReceiveLimits;
  /** Where the lean server listens (Functions Framework reads PORT itself). */
  readonly port: number;
}

function cannotStart(err: unknown): never {
  // Errors here name references, never secret values.
  process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${(err as Error).message}` }) + '\n');
  throw err;
}

export function startFromEnvironment(options: { onDrain?: () => void } = {}): Started {
  const shutdownOn = (app: App): App => {
    installShutdown(app.inFlight, {
      graceMs: app.settings.shutdownGraceMs,
      log: (message, fields) => process.stdout.write(JSON.stringify({ severity: 'NOTICE', message, ...fields }) + '\n'),
      ...(options.onDrain && { onDrain: options.onDrain }),
    });
    return app;
  };
  const env = environment();
  let limits: ReceiveLimits;
  let port: number;
  try {
    const early = readSettingsBeforeSecrets(env);
    limits = receiveLimitsOf(early);
    port = early.port;
    if (configurationReferences(env).size === 0) {
      const app = shutdownOn(createApp({ env }));
      return { app, ready: Promise.resolve(app), limits, port };
    }
  } catch (err) {
    cannotStart(err);
  }
  const ready = startApp({ env }).then(shutdownOn, (err: Error) => {
    process.stderr.write(JSON.stringify({ severity: 'CRITICAL', message: `eventarc-router cannot start: ${err.message}` }) + '\n', () => process.exit(1));
    return new Promise<App>(() => undefined);
  });
  return { ready, limits, port };
}
