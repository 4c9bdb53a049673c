// The wheel's platform tag, and whether a node binary keeps the promise a tag makes.
//
// A manylinux_X_Y tag (PEP 600) promises that the wheel runs on any Linux with glibc X.Y or
// newer, using only the system libraries every such distribution has. pip trusts the tag, so a
// tag lower than the binary needs installs a run-chunks that dies at its first start ("version
// `GLIBC_2.28' not found"). The floor is read from the binary itself, not assumed: the newest
// GLIBC_x.y symbol version it needs (Node 20's official Linux builds need GLIBC_2.28, being built
// on RHEL 8, hence manylinux_2_28 for them), raised where its libstdc++ needs are newer than
// the distributions of that glibc shipped.
import { WheelBuildError } from './build-error.mjs';

// The newest libstdc++ (GLIBCXX, CXXABI) and libgcc_s (GCC) symbol versions each manylinux
// baseline's distributions ship (auditwheel's manylinux-policy.json; GCC the lowest of x86_64's
// and aarch64's). A tag between two rows keeps the lower row's limits.
const BASELINES = [
  { glibc: '2.17', GLIBCXX: '3.4.19', CXXABI: '1.3.7', GCC: '4.7.0' },
  { glibc: '2.24', GLIBCXX: '3.4.22', CXXABI: '1.3.10', GCC: '4.7.0' },
  { glibc: '2.27', GLIBCXX: '3.4.24', CXXABI: '1.3.11', GCC: '7.0.0' },
  { glibc: '2.28', GLIBCXX: '3.4.24', CXXABI: '1.3.11', GCC: '7.0.0' },
  { glibc: '2.31', GLIBCXX: '3.4.28', CXXABI: '1.3.12', GCC: '7.0.0' },
  { glibc: '2.34', GLIBCXX: '3.4.29', CXXABI: '1.3.13', GCC: '7.0.0' },
  { glibc: '2.35', GLIBCXX: '3.4.30', CXXABI: '1.3.13', GCC: '11.0' },
  { glibc: '2.39', GLIBCXX: '3.4.33', CXXABI: '1.3.15', GCC: '14.0.0' },
];

// The system libraries a manylinux wheel may link (the policy's whitelist); anything else (a
// distribution's libnode.so, libuv, libssl) is not on every machine the tag admits.
const SYSTEM_LIBRARIES = new Set([
  'libc.so.6', 'libm.so.6', 'libmvec.so.1', 'libdl.so.2', 'librt.so.1', 'libpthread.so.0', 'libutil.so.1', 'libnsl.so.1',
  'libanl.so.1', 'libresolv.so.2', 'libstdc++.so.6', 'libgcc_s.so.1', 'libatomic.so.1', 'libz.so.1',
]);

const LEGACY_ALIASES = new Map([
  ['manylinux1', '2_5'],
  ['manylinux2010', '2_12'],
  ['manylinux2014', '2_17'],
]);

