#!/usr/bin/env node
// Creates .venv with the packages in requirements.txt, for the demo suite and the integration
// tests. Idempotent: a stamp holding the requirements' hash skips the work when nothing changed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const venv = path.join(root, '.venv');
const python = path.join(venv, 'bin', 'python');
const requirements = path.join(root, 'requirements.txt');
const stamp = path.join(venv, '.requirements.sha256');
const hostPython = process.env.PYTHON ?? 'python3';

const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted) {
  process.exit(0);
}

function run(program, args) {
  console.log(`$ ${[program, ...args].join(' ')}`);
  try {
    execFileSync(program, args, { stdio: 'inherit', cwd: root });
  } catch (error) {
    console.error(
      `setup-python: "${[program, ...args].join(' ')}" failed (${error.code ?? `exit ${error.status}`}). ` +
        'run-chunks needs Python 3.9+ with the venv module (Debian: apt-get install python3-venv); set PYTHON to choose another interpreter.',
    );
    process.exit(1);
  }
}

if (!existsSync(python)) run(hostPython, ['-m', 'venv', venv]);
// One retry, not pip's five with back-off: where an index is unreachable (an offline mirror set
// up beside it), five retries per package cost minutes; PIP_RETRIES still overrides this.
const retries = process.env.PIP_RETRIES ?? '1';
run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', '--retries', retries, '-r', requirements]);
writeFileSync(stamp, `${wanted}\n`);
