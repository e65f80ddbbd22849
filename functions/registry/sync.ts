/**
 * Every tag of one repository (or those a predicate keeps) copied into another,
 * each the way copyImage copies one image: with its referrers, children before
 * indexes, the tag last and read back. Resumable by construction: a tag the
 * target already has at the source's digest costs a HEAD (and the referrer
 * look-ups), no blob moves, so a sync stopped halfway is run again as is.
 * A tag that fails does not stop the others; the report counts it.
 */
import type { RegistryClient } from './client';
import { copyImage, type CopyReport, type ReferrerOptions } from './copy';
import { createLimiter } from './limit';
import type { CopyStats } from './progress';
import { isTag, quoted } from './reference';
import { isReferrerTag } from './referrers';
import type { RetryPolicy } from './retry';

export interface SyncOptions {
  /** Tags copied at once. */
  readonly jobs: number;
  /** Blobs copied at once within one tag's copy. */
  readonly blobJobs: number;
  /** Which tags to copy; all when absent. */
  readonly select?: (tag: string) => boolean;
  readonly referrers: ReferrerOptions | false;
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
  /** A tag's copy has started or ended. */
  readonly onTag?: (event: TagEvent) => void;
  /** The tags to copy are known (after listing and selecting). */
  readonly onListed?: (selected: number) => void;
  /** A tag's copy moved (copyImage's onProgress). */
  readonly onProgress?: (tag: string, stats: Readonly<CopyStats>) => void;
}

export type TagEvent =
  | { readonly tag: string; readonly outcome: 'started' }
  | { readonly tag: string; readonly outcome: 'copied' | 'skipped'; readonly report: CopyReport }
  | { readonly tag: string; readonly outcome: 'failed'; readonly error: Error };

export interface SyncReport {
  /** Tags the source lists (referrer tags, which travel with their subjects, not counted). */
  readonly listed: number;
  /** Of those, the ones selected. */
  readonly selected: number;
  copied: number;
  skipped: number;
  failed: number;
  /** Blob bytes sent to the target. */
  bytes: number;
  /** Referrers the target did not have before. */
  referrers: number;
  readonly failures: { readonly tag: string; readonly message: string }[];
}

/**
 * Tags in the source that are releases, not signatures or referrer indexes (those
 * are copied with what they refer to); and what the source listed that is no tag
 * at all (a peer's answer: never put into a URL, reported).
 */
export function releaseTags(tags: readonly unknown[], select?: (tag: string) => boolean): { listed: number; selected: string[]; invalid: string[] } {
  const unique = [...new Set(tags)];
  const invalid = unique.filter((t) => typeof t !== 'string' || !isTag(t)).map((t) => quoted(String(t)));
  const releases = unique.filter((t): t is string => typeof t === 'string' && isTag(t) && !isReferrerTag(t));
  return { listed: releases.length + invalid.length, selected: select ? releases.filter(select) : releases, invalid };
}

export async function syncRepository(
  source: RegistryClient,
  srcRepository: string,
  target: RegistryClient,
  dstRepository: string,
  options: SyncOptions,
): Promise<SyncReport> {
  const tags = await source.listTags(srcRepository, options.signal);
  const { listed, selected, invalid } = releaseTags(tags, options.select);
  // Each copy finds its signatures' tags in this listing instead of reading the list again.
  const sourceTags = new Set(tags.filter((t) => typeof t === 'string'));
  options.onListed?.(selected.length + invalid.length);
  const report: SyncReport = {
    listed,
    selected: selected.length + invalid.length,
    copied: 0,
    skipped: 0,
    failed: invalid.length,
    bytes: 0,
    referrers: 0,
    failures: invalid.map((tag) => ({ tag, message: `${source.host}/${srcRepository} lists ${tag}, which is not a tag` })),
  };
  for (const failure of report.failures) options.onTag?.({ tag: failure.tag, outcome: 'failed', error: new Error(failure.message) });
  const limit = createLimiter(options.jobs);
  await Promise.all(
    selected.map((tag) =>
      limit(async () => {
        options.onTag?.({ tag, outcome: 'started' });
        try {
          const copy = await copyImage(
            source,
            { host: source.host, repository: srcRepository, tag },
            target,
            { host: target.host, repository: dstRepository, tag },
            {
              jobs: options.blobJobs,
              retry: options.retry,
              referrers: options.referrers,
              sourceTags,
              signal: options.signal,
              onProgress: options.onProgress && ((stats) => options.onProgress!(tag, stats)),
            },
          );
          report.bytes += copy.bytes;
          report.referrers += copy.referrers.filter((r) => r.copied).length;
          if (copy.upToDate) report.skipped++;
          else report.copied++;
          options.onTag?.({ tag, outcome: copy.upToDate ? 'skipped' : 'copied', report: copy });
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          report.failed++;
          report.failures.push({ tag, message: error.message });
          options.onTag?.({ tag, outcome: 'failed', error });
        }
      }, options.signal).catch((err: unknown) => {
        // Aborted while waiting for a turn: the tag was never tried, and counts as failed.
        report.failed++;
        report.failures.push({ tag, message: (err as Error).message ?? String(err) });
      }),
    ),
  );
  return report;
}
