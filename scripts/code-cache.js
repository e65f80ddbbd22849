#!/usr/bin/env node
/**
 * Makes V8's code caches for the bundled service (see functions/support/code-cache.ts):
 * runs each bundle's start-up once, in a child process with a sample routes file
 * (so the routes-file parser is compiled too) and no server, and writes what V8
 * compiled next to the bundle. Run by scripts/bundle.js, and in the image by the
 * runtime's own Node (a cache only serves the Node version that made it).
 *   node scripts/code-cache.js [BUNDLE ...]   (default: dist/service/bundle/router.js and serve.js)
 */
const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const bundles = process.argv.length > 2 ? process.argv.slice(2) : ['router.js', 'serve.js'].map((f) => path.join(root, 'dist', 'service', 'bundle', f));
const maker = path.join(root, 'dist', 'functions', 'support', 'code-cache.js');

for (const bundle of bundles.map((b) => path.resolve(b))) {
  // The child's environment is the sample's alone: no PORT, no credentials, nothing of the build's,
  // except NODE_OPTIONS: V8 refuses a cache made under other heap flags (--max-old-space-size, say),
  // so a cache must be made with the NODE_OPTIONS the service will run with.
  const child = spawnSync(
    process.execPath,
    ['-e', `const r = require(${JSON.stringify(maker)}).writeCodeCache(${JSON.stringify(bundle)}); process.stderr.write(JSON.stringify(r)); process.exit(0);`],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ROUTES_FILE: path.join(__dirname, 'code-cache-routes.yaml'),
        ...(process.env.NODE_OPTIONS && { NODE_OPTIONS: process.env.NODE_OPTIONS }),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`making the code cache for ${path.relative(root, bundle)} failed (exit ${child.status})`);
  }
  const { cacheFile, bytes } = JSON.parse(child.stderr.toString().trim().split('\n').pop());
  console.log(`code cache: ${path.relative(root, cacheFile)} (${Math.round(bytes / 1024)} KB)`);
}
