#!/usr/bin/env node
/**
 * Builds what the npm package ships (package.json `files`, `exports`, `bin`):
 *   dist/package/index.js    `eventarc-router`: the library entry (functions/library.ts), one file
 *   dist/package/testing.js  `eventarc-router/testing` (functions/testing/index.ts)
 *   dist/package/cli.js      the `eventarc-router` command (functions/cli/main.ts)
 *   dist/types/              their declarations, from tsc (tsconfig.package.json)
 * Bundled for the same reason as the service (scripts/bundle.js): one file loads far
 * faster than ~80 at a consumer's cold start. Not minified, so a consumer's stack
 * traces read as the source does. Run by `npm pack` (prepack) and `npm run build:package`.
 */
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'package');
const types = path.join(root, 'dist', 'types');

fs.rmSync(out, { recursive: true, force: true });
fs.rmSync(types, { recursive: true, force: true });
esbuild.buildSync({
  entryPoints: {
    index: path.join(root, 'functions', 'library.ts'),
    testing: path.join(root, 'functions', 'testing', 'index.ts'),
    cli: path.join(root, 'functions', 'cli', 'main.ts'),
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  tsconfig: path.join(root, 'tsconfig.build.json'),
  minifySyntax: true,
  // The framework must be the consumer's instance (registration is per module instance); the Google
  // clients, protobufjs and undici are loaded on first use only (as in the service bundle).
  external: [
    '@google-cloud/functions-framework',
    '@google-cloud/storage',
    '@google-cloud/firestore',
    '@google-cloud/pubsub',
    '@google-cloud/secret-manager',
    'google-auth-library',
    'protobufjs',
    'undici',
  ],
  logLevel: 'warning',
});
fs.chmodSync(path.join(out, 'cli.js'), 0o755);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.package.json')], { stdio: 'inherit' });

// Only the declarations the two entries' types reach: tsc emits one for every module of the program.
const reached = new Set();
const visit = (file) => {
  if (reached.has(file) || !fs.existsSync(file)) return;
  reached.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = path.resolve(path.dirname(file), m[1]);
    for (const candidate of [`${base}.d.ts`, path.join(base, 'index.d.ts')]) if (fs.existsSync(candidate)) visit(candidate);
  }
};
visit(path.join(types, 'library.d.ts'));
visit(path.join(types, 'testing', 'index.d.ts'));
const prune = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(p);
      if (fs.readdirSync(p).length === 0) fs.rmdirSync(p);
    } else if (!reached.has(p)) fs.rmSync(p);
  }
};
prune(types);
