/**
 * `X-Api-Key` against the configured key. Both sides are hashed first so the
 * comparison is constant-time and does not leak the key's length.
 */
import { createHash, timingSafeEqual } from 'crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function apiKeyMatcher(expected: string): (presented: string) => boolean {
  // Every path to a matcher comes here: a blank key would let a blank header in.
  if (expected.trim() === '') throw new Error('the API key is empty');
  const want = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), want);
}
