/**
 * Real nginx (Debian package "nginx") as the reverse proxy of the known
 * workaround: `proxy_pass` to one upstream, on 127.0.0.1, with its own prefix,
 * config, pid and temp paths in a temporary directory, stopped by PID.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, requireExecutable, startPeer, type Peer } from './peer';

export const NGINX = '/usr/sbin/nginx';

export interface NginxProxy {
  readonly url: string;
  readonly port: number;
  readonly peer: Peer;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Where proxy_pass sends requests, e.g. http://127.0.0.1:9000/events. */
  readonly upstream: string;
  /** Reuse upstream connections (best case for nginx); the workaround's plain proxy_pass does not. */
  readonly upstreamKeepalive?: boolean;
  /** 1 by default: the same single core the Node service gets. */
  readonly workers?: number;
}

export function nginxConfig(dir: string, port: number, options: NginxOptions): string {
  const upstream = new URL(options.upstream);
  const keepalive = options.upstreamKeepalive ?? true;
  const temp = (name: string) => path.join(dir, name);
  return `
daemon off;
master_process on;
worker_processes ${options.workers ?? 1};
pid ${temp('nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  upstream target {
    server ${upstream.host};
    ${keepalive ? 'keepalive 64;' : ''}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream.protocol}//target${upstream.pathname === '/' ? '' : upstream.pathname};
      ${keepalive ? 'proxy_http_version 1.1;\n      proxy_set_header Connection "";' : ''}
    }
  }
}
`;
}

export async function startNginx(options: NginxOptions): Promise<NginxProxy> {
  requireExecutable(NGINX, 'nginx');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig(dir, port, options));
  const peer = await startPeer('nginx', NGINX, ['-p', dir, '-c', conf, '-e', 'stderr'], { readyPort: port, readyTimeoutMs: 10000 });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    peer,
    async stop() {
      await peer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
