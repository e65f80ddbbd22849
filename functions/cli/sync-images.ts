/**
 * `eventarc-router sync-images SRC_REPO DST_REPO`: seeds a repository in a new
 * organisation with every tag of another (or those --tags matches), each with
 * its signatures and other referrers, as copy-image copies one image. Run it
 * again to resume or to catch up: tags already at the source's digest move no
 * blob. One updating line on a terminal, a line per tag otherwise; a summary,
 * and exit 1 when any tag failed.
 */
import { IMAGE_COPY_OPTIONS, commandRegistries, imageCopyFlags, interruption } from './image-flags';
import { argsOrExit } from './usage';
import { parseArgs } from 'util';
import { environment } from '../config';
import { compileGlob } from '../route/glob';
import type { ReferrerOptions } from '../registry/copy';
import type { CopyStats } from '../registry/progress';
import { RegistryQuotas } from '../registry/quota';
import { parseImageRef, quoted, type ImageRef } from '../registry/reference';
import { type Registries } from '../registry/registries';
import { DEFAULT_RETRY } from '../registry/retry';
import { syncRepository, type SyncReport, type TagEvent } from '../registry/sync';
import type { CopyImageIo } from './copy-image';

export const SYNC_IMAGES_USAGE = `usage: eventarc-router sync-images [options] SRC_REPO DST_REPO
  SRC_REPO  HOST/PATH  every tag of it is copied (or those --tags matches)
  DST_REPO  HOST/PATH  each tag is set there to the source's digest
options:
  --tags GLOB              only tags matching GLOB (e.g. "v1.*"; repeatable: any of them)
  --jobs N                 tags copied at once (default 4; blobs: 4 at once per tag)
  --no-referrers           leave out signatures, attestations, SBOMs and other referrers (copied by default)
  --artifact-type TYPE     copy only referrers of this artifact type (repeatable)
  --insecure               plain HTTP to non-loopback registries
Tags that record referrers (sha256-<hex>, and cosign's .sig, .att, .sbom) travel with
the images they refer to, not as tags of their own. A tag already at the source's
digest is skipped without copying blobs: run it again to resume.
credentials: as copy-image (Application Default Credentials for Artifact Registry
  and gcr.io hosts; EVENTARC_ROUTER_REGISTRY_CREDENTIALS for others)`;

const BLOB_JOBS = 4;

export interface SyncImagesArgs {
  readonly src: ImageRef;
  readonly dst: ImageRef;
  readonly tags?: readonly string[];
  readonly jobs: number;
  readonly insecure: boolean;
  readonly referrers: ReferrerOptions | false;
}

function repositoryArg(text: string, what: string): ImageRef {
  const ref = parseImageRef(text);
  if (ref.tag !== undefined || ref.digest !== undefined) throw new Error(`${what} names a repository, without a tag or digest: ${quoted(text)}`);
  return ref;
}

/** Pure: argv -> what to sync; throws a usage message on anything it cannot read. */
export function parseSyncImagesArgs(argv: string[]): SyncImagesArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tags: { type: 'string', multiple: true },
      ...IMAGE_COPY_OPTIONS,
    },
  });
  const flags = imageCopyFlags(values, 32);
  if (positionals.length !== 2) throw new Error('sync-images needs exactly SRC_REPO and DST_REPO');
  const src = repositoryArg(positionals[0], 'SRC_REPO');
  const dst = repositoryArg(positionals[1], 'DST_REPO');
  if (src.host === dst.host && src.repository === dst.repository) throw new Error('SRC_REPO and DST_REPO are the same repository');
  // Compiled here so a bad glob is a usage error (exit 2), not a failure halfway.
  for (const glob of values.tags ?? []) compileGlob(glob);
  return {
    src,
    dst,
    ...(values.tags && { tags: values.tags }),
    ...flags,
  };
}

/** A tag that a glob from --tags keeps (any of them); every tag when none is given. */
export function tagSelector(globs: readonly string[] | undefined): ((tag: string) => boolean) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const tests = globs.map(compileGlob);
  return (tag) => tests.some((t) => t(tag));
}

const MIB = 1024 * 1024;

/** What is under way, for the terminal line. */
export interface SyncProgress {
  readonly done: number;
  readonly copied: number;
  readonly skipped: number;
  readonly failed: number;
  /** Bytes of finished tags plus those moving now. */
  readonly bytes: number;
  readonly running: readonly string[];
}

