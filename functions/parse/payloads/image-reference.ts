/**
 * Image references from Artifact Registry / Container Registry notifications:
 * `HOST/PROJECT/REPO/IMAGE[:TAG][@sha256:...]` on `*-docker.pkg.dev`, and
 * `HOST/PROJECT/IMAGE...` on gcr.io hosts, which have no repository segment.
 */
import type { ImageReference } from '../event';
import { PayloadError } from '../errors';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Container Registry hosts carry no repository segment in the path. */
export function isContainerRegistryHost(host: string): boolean {
  return host === 'gcr.io' || host.endsWith('.gcr.io');
}

export function parseImageReference(reference: string, shape: string, path: string): ImageReference {
  const fail = (problem: string) => new PayloadError(shape, path, `${problem} in "${reference}"`);
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw fail('digest is not sha256:<64 hex>');
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw fail('no registry host');
  const host = rest.slice(0, slash);
  let repoPath = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = repoPath.lastIndexOf(':');
  if (colon >= 0) {
    tag = repoPath.slice(colon + 1);
    repoPath = repoPath.slice(0, colon);
    if (!TAG.test(tag)) throw fail('tag is not valid');
  }
  const segments = repoPath.split('/');
  if (segments.some((s) => !PATH_COMPONENT.test(s))) throw fail('image path is not valid');
  const withRepository = !isContainerRegistryHost(host);
  const minimum = withRepository ? 3 : 2;
  if (segments.length < minimum) throw fail(withRepository ? 'expected HOST/PROJECT/REPOSITORY/IMAGE' : 'expected HOST/PROJECT/IMAGE');
  const [project, ...below] = segments as [string, ...string[]];
  const repository = withRepository ? below.shift()! : '';
  const ref: ImageReference = { host, project, repository, image: below.join('/'), path: repoPath };
  return { ...ref, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** The full reference as text: HOST/PATH[:TAG][@DIGEST]. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.host}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}
