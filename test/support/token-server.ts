/**
 * A Docker token service (the `realm` of a registry's Bearer challenge) on
 * loopback: checks Basic credentials, grants the scopes asked for, and signs
 * JWTs the real docker-registry verifies against a self-signed certificate
 * made with openssl.
 */
import { execFileSync } from 'child_process';
import { createPrivateKey, createSign, randomUUID, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { requireExecutable } from './peer';

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertBundle: string;
  /** Every token handed out, to check none reaches a log. */
  readonly issued: string[];
  /** Scopes of each token request, in order. */
  readonly requests: string[][];
  /** A token for `scope`, for a test to look at the registry itself. */
  token(scope: string): string;
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startTokenServer(username: string, password: string): Promise<TokenServer> {
  const openssl = requireExecutable('/usr/bin/openssl', 'openssl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-server-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    openssl,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=test-token-issuer'],
    {
      stdio: 'ignore',
    },
  );
  const key = createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new X509Certificate(fs.readFileSync(certFile)).raw;
  const service = 'test-registry';
  const issuer = 'test-issuer';
  const issued: string[] = [];
  const requests: string[][] = [];

  const sign = (scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = rest.pop()!.split(',');
      return { type, name: rest.join(':'), actions };
    });
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(key);
    const token = `${unsigned}.${b64url(signature)}`;
    issued.push(token);
    return token;
  };

  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const scopes = url.searchParams
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean);
    requests.push(scopes);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: sign(scopes), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certFile,
    issued,
    requests,
    token: (scope) => sign([scope]),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
