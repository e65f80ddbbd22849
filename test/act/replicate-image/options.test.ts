/**
 * The routes file's `quotas` for replicate-image: per target host, checked at
 * start-up, and joined to the instance's budget the action is created with.
 */
import { replicateImageAction } from '../../../functions/act/replicate-image';
import { RegistryQuotas, ARTIFACT_REGISTRY_LIMITS } from '../../../functions/registry/quota';
import { createLogger, memorySink } from '../../../functions/support/logger';
import { parse, safeParse } from '../../../functions/support/schema';

const targets = ['europe-docker.pkg.dev/prod/images', 'registry.partner.example/acme/images'];
const accepts = (quotas: unknown) => safeParse(replicateImageAction.options, { targets, quotas }).success;

test.each([
  [[{ host: 'europe-docker.pkg.dev', requestsPerMinute: 6000, writesPerMinute: 1800, concurrentUploads: 4 }], true],
  [[{ host: 'registry.partner.example', concurrentUploads: 2 }], true],
  [[{ host: 'EUROPE-DOCKER.PKG.DEV', writesPerMinute: 600 }], true],
  [[], true],
  // A host that is none of the route's targets is a typo.
  [[{ host: 'us-docker.pkg.dev', requestsPerMinute: 6000 }], false],
  [[{ host: 'europe-docker.pkg.dev', requestsPerMinute: 59 }], false],
  [[{ host: 'europe-docker.pkg.dev', writesPerMinute: 600.5 }], false],
  [[{ host: 'europe-docker.pkg.dev', concurrentUploads: 0 }], false],
  [[{ host: 'europe-docker.pkg.dev', concurrentUploads: 65 }], false],
  [[{ host: 'europe-docker.pkg.dev', burst: 10 }], false],
  [[{ host: 'not a host' }], false],
])('quotas %j accepted: %s', (quotas, ok) => {
  expect(accepts(quotas)).toBe(ok);
});

test("each route's quotas join the instance's budget, the stricter kept; other hosts keep Artifact Registry's", () => {
  const registryQuotas = new RegistryQuotas();
  const environment = { variables: {}, log: createLogger(memorySink()), registryQuotas, project: 'build' };
  const route = (quotas: unknown) => replicateImageAction.create(parse(replicateImageAction.options, { targets, quotas }), environment);
  route([{ host: 'europe-docker.pkg.dev', requestsPerMinute: 6000 }]);
  route([{ host: 'europe-docker.pkg.dev', requestsPerMinute: 9000, concurrentUploads: 3 }]);
  expect(registryQuotas.limitsOf('europe-docker.pkg.dev')).toEqual({ ...ARTIFACT_REGISTRY_LIMITS, requestsPerMinute: 6000, concurrentUploads: 3 });
  expect(registryQuotas.limitsOf('registry.partner.example')).toBe(ARTIFACT_REGISTRY_LIMITS);
});
