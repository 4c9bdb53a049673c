#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundle (scripts/bundle.mjs) starts about twice as fast as the ~150 compiled modules. It is
// used only while it is at least as new as them, so a `tsc`-only rebuild never runs stale code.
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const bundled = new URL('../dist/src/cli/main.bundle.js', import.meta.url);

function isFresh(bundle, modules) {
  try {
    return statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;
  } catch {
    return false;
  }
}

const { main } = await import(isFresh(bundled, compiled) ? bundled.href : compiled.href);
await main(process.argv.slice(2));
