/**
 * The pipeline run synchronously: the one exception to the async stages, kept
 * because it is measured (docs/benchmarks.md, issue 11). For a setup with no
 * asynchronous stage (no auth, no event deadline, no dead-letter topic) it does
 * what record, health, admit, limitBody and decide do, in that order, and makes no
 * promise while the matching routes' handlers answer at once (the log action
 * does). An idempotent route, or a handler that answers later, continues
 * asynchronously from there.
 */
import { healthOf } from '../receive/health';
import type { Incoming } from '../receive/incoming';
import { oversizeOf } from '../receive/limit-body';
import type { InFlight } from '../receive/shutdown';
import { decideNow, type DecideSettings } from '../route/decide';
import type { Outcome } from '../support/outcome';
import { writeLine } from './outcome';
import { internalOf } from './record';

export interface SyncPipelineSettings {
  readonly inFlight: InFlight;
  readonly maxBodyBytes: number;
  readonly decide: DecideSettings;
}

export function handleSync(settings: SyncPipelineSettings): (request: Incoming) => Outcome | Promise<Outcome> {
  return (request) => {
    const early = healthOf(settings.inFlight, request.raw);
    if (early) return early;
    const leave = settings.inFlight.enter();
    if (!leave) return { kind: 'draining' };
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = oversizeOf(request.raw, settings.maxBodyBytes) ?? decideNow(settings.decide, request);
    } catch (err) {
      outcome = internalOf(err);
    }
    const recorded = (o: Outcome): Outcome => {
      leave();
      writeLine(request.log, request.raw, o);
      return o;
    };
    return outcome instanceof Promise ? outcome.then(recorded, (err: unknown) => recorded(internalOf(err))) : recorded(outcome);
  };
}
