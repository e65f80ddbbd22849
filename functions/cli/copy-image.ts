/**
 * `eventarc-router copy-image SRC DST`: copies one image the way the
 * replicate-image action does (like `crane cp`). All platforms of an index by
 * default; a progress line on a terminal, nothing on success otherwise.
 */
import { IMAGE_COPY_OPTIONS, commandRegistries, imageCopyFlags, interruption } from './image-flags';
import { argsOrExit } from './usage';
import { parseArgs } from 'util';
import { copyImage, type CopyReport, type ReferrerOptions } from '../registry/copy';
import { environment } from '../config';
import { parsePlatform, type Platform } from '../registry/manifest';
import { formatProgress, type CopyStats } from '../registry/progress';
import { parseImageRef, type ImageRef } from '../registry/reference';
import { type Registries } from '../registry/registries';
import { DEFAULT_RETRY } from '../registry/retry';

export const COPY_IMAGE_USAGE = `usage: eventarc-router copy-image [options] SRC DST
  SRC  HOST/PATH:TAG or HOST/PATH@sha256:...
  DST  HOST/PATH[:TAG]  (the source tag when none is given; by digest when the source has none)
options:
  --all-platforms          copy every platform of an index (default)
  --platform OS/ARCH[/V]   copy only this platform (repeatable)
  --jobs N                 blobs copied in parallel (default 4)
  --no-referrers           leave out signatures, attestations, SBOMs and other referrers (copied by default)
  --artifact-type TYPE     copy only referrers of this artifact type (repeatable)
  --insecure               plain HTTP to non-loopback registries
credentials: Artifact Registry and gcr.io hosts use Application Default Credentials;
  others EVENTARC_ROUTER_REGISTRY_CREDENTIALS='[{"host":..,"username":..,"password":..}]'
  (add "realm":"HOST" when the token service is on another host, e.g. auth.docker.io)`;

export interface CopyImageArgs {
  readonly src: ImageRef;
  readonly dst: ImageRef;
  readonly platforms?: Platform[];
  readonly jobs: number;
  readonly insecure: boolean;
  readonly referrers: ReferrerOptions | false;
}

/** Pure: argv -> what to copy; throws a usage message on anything it cannot read. */
export function parseCopyImageArgs(argv: string[]): CopyImageArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'all-platforms': { type: 'boolean' },
      platform: { type: 'string', multiple: true },
      ...IMAGE_COPY_OPTIONS,
    },
  });
  const flags = imageCopyFlags(values, 64);
  if (positionals.length !== 2) throw new Error('copy-image needs exactly SRC and DST');
  if (values['all-platforms'] && values.platform) throw new Error('--all-platforms and --platform exclude each other');
  const src = parseImageRef(positionals[0]);
  if (!src.tag && !src.digest) throw new Error('SRC needs a :TAG or an @DIGEST');
  const given = parseImageRef(positionals[1]);
  if (given.digest) throw new Error('DST cannot name a digest: the copy sets a tag, or copies by the source digest');
  return {
    src,
    dst: { ...given, tag: given.tag ?? src.tag },
    platforms: values.platform?.map(parsePlatform),
    ...flags,
  };
}

function summary(report: CopyReport): string {
  if (report.upToDate) return `${report.target} already at ${report.digest}`;
  const referrers = report.referrers.filter((r) => r.copied).length;
  return `copied ${report.source} to ${report.target}: ${report.bytes} bytes, ${report.blobsCopied} blobs copied, ${report.blobsSkipped} skipped, ${report.blobsMounted} mounted, ${referrers} referrers; read back ${report.readBack}`;
}

export interface CopyImageIo {
  readonly stderr: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function copyImageCommand(argv: string[], io: CopyImageIo = { stderr: process.stderr, env: environment() }): Promise<number> {
  const args = argsOrExit(argv, parseCopyImageArgs, COPY_IMAGE_USAGE, io.stderr);
  if (typeof args === 'number') return args;
  const tty = io.stderr.isTTY === true;
  const started = Date.now();
  let latest: Readonly<CopyStats> | undefined;
  const draw = () => latest && io.stderr.write(`\r\x1b[K${formatProgress(latest, Date.now() - started)}`);
  const timer = tty ? setInterval(draw, 200) : undefined;
  // Ctrl-C stops the transfers; the tag is pushed last, so the target keeps what it had.
  const interrupted = interruption();
  let registries: Registries | undefined;
  try {
    registries = commandRegistries(args.insecure, io.env);
    const report = await copyImage(registries.client(args.src.host), args.src, registries.client(args.dst.host), args.dst, {
      jobs: args.jobs,
      platforms: args.platforms,
      retry: DEFAULT_RETRY,
      referrers: args.referrers,
      signal: interrupted.signal,
      onProgress: (stats) => (latest = stats),
    });
    if (tty) {
      latest = report;
      draw();
      io.stderr.write(`\n${summary(report)}\n`);
    }
    return 0;
  } catch (err) {
    if (tty) io.stderr.write('\n');
    io.stderr.write(`copy-image failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    clearInterval(timer);
    interrupted.release();
    registries?.close();
  }
}
