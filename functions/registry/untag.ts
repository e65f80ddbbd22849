/**
 * Removing one tag from a target. The Distribution spec allows DELETE on a tag,
 * but registries such as distribution 2.8 refuse it; then the manifest itself
 * is deleted by digest, and only when no other tag names it (deleting it would
 * take those tags too, which the user did not ask for).
 */
import type { RegistryClient } from './client';
import { isTag } from './reference';
import { RegistryHttpError } from './retry';
import { DispositionError } from '../support/disposition';

export type UntagOutcome = 'removed' | 'removed-by-digest' | 'absent';

export class UntagRefusedError extends DispositionError {
  constructor(message: string) {
    super(message, 'permanent');
    this.name = 'UntagRefusedError';
  }
}

export async function untag(client: RegistryClient, repository: string, tag: string, signal?: AbortSignal): Promise<UntagOutcome> {
  const head = await client.headManifest(repository, tag, signal);
  if (!head) return 'absent';
  try {
    return (await client.deleteManifest(repository, tag, signal)) ? 'removed' : 'absent';
  } catch (err) {
    const refused = err instanceof RegistryHttpError && (err.status === 400 || err.status === 405);
    if (!refused || !head.digest) throw err;
  }
  const tags = await client.listTags(repository, signal);
  const others: string[] = [];
  // A name that is not a tag cannot be one on the registry: skipped, never put into a URL.
  for (const other of tags.filter((t) => t !== tag && isTag(t))) {
    if ((await client.headManifest(repository, other, signal))?.digest === head.digest) others.push(other);
  }
  if (others.length > 0) {
    throw new UntagRefusedError(`${client.host}/${repository}: the registry cannot delete tag ${tag} alone, and ${others.join(', ')} name the same manifest`);
  }
  return (await client.deleteManifest(repository, head.digest, signal)) ? 'removed-by-digest' : 'absent';
}
