/**
 * Hostile peers for the adversarial suite: an HTTP(S) server on loopback that
 * records every request it receives (and the Authorization it carried) and
 * answers as a script says, and a self-signed certificate made with openssl
 * for the TLS ones (children trust it through NODE_EXTRA_CA_CERTS).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { requireExecutable } from './peer';

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
}

export type Script = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface Recorder {
  /** `HOST:PORT` as an image reference names it. */
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly seen: Seen[];
  stop(): Promise<void>;
}

export interface Certificate {
  readonly certFile: string;
  readonly keyFile: string;
  remove(): void;
}

/** A certificate for `names` (DNS names or IP addresses), valid for a day. */
export function makeCertificate(names: readonly string[]): Certificate {
  const openssl = requireExecutable('/usr/bin/openssl', 'openssl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-cert-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    {
      stdio: 'ignore',
    },
  );
  return { certFile, keyFile, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Listens on `address` (127.0.0.2 is another host on loopback), over TLS when a certificate is given. */
export async function startRecorder(script: Script, options: { address?: string; tls?: Certificate } = {}): Promise<Recorder> {
  const seen: Seen[] = [];
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
      });
      script(req, res, Buffer.concat(chunks));
    });
  };
  const server = options.tls
    ? https.createServer({ cert: fs.readFileSync(options.tls.certFile), key: fs.readFileSync(options.tls.keyFile) }, handle)
    : http.createServer(handle);
  const address = options.address ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    port,
    url: `${options.tls ? 'https' : 'http'}://${address}:${port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A registry that wants Basic credentials: 401 with a Basic challenge unless `expected` was sent. */
export function basicChallenge(req: http.IncomingMessage, res: http.ServerResponse, expected: string): boolean {
  if (req.headers.authorization === expected) return true;
  res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
  return false;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
