/**
 * The GCE/Cloud Run metadata server's identity endpoint on 127.0.0.1, for
 * google-auth-library in a child process (GCE_METADATA_HOST, with
 * METADATA_SERVER_DETECTION=assume-present): it answers
 * `instance/service-accounts/default/identity?audience=A` with an ID token that the
 * local issuer (oidc-issuer.ts) signs for audience A, as Cloud Run's server does with
 * Google's keys. Everything else is 404.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Issuer } from './oidc-issuer';

export interface MetadataServer {
  /** `127.0.0.1:PORT`, for GCE_METADATA_HOST. */
  readonly host: string;
  /** The audiences asked for, in order. */
  readonly audiences: string[];
  close(): Promise<void>;
}

export async function startMetadataServer(issuer: Issuer, email: string): Promise<MetadataServer> {
  const audiences: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const flavoured = req.headers['metadata-flavor'] === 'Google';
    if (flavoured && url.pathname === '/computeMetadata/v1/instance/service-accounts/default/identity' && url.searchParams.get('audience')) {
      const audience = url.searchParams.get('audience')!;
      audiences.push(audience);
      const now = Math.floor(Date.now() / 1000);
      const token = issuer.sign({
        iss: 'https://accounts.google.com',
        aud: audience,
        azp: email,
        sub: '1070000000000000000',
        email,
        email_verified: true,
        iat: now,
        exp: now + 3600,
      });
      res.writeHead(200, { 'metadata-flavor': 'Google', 'content-type': 'application/text' }).end(token);
      return;
    }
    res.writeHead(flavoured ? 404 : 403, { 'metadata-flavor': 'Google', 'content-type': 'text/plain' }).end('not here\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    audiences,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
