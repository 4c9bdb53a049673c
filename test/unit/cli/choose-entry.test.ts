import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../helpers/cli.js';
import { faultCase } from '../../helpers/fault-case.js';

// bin/choose-entry.js is plain JavaScript beside bin/run-chunks.js (not compiled), so it is loaded by path.
type ChooseEntry = (compiled: URL, bundled: URL) => URL;
const { chooseEntry } = (await import(pathToFileURL(path.join(REPO_ROOT, 'bin', 'choose-entry.js')).href)) as { chooseEntry: ChooseEntry };

const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-entry-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const compiled = pathToFileURL(path.join(dir, 'main.js'));
const bundled = pathToFileURL(path.join(dir, 'main.bundle.js'));
const ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

function write(url: URL, text: string | undefined): void {
  rmSync(url, { force: true });
  if (text !== undefined) writeFileSync(url, text);
}
const bundle = (id: string): string => `// run-chunks-build-id: ${id}\nimport x from 'y';\n${'const a = 1;\n'.repeat(500)}`;
const compiledMain = (id: string | undefined): string => `${'export const b = 2;\n'.repeat(500)}//# sourceMappingURL=main.js.map${id ? `\n// run-chunks-build-id: ${id}\n` : ''}`;

test('the bundle runs while its build id is the one appended to the compiled main.js', () => {
  write(bundled, bundle(ID));
  write(compiled, compiledMain(ID));
  assert.equal(chooseEntry(compiled, bundled).href, bundled.href);
});

// The fault: bin/ once ran the bundle only while it was newer than main.js, and npm extracts a
// package's files in any order, so an installed package started from ~150 modules at twice the cost.
faultCase('lifecycle', 'package files extracted with any file times (an older bundle, a newer main.js)', (r) => {
  write(bundled, bundle(ID));
  write(compiled, compiledMain(ID));
  utimesSync(bundled, new Date(2000, 0, 1), new Date(2000, 0, 1));
  r.did('bin/choose-entry.js compares build ids, never file times');
  assert.equal(chooseEntry(compiled, bundled).href, bundled.href);
  r.held('an older bundle with the same build id runs');
  write(bundled, bundle('11111111-2222-3333-4444-555555555555'));
  utimesSync(compiled, new Date(2000, 0, 1), new Date(2000, 0, 1));
  assert.equal(chooseEntry(compiled, bundled).href, compiled.href);
  r.held('a newer bundle with another build id does not');
});

test('a tsc-only rebuild (main.js without the id) runs the compiled modules, never the stale bundle', () => {
  write(bundled, bundle(ID));
  write(compiled, compiledMain(undefined));
  assert.equal(chooseEntry(compiled, bundled).href, compiled.href);
});

test('the bundle alone (the npm package) runs; no bundle, or one without an id, runs the compiled modules', () => {
  write(bundled, bundle(ID));
  write(compiled, undefined);
  assert.equal(chooseEntry(compiled, bundled).href, bundled.href);
  write(bundled, undefined);
  write(compiled, compiledMain(ID));
  assert.equal(chooseEntry(compiled, bundled).href, compiled.href);
  write(bundled, 'import x from "y";\n');
  assert.equal(chooseEntry(compiled, bundled).href, compiled.href);
});

test("this checkout's own build (npm run build) runs its bundle", () => {
  const dist = path.join(REPO_ROOT, 'dist', 'src', 'cli');
  const chosen = chooseEntry(pathToFileURL(path.join(dist, 'main.js')), pathToFileURL(path.join(dist, 'main.bundle.js')));
  assert.equal(path.basename(chosen.pathname), 'main.bundle.js');
});
