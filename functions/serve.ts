#!/usr/bin/env node
/**
 * Lean entry point for Cloud Run: `node dist/service/serve.js` serves the same
 * routes on $PORT from a bare node:http server instead of Functions Framework
 * (see receive/http-server.ts for why). On SIGTERM it stops listening, lets the
 * requests in flight finish, and exits 0.
 */
import type { Server } from 'http';
import { createHttpServer } from './receive/http-server';
import { startFromEnvironment } from './start';

let server: Server | undefined; // eslint-disable-line prefer-const -- assigned once listening, read by onDrain before
const started = startFromEnvironment({ onDrain: () => server?.close() });
// The limits hold from the first request, while secret references are still being resolved.
server = createHttpServer(() => started.app ?? started.ready, started.limits);
const { port } = started;
server.listen(port, () => {
  process.stdout.write(JSON.stringify({ severity: 'INFO', message: `eventarc-router listening on port ${port} (lean server)` }) + '\n');
});
