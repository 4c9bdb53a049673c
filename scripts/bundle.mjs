#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js and everything it imports, npm packages
// included) into one ESM file. Loading one file instead of ~150 modules halves start-up time
// (--help, --dry-run), which users feel on every invocation. bin/run-chunks.js prefers the bundle
// while it is at least as new as the compiled modules. The bundle sits next to main.js, so paths
// resolved from import.meta.url (../../../python, ../../../package.json) stay the same.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
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
      "import { createRequire as __runChunksCreateRequire } from 'node:module';",
      "import { fileURLToPath as __runChunksFileURLToPath } from 'node:url';",
      'const require = __runChunksCreateRequire(import.meta.url);',
      'const __filename = __runChunksFileURLToPath(import.meta.url);',
      "const __dirname = __runChunksFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
  logLevel: 'warning',
});
