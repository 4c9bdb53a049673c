import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chooseTopLevelSettings, packagedSchemaFile, type SettingsInput } from '../../../src/init/config-settings.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(files: string[] = []): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'run-chunks-init-settings-'));
  dirs.push(dir);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '');
  }
  return dir;
}

function settings(dir: string, overrides: Partial<SettingsInput>): ReturnType<typeof chooseTopLevelSettings> {
  return chooseTopLevelSettings({
    interpreter: { python: 'python3', source: 'python3 on PATH' },
    projectDir: dir,
    configDir: dir,
    rootdir: dir,
    inifile: path.join(dir, 'pytest.ini'),
    testpaths: [],
    schemaFile: undefined,
    ...overrides,
  });
}

test('"python" only when run-chunks would not find that interpreter by itself', () => {
  const withVenv = project(['.venv/bin/python', 'venv/bin/python']);
  assert.equal(settings(withVenv, { interpreter: { python: path.join(withVenv, '.venv/bin/python'), source: '' } }).python, undefined);
  assert.equal(settings(withVenv, { interpreter: { python: path.join(withVenv, 'venv/bin/python'), source: '' } }).python, 'venv/bin/python', 'relative to the config file');
  const bare = project();
  assert.equal(settings(bare, {}).python, undefined, 'python3 on PATH is run-chunks\' own fallback');
  assert.equal(settings(bare, { interpreter: { python: 'python', source: '' } }).python, 'python');
  assert.equal(settings(bare, { interpreter: { python: '/opt/py/bin/python', source: '' } }).python, '/opt/py/bin/python', 'outside the project: absolute');
  const top = project(['tool']);
  assert.equal(settings(top, { interpreter: { python: path.join(top, 'tool'), source: '' } }).python, './tool', 'a file beside the config keeps a slash, so it is not looked up on PATH');
  assert.match(settings(bare, { interpreter: { python: 'python', source: '' } }).notes.join('\n'), /"python": python, since run-chunks would otherwise use python3/);
});

test('"testPaths" from pytest\'s testpaths only when its rootdir is this folder and they are plain paths', () => {
  const dir = project();
  assert.deepEqual(settings(dir, { testpaths: ['tests', 'more/tests'] }).testPaths, ['tests', 'more/tests']);
  assert.equal(settings(dir, { testpaths: [] }).testPaths, undefined);
  assert.equal(settings(dir, { testpaths: ['tests/*/unit'] }).testPaths, undefined);
  const parent = project();
  const child = path.join(parent, 'sub');
  mkdirSync(child);
  const elsewhere = settings(child, { rootdir: parent, testpaths: ['tests'] });
  assert.equal(elsewhere.testPaths, undefined);
  assert.match(elsewhere.notes.join('\n'), /rootdir is .*, not this folder/);
});

test('"cwd" when the config is written elsewhere; "$schema" only when the schema lies inside the project', () => {
  const dir = project(['node_modules/run-chunks/schema/chunks.config.schema.json']);
  const schemaFile = path.join(dir, 'node_modules/run-chunks/schema/chunks.config.schema.json');
  assert.equal(settings(dir, { schemaFile }).schema, './node_modules/run-chunks/schema/chunks.config.schema.json');
  const outside = settings(dir, { schemaFile: '/usr/lib/node_modules/run-chunks/schema/chunks.config.schema.json' });
  assert.equal(outside.schema, undefined);
  assert.match(outside.notes.join('\n'), /"\$schema" is left out/);
  const configDir = path.join(dir, 'ci');
  mkdirSync(configDir);
  assert.equal(settings(dir, { configDir }).cwd, '..');
  assert.equal(settings(dir, {}).cwd, undefined);
  assert.ok(packagedSchemaFile()?.endsWith(path.join('schema', 'chunks.config.schema.json')), 'the package ships its schema');
});
