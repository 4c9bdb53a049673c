// The run-chunks single executable: the compiled CLI bundled into one CommonJS script, made into
// a blob by the embedded node itself, and injected into a copy of that node with postject.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, formatMessages } from 'esbuild';
import { WheelBuildError } from './build-error.mjs';
import { SEA_FUSE } from './node-binary.mjs';

const require = createRequire(import.meta.url);

// The compiled modules find their files from import.meta.url, three folders below the package
// root: new URL('../../../python', import.meta.url) in plan/pytest-invocation.ts,
// '../../../python/run_chunks_launcher.py' in runner/chunk-process.ts, '../../../package.json'
// in cli/version.ts. A SEA main script is CommonJS, with no import.meta, and its __filename is
// the executable; so every import.meta.url becomes a variable set to the URL the bundle would
// have in the npm layout under the wheel's resource root (<root>/dist/src/cli/main.js, a file
// that does not exist: only the three '../' matter). The executable is <root>/bin/run-chunks,
// and process.execPath is its real path (Linux reads /proc/self/exe), symlinks resolved.
const IMPORT_META_URL = '__runChunksImportMetaUrl';
const BANNER = [
  `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(`,
  "  require('node:path').join(require('node:path').dirname(process.execPath), '..', 'dist', 'src', 'cli', 'main.js'),",
  ').href;',
].join('\n');

// bin/run-chunks.js, as a CommonJS entry: a SEA main script cannot await at its top level. A
// rejection still ends the process as there (unhandled: printed, exit 1).
const ENTRY = "import { main } from './main.js';\nvoid main(process.argv.slice(2));\n";

/**
 * Bundles dist/src/cli/main.js and every npm package it imports into `outfile`. Inside a SEA
 * `require` loads only Node's built-ins, so nothing may stay external; any esbuild warning (an
 * import.meta it could not replace, a require it could not bundle) fails the build.
 */
export async function bundleSeaMain(root, outfile) {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: path.join(root, 'dist', 'src', 'cli'), sourcefile: 'sea-main.js', loader: 'js' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // ESM builds first, as scripts/bundle.mjs: jsonc-parser's UMD "main" requires files at run time.
    mainFields: ['module', 'main'],
    define: { 'import.meta.url': IMPORT_META_URL },
    banner: { js: BANNER },
    logLevel: 'silent',
  });
  if (result.warnings.length > 0) {
    const text = (await formatMessages(result.warnings, { kind: 'warning' })).join('\n');
    throw new WheelBuildError(`esbuild warned while bundling the single executable's script; each warning is a way it would break inside the executable:\n${text}`);
  }
}

/**
 * Makes `executable` from `nodePath` and the bundled `mainScript`. The code cache (V8's compiled
 * code for the script, made at build time) took 25 ms (15%) off `--help`'s start-up here. It ties
 * the blob to this node binary's V8, which is the one it goes into; and it is the one part of the
 * wheel that two builds from the same sources do not make byte for byte alike.
 */
export function makeSeaExecutable(nodePath, mainScript, executable, workDir) {
  const config = path.join(workDir, 'sea-config.json');
  const blob = path.join(workDir, 'sea.blob');
  writeFileSync(config, JSON.stringify({ main: mainScript, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false }));
  runQuietly(nodePath, ['--experimental-sea-config', config], 'making the application blob');
  copyFileSync(nodePath, executable);
  chmodSync(executable, 0o755);
  // postject's ELF library warns about every note section it cannot name (Node's build notes);
  // they are noise, so its output is shown only when it fails.
  const postject = require.resolve('postject/dist/cli.js');
  runQuietly(process.execPath, [postject, executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'injecting the blob (postject)');
}

function runQuietly(program, args, what) {
  try {
    execFileSync(program, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  } catch (error) {
    throw new WheelBuildError(`${what} failed: ${[program, ...args].join(' ')} exited ${error.status ?? error.code}.\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  }
}
