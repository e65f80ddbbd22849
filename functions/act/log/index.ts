/**
 * `log`: one structured line per event (Cloud Logging's JSON form, with the
 * request's trace and the event id and type as labels). The default action.
 */
import '../../support/schema';
import * as z from 'zod/mini';
import { defineAction, NO_PARAMS } from '../action';
import { createLogger, nullSink } from '../../support/logger';
import { describeEvent, eventFields } from '../../parse/describe-event';

const options = z.strictObject({
  severity: z._default(z.enum(['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR']), 'INFO'),
  /** Include the message data (base64) in the entry. */
  includeData: z._default(z.boolean(), false),
  /** `null` discards entries (benchmarks, or a route that only exists to acknowledge). */
  output: z._default(z.enum(['stdout', 'null']), 'stdout'),
});

export const logAction = defineAction({
  name: 'log',
  options,
  create(opts) {
    // The request logger carries trace and labels; a null output swaps only the sink.
    const discard = opts.output === 'null' ? createLogger(nullSink) : undefined;
    return (event, ctx) => {
      const log = discard ?? ctx.log;
      const fields = { event: eventFields(event, opts.includeData) };
      // The route's path parameters (`users/{uid}`), when it captured any.
      log.log(opts.severity, describeEvent(event), ctx.params === NO_PARAMS ? fields : { ...fields, params: ctx.params });
    };
  },
});
