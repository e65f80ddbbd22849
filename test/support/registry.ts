/**
 * A real `docker-registry` (CNCF distribution 2.8, Debian package) on 127.0.0.1,
 * with its own config file and storage directory, started and stopped by PID.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, requireExecutable, startPeer, type Peer } from './peer';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface Registry {
  /** `127.0.0.1:PORT`, the host part of image references. */
  readonly host: string;
  readonly url: string;
  readonly storageDir: string;
  pid(): number;
  /** Stops the registry, empties its storage, and starts it again on the same port (a cold target). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Docker token auth: the registry trusts JWTs from `issuer`, signed by the key in `rootCertBundle`. */
export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly rootCertBundle: string;
}

function authLines(auth: TokenAuthConfig | undefined): string[] {
  if (!auth) return [];
  return [
    'auth:',
    '  token:',
    `    realm: ${auth.realm}`,
    `    service: ${auth.service}`,
    `    issuer: ${auth.issuer}`,
    `    rootcertbundle: ${auth.rootCertBundle}`,
  ];
}

function configText(port: number, storageDir: string, auth?: TokenAuthConfig): string {
  // No blob descriptor cache: reset() empties storage under the same port and nothing may remember it.
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...authLines(auth),
    '',
  ].join('\n');
}

export async function startRegistry(name = 'registry', options: { tokenAuth?: TokenAuthConfig } = {}): Promise<Registry> {
  const binary = requireExecutable(REGISTRY_BINARY, 'docker-registry');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const storageDir = path.join(dir, 'storage');
  const configFile = path.join(dir, 'config.yml');
  const port = await freePort();
  fs.writeFileSync(configFile, configText(port, storageDir, options.tokenAuth));
  const launch = () => startPeer(name, binary, ['serve', configFile], { readyPort: port, readyTimeoutMs: 15000 });
  let peer: Peer = await launch();
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    storageDir,
    pid: () => peer.pid,
    async reset() {
      await peer.stop();
      fs.rmSync(storageDir, { recursive: true, force: true });
      peer = await launch();
    },
    async stop() {
      await peer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
