#!/usr/bin/env node
import { chooseEntry } from './choose-entry.js';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const bundled = new URL('../dist/src/cli/main.bundle.js', import.meta.url);
const entry = chooseEntry(compiled, bundled);
const { main } = await import(entry.href);
await main(process.argv.slice(2));