/** One terminal line: `7/12 tags: 3 copied, 3 skipped, 1 failed  48.0 MiB  12.1 MiB/s  v1.4, v1.5`. */
export function formatSyncProgress(p: SyncProgress, total: number | undefined, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? p.bytes / MIB / (elapsedMs / 1000) : 0;
  const running = p.running.length > 3 ? `${p.running.slice(0, 3).join(', ')} +${p.running.length - 3}` : p.running.join(', ');
  return `${p.done}/${total ?? '?'} tags: ${p.copied} copied, ${p.skipped} skipped, ${p.failed} failed  ${(p.bytes / MIB).toFixed(1)} MiB  ${rate.toFixed(1)} MiB/s${running ? `  ${running}` : ''}`;
}

/** One line for a finished tag (plain output, and failures on a terminal). */
export function describeTag(event: Exclude<TagEvent, { outcome: 'started' }>): string {
  if (event.outcome === 'failed') return `failed  ${event.tag}: ${event.error.message}`;
  const { report } = event;
  const referrers = report.referrers.filter((r) => r.copied).length;
  const brought = referrers > 0 ? `, ${referrers} referrers copied` : '';
  if (event.outcome === 'skipped') return `skipped ${event.tag} (already at ${report.digest}${brought})`;
  return `copied  ${event.tag} ${report.digest} (${report.bytes} bytes, ${report.blobsCopied} blobs copied, ${report.blobsSkipped} skipped, ${report.blobsMounted} mounted${brought})`;
}

export function formatSyncSummary(src: string, dst: string, r: SyncReport, elapsedMs: number): string {
  const of = r.selected === r.listed ? `${r.listed} tags` : `${r.selected} of ${r.listed} tags`;
  return `sync-images ${src} -> ${dst}: ${of}: ${r.copied} copied, ${r.skipped} skipped, ${r.failed} failed, ${r.bytes} bytes, ${r.referrers} referrers copied in ${(elapsedMs / 1000).toFixed(1)} s`;
}

export async function syncImagesCommand(argv: string[], io: CopyImageIo = { stderr: process.stderr, env: environment() }): Promise<number> {
  const args = argsOrExit(argv, parseSyncImagesArgs, SYNC_IMAGES_USAGE, io.stderr);
  if (typeof args === 'number') return args;
  const src = `${args.src.host}/${args.src.repository}`;
  const dst = `${args.dst.host}/${args.dst.repository}`;
  const tty = io.stderr.isTTY === true;
  const started = Date.now();
  const moving = new Map<string, Readonly<CopyStats>>();
  const tally = { done: 0, copied: 0, skipped: 0, failed: 0, bytes: 0 };
  let total: number | undefined;
  const progress = (): SyncProgress => ({
    ...tally,
    bytes: tally.bytes + [...moving.values()].reduce((n, s) => n + s.bytes, 0),
    running: [...moving.keys()],
  });
  const draw = () => io.stderr.write(`\r\x1b[K${formatSyncProgress(progress(), total, Date.now() - started)}`);
  const timer = tty ? setInterval(draw, 200) : undefined;
  const onTag = (event: TagEvent) => {
    if (event.outcome === 'started') {
      moving.set(event.tag, { bytes: 0, blobsTotal: 0, blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, manifests: 0 });
      return;
    }
    moving.delete(event.tag);
    tally.done++;
    tally[event.outcome]++;
    if (event.outcome !== 'failed') tally.bytes += event.report.bytes;
    // On a terminal only failures get a line of their own (above the progress line); otherwise every tag does.
    if (!tty) io.stderr.write(`${describeTag(event)}\n`);
    else if (event.outcome === 'failed') io.stderr.write(`\r\x1b[K${describeTag(event)}\n`);
  };
  // Ctrl-C stops the copies; each moves its tag last, so a target tag never names something incomplete.
  const interrupted = interruption();
  let registries: Registries | undefined;
  try {
    // The copies of this run share each host's budget, as the service's do.
    registries = commandRegistries(args.insecure, io.env, new RegistryQuotas());
    const source = registries.client(args.src.host);
    const select = tagSelector(args.tags);
    const report = await syncRepository(source, args.src.repository, registries.client(args.dst.host), args.dst.repository, {
      jobs: args.jobs,
      blobJobs: BLOB_JOBS,
      ...(select && { select }),
      referrers: args.referrers,
      retry: DEFAULT_RETRY,
      signal: interrupted.signal,
      onTag,
      onProgress: (tag, stats) => moving.set(tag, stats),
      onListed: (count) => (total = count),
    });
    if (tty) {
      draw();
      io.stderr.write('\n');
    }
    io.stderr.write(`${formatSyncSummary(src, dst, report, Date.now() - started)}\n`);
    return report.failed > 0 ? 1 : 0;
  } catch (err) {
    if (tty) io.stderr.write('\n');
    io.stderr.write(`sync-images failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    clearInterval(timer);
    interrupted.release();
    registries?.close();
  }
}
