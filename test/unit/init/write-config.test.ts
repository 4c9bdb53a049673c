import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chooseConfigTarget, writeConfigText } from '../../../src/init/write-config.js';
import { UserError } from '../../../src/util/user-error.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-init-write-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

async function refusal(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.equal(error.exitCode, 2);
    assert.match(error.message, pattern);
    return true;
  });
}

const TABLE = '[tool.run-chunks]\n[[tool.run-chunks.chunks]]\nname = "a"\n';

test('where it goes: a new chunks.config.json, or a table appended to an existing pyproject.toml', async () => {
  const empty = project({});
  assert.deepEqual(await chooseConfigTarget(empty, undefined, false), { kind: 'json', file: path.join(empty, 'chunks.config.json'), replaces: false });
  const python = project({ 'pyproject.toml': '[project]\nname = "x"\n' });
  const target = await chooseConfigTarget(python, undefined, false);
  assert.equal(target.kind, 'pyproject');
  assert.equal(target.file, path.join(python, 'pyproject.toml'));
  const jsonOut = await chooseConfigTarget(python, 'ci/run-chunks.json', false);
  assert.deepEqual(jsonOut, { kind: 'json', file: path.join(python, 'ci', 'run-chunks.json'), replaces: false });
});

test('an existing config is refused, naming the file; --force replaces only a chunks.config.json', async () => {
  const json = project({ 'chunks.config.json': '{}' });
  await refusal(chooseConfigTarget(json, undefined, false), /^chunks\.config\.json already exists: run-chunks init never overwrites a config\..*pass --force/);
  assert.deepEqual(await chooseConfigTarget(json, undefined, true), { kind: 'json', file: path.join(json, 'chunks.config.json'), replaces: true });
  const toml = project({ 'pyproject.toml': `[project]\nname = "x"\n\n${TABLE}` });
  await refusal(chooseConfigTarget(toml, undefined, false), /^pyproject\.toml already has a \[tool\.run-chunks\] table: run-chunks init never overwrites a config\. /);
  await refusal(chooseConfigTarget(toml, undefined, true), /\(--force replaces only a chunks\.config\.json, never part of a pyproject\.toml\)/);
});

test('a second config beside the first is refused, as the loader would refuse both', async () => {
  const toml = project({ 'pyproject.toml': TABLE });
  await refusal(chooseConfigTarget(toml, 'chunks.config.json', false), /^pyproject\.toml already holds the config.*refuses two configs in one folder/);
  const json = project({ 'chunks.config.json': '{}', 'pyproject.toml': '[project]\n' });
  await refusal(chooseConfigTarget(json, 'pyproject.toml', false), /^chunks\.config\.json already holds the config; a \[tool\.run-chunks\] table beside it would make two/);
});

test('what init will not append to or write: invalid TOML, a folder, another kind of file', async () => {
  await refusal(chooseConfigTarget(project({ 'pyproject.toml': '[project\nname=' }), undefined, false), /^pyproject\.toml is not valid TOML \(.+\), so init cannot check what it would append/);
  const folder = project({});
  mkdirSync(path.join(folder, 'chunks.config.json'));
  await refusal(chooseConfigTarget(folder, undefined, true), /chunks\.config\.json exists and is not a regular file/);
  await refusal(chooseConfigTarget(project({}), 'run-chunks.yaml', false), /^--output run-chunks\.yaml: .* give a path ending in \.json or \.toml/);
});

test('writing: JSON created exclusively, pyproject.toml appended with its old bytes kept', async () => {
  const dir = project({ 'pyproject.toml': '# keep me\n[project]\n' });
  const target = await chooseConfigTarget(dir, undefined, false);
  await writeConfigText(target, '\n[tool.run-chunks]\n', dir);
  assert.equal(readFileSync(path.join(dir, 'pyproject.toml'), 'utf8'), '# keep me\n[project]\n\n[tool.run-chunks]\n');
  const fresh = project({});
  const json = await chooseConfigTarget(fresh, undefined, false);
  writeFileSync(path.join(fresh, 'chunks.config.json'), 'someone else\'s');
  await refusal(writeConfigText(json, '{}\n', fresh), /appeared while init ran/);
  assert.equal(readFileSync(path.join(fresh, 'chunks.config.json'), 'utf8'), 'someone else\'s');
});
