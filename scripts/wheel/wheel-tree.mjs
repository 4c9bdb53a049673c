// Lays out the wheel's files in a folder, as pip will install them into site-packages:
//
//   run_chunks/                    the wrapper (python/run_chunks/), _version.py written here
//   run_chunks/_resources/         what the executable finds relative to itself
//     bin/run-chunks               the single executable (mode 0755)
//     python/                      the chunk-side Python: run_chunks_events/, run_chunks_launcher.py
//     package.json                 name and version (cli/version.ts reads it for --version)
//     schema/                      the config and report JSON schemas, for editors
//   run_chunks-<v>.dist-info/      METADATA, WHEEL, entry_points.txt (RECORD is the zip writer's)
//
// _resources/python/ goes first on every chunk's PYTHONPATH, so it holds our two modules only:
// never the wrapper package, never site-packages (that would shadow the chunk's own packages).
import { copyFileSync, cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distInfoName, entryPointsText, metadataText, wheelText } from './metadata.mjs';

/** The files the chunk side needs, from the package's python/ folder. */
const CHUNK_PYTHON = ['run_chunks_events', 'run_chunks_launcher.py'];

/** Where the executable goes inside the tree (the wrapper's _executable.py looks there). */
export const EXECUTABLE = path.join('run_chunks', '_resources', 'bin', 'run-chunks');

// Sources only: a __pycache__ left by a local test run must not ship (its .pyc files would be
// for this machine's Python, and are not in the review).
function copySources(from, to, extension) {
  cpSync(from, to, {
    recursive: true,
    filter: (source) => path.basename(source) !== '__pycache__' && (statSync(source).isDirectory() || source.endsWith(extension)),
  });
}

/** Writes everything but the executable and RECORD under `tree`; returns the .dist-info folder's name. */
export function stageWheelTree(root, tree, { packageVersion, version, platformTag, summary, license }) {
  const wrapper = path.join(tree, 'run_chunks');
  mkdirSync(wrapper, { recursive: true });
  for (const file of readdirSync(path.join(root, 'python', 'run_chunks')).filter((name) => name.endsWith('.py'))) {
    copyFileSync(path.join(root, 'python', 'run_chunks', file), path.join(wrapper, file));
  }
  writeFileSync(path.join(wrapper, '_version.py'), `"""The package's version, written by scripts/build-wheel.mjs from package.json."""\n\n__version__ = ${JSON.stringify(version)}\n`);

  const resources = path.join(wrapper, '_resources');
  mkdirSync(path.join(resources, 'bin'), { recursive: true });
  for (const name of CHUNK_PYTHON) copySources(path.join(root, 'python', name), path.join(resources, 'python', name), '.py');
  copySources(path.join(root, 'schema'), path.join(resources, 'schema'), '.json');
  writeFileSync(path.join(resources, 'package.json'), `${JSON.stringify({ name: 'run-chunks', version: packageVersion }, null, 2)}\n`);

  const distInfo = distInfoName(version);
  mkdirSync(path.join(tree, distInfo));
  writeFileSync(path.join(tree, distInfo, 'METADATA'), metadataText({ version, summary, license }));
  writeFileSync(path.join(tree, distInfo, 'WHEEL'), wheelText(platformTag));
  writeFileSync(path.join(tree, distInfo, 'entry_points.txt'), entryPointsText());
  return distInfo;
}
