/**
 * Peak RSS of the service under an upload flood (issue 10, class 6): 20
 * concurrent uploads of 200 MiB each, with Content-Length and chunked, with and
 * without Content-Type, and one of one-byte chunks, against the lean server and
 * the Functions Framework entry point at their default limits. Each flood is
 * bounded in time (uploads give up after 20 s) and stopped if the service's RSS
 * passes 400 MiB. Prints per flood the statuses and the RSS seen; last, the
 * process's VmHWM. Goal: under 200 MiB.
 * Usage: npm run bench:upload-flood [-- --servers lean,framework]
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { freePort, startPeer, type Peer } from '../test/support/peer';
import { peakRssBytes, rssBytes, upload, type Exchange, type UploadOptions } from '../test/support/upload-flood';

const ROOT = path.resolve(__dirname, '..', '..');
const FRAMEWORK = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

type ServerKind = 'lean' | 'framework';

async function startService(server: ServerKind): Promise<{ port: number; peer: Peer }> {
  const port = await freePort();
  const args =
    server === 'lean'
      ? [path.join(ROOT, 'dist', 'service', 'serve.js')]
      : [FRAMEWORK, `--source=${path.join(ROOT, 'dist', 'service', 'router.js')}`, '--target=router', '--signature-type=http'];
  const peer = await startPeer('eventarc-router', process.execPath, args, {
    env: { ...process.env, PORT: String(port), ROUTES_FILE: '' },
    cwd: ROOT,
    readyPort: port,
    readyTimeoutMs: 20000,
  });
  return { port, peer };
}

const MiB = 1024 * 1024;

interface Flood {
  readonly name: string;
  readonly options: Omit<UploadOptions, 'deadlineMs'>;
}

const FLOODS: Flood[] = [
  { name: 'Content-Length, JSON', options: { bytes: 200 * MiB, chunked: false, contentType: 'application/json' } },
  { name: 'Content-Length, no Content-Type', options: { bytes: 200 * MiB, chunked: false } },
  { name: 'chunked, JSON', options: { bytes: 200 * MiB, chunked: true, contentType: 'application/json' } },
  { name: 'chunked, no Content-Type', options: { bytes: 200 * MiB, chunked: true } },
  { name: 'one-byte chunks, JSON', options: { bytes: 256 * 1024, chunked: true, chunkBytes: 1, contentType: 'application/json' } },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { servers: { type: 'string', default: 'lean,framework' } } });
  for (const server of values.servers.split(',') as ServerKind[]) {
    const service = await startService(server);
    try {
      console.log(`${server}: idle VmHWM ${(peakRssBytes(service.peer.pid) / MiB).toFixed(1)} MiB`);
      for (const flood of FLOODS) {
        let seen = 0;
        const watch = setInterval(() => {
          seen = Math.max(seen, rssBytes(service.peer.pid));
          if (seen > 400 * MiB) void service.peer.stop(0);
        }, 20);
        const started = Date.now();
        const results: Exchange[] = await Promise.all(Array.from({ length: 20 }, () => upload(service.port, { ...flood.options, deadlineMs: 20000 })));
        clearInterval(watch);
        const statuses = new Map<string, number>();
        for (const r of results) statuses.set(String(r.status ?? 'none'), (statuses.get(String(r.status ?? 'none')) ?? 0) + 1);
        const taken = Math.max(...results.map((r) => r.bodyBytesSent)) / MiB;
        console.log(
          `  ${flood.name.padEnd(32)} ${Date.now() - started} ms; answers ${[...statuses].map(([s, n]) => `${n}x${s}`).join(' ')}; ` +
            `most taken from one upload ${taken.toFixed(1)} MiB; RSS seen up to ${(seen / MiB).toFixed(1)} MiB`,
        );
      }
      console.log(`${server}: peak RSS (VmHWM) ${(peakRssBytes(service.peer.pid) / MiB).toFixed(1)} MiB`);
    } finally {
      await service.peer.stop();
    }
  }
}

void main();
