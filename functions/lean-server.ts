/**
 * The lean server's start (bundled as dist/service/bundle/serve.js, loaded through
 * V8's code cache by serve.ts): the same routes on $PORT from a bare node:http
 * server instead of Functions Framework (see receive/http-server.ts for why). On
 * SIGTERM it stops listening, lets the requests in flight finish, and exits 0.
 * Starting is split from listening so that the build can run the start-up, and
 * keep what V8 compiled, without opening a port (warmUp).
 */
import type { Server } from 'http';
import { createHttpServer } from './receive/http-server';
import { startFromEnvironment } from './start';

function prepare(): { server: Server; port: number } {
  let server: Server | undefined; // eslint-disable-line prefer-const -- assigned below, read by onDrain later
  const started = startFromEnvironment({ onDrain: () => server?.close() });
  // The limits hold from the first request, while secret references are still being resolved.
  server = createHttpServer(() => started.app ?? started.ready, started.limits);
  return { server, port: started.port };
}

/** Starts the service and listens on $PORT. */
export function serve(): Server {
  const { server, port } = prepare();
  server.listen(port, () => {
    process.stdout.write(JSON.stringify({ severity: 'INFO', message: `eventarc-router listening on port ${port} (lean server)` }) + '\n');
  });
  return server;
}

/** The start-up without a port, for the code cache (support/code-cache.ts writeCodeCache). */
export function warmUp(): void {
  prepare();
}
