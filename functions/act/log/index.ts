/**
 * `log`: one structured line per event (Cloud Logging's JSON form, with the
 * request's trace and the event id and type as labels). The default action.
 */
import { z } from 'zod';
import { defineAction } from '../action';
import { createLogger, nullSink } from '../../answer/logger';
import { describeEvent, eventFields } from '../../answer/describe-event';

const options = z.strictObject({
  severity: z.enum(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR']).default('INFO'),
  /** Include the message data (base64) in the entry. */
  includeData: z.boolean().default(false),
  /** `null` discards entries (benchmarks, or a route that only exists to acknowledge). */
  output: z.enum(['stdout', 'null']).default('stdout'),
});

export const logAction = defineAction({
  name: 'log',
  options,
  create(opts) {
    // The request logger carries trace and labels; a null output swaps only the sink.
    const discard = opts.output === 'null' ? createLogger(nullSink) : undefined;
    return (event, ctx) => {
      const log = discard ?? ctx.log;
      log.log(opts.severity, describeEvent(event), { event: eventFields(event, opts.includeData) });
    };
  },
});
