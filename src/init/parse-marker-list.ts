// `pytest --markers` prints one marker per paragraph, as `@pytest.mark.NAME[(ARGS)]: DESCRIPTION`
// (pytest splits each registered line at its first colon; the arguments are part of the name
// side); init's collection writes the same lines from the session's own `markers` ini value. Registered markers come from pytest.ini, pyproject.toml, setup.cfg, tox.ini and
// conftest's `config.addinivalue_line("markers", ...)`; plugins and pytest itself add theirs.

/** One marker pytest knows. */
export interface KnownMarker {
  name: string;
  /** The signature pytest shows, e.g. "(condition, ..., *, reason=...)"; empty when none. */
  args: string;
  description: string;
}

// Colour codes, should the user's environment force them on (PY_COLORS=1, FORCE_COLOR).
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;
const MARKER_LINE = /^@pytest\.mark\.([^:(\s]+)([^:]*):(.*)$/;

/** The markers listed in `pytest --markers` output, in pytest's order, each name once. */
export function parseMarkerList(output: string): KnownMarker[] {
  const markers = new Map<string, KnownMarker>();
  for (const line of output.replace(ANSI_ESCAPE, '').split(/\r?\n/)) {
    const match = MARKER_LINE.exec(line.trimEnd());
    if (!match) continue;
    const [, name, args, description] = match as unknown as [string, string, string, string];
    if (!markers.has(name)) markers.set(name, { name, args: args.trim(), description: description.trim() });
  }
  return [...markers.values()];
}
