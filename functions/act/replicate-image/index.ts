/**
 * `action: replicate-image` copies each matching Artifact Registry image, or
 * the images a successful Cloud Build pushed, to other projects' and
 * organisations' registries over the OCI Distribution API (see replicate.ts
 * and functions/registry/). Cheap to create (cold start is
 * measured): the copier is loaded, connections opened and google-auth-library
 * loaded on the first event only.
 */
import { defineAction } from '../action';
import { onFirstUse } from '../../support/on-first-use';
import { RegistryQuotas } from '../../registry/quota';
import { parseHost } from '../../registry/reference';
import { PermanentError } from '../errors';
import type { Replication } from './replicate';
import { replicateImageOptions, type ReplicateImageOptions } from './options';
import { buildCopies } from './build-images';
import { parseSource, sourceCheck } from './sources';
import { parseTarget } from './targets';

export const replicateImageAction = defineAction<ReplicateImageOptions>({
  name: 'replicate-image',
  options: replicateImageOptions,
  create(options, environment) {
    const targets = options.targets.map(parseTarget);
    const refusal = sourceCheck(options.sources?.map(parseSource), environment.project);
    if (!options.sources && environment.project === undefined) {
      environment.log.warn(
        "replicate-image: a route has no sources and the project is unknown (set GOOGLE_CLOUD_PROJECT or the route's sources): it will copy no image",
      );
    }
    // The route's limits join the instance's budget for each host at start-up, before any copy uses it.
    const quotas = environment.registryQuotas ?? new RegistryQuotas();
    for (const { host, ...limits } of options.quotas) quotas.declare(parseHost(host), limits);
    // Shared by this route's requests: keep-alive pools and cached registry tokens, no per-request state.
    const load = onFirstUse(async (): Promise<{ replication: Replication; run: typeof import('./replicate') }> => {
      const [run, { Registries }, { credentialSource }, { parsePlatform }, { DEFAULT_RETRY }] = await Promise.all([
        import('./replicate'),
        import('../../registry/registries'),
        import('../../registry/credentials'),
        import('../../registry/manifest'),
        import('../../registry/retry'),
      ]);
      const retry = { ...DEFAULT_RETRY, attempts: options.retry.attempts, maxElapsedMs: options.retry.maxSeconds * 1000 };
      const registries = new Registries({
        insecure: options.insecure,
        credentials: credentialSource(options.credentials, environment.variables),
        retry,
        quotas,
      });
      return {
        run,
        replication: {
          registries,
          targets,
          deleteTags: options.deleteTags,
          platforms: options.platforms?.map(parsePlatform),
          jobs: options.jobs,
          retry,
          referrers: options.referrers && { artifactTypes: options.artifactTypes },
        },
      };
    });
    return async (event, ctx) => {
      if (event.kind === 'build.status') {
        const { build } = event;
        if (build.status !== 'SUCCESS') return { summary: `ignored: build ${build.id} is ${build.status}, not SUCCESS` };
        // Every image checked before anything is loaded or fetched: one refused image refuses the build, none is contacted.
        const copies = buildCopies(build, refusal);
        if (copies.refusals.length > 0) throw new PermanentError(`build ${build.id}: ${copies.refusals.join('; ')}`);
        if (copies.images.length === 0) {
          const why = copies.unpushed.length > 0 ? `no image with a digest (named without one: ${copies.unpushed.join(', ')})` : 'no images';
          return { summary: `ignored: build ${build.id} reported ${why}` };
        }
        const { run, replication: r } = await load();
        return run.replicateBuild(event, copies, r, ctx);
      }
      if (event.kind !== 'registry.image') return { summary: `ignored: ${event.kind} is not an image or build event` };
      // Before anything is loaded or fetched: a source the route does not allow is never contacted.
      const refused = refusal(event.image);
      if (refused) throw new PermanentError(refused);
      const { run, replication: r } = await load();
      return event.change === 'inserted' ? run.replicateInsert(event, r, ctx) : run.replicateDelete(event, r, ctx);
    };
  },
});
