/**
 * Copies one image (a manifest or an index, recursively) from one repository to
 * another. Order is what keeps a target consistent: a child manifest only after
 * its blobs, an index only after its children, the tag last. A failure or a kill
 * at any point therefore never leaves the tag naming something incomplete.
 */
import { setMaxListeners } from 'events';
import { pipeline } from 'stream';
import type { RegistryClient } from './client';
import { digestVerifier, sha256Digest } from './digest';
import { createLimiter, type Limiter } from './limit';
import {
  MEDIA_TYPES,
  ManifestError,
  filteredIndex,
  isCopyableBlob,
  parseManifest,
  selectPlatforms,
  type Descriptor,
  type ParsedManifest,
  type Platform,
} from './manifest';
import { emptyStats, type CopyStats } from './progress';
import { formatImageRef, manifestReference, type ImageRef } from './reference';
import {
  MAX_REFERRERS,
  MAX_REFERRER_DEPTH,
  artifactTypeAllowed,
  artifactTypeOf,
  cosignTags,
  fallbackTag,
  mergedReferrersIndex,
  referrerDescriptor,
} from './referrers';
import { RegistryHttpError, withRetry, type RetryObserver, type RetryPolicy } from './retry';
import { DispositionError } from '../support/disposition';

export interface CopyOptions {
  readonly jobs: number;
  /** Only these platforms of an index (the target gets an index listing just them); all when absent. */
  readonly platforms?: readonly Platform[];
  readonly retry: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly onProgress?: (stats: Readonly<CopyStats>) => void;
  readonly observer?: RetryObserver;
  /** What refers to the copied manifests (signatures, attestations, SBOMs) is copied too unless false. */
  readonly referrers?: ReferrerOptions | false;
  /** Every tag of the source repository, as the caller has just listed them (sync-images): no tag list is read. */
  readonly sourceTags?: ReadonlySet<string>;
}

export interface ReferrerOptions {
  /** Only referrers of these artifact types (referrers.ts artifactTypeOf); all when absent or empty. */
  readonly artifactTypes?: readonly string[];
}

/** One referrer in the target, and how the target records that it refers to its subject. */
export interface CopiedReferrer {
  readonly digest: string;
  readonly subject: string;
  readonly artifactType?: string;
  /** The target's referrers API, its `<alg>-<hex>` fallback tag index, or a cosign tag (`tag`). */
  readonly recordedAs: 'referrers-api' | 'fallback-tag' | 'tag';
  readonly tag?: string;
  /** False when the target already had it (and its record). */
  readonly copied: boolean;
}

export interface CopyReport extends CopyStats {
  readonly source: string;
  /** The target as set: `HOST/REPO:TAG` or `HOST/REPO@DIGEST`. */
  readonly target: string;
  readonly digest: string;
  /** The target already named this digest: the image was not copied again (its referrers still are). */
  readonly upToDate: boolean;
  /** The digest the target's tag (or digest) names when read back after the write: `digest`, or the copy failed. */
  readonly readBack: string;
  readonly referrers: readonly CopiedReferrer[];
}

/** The target named another digest after our write (a concurrent writer): the copy is not delivered. */
export class ReadBackMismatchError extends DispositionError {
  constructor(
    readonly reference: string,
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    // Permanent: trying again would overwrite whoever wrote last; the failure is logged and acknowledged.
    super(`read back ${reference}: the target names ${actual ?? 'nothing'}, not the copied ${expected}`, 'permanent');
    this.name = 'ReadBackMismatchError';
  }
}

/** A missing source manifest can never appear by retrying: callers treat this one as permanent. */
export class SourceNotFoundError extends DispositionError {
  constructor(readonly reference: string) {
    super(`source manifest ${reference} not found (404)`, 'permanent');
    this.name = 'SourceNotFoundError';
  }
}

