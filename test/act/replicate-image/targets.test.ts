/**
 * replicate-image targets: a repository or a whole image path.
 */
import { parseTarget, targetRef } from '../../../functions/act/replicate-image/targets';

test('targets name a repository (the source image name is appended) or a whole image path', () => {
  expect(targetRef(parseTarget('us-docker.pkg.dev/prod/images'), 'team/api', 'v1')).toEqual({
    host: 'us-docker.pkg.dev',
    repository: 'prod/images/team/api',
    tag: 'v1',
  });
  expect(targetRef(parseTarget('us-docker.pkg.dev/prod/images/renamed'), 'api', 'v1')).toMatchObject({ repository: 'prod/images/renamed' });
  expect(targetRef(parseTarget('eu.gcr.io/prod'), 'api', undefined)).toEqual({ host: 'eu.gcr.io', repository: 'prod/api' });
  expect(targetRef(parseTarget('127.0.0.1:5000/prod/images'), 'api', 'v1')).toMatchObject({ repository: 'prod/images/api' });
  expect(() => parseTarget('us-docker.pkg.dev/prod')).toThrow('HOST/PROJECT/REPO');
  expect(() => parseTarget('us-docker.pkg.dev/prod/images:v1')).toThrow();
});
