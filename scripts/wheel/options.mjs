// build-wheel.mjs' command line: which node binary to embed, the wheel's platform tag, and
// where the wheel goes.
import { parseArgs } from 'node:util';
import { WheelBuildError } from './build-error.mjs';

export const USAGE = `Usage: node scripts/build-wheel.mjs [--node PATH] [--platform TAG] [--out-dir DIR]

Builds dist/wheels/run_chunks-<version>-py3-none-<platform>.whl: the compiled CLI (npm run build
first) as one executable made from a node binary, for pip, with no Node.js needed to run it.

  --node PATH      the node binary (20.6 or newer, with the single executable fuse) to embed,
                   built for the wheel's platform; default: the node running this script
  --platform TAG   the wheel's platform tag, e.g. manylinux_2_28_x86_64; default: the one the
                   node binary needs (its CPU and the newest glibc symbol version it uses)
  --out-dir DIR    where the wheel is written; default: dist/wheels`;

/** The options, or null after printing the usage for --help. */
export function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        node: { type: 'string' },
        platform: { type: 'string' },
        'out-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new WheelBuildError(`${error.message}.\n\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) return null;
  return { node: values.node ?? process.execPath, platform: values.platform, outDir: values['out-dir'] };
}
