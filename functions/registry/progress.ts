/** What a copy has done so far; one object per copy, updated as bytes move. */
export interface CopyStats {
  /** Blob bytes sent to the target (mounted and skipped blobs move none). */
  bytes: number;
  /** Distinct blobs the copy has to account for (known so far: children are read as the copy goes). */
  blobsTotal: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  /** Manifests pushed (children, indexes and the tagged one). */
  manifests: number;
}

export function emptyStats(): CopyStats {
  return { bytes: 0, blobsTotal: 0, blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, manifests: 0 };
}

export function blobsDone(stats: CopyStats): number {
  return stats.blobsCopied + stats.blobsSkipped + stats.blobsMounted;
}

const MIB = 1024 * 1024;

/** One terminal line: `12.0/256.0 MiB  3/9 blobs (2 skipped, 0 mounted)  118.2 MiB/s`. */
export function formatProgress(stats: CopyStats, elapsedMs: number, totalBytes?: number): string {
  const mib = (n: number) => (n / MIB).toFixed(1);
  const rate = elapsedMs > 0 ? stats.bytes / MIB / (elapsedMs / 1000) : 0;
  const bytes = totalBytes ? `${mib(stats.bytes)}/${mib(totalBytes)} MiB` : `${mib(stats.bytes)} MiB`;
  return `${bytes}  ${blobsDone(stats)}/${stats.blobsTotal} blobs (${stats.blobsSkipped} skipped, ${stats.blobsMounted} mounted)  ${rate.toFixed(1)} MiB/s`;
}
