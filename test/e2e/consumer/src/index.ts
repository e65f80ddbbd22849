// A user's own entry module: their route, registered under their own function name.
import * as functions from '@google-cloud/functions-framework';
import { createRouter, PermanentError } from 'eventarc-router';

export const router = createRouter().on(
  { kind: 'storage.object', bucket: 'releases', name: { pathPattern: 'v/{version}/{file=**}' } },
  (event, ctx) => {
    if (event.object.size === 0n) throw new PermanentError(`${event.object.name} is empty`);
    ctx.log.info(`releasing ${ctx.params.version}`);
    return { summary: `release ${ctx.params.version}: ${ctx.params.file} (${event.object.size} bytes)` };
  },
  { name: 'release' },
);

functions.http('releases', router.handler);
