/**
 * A local stand-in for Google's token signer: real RSA keys, real RS256 JWTs,
 * and the public keys served over HTTP in the PEM-map form of
 * https://www.googleapis.com/oauth2/v1/certs, so verification runs offline.
 */
import { createSign, generateKeyPairSync, type KeyObject } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface Issuer {
  readonly certsUrl: string;
  /** How many times the certificates were fetched (they should be cached). */
  fetches(): number;
  /** `down`: the certificate URL answers 503 (an outage); `up` again serves them. */
  setMode(mode: 'up' | 'down'): void;
  /** Publishes a new key (a rotation) and returns its private half to sign with. */
  addKey(kid: string): KeyObject;
  sign(claims: Record<string, unknown>, options?: { kid?: string; key?: KeyObject; header?: Record<string, unknown> }): string;
  /** A key the issuer does not publish: signs forgeries. */
  readonly foreignKey: KeyObject;
  close(): Promise<void>;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export async function startIssuer(options: { maxAgeSeconds?: number; mode?: 'up' | 'down' } = {}): Promise<Issuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const kid = 'test-key-1';
  const published = new Map<string, KeyObject>([[kid, publicKey]]);
  let fetches = 0;
  let mode = options.mode ?? 'up';
  const server = http.createServer((_req, res) => {
    fetches++;
    if (mode === 'down') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('unavailable\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `public, max-age=${options.maxAgeSeconds ?? 3600}` });
    res.end(JSON.stringify(Object.fromEntries([...published].map(([k, key]) => [k, key.export({ type: 'spki', format: 'pem' })]))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    certsUrl: `http://127.0.0.1:${port}/oauth2/v1/certs`,
    fetches: () => fetches,
    setMode: (m) => (mode = m),
    addKey(newKid) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      published.set(newKid, pair.publicKey);
      return pair.privateKey;
    },
    foreignKey: foreign,
    sign(claims, options = {}) {
      const header = { alg: 'RS256', typ: 'JWT', kid: options.kid ?? kid, ...options.header };
      const signed = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const signature = createSign('RSA-SHA256')
        .update(signed)
        .sign(options.key ?? privateKey);
      return `${signed}.${b64url(signature)}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Claims as Pub/Sub push puts them in its OIDC token. */
export function pushClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://accounts.google.com',
    aud: 'https://router.example.run.app',
    azp: '1234567890',
    sub: '1234567890',
    email: 'pusher@test-project.iam.gserviceaccount.com',
    email_verified: true,
    iat: now - 10,
    exp: now + 3590,
    ...overrides,
  };
}
