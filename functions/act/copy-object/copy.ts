/**
 * The decisions of copy-object. The copy remembers which source generation it
 * holds (custom metadata, below); with that and generation preconditions on
 * every write, a redelivered or late event never replaces a newer copy, and a
 * concurrent writer makes our write fail (412) instead of being overwritten.
 */
import type { Storage } from '@google-cloud/storage';
import type { ActionResult } from '../action';
import type { StorageObject } from '../../parse/event';
import { PermanentError, RetryableError } from '../errors';
import type { CopyObjectOptions } from './options';
import { rewriteObject } from './rewrite';
import { isNotFound, isPreconditionFailed, storageFailure } from './storage-errors';
import { renderTargetName } from './target-name';

/** Custom metadata added to every copy. */
export const SOURCE_KEY = 'copied-from';
export const SOURCE_GENERATION_KEY = 'copied-from-generation';

interface ObjectMetadata {
  generation?: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  metadata?: Record<string, string | null>;
}

const gs = (bucket: string, name: string) => `gs://${bucket}/${name}`;

/** Metadata of the live object (or of `ifGeneration`'s when given); undefined when it does not match or exist. */
async function liveMetadata(storage: Storage, bucket: string, name: string, ifGeneration?: bigint): Promise<ObjectMetadata | undefined> {
  try {
    const [metadata] = await storage
      .bucket(bucket)
      .file(name)
      .getMetadata(ifGeneration === undefined ? {} : { ifGenerationMatch: ifGeneration.toString() as unknown as number });
    return metadata as ObjectMetadata;
  } catch (err) {
    if (isNotFound(err) || isPreconditionFailed(err)) return undefined;
    throw storageFailure(err, `reading ${gs(bucket, name)}`);
  }
}

function copiedGeneration(target: ObjectMetadata | undefined): bigint | undefined {
  const recorded = target?.metadata?.[SOURCE_GENERATION_KEY];
  return typeof recorded === 'string' && /^\d+$/.test(recorded) ? BigInt(recorded) : undefined;
}

/** The target's resource: the source's content type, headers and custom metadata, plus where it came from. */
export function targetResource(source: ObjectMetadata, from: string, generation: bigint): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl'] as const) {
    if (source[key] !== undefined) fields[key] = source[key];
  }
  fields.metadata = { ...source.metadata, [SOURCE_KEY]: from, [SOURCE_GENERATION_KEY]: generation.toString() };
  return fields;
}

export interface CopyRequest {
  readonly storage: Storage;
  readonly options: CopyObjectOptions;
  readonly object: StorageObject;
  readonly signal: AbortSignal;
}

/** The target name, or a permanent error: the route's template cannot name an object for this source. */
function targetFor(options: CopyObjectOptions, object: StorageObject, generation: bigint): { bucket: string; name: string } {
  const name = renderTargetName(options.prefix, options.name, { bucket: object.bucket, name: object.name, generation });
  if (name === undefined)
    throw new PermanentError(`template ${JSON.stringify(options.prefix + options.name)} gives no valid object name for ${gs(object.bucket, object.name)}`);
  if (options.bucket === object.bucket && name === object.name) {
    throw new PermanentError(`${gs(object.bucket, object.name)} would be copied onto itself (and trigger itself again)`);
  }
  return { bucket: options.bucket, name };
}

export async function copyFinalizedObject({ storage, options, object, signal }: CopyRequest): Promise<ActionResult> {
  const from = gs(object.bucket, object.name);
  // A delivery without a payload (payloadFormat NONE) may lack the generation: take the live one.
  const generation = object.generation ?? BigInt((await liveMetadata(storage, object.bucket, object.name))?.generation ?? 0);
  const target = targetFor(options, object, generation);
  const to = gs(target.bucket, target.name);
  const skipped = (why: string): ActionResult => ({
    summary: `skipped ${from}#${generation}: ${why}`,
    details: { source: from, target: to, generation: generation.toString(), bytes: 0, skipped: why },
  });

  // Two passes at most: a 412 on the rewrite means someone wrote in between; look again.
  for (let attempt = 1; ; attempt++) {
    const source = generation === 0n ? undefined : await liveMetadata(storage, object.bucket, object.name, generation);
    if (!source) return skipped('that generation is no longer the live object (a newer event copies the newer one)');
    const current = await liveMetadata(storage, target.bucket, target.name);
    const held = copiedGeneration(current);
    if (held !== undefined && held >= generation) return skipped(`target already holds generation ${held}`);
    try {
      const result = await rewriteObject(storage, {
        source: { bucket: object.bucket, name: object.name, generation },
        target,
        ifTargetGenerationMatch: current?.generation ? BigInt(current.generation) : 0n,
        resource: targetResource(source, from, generation),
        signal,
      });
      return {
        summary: `copied ${from}#${generation} to ${to} (${result.bytes} bytes${result.rounds > 1 ? `, ${result.rounds} rewrite calls` : ''})`,
        details: {
          source: from,
          target: to,
          generation: generation.toString(),
          bytes: Number(result.bytes),
          rounds: result.rounds,
          targetGeneration: result.targetGeneration,
        },
      };
    } catch (err) {
      if (isPreconditionFailed(err) && attempt < 2) continue;
      if (isPreconditionFailed(err)) throw new RetryableError(`${to} kept changing while copying ${from}#${generation}`, { cause: err });
      if (signal.aborted) throw new RetryableError(`copying ${from} to ${to} stopped at the deadline`, { cause: err });
      throw storageFailure(err, `copying ${from}#${generation} to ${to}`);
    }
  }
}

/** Deletes the copy only if it holds exactly the deleted generation and the source was not overwritten since. */
export async function deleteCopy({ storage, options, object }: CopyRequest): Promise<ActionResult> {
  const from = gs(object.bucket, object.name);
  if (object.generation === undefined) throw new PermanentError(`delete event for ${from} carries no generation; not deleting any copy`);
  const generation = object.generation;
  const target = targetFor(options, object, generation);
  const to = gs(target.bucket, target.name);
  const kept = (why: string): ActionResult => ({
    summary: `kept ${to}: ${why}`,
    details: { source: from, target: to, generation: generation.toString(), bytes: 0, skipped: why },
  });

  // On a bucket without versioning an overwrite also sends `deleted` for the old generation.
  const source = await liveMetadata(storage, object.bucket, object.name);
  if (source) return kept(`${from} still exists (generation ${source.generation}); it was overwritten, not deleted`);
  const current = await liveMetadata(storage, target.bucket, target.name);
  if (!current?.generation) return kept('no copy exists');
  const held = copiedGeneration(current);
  if (held !== generation) return kept(`it holds generation ${held ?? 'unknown'}, not the deleted ${generation}`);
  try {
    await storage
      .bucket(target.bucket)
      .file(target.name)
      .delete({ ifGenerationMatch: current.generation as unknown as number });
  } catch (err) {
    if (isNotFound(err)) return kept('already gone');
    if (isPreconditionFailed(err)) throw new RetryableError(`${to} changed while deleting it`, { cause: err });
    throw storageFailure(err, `deleting ${to}`);
  }
  return {
    summary: `deleted ${to} (copy of deleted ${from}#${generation})`,
    details: { source: from, target: to, generation: generation.toString(), bytes: 0, deleted: true },
  };
}
