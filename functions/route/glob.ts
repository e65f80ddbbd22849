/**
 * Glob matching for object names, images and tags (`uploads/**\/*.csv`, `v*`).
 * picomatch: well kept, compiles a glob once to a RegExp, and its `**` semantics
 * (zero or more path segments) are the ones users know from .gitignore.
 */
import picomatch from 'picomatch';

export type GlobTest = (value: string) => boolean;

export function compileGlob(pattern: string): GlobTest {
  // dot: names like `.keep` are ordinary object names in a bucket, not hidden files.
  const re = picomatch.makeRe(pattern, { dot: true });
  return (value) => re.test(value);
}
