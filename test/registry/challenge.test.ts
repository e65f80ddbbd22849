/**
 * WWW-Authenticate challenges as registries send them.
 */
import { parseChallenge } from '../../functions/registry/challenge';

test('WWW-Authenticate challenges are read with quoted, comma-holding values', () => {
  expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
    scheme: 'bearer',
    params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
  });
  expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  expect(parseChallenge(undefined)).toBeUndefined();
});
