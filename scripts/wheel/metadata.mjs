// The wheel's name and its .dist-info text files (the binary distribution format: packaging.python.org,
// "Binary distribution format" and "Core metadata specifications").
import { WheelBuildError } from './build-error.mjs';

export const DISTRIBUTION = 'run-chunks';
/** The distribution name as it is spelled in file names (wheel file, .dist-info folder). */
export const FILE_NAME = 'run_chunks';

// semver pre-releases that PEP 440 has a spelling for: 1.2.0-rc.1 is 1.2.0rc1.
const PRE_RELEASES = new Map([
  ['alpha', 'a'],
  ['beta', 'b'],
  ['rc', 'rc'],
]);

/** package.json's semver version as PEP 440 (pip refuses a wheel whose version is not one). */
export function pythonVersion(semver) {
  const match = /^(\d+\.\d+\.\d+)(?:-(alpha|beta|rc)\.(\d+))?$/.exec(semver);
  if (!match) {
    throw new WheelBuildError(
      `package.json's version ${JSON.stringify(semver)} has no Python (PEP 440) spelling; use X.Y.Z or X.Y.Z-alpha.N, -beta.N, -rc.N.`,
    );
  }
  return match[2] ? `${match[1]}${PRE_RELEASES.get(match[2])}${match[3]}` : match[1];
}

export function wheelFileName(version, platformTag) {
  return `${FILE_NAME}-${version}-py3-none-${platformTag}.whl`;
}

export function distInfoName(version) {
  return `${FILE_NAME}-${version}.dist-info`;
}

/** METADATA: what pip shows and checks (Requires-Python is enforced at install). */
export function metadataText({ version, summary, license }) {
  return [
    'Metadata-Version: 2.1',
    `Name: ${DISTRIBUTION}`,
    `Version: ${version}`,
    `Summary: ${summary}`,
    `License: ${license}`,
    // Only the small wrapper runs in the installing Python (each chunk's Python is the config's);
    // 3.8 reached its end of life in October 2024.
    'Requires-Python: >=3.9',
    '',
  ].join('\n');
}

/** WHEEL: not purelib, since the executable is for one platform, and the one tag it was built for. */
export function wheelText(platformTag) {
  return ['Wheel-Version: 1.0', 'Generator: run-chunks scripts/build-wheel.mjs', 'Root-Is-Purelib: false', `Tag: py3-none-${platformTag}`, ''].join('\n');
}

export function entryPointsText() {
  return ['[console_scripts]', 'run-chunks = run_chunks:main', ''].join('\n');
}