/**
 * Manifest and tag look-ups (referrers, cosign's tags, fallback indexes) one copy
 * has in flight at once: an index of many platforms asks four or five things of
 * each, and they go out together, not one after another, but not all at once.
 */
const LOOKUPS_AT_ONCE = 16;

/** A source manifest as read: parsed, its bytes, and the digest they have. */
type SourceManifest = ParsedManifest & { readonly bytes: Buffer; readonly digest: string };

class ImageCopy {
  readonly stats = emptyStats();
  private readonly blobs = new Map<string, Promise<void>>();
  private readonly limit: Limiter;
  private readonly lookups = createLimiter(LOOKUPS_AT_ONCE);
  private readonly sameHost: boolean;
  /** Stops the other transfers once one has failed for good. */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  private readonly referrers: CopiedReferrer[] = [];
  /** Subjects whose referrers were looked up, and referrers taken: each at most once per copy. */
  private readonly subjectsSeen = new Set<string>();
  private readonly referrersTaken = new Set<string>();
  /** Every manifest of the image tree copied (children by digest), whose referrers are looked up. */
  private readonly tree: string[] = [];
  private targetServesReferrers?: Promise<boolean>;
  /** The source's tags when its list is short (client.ts shortTagList): referrer tags not in it are not asked for. */
  private sourceTags: Promise<ReadonlySet<string> | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly source: RegistryClient,
    private readonly src: ImageRef,
    private readonly target: RegistryClient,
    private readonly dst: ImageRef,
    private readonly options: CopyOptions,
  ) {
    this.limit = createLimiter(options.jobs);
    this.sameHost = source.host === target.host && src.repository !== dst.repository;
    this.signal = options.signal ? AbortSignal.any([options.signal, this.stop.signal]) : this.stop.signal;
    // Every in-flight request listens on it (a GET and a PUT per job, plus manifests): not a leak.
    setMaxListeners(Math.max(10, options.jobs * 4 + 8 + LOOKUPS_AT_ONCE), this.signal);
  }

  private progress(): void {
    this.options.onProgress?.(this.stats);
  }

  /** The source digest: from the reference, else one HEAD (a GET when the registry names no digest). */
  async sourceDigest(): Promise<string> {
    if (this.src.digest) return this.src.digest;
    const reference = manifestReference(this.src);
    const head = await this.source.headManifest(this.src.repository, reference, this.signal);
    if (!head) throw new SourceNotFoundError(formatImageRef(this.src));
    return head.digest ?? (await this.fetch(reference, formatImageRef(this.src))).digest;
  }

  /** The digest the target names for `reference`, undefined when it names none. */
  private async targetDigest(reference: string): Promise<string | undefined> {
    return (await this.target.headManifest(this.dst.repository, reference, this.signal))?.digest;
  }

  async targetHas(reference: string, digest: string): Promise<boolean> {
    return (await this.targetDigest(reference)) === digest;
  }

  /** A source manifest by digest (or by tag: `name` is then the reference as given). */
  async fetch(reference: string, name = `${this.src.host}/${this.src.repository}@${reference}`): Promise<SourceManifest> {
    let manifest;
    try {
      manifest = await this.source.getManifest(this.src.repository, reference, this.signal);
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw new SourceNotFoundError(name);
      throw err;
    }
    return { ...parseManifest(manifest.bytes, manifest.mediaType, name), bytes: manifest.bytes, digest: manifest.digest };
  }

  private copyBlob(d: Descriptor): Promise<void> {
    let pending = this.blobs.get(d.digest);
    if (!pending) {
      this.stats.blobsTotal++;
      pending = this.limit(() => withRetry(() => this.transferBlob(d), this.options.retry, this.signal, this.options.observer));
      this.blobs.set(d.digest, pending);
    }
    return pending;
  }

  /** One attempt: HEAD (skip) -> mount on the same host -> GET streamed into the upload's PUT. */
  private async transferBlob(d: Descriptor): Promise<void> {
    if (await this.target.blobExists(this.dst.repository, d.digest, this.signal)) {
      this.stats.blobsSkipped++;
      return this.progress();
    }
    // The target's cap on uploads at once is shared with every other copy to that host.
    return this.target.uploading(() => this.uploadBlob(d), this.signal);
  }

  private async uploadBlob(d: Descriptor): Promise<void> {
    const signal = this.signal;
    const repo = this.dst.repository;
    const mount = this.sameHost ? { digest: d.digest, from: this.src.repository } : undefined;
    const upload = await this.target.startUpload(repo, signal, mount).catch((err: unknown) => {
      // Some registries refuse a mount outright (no pull right on the other repository) instead of answering 202.
      if (mount && err instanceof RegistryHttpError && (err.status === 401 || err.status === 403)) return this.target.startUpload(repo, signal);
      throw err;
    });
    if (upload.mounted) {
      this.stats.blobsMounted++;
      return this.progress();
    }
    const res = await this.source.openBlob(this.src.repository, d.digest, signal);
    let sent = 0;
    const verifier = digestVerifier(d.digest, d.size, `${this.src.host}/${this.src.repository}@${d.digest}`, (n) => {
      sent += n;
      this.stats.bytes += n;
      this.progress();
    });
    pipeline(res.body, verifier, () => undefined); // errors reach the upload through the verifier
    try {
      await this.target.finishUpload(repo, upload.location, d.digest, d.size, verifier, signal);
    } catch (err) {
      res.body.destroy();
      this.stats.bytes -= sent; // bytes of a failed attempt are sent again by the next one
      throw err;
    }
    this.stats.blobsCopied++;
    this.progress();
  }

  /** A child manifest (image or nested index), pushed by digest once everything it names is there. */
  async copyChild(d: Descriptor): Promise<void> {
    const child = await this.fetch(d.digest);
    if (child.kind === 'index') await Promise.all(child.manifests.map((m) => this.copyChild(m)));
    else await Promise.all(child.blobs.filter(isCopyableBlob).map((b) => this.copyBlob(b)));
    await this.target.putManifest(this.dst.repository, d.digest, child.bytes, child.mediaType, this.signal);
    this.tree.push(d.digest);
    this.stats.manifests++;
    this.progress();
  }

  /** The digests of an image tree already in the target (an up-to-date copy): nested indexes are read, images are not. */
  private async treeOf(manifest: SourceManifest, depth = 0): Promise<string[]> {
    if (manifest.kind !== 'index' || depth >= MAX_REFERRER_DEPTH) return [manifest.digest];
    const nested = await Promise.all(
      manifest.manifests.map(async (m) =>
        m.mediaType === MEDIA_TYPES.ociIndex || m.mediaType === MEDIA_TYPES.dockerList ? this.treeOf(await this.fetch(m.digest), depth + 1) : [m.digest],
      ),
    );
    return [manifest.digest, ...nested.flat()];
  }

  /** Referrers of `subjects`, then theirs (a signature of an attestation), breadth first and bounded. */
  private async copyReferrers(subjects: readonly string[]): Promise<void> {
    if (this.options.referrers === false) return;
    let level = subjects;
    for (let depth = 0; level.length > 0 && depth <= MAX_REFERRER_DEPTH; depth++) {
      const fresh = level.filter((s) => !this.subjectsSeen.has(s));
      fresh.forEach((s) => this.subjectsSeen.add(s));
      level = (await Promise.all(fresh.map((s) => this.referrersOf(s)))).flat();
    }
  }

  /** A tag's digest in the source, or undefined when the tag is absent. */
  private async sourceTag(tag: string): Promise<string | undefined> {
    const head = await this.source.headManifest(this.src.repository, tag, this.signal);
    if (!head) return undefined;
    return head.digest ?? (await this.source.getManifest(this.src.repository, tag, this.signal)).digest;
  }

  /** A manifest by tag, or undefined on 404. */
  private async manifestAt(client: RegistryClient, repository: string, tag: string) {
    try {
      return await client.getManifest(repository, tag, this.signal);
    } catch (err) {
      if (err instanceof RegistryHttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * What refers to `subject` in the source: the referrers API when served, else the fallback tag; and cosign's tags.
   * All asked at once; a repository known not to serve the API (client.ts referrersServed) is not asked it again.
   */
  private async referrersOf(subject: string): Promise<string[]> {
    const repo = this.src.repository;
    const where = `${this.src.host}/${repo} referrers of ${subject}`;
    const lookup = <T>(ask: () => Promise<T>) => this.lookups(ask, this.signal);
    const withoutApi = this.source.referrersServed(repo) === false;
    const listed = await this.sourceTags;
    const mayExist = (tag: string) => listed === undefined || listed.has(tag);
    const fallback = () => (mayExist(fallbackTag(subject)) ? lookup(() => this.manifestAt(this.source, repo, fallbackTag(subject))) : undefined);
    const [api, tagged, early] = await Promise.all([
      withoutApi ? undefined : lookup(() => this.source.getReferrers(repo, subject, this.signal)),
      Promise.all(
        cosignTags(subject)
          .filter(mayExist)
          .map(async (tag) => ({ tag, digest: await lookup(() => this.sourceTag(tag)) })),
      ),
      withoutApi ? fallback() : undefined,
    ]);
    let viaSubject: readonly Descriptor[] = api ?? [];
    if (api === undefined) {
      const index = withoutApi ? early : await fallback();
      // A tag of that name that is not an index was not written by a referrers client: nothing listed.
      const parsed = index && parseManifest(index.bytes, index.mediaType, where);
      if (parsed && parsed.kind === 'index') viaSubject = parsed.manifests;
    }
    const recordInFallback: Descriptor[] = [];
    const taken: string[] = [];
    await Promise.all([
      ...viaSubject.map(async (d) => {
        const copied = await this.copyReferrer(d.digest, subject);
        if (!copied) return;
        taken.push(d.digest);
        if (copied.recordInFallback) recordInFallback.push(copied.recordInFallback);
      }),
      ...tagged.map(async ({ tag, digest }) => {
        if (digest && (await this.copyReferrer(digest, subject, tag))) taken.push(digest);
      }),
    ]);
    if (recordInFallback.length > 0) await this.recordInFallbackTag(subject, recordInFallback);
    return taken;
  }

  private servesReferrers(subject: string): Promise<boolean> {
    const known = this.target.referrersServed(this.dst.repository);
    if (known !== undefined) return Promise.resolve(known);
    this.targetServesReferrers ??= this.target.getReferrers(this.dst.repository, subject, this.signal).then((r) => r !== undefined);
    return this.targetServesReferrers;
  }

  /**
   * One referrer: its contents and manifest by digest (skipped when the target has
   * it), then its cosign tag. Undefined when it is filtered out or does not refer
   * to `subject` (a fallback index may list anything).
   */
  private async copyReferrer(digest: string, subject: string, tag?: string): Promise<{ recordInFallback?: Descriptor } | undefined> {
    const key = `${digest}|${subject}|${tag ?? ''}`;
    if (this.referrersTaken.has(key)) return undefined;
    this.referrersTaken.add(key);
    if (this.referrersTaken.size > MAX_REFERRERS) throw new ManifestError(`${formatImageRef(this.src)}: more than ${MAX_REFERRERS} referrers`);
    let manifest;
    try {
      manifest = await this.fetch(digest);
    } catch (err) {
      // A fallback index may list a referrer deleted since: the others are still copied.
      if (err instanceof SourceNotFoundError) return undefined;
      throw err;
    }
    if (!tag && manifest.subject?.digest !== subject) return undefined;
    const artifactType = artifactTypeOf(manifest);
    if (!artifactTypeAllowed(this.options.referrers ? this.options.referrers.artifactTypes : undefined, artifactType)) return undefined;
    const repo = this.dst.repository;
    let copied = false;
    let subjectRecorded = false;
    if (!(await this.targetHas(digest, digest))) {
      if (manifest.kind === 'index') await Promise.all(manifest.manifests.map((m) => this.copyChild(m)));
      else await Promise.all(manifest.blobs.filter(isCopyableBlob).map((b) => this.copyBlob(b)));
      subjectRecorded = (await this.target.putManifest(repo, digest, manifest.bytes, manifest.mediaType, this.signal)).subjectRecorded;
      copied = true;
      this.stats.manifests++;
    }
    if (tag && !(await this.targetHas(tag, digest))) {
      await this.target.putManifest(repo, tag, manifest.bytes, manifest.mediaType, this.signal);
      copied = true;
    }
    const common = { digest, subject, ...(artifactType !== undefined && { artifactType }), copied };
    if (tag) {
      this.referrers.push({ ...common, recordedAs: 'tag', tag });
      return {};
    }
    // A PUT the registry answered with OCI-Subject is in its referrers API; without one (or without a PUT), ask it once.
    const api = subjectRecorded || (!copied && (await this.servesReferrers(subject)));
    this.referrers.push({ ...common, recordedAs: api ? 'referrers-api' : 'fallback-tag' });
    return api ? {} : { recordInFallback: referrerDescriptor(manifest, manifest.bytes, digest) };
  }

  /**
   * Adds referrers to the target's `<alg>-<hex>` index, keeping every entry it has.
   * Registries offer no conditional PUT: two copies merging the same subject's
   * index at the same moment can lose one's entries until it runs again.
   */
  private async recordInFallbackTag(subject: string, descriptors: readonly Descriptor[]): Promise<void> {
    const repo = this.dst.repository;
    const tag = fallbackTag(subject);
    const existing = await this.manifestAt(this.target, repo, tag);
    const merged = mergedReferrersIndex(existing?.bytes, descriptors, `${this.dst.host}/${repo}:${tag}`);
    if (merged) await this.target.putManifest(repo, tag, merged, MEDIA_TYPES.ociIndex, this.signal);
  }

  /** The source's tags: the caller's listing, else the registry's short tag list (or undefined: ask for each). */
  private listedTags(): Promise<ReadonlySet<string> | undefined> {
    if (this.options.sourceTags) return Promise.resolve(this.options.sourceTags);
    return this.source.shortTagList(this.src.repository, this.signal);
  }

  /** The digest the target names for `reference` now; the copy's proof of delivery. */
  private async readBack(reference: string, expected: string): Promise<string> {
    const head = await this.target.headManifest(this.dst.repository, reference, this.signal);
    const actual = head ? (head.digest ?? (await this.target.getManifest(this.dst.repository, reference, this.signal)).digest) : undefined;
    if (actual !== expected) throw new ReadBackMismatchError(`${this.dst.host}/${this.dst.repository}:${reference}`, expected, actual);
    return actual;
  }

  async run(): Promise<CopyReport> {
    try {
      return await this.copy();
    } catch (err) {
      this.stop.abort(err);
      throw err;
    }
  }

  private async copy(): Promise<CopyReport> {
    const { signal } = this;
    const { platforms } = this.options;
    const filtering = platforms !== undefined && platforms.length > 0;
    const withReferrers = this.options.referrers !== false;
    // The target's tag is asked at the same time as the source's (both are needed to know a copy is up to date).
    const targetTag = !filtering && this.dst.tag ? this.targetDigest(this.dst.tag) : undefined;
    targetTag?.catch(() => undefined); // awaited below; a failing source aborts it (run())
    // A re-copy's referrer look-ups need the source's tags: asked with the HEADs, not after them.
    const tagsNow = withReferrers ? this.listedTags() : undefined;
    tagsNow?.catch(() => undefined); // only an abort rejects it, and that fails the copy anyway
    // With referrers, the manifest itself is needed (what its children are, a cold copy's blobs): one GET, in the same
    // round as the target's HEAD. Without them, a re-copy needs only the digest: one HEAD, and the GET only when copying.
    const read = withReferrers ? this.fetch(manifestReference(this.src), this.src.digest ? undefined : formatImageRef(this.src)) : undefined;
    read?.catch(() => undefined); // awaited below
    const sourceDigest = read ? (await read).digest : await this.sourceDigest();
    const topManifest = () => read ?? this.fetch(sourceDigest);
    const report = (digest: string, upToDate: boolean): CopyReport => ({
      ...this.stats,
      source: `${this.src.host}/${this.src.repository}@${sourceDigest}`,
      target: `${this.dst.host}/${this.dst.repository}${this.dst.tag ? `:${this.dst.tag}` : `@${digest}`}`,
      digest,
      upToDate,
      readBack: digest,
      referrers: this.referrers,
    });
    // The image is there (the HEAD is its read-back); signatures made since are still brought over.
    const upToDate = async (digest: string, kept?: readonly Descriptor[]) => {
      if (!withReferrers) return report(digest, true);
      if (tagsNow) this.sourceTags = tagsNow;
      // A filtered index is not in the source: its kept children are.
      await this.copyReferrers(kept ? kept.map((k) => k.digest) : await this.treeOf(await topManifest()));
      return report(digest, true);
    };
    // Without referrers, a re-copy stops here, after one HEAD on the target.
    if (!filtering && (targetTag ? (await targetTag) === sourceDigest : await this.targetHas(sourceDigest, sourceDigest))) return upToDate(sourceDigest);

    const top = await topManifest();
    let bytes = top.bytes;
    let digest = sourceDigest;
    if (top.kind === 'index') {
      const kept = selectPlatforms(top.manifests, platforms);
      if (kept.length === 0) throw new ManifestError(`${formatImageRef(this.src)}: no manifest in the index matches the platform filter`);
      if (kept.length !== top.manifests.length) {
        bytes = filteredIndex(top.bytes, kept);
        digest = sha256Digest(bytes);
      }
      if (filtering && (await this.targetHas(this.dst.tag ?? digest, digest))) return upToDate(digest, digest === sourceDigest ? undefined : kept);
      await Promise.all(kept.map((m) => this.copyChild(m)));
    } else {
      if (filtering && (await this.targetHas(this.dst.tag ?? digest, digest))) return upToDate(digest);
      await Promise.all(top.blobs.filter(isCopyableBlob).map((b) => this.copyBlob(b)));
    }
    if (withReferrers) {
      // The image by digest, then what refers to it, and only then the tag moves: a verifier never sees it unsigned.
      if (this.dst.tag) await this.target.putManifest(this.dst.repository, digest, bytes, top.mediaType, signal);
      // Read again: a cold copy can take minutes, and a signature pushed meanwhile is copied with it.
      this.sourceTags = this.listedTags();
      // A filtered index is not the source's: nothing refers to it there.
      await this.copyReferrers(digest === sourceDigest ? [digest, ...this.tree] : this.tree);
    }
    // Last: the tag (or the digest when there is none) that makes the copy visible.
    await this.target.putManifest(this.dst.repository, this.dst.tag ?? digest, bytes, top.mediaType, signal);
    this.stats.manifests++;
    this.progress();
    await this.readBack(this.dst.tag ?? digest, digest);
    return report(digest, false);
  }
}

/** Copies `src` (tag or digest) to `dst` (`dst.tag` set when given, else by digest). */
export function copyImage(source: RegistryClient, src: ImageRef, target: RegistryClient, dst: ImageRef, options: CopyOptions): Promise<CopyReport> {
  return new ImageCopy(source, src, target, dst, options).run();
}
