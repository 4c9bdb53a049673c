import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'smol-toml';
import type { ChunkConfig, RunChunksConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import { UserError } from '../util/user-error.js';
import type { TopLevelSettings } from './config-settings.js';
import type { DraftChunk } from './map-markers.js';

/** The starter config: the top-level settings, then the chunks in run order. */
export function buildStarterConfig(settings: TopLevelSettings, chunks: readonly DraftChunk[], collectTimeout: string | undefined): RunChunksConfig {
  const config: RunChunksConfig = {
    ...(settings.schema === undefined ? {} : { $schema: settings.schema }),
    ...(settings.python === undefined ? {} : { python: settings.python }),
    ...(settings.cwd === undefined ? {} : { cwd: settings.cwd }),
    ...(settings.testPaths === undefined ? {} : { testPaths: settings.testPaths }),
    ...(collectTimeout === undefined ? {} : { collectTimeout }),
    chunks: chunks.map((chunk): ChunkConfig => ({
      name: chunk.name,
      description: chunk.description,
      ...(chunk.rest ? { rest: true } : { markers: chunk.markers! }),
      workers: chunk.workers,
    })),
  };
  // The same validator as every run: init must never write a config that run-chunks refuses.
  const issues = validateConfig(config);
  if (issues.length > 0) throw new Error(`init built an invalid config: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
  return config;
}

/** chunks.config.json's text. */
export function renderJsonConfig(config: RunChunksConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

const TABLE_COMMENT = '# run-chunks: written by `run-chunks init`. `run-chunks plan` shows where each test lands.';

/**
 * The text to append to a pyproject.toml: a `[tool.run-chunks]` table with the same fields as
 * chunks.config.json (no $schema: that is a JSON thing), chunks as `[[tool.run-chunks.chunks]]`.
 * Separated from what is there by a blank line, in the file's own line endings. Checked: the
 * whole file parses and its table is `config`.
 */
export function renderPyprojectAppend(original: string, config: RunChunksConfig): string {
  const { $schema: _schema, ...fields } = config;
  const newline = original.includes('\r\n') ? '\r\n' : '\n';
  const separator = original === '' ? '' : original.endsWith('\n') ? newline : `${newline}${newline}`;
  const table = `${TABLE_COMMENT}\n${stringify({ tool: { 'run-chunks': fields } })}`.replace(/\n/g, newline);
  const appended = `${separator}${table}`;
  let parsed: { tool?: Record<string, unknown> };
  try {
    parsed = parse(original + appended) as typeof parsed;
  } catch (error) {
    // The file itself parsed (write-config checked): what clashes is its own [tool] (an inline `tool = {...}` cannot take a table).
    throw new UserError(
      `A [tool.run-chunks] table cannot be appended to this pyproject.toml (${error instanceof Error ? error.message.split('\n')[0] : String(error)}). Write a chunks.config.json instead: run-chunks init --output chunks.config.json.`,
    );
  }
  // smol-toml's tables have no prototype; through JSON they compare as plain objects.
  const readBack: unknown = JSON.parse(JSON.stringify(parsed.tool?.['run-chunks'] ?? null));
  if (!isDeepStrictEqual(readBack, fields)) throw new Error('init rendered a [tool.run-chunks] table that does not read back as the config it meant');
  return appended;
}
