/**
 * Stage, the first: whatever the rest of the pipeline ends in is recorded here,
 * one line at its kind's severity (outcome.ts); a throw from any later stage is
 * a bug of ours, recorded as `internal` and answered 500 so the event is redelivered
 * rather than lost.
 */
import type { Incoming } from '../receive/incoming';
import type { Outcome } from '../support/outcome';
import type { Stage } from '../support/pipeline';
import { writeLine } from './outcome';

export const record: Stage<Incoming, Outcome> = async (request, next) => {
  let outcome: Outcome;
  try {
    outcome = await next();
  } catch (err) {
    outcome = internalOf(err);
  }
  writeLine(request.log, request.raw, outcome);
  return outcome;
};

/** A throw from any stage: a bug of ours. */
export function internalOf(err: unknown): Outcome {
  return { kind: 'internal', line: { message: `internal error: ${(err as Error | undefined)?.stack ?? String(err)}` } };
}
