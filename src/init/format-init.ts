import path from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/load-config.js';
import type { InitResult } from './init-config.js';

// Long lists are cut here: the config and `run-chunks plan` have the whole story.
const SHOWN_ITEMS = 10;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function cut<T>(items: readonly T[], describe: (item: T) => string): string[] {
  const more = items.length > SHOWN_ITEMS ? [`  …and ${items.length - SHOWN_ITEMS} more`] : [];
  return [...items.slice(0, SHOWN_ITEMS).map((item) => `  ${describe(item)}`), ...more];
}

function shown(file: string, projectDir: string): string {
  const relative = path.relative(projectDir, file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

function whatWasWritten(result: InitResult): string {
  const name = shown(result.target.file, result.projectDir);
  const chunks = plural(result.mapping.chunks.length, 'chunk');
  if (result.target.kind === 'pyproject') return `${result.target.exists ? 'Appended' : 'Wrote'} a [tool.run-chunks] table to ${name} (${chunks}); the rest of the file is as it was:`;
  return `${result.target.replaces ? 'Replaced' : 'Wrote'} ${name} (${chunks}):`;
}

/** What init did and why, for the terminal: the interpreter, the suite, each chunk with its reason, and what to run next. */
export function formatInitSummary(result: InitResult): string {
  const { mapping, interpreter, projectDir } = result;
  const lines = [
    `Interpreter: ${interpreter.python} (${interpreter.source}): Python ${result.python.version}, ${result.python.xdist ? 'with pytest-xdist' : 'without pytest-xdist (so every chunk gets 1 worker)'}.`,
    `Collected ${plural(result.tests, 'test')} (pytest rootdir ${result.rootdir}${result.inifile ? `, ${path.basename(result.inifile)}` : ', no pytest config file'}); workers are for this machine's ${plural(result.cores, 'core')}.`,
    `Markers in use: ${mapping.markersInUse.length === 0 ? 'none' : mapping.markersInUse.map((entry) => `${entry.marker} (${entry.tests})`).join(', ')}.`,
    '',
    whatWasWritten(result),
  ];
  const width = Math.max(...mapping.chunks.map((chunk) => chunk.name.length));
  for (const chunk of mapping.chunks) {
    const selection = chunk.rest ? '"rest": true' : `-m "${chunk.markers}"`;
    lines.push(`  ${chunk.name.padEnd(width)}  ${plural(chunk.tests, 'test')}, ${plural(chunk.workers, 'worker')}, ${selection}`);
    lines.push(`  ${' '.repeat(width)}  ${chunk.reason}`);
  }
  if (mapping.multiCategory.length > 0)
    lines.push('', `Tests with markers of two categories run once, in the later chunk (${mapping.multiCategory.length}):`, ...cut(mapping.multiCategory, (test) => `${test.nodeid}  (${test.markers.join(', ')}) → ${test.chunk}`));
  for (const absorbed of mapping.absorbed)
    lines.push('', `No ${absorbed.chunk} chunk: every test marked ${absorbed.markers.join(' or ')} (${absorbed.tests}) also carries a later chunk's marker and runs there.`);
  if (mapping.unregistered.length > 0)
    lines.push(
      '',
      `Markers pytest does not know (not registered), left out of every expression so that run-chunks plan finds no unknown marker (${mapping.unregistered.length}):`,
      ...cut(mapping.unregistered, (entry) => `${entry.marker} (${plural(entry.tests, 'test')})${entry.category === undefined ? '' : `: would make a ${entry.category} chunk`}`),
      '  Register them (pytest.ini "markers =", or markers in [tool.pytest.ini_options]) and run init again to use them.',
    );
  if (mapping.uncategorised.length > 0)
    lines.push('', `Markers with no category; their tests run in rest unless another marker places them: ${mapping.uncategorised.map((entry) => `${entry.marker} (${entry.tests})`).join(', ')}.`);
  lines.push('', ...result.settings.notes);
  const defaultConfig = result.target.file === path.join(projectDir, DEFAULT_CONFIG_FILE) || result.target.file === path.join(projectDir, 'pyproject.toml');
  const configFlag = defaultConfig ? '' : ` --config ${shown(result.target.file, projectDir)}`;
  lines.push('', `Next: run-chunks plan${configFlag}   shows where each test lands (each should run exactly once)`, `      run-chunks${configFlag}        runs the chunks`);
  return `${lines.join('\n')}\n`;
}
