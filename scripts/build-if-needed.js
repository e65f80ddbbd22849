#!/usr/bin/env node
// `npm start` must work straight after `npm ci`: compile when dist/ is missing or older than any source.
// With --package: the npm package's files instead (scripts/bundle-package.js), for tests that pack it.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const forPackage = process.argv.includes('--package');
const marker = path.join(root, 'dist', forPackage ? 'package' : 'service', forPackage ? 'index.js' : 'router.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
const sources = Math.max(
  ...['functions', 'scripts', 'bench'].map((d) => newestMtime(path.join(root, d))),
  ...(forPackage ? ['scripts/bundle-package.js', 'tsconfig.package.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs) : []),
);
if (built < sources && forPackage) {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle-package.js')], { stdio: 'inherit' });
} else if (built < sources) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [path.join(root, 'scripts', 'bundle.js')], { stdio: 'inherit' });
}
