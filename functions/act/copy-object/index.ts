/**
 * `action: copy-object` copies each finalized object of a matching route into a
 * target bucket (see options.ts and copy.ts). @google-cloud/storage is loaded on
 * the first event, not at start-up (cold start is measured).
 */
import type { Storage } from '@google-cloud/storage';
import { defineAction } from '../action';
import { copyObjectOptions, type CopyObjectOptions } from './options';
import { copyFinalizedObject, deleteCopy } from './copy';
import { onFirstUse } from '../../support/on-first-use';

/** One client per route, created on first use and shared by its requests (it holds only configuration). */
function lazyStorage(options: CopyObjectOptions, storageEmulatorHost: string | undefined): () => Promise<Storage> {
  const apiEndpoint = options.apiEndpoint ?? storageEmulatorHost;
  // Loaded on first use (heavy, off the cold-start path); a failed load is tried again by the next event.
  return onFirstUse(async () => {
    const { Storage: Client } = await import('@google-cloud/storage');
    return new Client({
      ...(apiEndpoint !== undefined && { apiEndpoint }),
      // A few quick retries inside the request; beyond that Pub/Sub's redelivery is the retry.
      retryOptions: { autoRetry: true, maxRetries: 2, maxRetryDelay: 2, totalTimeout: 20 },
    });
  });
}

export const copyObjectAction = defineAction<CopyObjectOptions>({
  name: 'copy-object',
  options: copyObjectOptions,
  create(options, environment) {
    const storage = lazyStorage(options, environment.storageEmulatorHost);
    return async (event, ctx) => {
      if (event.kind !== 'storage.object') return { summary: `ignored: ${event.kind} is not a storage object event` };
      if (event.change !== 'finalized' && !(event.change === 'deleted' && options.deleteWithSource)) {
        return { summary: `ignored: ${event.change} gs://${event.object.bucket}/${event.object.name}` };
      }
      const request = { storage: await storage(), options, object: event.object, signal: ctx.signal };
      const result = event.change === 'finalized' ? await copyFinalizedObject(request) : await deleteCopy(request);
      // Every copy, skip or delete is one INFO entry with source, target, generation and bytes.
      ctx.log.info(result.summary ?? 'copy-object', { copyObject: result.details });
      return result;
    };
  },
});
