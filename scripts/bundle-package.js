#!/usr/bin/env node
/**
 * Builds what the npm package ships (package.json `files`, `exports`, `bin`):
 *   dist/package/index.js    `eventarc-router`: the library entry (functions/library.ts), one file
 *   dist/package/testing.js  `eventarc-router/testing` (functions/testing/index.ts)
 *   dist/package/cli.js      the `eventarc-router` command (functions/cli/main.ts): the dispatcher only,
 *   dist/package/cli/*.js    each command bundled on its own and loaded by it (copy-image parses
 *                            ~60 KB, not the ~680 KB of the routes file's parser and zod, nor
 *                            sync-images's glob compiler: measured on Node 20, 93 against 128 ms
 *                            for `copy-image --help`, 59 ms for `node -e 0`)
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
const common = {
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
};
esbuild.buildSync({
  ...common,
  entryPoints: {
    index: path.join(root, 'functions', 'library.ts'),
    testing: path.join(root, 'functions', 'testing', 'index.ts'),
  },
  outdir: out,
});

// The commands main.ts loads on demand (`import('./copy-image')`), each bundled on its own in cli/
// and required by the dispatcher when it runs. Whitespace-minified like the service bundle (names
// stay readable; the commands print messages, not stacks), which keeps the package within its size.
const cliDir = path.join(root, 'functions', 'cli');
const mainTs = path.join(cliDir, 'main.ts');
const commands = [...fs.readFileSync(mainTs, 'utf8').matchAll(/import\('\.\/([a-z-]+)'\)/g)].map((m) => m[1]);
if (!commands.includes('copy-image')) throw new Error('functions/cli/main.ts: no command import() found');
const ownBundles = {
  name: 'cli-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+$/ }, (args) =>
      args.importer === mainTs && commands.includes(args.path.slice(2)) ? { path: `./cli/${args.path.slice(2)}.js`, external: true } : undefined,
    );
  },
};
// esbuild runs plugins in its asynchronous API only.
const cliBuild = Promise.all([
  esbuild.build({
    ...common,
    entryPoints: { cli: mainTs },
    outdir: out,
    plugins: [ownBundles],
    // import('./copy-image') becomes require('./cli/copy-image.js'): CommonJS, no ESM loader at start.
    supported: { 'dynamic-import': false },
  }),
  esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(commands.map((c) => [c, path.join(cliDir, `${c}.ts`)])),
    outdir: path.join(out, 'cli'),
    minifyWhitespace: true,
  }),
]);

cliBuild
  .then(() => {
    fs.chmodSync(path.join(out, 'cli.js'), 0o755);
    if (fs.statSync(path.join(out, 'cli.js')).size > 16 * 1024) throw new Error('dist/package/cli.js bundles its commands: it should only dispatch');
    declarations();
  })
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });

function declarations() {
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
}
