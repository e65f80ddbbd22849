/**
 * Which source registries a replicate-image route copies from. An image event
 * names its source, and anyone who can publish to the topic writes that name:
 * without this check, a message naming a host of theirs makes the service pull
 * their image and push it into the targets with our credentials. The route's
 * `sources` list decides; without one, only Google registry hosts of the
 * deployment's own project. Pure.
 */
import type { ImageReference } from '../../parse/event';
import { isGoogleRegistryHost, isRepository, parseHost, quoted } from '../../registry/reference';

export interface SourceRule {
  /** Canonical host (with port when given). */
  readonly host: string;
  /** Leading path components an image must have; empty: any path on the host. */
  readonly path: readonly string[];
}

/** `HOST[:PORT][/PATH-PREFIX]`, e.g. `us-docker.pkg.dev/build-proj/releases`. */
export function parseSource(text: string): SourceRule {
  const slash = text.indexOf('/');
  const host = parseHost(slash < 0 ? text : text.slice(0, slash));
  const prefix = slash < 0 ? '' : text.slice(slash + 1).replace(/\/$/, '');
  if (prefix !== '' && !isRepository(prefix)) throw new Error(`source ${quoted(text)}: the path prefix must be repository components (a-z0-9 . _ -)`);
  return { host, path: prefix === '' ? [] : prefix.split('/') };
}

function allows(rule: SourceRule, image: ImageReference): boolean {
  if (rule.host !== image.host) return false;
  const path = image.path.split('/');
  return rule.path.length <= path.length && rule.path.every((c, i) => path[i] === c);
}

/** Why `image` may not be copied, or undefined when it may. */
export type SourceCheck = (image: ImageReference) => string | undefined;

export function sourceCheck(rules: readonly SourceRule[] | undefined, project: string | undefined): SourceCheck {
  if (rules) {
    return (image) => (rules.some((r) => allows(r, image)) ? undefined : `source ${image.host}/${image.path} is not in this route's sources`);
  }
  if (project === undefined) {
    return (image) => `source ${image.host}/${image.path} refused: the route has no sources and the deployment's project (GOOGLE_CLOUD_PROJECT) is unknown`;
  }
  return (image) =>
    isGoogleRegistryHost(image.host) && image.project === project
      ? undefined
      : `source ${image.host}/${image.path} is not a Google registry of project ${project}; list it in the route's sources to copy from it`;
}
