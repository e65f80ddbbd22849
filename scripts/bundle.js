#!/usr/bin/env node
/**
 * Bundles the compiled service into one file, dist/service/router.js: loading one
 * file instead of ~80 modules (ours, zod's, yaml's) is most of the cold start a
 * Functions Framework no-op does not pay. Google client libraries stay external:
 * actions load them lazily, on first use, from node_modules.
 */
const esbuild = require('esbuild');
const path = require('path');

const root = path.resolve(__dirname, '..');

esbuild.buildSync({
  entryPoints: [path.join(root, 'dist', 'functions', 'index.js')],
  outfile: path.join(root, 'dist', 'service', 'router.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Whitespace and syntax only: names stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  // The framework must be the very instance its CLI loaded (registration is per module instance).
  external: [
    '@google-cloud/functions-framework',
    '@google-cloud/storage',
    '@google-cloud/firestore',
    '@google-cloud/pubsub',
    '@google-cloud/secret-manager',
    'google-auth-library',
  ],
  logLevel: 'warning',
});
