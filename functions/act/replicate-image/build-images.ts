/**
 * What a Cloud Build status change gives replicate-image to copy: each image the
 * build pushed, pinned by the digest the build reported, so the copy is exactly
 * what was built even when the tag has moved since. A build's image names are
 * as hostile as a notification's (whoever can write the build config, or
 * publish to `cloud-builds`, chooses them): each is read with the same strict
 * reference parser, and the route's sources decide as for any image. Pure.
 */
import type { Build } from '../../parse/payloads/cloud-build';
import type { ImageReference } from '../../parse/event';
import { PayloadError } from '../../parse/errors';
import { parseImageReference } from '../../parse/payloads/image-reference';
import { quoted } from '../../registry/reference';
import type { SourceCheck } from './sources';

export interface BuildCopies {
  /** Images to copy, each with `digest` set (the build's) and `tag` when its name had one. */
  readonly images: readonly ImageReference[];
  /** Images named without a digest: the build did not report pushing them, so there is nothing exact to copy. */
  readonly unpushed: readonly string[];
  /** Why an image may not be copied (a bad reference, a source the route does not allow); any one refuses the build. */
  readonly refusals: readonly string[];
}

export function buildCopies(build: Build, refusal: SourceCheck): BuildCopies {
  const images: ImageReference[] = [];
  const unpushed: string[] = [];
  const refusals: string[] = [];
  for (const { name, digest } of build.images) {
    if (digest === undefined) {
      unpushed.push(name);
      continue;
    }
    let image: ImageReference;
    try {
      image = parseImageReference(name, 'Build', 'results.images');
    } catch (err) {
      refusals.push(`image ${quoted(name)}: ${err instanceof PayloadError ? err.problem : (err as Error).message}`);
      continue;
    }
    if (image.digest !== undefined && image.digest !== digest) {
      refusals.push(`image ${quoted(name)} names digest ${image.digest}, but the build reported ${digest}`);
      continue;
    }
    const refused = refusal(image);
    if (refused) refusals.push(refused);
    else images.push({ ...image, digest });
  }
  return { images, unpushed, refusals };
}
