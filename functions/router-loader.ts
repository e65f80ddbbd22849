/**
 * What Functions Framework loads (`--source=dist/service/router.js`): the
 * bundled service (dist/service/bundle/router.js, built from index.ts), through
 * V8's code cache when the build made one for this Node (support/code-cache.ts).
 */
import * as path from 'path';
import { requireWithCodeCache } from './support/code-cache';

module.exports = requireWithCodeCache(path.join(__dirname, 'bundle', 'router.js'));
