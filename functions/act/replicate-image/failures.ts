/**
 * What a failed copy means for redelivery: a registry that is busy or down
 * (408, 429, 5xx, resets, timeouts) is worth Pub/Sub trying again; a refusal
 * (401, 403), a missing source manifest, a digest mismatch, a hostile manifest
 * or a registry naming a URL we refuse to follow never is.
 */
import { PermanentError, RetryableError } from '../errors';
import { SourceNotFoundError } from '../../registry/copy';
import { DigestMismatchError } from '../../registry/digest';
import { ManifestError } from '../../registry/manifest';
import { UnsafePeerError } from '../../registry/peer';
import { ImageReferenceError } from '../../registry/reference';
import { RegistryHttpError, isRetryableFailure } from '../../registry/retry';
import { UntagRefusedError } from '../../registry/untag';

export function asActionError(err: unknown, what: string): Error {
  const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof SourceNotFoundError || err instanceof DigestMismatchError || err instanceof ManifestError || err instanceof UntagRefusedError) return new PermanentError(message, { cause: err });
  // A hostile peer or a reference that cannot be built: redelivery meets the same answer.
  if (err instanceof UnsafePeerError || err instanceof ImageReferenceError) return new PermanentError(message, { cause: err });
  if (err instanceof RegistryHttpError && !isRetryableFailure(err)) return new PermanentError(message, { cause: err });
  return new RetryableError(message, { cause: err });
}
