#!/usr/bin/env node
/**
 * Bundles the service into one file, dist/service/router.js: loading one file
 * instead of ~80 modules (ours, zod's, yaml's) is most of the cold start a
 * Functions Framework no-op does not pay. Built from the TypeScript sources (tsc
 * has type-checked them first) so libraries are imported as ES modules and what
 * is unused (zod's locales) is left out. Google client libraries stay external:
 * actions load them lazily, on first use, from node_modules.
 */
const esbuild = require('esbuild');
const path = require('path');

const root = path.resolve(__dirname, '..');

// router.js: the Functions Framework function (`npm start`, Cloud Functions, the image's default);
// serve.js: the same pipeline behind a bare node:http server (`npm run serve`, Cloud Run).
esbuild.buildSync({
  entryPoints: { router: path.join(root, 'functions', 'index.ts'), serve: path.join(root, 'functions', 'serve.ts') },
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
  ],
  logLevel: 'warning',
});
