#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js and everything it imports, npm packages
// included) into one ESM file. Loading one file instead of ~150 modules halves start-up time
// (--help, --dry-run), which users feel on every invocation. The bundle's first line and the end
// of the compiled main.js carry the same build id: bin/choose-entry.js runs the bundle only while
// they agree (or when the bundle is all there is, as in the npm package). The bundle sits next to
// main.js, so paths resolved from import.meta.url (../../../python, ../../../package.json) stay
// the same.
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiledMain = path.join(root, 'dist', 'src', 'cli', 'main.js');
const buildId = randomUUID();
const idLine = `// run-chunks-build-id: ${buildId}`;
// A main.js bundled before (and not rebuilt by tsc since) carries an older id: drop it first.
const compiledText = readFileSync(compiledMain, 'utf8').replace(/\n\/\/ run-chunks-build-id: [0-9a-f-]+\n$/, '');
writeFileSync(compiledMain, compiledText);
await build({
  entryPoints: [compiledMain],
  outfile: path.join(root, 'dist', 'src', 'cli', 'main.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ESM builds first: some packages (jsonc-parser) ship a UMD "main" that requires files at run time.
  mainFields: ['module', 'main'],
  // CommonJS dependencies call require() for Node's built-ins and read __filename (write-file-atomic
  // names its temp files with it); an ESM module has neither, so the bundle defines them.
  banner: {
    js: [
      idLine,
      "import { createRequire as __runChunksCreateRequire } from 'node:module';",
      "import { fileURLToPath as __runChunksFileURLToPath } from 'node:url';",
      'const require = __runChunksCreateRequire(import.meta.url);',
      'const __filename = __runChunksFileURLToPath(import.meta.url);',
      "const __dirname = __runChunksFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  logLevel: 'warning',
});
// Last, so an interrupted build leaves ids that disagree (the compiled modules then run).
// tsc ends main.js with its source-map comment and no newline; the id goes on a line of its own.
appendFileSync(compiledMain, `\n${idLine}\n`);
