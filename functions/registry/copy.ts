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
import { ManifestError, filteredIndex, isCopyableBlob, parseManifest, selectPlatforms, type Descriptor, type Platform } from './manifest';
import { emptyStats, type CopyStats } from './progress';
import { formatImageRef, manifestReference, type ImageRef } from './reference';
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
}

export interface CopyReport extends CopyStats {
  readonly source: string;
  /** The target as set: `HOST/REPO:TAG` or `HOST/REPO@DIGEST`. */
  readonly target: string;
  readonly digest: string;
  /** The target already named this digest: nothing was read or written beyond one manifest HEAD. */
  readonly upToDate: boolean;
}

/** A missing source manifest can never appear by retrying: callers treat this one as permanent. */
export class SourceNotFoundError extends DispositionError {
  constructor(readonly reference: string) {
    super(`source manifest ${reference} not found (404)`, 'permanent');
    this.name = 'SourceNotFoundError';
  }
}

class ImageCopy {
  readonly stats = emptyStats();
  private readonly blobs = new Map<string, Promise<void>>();
  private readonly limit: Limiter;
  private readonly sameHost: boolean;
  /** Stops the other transfers once one has failed for good. */
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;

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
    setMaxListeners(Math.max(10, options.jobs * 4 + 8), this.signal);
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
    if (head.digest) return head.digest;
    return (await this.source.getManifest(this.src.repository, reference, this.signal)).digest;
  }

  async targetHas(reference: string, digest: string): Promise<boolean> {
    const head = await this.target.headManifest(this.dst.repository, reference, this.signal);
    return head?.digest === digest;
  }

  async fetch(digest: string): Promise<ReturnType<typeof parseManifest> & { bytes: Buffer }> {
    let manifest;
    try {
      manifest = await this.source.getManifest(this.src.repository, digest, this.signal);
    } catch (err) {
      if ((err as { status?: number }).status === 404) throw new SourceNotFoundError(`${this.src.host}/${this.src.repository}@${digest}`);
      throw err;
    }
    return { ...parseManifest(manifest.bytes, manifest.mediaType, `${this.src.host}/${this.src.repository}@${digest}`), bytes: manifest.bytes };
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
    const signal = this.signal;
    const repo = this.dst.repository;
    if (await this.target.blobExists(repo, d.digest, signal)) {
      this.stats.blobsSkipped++;
      return this.progress();
    }
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
    this.stats.manifests++;
    this.progress();
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
    const sourceDigest = await this.sourceDigest();
    const filtering = platforms !== undefined && platforms.length > 0;
    const report = (digest: string, upToDate: boolean): CopyReport => ({
      ...this.stats,
      source: `${this.src.host}/${this.src.repository}@${sourceDigest}`,
      target: `${this.dst.host}/${this.dst.repository}${this.dst.tag ? `:${this.dst.tag}` : `@${digest}`}`,
      digest,
      upToDate,
    });
    // A re-copy stops here, after one HEAD on the target.
    if (!filtering && (await this.targetHas(this.dst.tag ?? sourceDigest, sourceDigest))) return report(sourceDigest, true);

    const top = await this.fetch(sourceDigest);
    let bytes = top.bytes;
    let digest = sourceDigest;
    if (top.kind === 'index') {
      const kept = selectPlatforms(top.manifests, platforms);
      if (kept.length === 0) throw new ManifestError(`${formatImageRef(this.src)}: no manifest in the index matches the platform filter`);
      if (kept.length !== top.manifests.length) {
        bytes = filteredIndex(top.bytes, kept);
        digest = sha256Digest(bytes);
      }
      if (filtering && (await this.targetHas(this.dst.tag ?? digest, digest))) return report(digest, true);
      await Promise.all(kept.map((m) => this.copyChild(m)));
    } else {
      if (filtering && (await this.targetHas(this.dst.tag ?? digest, digest))) return report(digest, true);
      await Promise.all(top.blobs.filter(isCopyableBlob).map((b) => this.copyBlob(b)));
    }
    // Last: the tag (or the digest when there is none) that makes the copy visible.
    await this.target.putManifest(this.dst.repository, this.dst.tag ?? digest, bytes, top.mediaType, signal);
    this.stats.manifests++;
    this.progress();
    return report(digest, false);
  }
}

/** Copies `src` (tag or digest) to `dst` (`dst.tag` set when given, else by digest). */
export function copyImage(source: RegistryClient, src: ImageRef, target: RegistryClient, dst: ImageRef, options: CopyOptions): Promise<CopyReport> {
  return new ImageCopy(source, src, target, dst, options).run();
}
