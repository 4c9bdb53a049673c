// Reads the few files project detection looks at; detect-project.ts decides from what this returns.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { findRequirementFiles, type ProjectFiles } from './detect-project.js';
import { PYTHON_VERSION_FILE } from './python-version-choice.js';

// A requirements or metadata file this large is not one (a dump, a lock of a monorepo): it is
// listed, not read, and detection treats it as declaring nothing it could check.
const MAX_READ_BYTES = 4 * 1024 * 1024;

async function entryNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((entry) => !entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function readSmallText(file: string): Promise<string | undefined> {
  try {
    const bytes = await readFile(file);
    return bytes.length > MAX_READ_BYTES ? undefined : bytes.toString('utf8').replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
}

/** The project folder's files as detectProject needs them. */
export async function readProjectFiles(projectDir: string): Promise<ProjectFiles> {
  const rootNames = await entryNames(projectDir);
  const requirementsDirNames = await entryNames(path.join(projectDir, 'requirements'));
  const wanted = ['pyproject.toml', PYTHON_VERSION_FILE, 'setup.cfg', ...findRequirementFiles({ rootNames, requirementsDirNames })];
  const texts = new Map<string, string>();
  for (const relative of wanted) {
    const text = await readSmallText(path.join(projectDir, relative));
    if (text !== undefined) texts.set(relative, text);
  }
  return { rootNames, requirementsDirNames, texts };
}
