/**
 * One image event -> copies (or tag deletions) in every target; one build's
 * pushed images -> copies of each in every target; and the one-line account
 * of what moved where.
 */
import type { ActionResult, HandlerContext } from '../action';
import type { BuildStatusEvent, ImageEvent } from '../../parse/event';
import { formatImageReference } from '../../parse/payloads/image-reference';
import { copyImage, type CopyReport, type ReferrerOptions } from '../../registry/copy';
import type { Platform } from '../../registry/manifest';
import type { ImageRef } from '../../registry/reference';
import type { Registries } from '../../registry/registries';
import type { RetryPolicy } from '../../registry/retry';
import { untag } from '../../registry/untag';
import { asActionError } from './failures';
import type { BuildCopies } from './build-images';
import { targetRef, type Target } from './targets';

export interface Replication {
  readonly registries: Registries;
  readonly targets: readonly Target[];
  readonly deleteTags: boolean;
  readonly platforms?: readonly Platform[];
  readonly jobs: number;
  readonly retry: RetryPolicy;
  readonly referrers: ReferrerOptions | false;
}

function sourceName(event: ImageEvent): string {
  const { host, path, tag, digest } = event.image;
  return `${host}/${path}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** `T:tag (3 blobs copied, 1 skipped, 0 mounted, 1048576 bytes)` or `T:tag (already at sha256:...)`. */
export function describeCopy(report: CopyReport): string {
  const copied = report.referrers.filter((r) => r.copied).length;
  const referrers = copied > 0 ? `, ${copied} referrers copied` : '';
  if (report.upToDate) return `${report.target} (already at ${report.digest}${referrers})`;
  return `${report.target} (${report.blobsCopied} blobs copied, ${report.blobsSkipped} skipped, ${report.blobsMounted} mounted, ${report.bytes} bytes${referrers}; read back ${report.readBack})`;
}

export function copySummary(source: string, reports: readonly CopyReport[]): string {
  const bytes = reports.reduce((n, r) => n + r.bytes, 0);
  return `copied ${source} to ${reports.map(describeCopy).join(', ')}; ${bytes} bytes moved`;
}

/** Runs every target's copy; all are tried even when one fails, then the worst failure decides redelivery. */
async function settleAll<T>(tasks: readonly (() => Promise<T>)[], describe: (i: number) => string): Promise<T[]> {
  const settled = await Promise.allSettled(tasks.map((t) => t()));
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [asActionError(s.reason, describe(i))] : []));
  // A retryable failure wins: redelivery re-runs every target, and the finished ones stop after one HEAD.
  const worst = failures.find((f) => f.disposition === 'retry') ?? failures[0];
  if (worst) throw worst;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** One copy of `source` to `dst`, its retries logged on the route's log. */
function copyTask(source: ImageRef, dst: ImageRef, r: Replication, ctx: HandlerContext): () => Promise<CopyReport> {
  return () =>
    copyImage(r.registries.client(source.host), source, r.registries.client(dst.host), dst, {
      jobs: r.jobs,
      platforms: r.platforms,
      retry: r.retry,
      referrers: r.referrers,
      signal: ctx.signal,
      observer: {
        onRetry: (attempt, delayMs, err) => ctx.log.warn(`retrying a request to ${dst.host} in ${delayMs} ms (attempt ${attempt}): ${(err as Error).message}`),
      },
    });
}

/** Proof of delivery per target: what its tag named when read back, and the referrers it holds now. */
function copyDetails(reports: readonly CopyReport[]) {
  return reports.map(({ target, digest, upToDate, readBack, referrers, bytes, blobsCopied, blobsSkipped, blobsMounted, manifests }) => ({
    target,
    digest,
    readBack,
    referrers,
    upToDate,
    bytes,
    blobsCopied,
    blobsSkipped,
    blobsMounted,
    manifests,
  }));
}

const bytesOf = (reports: readonly CopyReport[]) => reports.reduce((n, c) => n + c.bytes, 0);

export async function replicateInsert(event: ImageEvent, r: Replication, ctx: HandlerContext): Promise<ActionResult> {
  const { image } = event;
  const source: ImageRef = { host: image.host, repository: image.path, tag: image.tag, digest: image.digest };
  const destinations = r.targets.map((t) => targetRef(t, image.image, image.tag));
  const reports = await settleAll(
    destinations.map((dst) => copyTask(source, dst, r, ctx)),
    (i) => `copy of ${sourceName(event)} to ${destinations[i].host}/${destinations[i].repository}`,
  );
  const summary = copySummary(sourceName(event), reports);
  const details = { source: sourceName(event), bytes: bytesOf(reports), copies: copyDetails(reports) };
  ctx.log.info(summary, { replication: details });
  return { summary, details };
}

/**
 * A successful build's images, each copied by the digest the build reported (never by
 * its tag, which may have moved since) to every target, where the image's tag is set.
 */
export async function replicateBuild(event: BuildStatusEvent, copies: BuildCopies, r: Replication, ctx: HandlerContext): Promise<ActionResult> {
  const jobs = copies.images.flatMap((image) => {
    const source: ImageRef = { host: image.host, repository: image.path, digest: image.digest };
    return r.targets.map((t) => ({ image, source, dst: targetRef(t, image.image, image.tag) }));
  });
  const reports = await settleAll(
    jobs.map((j) => copyTask(j.source, j.dst, r, ctx)),
    (i) => `copy of ${formatImageReference(jobs[i].image)} (build ${event.build.id}) to ${jobs[i].dst.host}/${jobs[i].dst.repository}`,
  );
  const unpushed = copies.unpushed.length > 0 ? `; not copied (no digest: not pushed by the build): ${copies.unpushed.join(', ')}` : '';
  const perImage = copies.images.map((image) => {
    const mine = reports.filter((_, i) => jobs[i].image === image);
    return `${formatImageReference(image)} to ${mine.map(describeCopy).join(', ')}`;
  });
  const summary = `copied the images of build ${event.build.id}: ${perImage.join('; ')}; ${bytesOf(reports)} bytes moved${unpushed}`;
  const details = {
    build: event.build.id,
    sources: copies.images.map(formatImageReference),
    ...(copies.unpushed.length > 0 && { unpushed: copies.unpushed }),
    bytes: bytesOf(reports),
    copies: copyDetails(reports),
  };
  ctx.log.info(summary, { replication: details });
  return { summary, details };
}

export async function replicateDelete(event: ImageEvent, r: Replication, ctx: HandlerContext): Promise<ActionResult> {
  const { image } = event;
  if (!r.deleteTags || !image.tag) {
    const why = !r.deleteTags ? 'deleteTags is off' : 'the deletion names no tag';
    const summary = `no image will be updated: ${sourceName(event)} was deleted and ${why}`;
    ctx.log.info(summary, { reference: sourceName(event) });
    return { summary };
  }
  const tag = image.tag;
  const destinations = r.targets.map((t) => targetRef(t, image.image, tag));
  const outcomes = await settleAll(
    destinations.map((dst) => () => untag(r.registries.client(dst.host), dst.repository, tag, ctx.signal)),
    (i) => `deleting ${destinations[i].host}/${destinations[i].repository}:${tag}`,
  );
  const summary = `deleted tag ${tag} of ${sourceName(event)} in ${destinations
    .map((d, i) => `${d.host}/${d.repository}${outcomes[i] === 'absent' ? ' (was absent)' : ''}`)
    .join(', ')}`;
  ctx.log.info(summary, { reference: sourceName(event) });
  return {
    summary,
    details: { source: sourceName(event), deleted: destinations.map((d, i) => ({ target: `${d.host}/${d.repository}:${tag}`, outcome: outcomes[i] })) },
  };
}
