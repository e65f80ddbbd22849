/**
 * Registry credentials: where they come from and which host gets them.
 */
import { credentialSource } from '../../functions/registry/credentials';
import { readCopyImageSettings } from '../../functions/config';

test('credentials come from the routes file or the environment, never echoed when malformed', async () => {
  const adc = async () => ({ username: 'oauth2accesstoken', password: 'adc' });
  const source = credentialSource([{ host: 'r.example', username: 'u', passwordEnv: 'P' }], { P: 'secret' }, adc);
  expect(await source(new URL('https://r.example/'))).toEqual({ username: 'u', password: 'secret' });
  expect(await source(new URL('https://us-docker.pkg.dev/'))).toEqual({ username: 'oauth2accesstoken', password: 'adc' });
  expect(await source(new URL('https://anonymous.example/'))).toBeUndefined();
  expect(
    readCopyImageSettings({ EVENTARC_ROUTER_REGISTRY_CREDENTIALS: '[{"host":"h.example","username":"u","password":"p"}]' }).registryCredentials,
  ).toHaveLength(1);
  expect(() => readCopyImageSettings({ EVENTARC_ROUTER_REGISTRY_CREDENTIALS: 'hunter2' })).toThrow(/^EVENTARC_ROUTER_REGISTRY_CREDENTIALS is not JSON$/);
});

test('credentials are chosen by the exact host of the URL requested; Docker Hub entries name docker.io', async () => {
  const adc = async () => ({ username: 'oauth2accesstoken', password: 'adc' });
  const source = credentialSource(
    [
      { host: 'Registry.Example', username: 'u', password: 'p' },
      { host: 'docker.io', username: 'hub', password: 'h' },
    ],
    {},
    adc,
  );
  expect(await source(new URL('https://registry.example/'))).toEqual({ username: 'u', password: 'p' });
  expect(await source(new URL('https://registry.example:5000/'))).toBeUndefined();
  expect(await source(new URL('https://registry-1.docker.io/'))).toEqual({ username: 'hub', password: 'h', realm: 'auth.docker.io' });
  // The runtime's token: exact Google hosts over https only.
  expect(await source(new URL('http://gcr.io/'))).toBeUndefined();
  expect(await source(new URL('https://evil.gcr.io/'))).toBeUndefined();
  expect(await source(new URL('https://gcr.io:8443/'))).toBeUndefined();
  expect(await source(new URL('https://europe-west1-docker.pkg.dev/'))).toEqual({ username: 'oauth2accesstoken', password: 'adc' });
});
