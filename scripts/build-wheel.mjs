#!/usr/bin/env node
// `npm run build:wheel`: a pip wheel of run-chunks that needs no Node.js where it is installed.
// The compiled CLI becomes one executable (a Node.js single executable application: a copy of
// a node binary with the bundled CLI injected), shipped with the Python side it runs in each
// chunk, behind a small Python wrapper that execs it (python/run_chunks/). Nothing is
// downloaded, at build, install or run time. `--help` for the options.
//
// The node binary's debug information is kept. Stripping it (strip --strip-all, before
// injection: postject works on the result) saved 2.7 MB of a 34.7 MB download here (8%) and
// 12 MB installed; it would also take away the symbols that make a native crash report
// readable, and need binutils for the target CPU on the build machine. Not worth either.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WheelBuildError } from './wheel/build-error.mjs';
import { pythonVersion, wheelFileName } from './wheel/metadata.mjs';
import { inspectNodeBinary } from './wheel/node-binary.mjs';
import { parseOptions, USAGE } from './wheel/options.mjs';
import { checkPlatformTag, defaultPlatformTag } from './wheel/platform-tag.mjs';
import { bundleSeaMain, makeSeaExecutable } from './wheel/sea.mjs';
import { EXECUTABLE, stageWheelTree } from './wheel/wheel-tree.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const hostPython = process.env.PYTHON ?? 'python3';

async function buildWheel(options) {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const version = pythonVersion(manifest.version);
  const compiledCli = path.join(root, 'dist', 'src', 'cli', 'main.js');
  try {
    statSync(compiledCli);
  } catch {
    throw new WheelBuildError(`${path.relative(root, compiledCli)} is missing: run \`npm run build\` first (npm run build:wheel does).`);
  }

  const node = inspectNodeBinary(path.resolve(options.node));
  let platformTag;
  if (options.platform === undefined) {
    platformTag = defaultPlatformTag(node.elf, node.path);
  } else {
    checkPlatformTag(options.platform, node.elf, node.path);
    platformTag = options.platform;
  }
  const outDir = path.resolve(options.outDir ?? path.join(root, 'dist', 'wheels'));
  const wheel = path.join(outDir, wheelFileName(version, platformTag));

  const work = mkdtempSync(path.join(os.tmpdir(), 'run-chunks-wheel-'));
  try {
    const tree = path.join(work, 'tree');
    const distInfo = stageWheelTree(root, tree, { packageVersion: manifest.version, version, platformTag, summary: manifest.description, license: manifest.license });
    const mainScript = path.join(work, 'sea-main.cjs');
    await bundleSeaMain(root, mainScript);
    makeSeaExecutable(node.path, mainScript, path.join(tree, EXECUTABLE), work);
    checkExecutable(path.join(tree, EXECUTABLE), manifest.version);

    mkdirSync(outDir, { recursive: true });
    // Written beside its final name, then renamed: a failed build never leaves half a wheel there.
    const partial = `${wheel}.partial`;
    execFileSync(hostPython, [path.join(root, 'scripts', 'wheel', 'write_wheel.py'), tree, distInfo, partial], { stdio: 'inherit' });
    renameSync(partial, wheel);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const sizeMb = statSync(wheel).size / 1e6;
  console.log(`build-wheel: wrote ${path.relative(process.cwd(), wheel) || wheel} (${sizeMb.toFixed(1)} MB; node ${node.version}, ${platformTag})`);
}

// The executable answers --version from the staged tree before it is zipped: a wrong resource
// path or a broken injection fails the build here, not on a user's machine.
function checkExecutable(executable, expected) {
  let output;
  try {
    output = execFileSync(executable, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } }).trim();
  } catch (error) {
    throw new WheelBuildError(`the built executable does not run: ${executable} --version exited ${error.status ?? error.code}.\n${error.stderr ?? ''}`);
  }
  if (output !== expected) throw new WheelBuildError(`the built executable reports version ${JSON.stringify(output)}, not ${expected}: it does not find its package.json.`);
}

try {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) console.log(USAGE);
  else await buildWheel(options);
} catch (error) {
  if (!(error instanceof WheelBuildError)) throw error;
  console.error(`build-wheel: ${error.message}`);
  process.exitCode = 2;
}
