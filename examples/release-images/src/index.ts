/**
 * The function's entry module. routes.yaml copies release tags to the partner's
 * registry (the built-in `replicate-image`); the code route below is ours: it writes
 * one release line per tag, with the fields narrowed to a registry event at compile time.
 */
import * as path from 'path';
import * as functions from '@google-cloud/functions-framework';
import { createRouter } from 'eventarc-router';

export const router = createRouter({ routesFile: path.join(__dirname, '..', 'routes.yaml') }).on(
  { kind: 'registry.image', change: 'inserted', tag: { glob: 'v*.*.*' } },
  (event, ctx) => {
    // `event.image` is known to exist: the match names kind registry.image.
    const { host, path: repository, tag, digest } = event.image;
    const image = `${host}/${repository}`;
    ctx.log.info(`release ${image}:${tag}`, { release: { image, tag, digest: digest ?? null } });
    return { summary: `release ${image}:${tag} announced` };
  },
  { name: 'announce-release' },
);

functions.http('releases', router.handler);
