// run-chunks' wheel is versioned from package.json, spelled the PEP 440 way (the wheel build's
// scripts/wheel/metadata.mjs does the same): the pin `pip install run-chunks==…` must match it.

const PRE_RELEASES: Record<string, string> = { alpha: 'a', beta: 'b', rc: 'rc' };

/** package.json's semver version as pip spells it (1.2.0-rc.1 → 1.2.0rc1); undefined when it has no such spelling. */
export function pipVersionOf(semver: string): string | undefined {
  const match = /^(\d+\.\d+\.\d+)(?:-(alpha|beta|rc)\.(\d+))?$/.exec(semver);
  if (!match) return undefined;
  return match[2] === undefined ? match[1] : `${match[1]}${PRE_RELEASES[match[2]]}${match[3]}`;
}
