#!/usr/bin/env node
/**
 * Bundles the service into one file, dist/service/bundle/router.js (loaded by
 * dist/service/router.js with V8's code cache made below): loading one file
 * instead of ~80 modules (ours, zod's, yaml's) is most of the cold start a
 * Functions Framework no-op does not pay. Built from the TypeScript sources (tsc
 * has type-checked them first) so libraries are imported as ES modules and what
 * is unused (zod's locales) is left out. Google client libraries stay external:
 * actions load them lazily, on first use, from node_modules.
 */
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

// bundle/router.js: the Functions Framework function (`npm start`, Cloud Functions), loaded by router.js;
// bundle/serve.js: the same pipeline behind a bare node:http server (the image's entry point, `npm run serve`),
// loaded and started by serve.js. The loaders are a few lines: they use the code caches made below.
esbuild.buildSync({
  entryPoints: {
    'bundle/router': path.join(root, 'functions', 'index.ts'),
    router: path.join(root, 'functions', 'router-loader.ts'),
    'bundle/serve': path.join(root, 'functions', 'lean-server.ts'),
    serve: path.join(root, 'functions', 'serve.ts'),
  },
  outdir: path.join(root, 'dist', 'service'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: path.join(root, 'tsconfig.build.json'),
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
    // Loaded on the first protobuf Firestore event only (functions/parse/payloads/firestore-proto.ts).
    'protobufjs',
    // Loaded on a forward route's first event only (functions/act/forward/http-client.ts); bundled, it
    // nearly doubled the bundle every start parses.
    'undici',
  ],
  // import() of the external client libraries becomes require(): they are CommonJS, and code
  // loaded from V8's code cache cannot import() on Node 20 (functions/support/code-cache.ts).
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
});
for (const file of ['bundle/router.js', 'bundle/serve.js']) {
  if (/\bimport\(/.test(fs.readFileSync(path.join(root, 'dist', 'service', file), 'utf8'))) throw new Error(`dist/service/${file} still contains import()`);
}

// V8's code caches for both bundles, made by this Node (functions/support/code-cache.ts).
require('./code-cache');
