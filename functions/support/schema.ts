/**
 * zod's "mini" build, with its English messages. Mini rather than classic zod
 * because classic zod cannot be tree-shaken: it put 580 KB into the bundle and
 * ~30 ms into every cold start, for the same checks. Each schema module imports
 * `zod/mini` as a namespace itself (re-exporting the namespace from here would
 * defeat tree-shaking) and imports this module for its side effect, so the
 * messages are configured before any parse runs.
 */
import { config, type core } from 'zod/mini';
import { en } from 'zod/locales';

// Mini ships without messages ("Invalid input"); users need to read what is wrong.
config(en());

/** Any zod schema (classic or mini): what an action's `with:` block is validated by. */
export type Schema<Output> = core.$ZodType<Output, unknown>;

/** Parse with any zod schema, classic or mini (core's $ZodType has no methods). */
export { parse, safeParse } from 'zod/mini';
