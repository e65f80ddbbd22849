/**
 * `action: replicate-image` copies each matching Artifact Registry image to
 * other projects' and organisations' registries over the OCI Distribution API
 * (see replicate.ts and functions/registry/). Cheap to create: registry
 * clients open connections, and google-auth-library loads, on the first event.
 */
import { defineAction } from '../action';
import { credentialSource } from '../../registry/credentials';
import { parsePlatform } from '../../registry/manifest';
import { Registries } from '../../registry/registries';
import { DEFAULT_RETRY } from '../../registry/retry';
import { replicateImageOptions, type ReplicateImageOptions } from './options';
import { replicateDelete, replicateInsert, type Replication } from './replicate';
import { parseTarget } from './targets';

export const replicateImageAction = defineAction<ReplicateImageOptions>({
  name: 'replicate-image',
  options: replicateImageOptions,
  create(options, environment) {
    const retry = { ...DEFAULT_RETRY, attempts: options.retry.attempts, maxElapsedMs: options.retry.maxSeconds * 1000 };
    // Shared by this route's requests: keep-alive pools and cached registry tokens, no per-request state.
    const registries = new Registries({
      insecure: options.insecure,
      credentials: credentialSource(options.credentials, environment.env),
      retry,
    });
    const replication: Replication = {
      registries,
      targets: options.targets.map(parseTarget),
      deleteTags: options.deleteTags,
      platforms: options.platforms?.map(parsePlatform),
      jobs: options.jobs,
      retry,
    };
    return (event, ctx) => {
      if (event.kind !== 'registry.image') return { summary: `ignored: ${event.kind} is not an image event` };
      return event.change === 'inserted' ? replicateInsert(event, replication, ctx) : replicateDelete(event, replication, ctx);
    };
  },
});
