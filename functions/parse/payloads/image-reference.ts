/**
 * Image references from Artifact Registry / Container Registry notifications:
 * `HOST/PROJECT/REPO/IMAGE[:TAG][@sha256:...]` on `*-docker.pkg.dev`, and
 * `HOST/PROJECT/IMAGE...` on gcr.io hosts, which have no repository segment.
 * The reference syntax itself is the registry client's strict parser (one
 * grammar for what is routed and what is fetched); this adds the Google layout.
 */
import type { ImageReference } from '../event';
import { PayloadError } from '../errors';
import { isContainerRegistryHost, parseImageRef } from '../../registry/reference';

export function parseImageReference(reference: string, shape: string, path: string): ImageReference {
  let ref;
  try {
    ref = parseImageRef(reference);
  } catch (err) {
    throw new PayloadError(shape, path, (err as Error).message);
  }
  const segments = ref.repository.split('/');
  const withRepository = !isContainerRegistryHost(ref.host);
  if (segments.length < (withRepository ? 3 : 2)) {
    const layout = withRepository ? 'HOST/PROJECT/REPOSITORY/IMAGE' : 'HOST/PROJECT/IMAGE';
    throw new PayloadError(shape, path, `expected ${layout} in "${reference}"`);
  }
  const [project, ...below] = segments as [string, ...string[]];
  const repository = withRepository ? below.shift()! : '';
  return {
    host: ref.host,
    project,
    repository,
    image: below.join('/'),
    path: ref.repository,
    ...(ref.tag !== undefined && { tag: ref.tag }),
    ...(ref.digest !== undefined && { digest: ref.digest }),
  };
}

/** The full reference as text: HOST/PATH[:TAG][@DIGEST]. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.host}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
