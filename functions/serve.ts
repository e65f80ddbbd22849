#!/usr/bin/env node
/**
 * Lean entry point for Cloud Run (`node dist/service/serve.js`): the bundled lean
 * server (dist/service/bundle/serve.js, built from lean-server.ts), through V8's
 * code cache when the build made one for this Node (support/code-cache.ts).
 */
import * as path from 'path';
import { requireWithCodeCache } from './support/code-cache';

(requireWithCodeCache(path.join(__dirname, 'bundle', 'serve.js')) as { serve(): unknown }).serve();
