#!/usr/bin/env node
// Writes schema/chunks.config.schema.json from the config field specs (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { buildConfigSchema } from '../dist/src/config/config-schema.js';

const target = new URL('../schema/chunks.config.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildConfigSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