function compareVersions(a, b) {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The newest version the binary needs under each prefix (GLIBC, GLIBCXX, CXXABI, GCC). */
function newestNeeds(elf) {
  const newest = {};
  for (const versions of elf.versionNeeds.values()) {
    for (const name of versions) {
      const match = /^(GLIBC|GLIBCXX|CXXABI|GCC)_(\d+(?:\.\d+)*)$/.exec(name);
      if (!match) continue;
      const [, prefix, version] = match;
      if (newest[prefix] === undefined || compareVersions(version, newest[prefix]) > 0) newest[prefix] = version;
    }
  }
  return newest;
}

function isMusl(elf) {
  return /ld-musl/.test(elf.interpreter ?? '');
}

/** The limits of the baseline a glibc X.Y tag falls in; undefined below the oldest row. */
function baselineFor(glibc) {
  return BASELINES.filter((row) => compareVersions(row.glibc, glibc) <= 0).at(-1);
}

/** What a glibc X.Y tag cannot promise for this binary: one phrase per reason; [] when it can. */
function shortfalls(elf, glibc) {
  const needs = newestNeeds(elf);
  const reasons = [];
  if (needs.GLIBC && compareVersions(needs.GLIBC, glibc) > 0) reasons.push(`it needs GLIBC_${needs.GLIBC}`);
  const baseline = baselineFor(glibc);
  for (const prefix of ['GLIBCXX', 'CXXABI', 'GCC']) {
    if (!needs[prefix]) continue;
    if (!baseline || compareVersions(needs[prefix], baseline[prefix]) > 0) {
      reasons.push(`it needs ${prefix}_${needs[prefix]}, newer than glibc ${glibc}'s distributions ship${baseline ? ` (${prefix}_${baseline[prefix]})` : ''}`);
    }
  }
  return reasons;
}

function checkLinkage(elf, nodePath) {
  const foreign = elf.needed.filter((library) => !SYSTEM_LIBRARIES.has(library) && !/^ld-(linux|musl)/.test(library));
  if (foreign.length > 0) {
    throw new WheelBuildError(
      `${nodePath} links ${foreign.join(', ')}, which a wheel cannot count on finding: pip installs it on any machine its tag admits. ` +
        'Embed a self-contained node binary (an official build from nodejs.org), not a distribution\'s package of it.',
    );
  }
}

/** The lowest manylinux tag this glibc-linked binary runs under, e.g. manylinux_2_28_x86_64. */
export function defaultPlatformTag(elf, nodePath) {
  checkLinkage(elf, nodePath);
  if (isMusl(elf)) {
    throw new WheelBuildError(
      `${nodePath} is linked against musl, which has no symbol versions to read its oldest supported release from. ` +
        'Give the tag yourself: --platform musllinux_1_2_' + elf.machine + ' (or the musl release it was built for).',
    );
  }
  const glibc = newestNeeds(elf).GLIBC ?? '2.17';
  const floor = [glibc, ...BASELINES.map((row) => row.glibc).filter((version) => compareVersions(version, glibc) > 0)].find(
    (candidate) => shortfalls(elf, candidate).length === 0,
  );
  if (!floor) throw new WheelBuildError(`${nodePath} needs newer C++ runtime symbols than any known manylinux baseline; give the tag with --platform.`);
  return `manylinux_${floor.replace('.', '_')}_${elf.machine}`;
}

/** Refuses a tag the binary cannot keep: another CPU, another libc, or too old a glibc. */
export function checkPlatformTag(tag, elf, nodePath) {
  checkLinkage(elf, nodePath);
  const legacy = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(tag);
  const normalized = legacy ? `manylinux_${LEGACY_ALIASES.get(legacy[1])}_${legacy[2]}` : tag;
  const match = /^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$/.exec(normalized) ?? /^(linux)_(.+)$/.exec(normalized);
  if (!match) {
    throw new WheelBuildError(
      `--platform ${tag} is not a Linux platform tag. run-chunks builds Linux wheels (manylinux_X_Y_ARCH, musllinux_X_Y_ARCH or linux_ARCH), e.g. ${safeDefault(elf, nodePath)}.`,
    );
  }
  const family = match[1];
  const arch = family === 'linux' ? match[2] : match[4];
  if (arch !== elf.machine) {
    throw new WheelBuildError(`--platform ${tag} is for ${arch}, but ${nodePath} is built for ${elf.machine}. Pass --node with a node binary built for ${arch}.`);
  }
  if (family === 'musllinux' && !isMusl(elf)) {
    throw new WheelBuildError(`--platform ${tag} promises a musl build, but ${nodePath} uses glibc (${elf.interpreter}). Use a manylinux tag, e.g. ${safeDefault(elf, nodePath)}.`);
  }
  if (family === 'manylinux') {
    if (isMusl(elf)) throw new WheelBuildError(`--platform ${tag} promises a glibc build, but ${nodePath} is linked against musl; use a musllinux tag.`);
    const glibc = `${match[2]}.${match[3]}`;
    const reasons = shortfalls(elf, glibc);
    if (reasons.length > 0) {
      throw new WheelBuildError(
        `--platform ${tag} promises that the wheel runs on glibc ${glibc}, but ${nodePath} cannot: ${reasons.join('; ')}. ` +
          `pip would install it where it cannot start. Use ${safeDefault(elf, nodePath)} (the lowest tag it keeps), or leave --platform out.`,
      );
    }
  }
}

function safeDefault(elf, nodePath) {
  try {
    return defaultPlatformTag(elf, nodePath);
  } catch {
    return `manylinux_2_28_${elf.machine}`;
  }
}
