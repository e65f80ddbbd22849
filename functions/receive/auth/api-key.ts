/**
 * `X-Api-Key` against the configured key. Both sides are hashed first so the
 * comparison is constant-time and does not leak the key's length.
 */
import { createHash, timingSafeEqual } from 'crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function apiKeyMatcher(expected: string): (presented: string) => boolean {
  const want = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), want);
}
