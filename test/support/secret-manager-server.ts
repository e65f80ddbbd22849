/**
 * Secret Manager has no emulator: a small local server speaking the REST shape
 * of `versions/V:access` (what @google-cloud/secret-manager's REST transport
 * calls), so the tests drive the real client over HTTP.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { SecretAccessor } from '../../functions/secrets/resolve';

export interface SecretServer {
  readonly port: number;
  /** Every path asked for, in order. */
  readonly requests: string[];
  /** A real SecretManagerServiceClient pointed at this server. */
  accessor(): Promise<SecretAccessor>;
  close(): Promise<void>;
}

export async function startSecretServer(secrets: Record<string, string>): Promise<SecretServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(
      (req.url ?? '')
        .split('?')[0]
        .replace(/^\/v1\//, '')
        .replace(/:access$/, ''),
    );
    requests.push(name);
    const value = secrets[name];
    if (value === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: `Secret [${name}] not found or has no versions.`, status: 'NOT_FOUND' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name, payload: { data: Buffer.from(value).toString('base64') } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const clients: { close(): Promise<void> }[] = [];
  return {
    port,
    requests,
    async accessor() {
      const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
      const { OAuth2Client } = await import('google-auth-library');
      const auth = new OAuth2Client();
      auth.credentials = { access_token: 'local-test-token' };
      // Under jest, gaxios cannot import node-fetch dynamically (no VM modules): hand it Node's own fetch.
      (auth.transporter as unknown as { defaults: Record<string, unknown> }).defaults['fetchImplementation'] = fetch;
      const client = new SecretManagerServiceClient({ fallback: true, apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient: auth } as never);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
