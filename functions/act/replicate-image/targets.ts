/**
 * Targets in a routes file name a repository (`HOST/PROJECT/REPO`, the source
 * image name is appended) or a whole image path (`HOST/PROJECT/REPO/IMAGE`).
 * Which one is told by the host's layout: Artifact Registry and other
 * registries have PROJECT/REPO, Container Registry hosts only PROJECT.
 */
import { isContainerRegistryHost, isTag, parseImageRef, type ImageRef } from '../../registry/reference';

export interface Target {
  readonly host: string;
  /** Path below the host. */
  readonly path: string;
  /** True when the path already names the image (no source image name appended). */
  readonly namesImage: boolean;
}

function repositorySegments(host: string): number {
  return isContainerRegistryHost(host) ? 1 : 2;
}

export function parseTarget(text: string): Target {
  const slash = text.indexOf('/');
  if (slash <= 0) throw new Error(`target "${text}" must be HOST/PROJECT/REPO[/IMAGE]`);
  // Reuse the reference grammar; a target names a place, so no tag or digest.
  const ref = parseImageRef(`${text}:probe`);
  if (ref.tag !== 'probe' || ref.digest) throw new Error(`target "${text}" must not carry a tag or digest`);
  const segments = ref.repository.split('/').length;
  const minimum = repositorySegments(ref.host);
  if (segments < minimum) throw new Error(`target "${text}" must name at least ${minimum === 1 ? 'HOST/PROJECT' : 'HOST/PROJECT/REPO'}`);
  return { host: ref.host, path: ref.repository, namesImage: segments > minimum };
}

/** Where a source image goes in one target: same image name (unless the target names one), `tag` set when given. */
export function targetRef(target: Target, image: string, tag: string | undefined): ImageRef {
  if (tag !== undefined && !isTag(tag)) throw new Error(`invalid tag "${tag}"`);
  const repository = target.namesImage ? target.path : `${target.path}/${image}`;
  return { host: target.host, repository, ...(tag !== undefined && { tag }) };
}
