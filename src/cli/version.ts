import { readFileSync } from 'node:fs';

/** run-chunks' version, read from its package.json (dist/src/cli → package root). */
export function readVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return manifest.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
