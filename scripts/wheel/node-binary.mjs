// The node binary the wheel embeds: refused, with the reason, unless Node can make a single
// executable application of it. What it is built for (its ELF header) decides the platform tag.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { WheelBuildError } from './build-error.mjs';
import { isElf, readElfInfo } from './elf.mjs';

/** The sentinel postject flips (":0" to ":1") when it injects an application into a node binary. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

// 20.6 added the SEA config's "useCodeCache", which the wheel's executable starts faster with.
const OLDEST_NODE = [20, 6];

/** { path, version, elf } of a node binary fit to embed; throws a WheelBuildError otherwise. */
export function inspectNodeBinary(nodePath) {
  let stats;
  try {
    stats = statSync(nodePath);
  } catch (error) {
    throw new WheelBuildError(`--node ${nodePath}: ${error.code === 'ENOENT' ? 'no such file' : error.message}. Pass the path of a node binary (20.6 or newer).`);
  }
  if (!stats.isFile()) throw new WheelBuildError(`--node ${nodePath} is not a file. Pass the path of a node binary (20.6 or newer).`);
  const bytes = readFileSync(nodePath);
  if (!isElf(bytes)) {
    throw new WheelBuildError(
      `--node ${nodePath} is not a Linux (ELF) executable. run-chunks builds Linux wheels only: a macOS or Windows ` +
        'single executable also needs code signing or PE resources, which this script does not do.',
    );
  }
  const fuse = bytes.indexOf(`${SEA_FUSE}:`);
  if (fuse === -1) {
    throw new WheelBuildError(
      `--node ${nodePath} has no single executable application fuse (${SEA_FUSE}): it is not a node 20+ build with SEA support. ` +
        'Use an official build from nodejs.org.',
    );
  }
  if (bytes[fuse + SEA_FUSE.length + 1] !== '0'.charCodeAt(0)) {
    throw new WheelBuildError(`--node ${nodePath} already holds a single executable application (its fuse is set). Pass a plain node binary.`);
  }
  const elf = readElfInfo(bytes);
  return { path: nodePath, version: readNodeVersion(nodePath), elf };
}

/**
 * Runs `node --version`. The binary must run here anyway: the blob injected into it must be
 * made by the same Node version (and its code cache by the same V8), so it makes its own.
 */
function readNodeVersion(nodePath) {
  let output;
  try {
    output = execFileSync(nodePath, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  } catch (error) {
    throw new WheelBuildError(
      `--node ${nodePath} cannot run on this machine (${error.code ?? error.stderr?.trim() ?? `exit ${error.status}`}), and it must: ` +
        'the application blob is made by the node binary it goes into. Build the wheel on a machine of its platform.',
    );
  }
  checkNodeVersion(output, nodePath);
  return output.replace(/^v/, '');
}

/** Refuses a `node --version` output older than 20.6, or one that is no Node version at all. */
export function checkNodeVersion(output, nodePath) {
  const match = /^v(\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) throw new WheelBuildError(`--node ${nodePath} does not look like node: \`--version\` printed ${JSON.stringify(output)}.`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major < OLDEST_NODE[0] || (major === OLDEST_NODE[0] && minor < OLDEST_NODE[1])) {
    throw new WheelBuildError(
      `--node ${nodePath} is Node ${output}; the wheel needs ${OLDEST_NODE.join('.')} or newer (single executable applications with a code cache). ` +
        'Pass a newer node binary.',
    );
  }
}
