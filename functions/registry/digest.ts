/**
 * Digest checks over streamed bytes. The verifier holds back the last chunk
 * until the whole stream has been hashed, so a target never receives the full
 * length of a blob whose bytes do not match its digest.
 */
import type * as CryptoModule from 'crypto';
import { Transform, type TransformCallback } from 'stream';
import { DispositionError } from '../support/disposition';

let crypto: typeof CryptoModule | undefined;

/** crypto takes milliseconds to load and a re-copy hashes nothing (HEADs only): loaded on the first hash. */
function createHash(algorithm: 'sha256' | 'sha512'): CryptoModule.Hash {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  crypto ??= require('crypto') as typeof CryptoModule;
  return crypto.createHash(algorithm);
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The algorithm of a checked digest (reference.ts isDigest): `sha256` or `sha512`. */
function algorithmOf(digest: string): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The digest of `bytes` in the algorithm `like` names, to compare with it. */
export function digestOf(bytes: Buffer, like: string): string {
  const algorithm = algorithmOf(like);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export class DigestMismatchError extends DispositionError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly what: string,
  ) {
    super(`${what}: digest mismatch (expected ${expected}, got ${actual})`, 'permanent');
    this.name = 'DigestMismatchError';
  }
}

/** A truncated stream, not a wrong blob: worth another try. */
export class SizeMismatchError extends DispositionError {
  constructor(
    readonly expected: number,
    readonly actual: number,
    readonly what: string,
  ) {
    super(`${what}: size mismatch (expected ${expected} bytes, got ${actual})`, 'retry');
    this.name = 'SizeMismatchError';
  }
}

/** Passes bytes through, counting them via `onBytes`, and fails before the last chunk if digest or size is wrong. */
export function digestVerifier(expected: string, size: number, what: string, onBytes: (n: number) => void): Transform {
  const algorithm = algorithmOf(expected);
  const hash = createHash(algorithm);
  let held: Buffer | undefined;
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      hash.update(chunk);
      seen += chunk.length;
      if (seen > size) {
        done(new SizeMismatchError(size, seen, what));
        return;
      }
      const previous = held;
      held = chunk;
      if (previous) onBytes(previous.length);
      done(null, previous);
    },
    flush(done: TransformCallback) {
      if (seen !== size) {
        done(new SizeMismatchError(size, seen, what));
        return;
      }
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== expected) {
        done(new DigestMismatchError(expected, actual, what));
        return;
      }
      if (held) onBytes(held.length);
      done(null, held);
    },
  });
}
