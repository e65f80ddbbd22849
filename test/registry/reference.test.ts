/**
 * Image references: the parts of a reference, and which hosts are Google registries or loopback.
 */
import { isGoogleRegistryHost, isLoopbackHost, parseImageRef, registryBaseUrl } from '../../functions/registry/reference';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('image references parse host, path, tag and digest, and refuse what is not one', () => {
  expect(parseImageRef(`us-docker.pkg.dev/p/r/img:v1@${DIGEST}`)).toEqual({ host: 'us-docker.pkg.dev', repository: 'p/r/img', tag: 'v1', digest: DIGEST });
  expect(parseImageRef('127.0.0.1:5000/a/b/c:latest')).toMatchObject({ host: '127.0.0.1:5000', repository: 'a/b/c', tag: 'latest' });
  expect(parseImageRef('127.0.0.1:5000/a/b/c')).toMatchObject({ tag: undefined, digest: undefined });
  expect(() => parseImageRef('nohost')).toThrow('must start with a registry host');
  expect(() => parseImageRef('h.example/a/B')).toThrow('invalid repository path');
  expect(() => parseImageRef('h.example/a@sha256:xyz')).toThrow('invalid digest');
});

test('plain HTTP only for loopback hosts or when insecure; Google hosts are recognised', () => {
  expect(registryBaseUrl('127.0.0.1:5000', false)).toBe('http://127.0.0.1:5000');
  expect(registryBaseUrl('localhost:5000', false)).toBe('http://localhost:5000');
  expect(registryBaseUrl('[::1]:5000', false)).toBe('http://[::1]:5000');
  expect(registryBaseUrl('registry.example.com', false)).toBe('https://registry.example.com');
  expect(registryBaseUrl('registry.example.com', true)).toBe('http://registry.example.com');
  expect(isLoopbackHost('127.example.com')).toBe(false);
  for (const h of ['europe-west1-docker.pkg.dev', 'gcr.io', 'eu.gcr.io']) expect(isGoogleRegistryHost(h)).toBe(true);
  expect(isGoogleRegistryHost('docker.io')).toBe(false);
});
