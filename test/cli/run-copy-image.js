#!/usr/bin/env node
// Runs `copy-image` from the TypeScript sources in a child process (tests kill it
// halfway), transpiling on require so no build step is needed.
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};

const { copyImageCommand } = require(path.join(__dirname, '..', '..', 'functions', 'cli', 'copy-image.ts'));
copyImageCommand(process.argv.slice(2)).then((code) => process.exit(code));
