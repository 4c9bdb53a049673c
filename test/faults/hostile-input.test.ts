import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import { assertUsageError, configWith, projectWith } from './refusal.js';

// Hostile input: paths that name something other than a file (a FIFO that would block a read
// forever, /dev/zero that never ends, a folder, a sparse 300 MiB file), configs that JSON.parse
// reads wrongly without a word (a key twice, UTF-16), report dirs reached through a symlink.
// Each must be refused with exit 2 and one paragraph, before anything runs or is written.

// A read that blocks (a FIFO without a writer) would hang the CLI: the case fails at this limit.
const REFUSAL_TIMEOUT_MS = 20_000;

/** Like refusal.ts's snapshot, without following symlinks (some projects here hold a link to themselves). */
function snapshotNoFollow(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix))
    .sort()
    .flatMap((name) => {
      const entry = path.join(prefix, name);
      const stats = lstatSync(path.join(dir, entry));
      const line = `${entry} ${stats.isDirectory() ? 'dir' : stats.size} ${stats.mtimeMs}`;
      return stats.isDirectory() ? [line, ...snapshotNoFollow(dir, entry)] : [line];
    });
}

/** Runs the CLI in `dir` (already set up) and checks the refusal, no process and no change to the project. */
async function expectRefusedIn(r: FaultRecorder, dir: string, args: string[], fragments: readonly string[]): Promise<void> {
  const snapshot = snapshotNoFollow;
  const before = snapshot(dir);
  const started = Date.now();
  const result = await runCli(args, { cwd: dir });
  r.did(`refused after ${Date.now() - started} ms`);
  assertUsageError(r, result, dir, fragments);
  checkNoLeftovers(r, result.tag);
  assert.deepEqual(snapshot(dir), before, 'the project changed');
  r.held('nothing spawned or written');
}

function makeFifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/** A sparse file of `bytes` (no disk used): its size is all that is seen before a read. */
function makeSparse(file: string, bytes: number): void {
  writeFileSync(file, '');
  truncateSync(file, bytes);
}

const VALID = configWith({});

describe('--config that is not a regular file', () => {
  faultCase('input', '--config is a FIFO with no writer (a read would block forever)', async (r) => {
    const dir = projectWith(VALID);
    makeFifo(path.join(dir, 'pipe.json'));
    await expectRefusedIn(r, dir, ['--config', 'pipe.json'], ['pipe.json is a named pipe (FIFO), not a config file', 'did not read it', 'Point --config at the JSON file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config /dev/zero (endless character device)', async (r) => {
    const dir = projectWith(VALID);
    await expectRefusedIn(r, dir, ['--config', '/dev/zero'], ['/dev/zero is a character device, not a config file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config is a sparse 65 MiB file (over the 64 MiB cap)', async (r) => {
    const dir = projectWith(VALID);
    makeSparse(path.join(dir, 'huge.json'), 65 * 1024 * 1024);
    await expectRefusedIn(r, dir, ['--config', 'huge.json'], ['huge.json is 65 MiB, more than any config (at most 64 MiB)']);
  }, { timeout: REFUSAL_TIMEOUT_MS });

  faultCase('input', '--config is a symlink to a FIFO', async (r) => {
    const dir = projectWith(VALID);
    makeFifo(path.join(dir, 'pipe'));
    symlinkSync('pipe', path.join(dir, 'link.json'));
    await expectRefusedIn(r, dir, ['--config', 'link.json'], ['link.json is a named pipe (FIFO), not a config file']);
  }, { timeout: REFUSAL_TIMEOUT_MS });
});

describe('--history that is not a regular file', () => {
  const cases: [string, (dir: string) => string, string][] = [
    ['a FIFO with no writer', (dir) => (makeFifo(path.join(dir, 'history.json')), 'history.json'), 'is a named pipe (FIFO), not a history file'],
    ['a folder', (dir) => (mkdirSync(path.join(dir, 'hist.d')), 'hist.d'), 'is a folder, not a history file'],
    ['/dev/zero', () => '/dev/zero', '/dev/zero is a character device, not a history file'],
    ['a sparse 300 MiB file (over the 256 MiB cap)', (dir) => (makeSparse(path.join(dir, 'big.json'), 300 * 1024 * 1024), 'big.json'), 'is 300 MiB, more than a history may be (at most 256 MiB)'],
  ];
  for (const [what, make, fragment] of cases) {
    faultCase('input', `--history is ${what}`, async (r) => {
      const dir = projectWith(VALID);
      const history = make(dir);
      await expectRefusedIn(r, dir, ['--history', history], [fragment, 'did not read it', 'Point --history at a regular JSON file']);
    }, { timeout: REFUSAL_TIMEOUT_MS });
  }
});

describe('configs that JSON.parse misreads silently', () => {
  faultCase('input', 'a key twice in one chunk ("workers" on lines 5 and 7)', async (r) => {
    const text = '{\n  "python": "./fake-python",\n  "chunks": [\n    {"name": "a",\n     "workers": 8,\n     "markers": "not slow",\n     "workers": 1}\n  ]\n}\n';
    const dir = projectWith(text);
    await expectRefusedIn(r, dir, [], ['chunks.config.json:7: the key chunks[0].workers appears twice in one object, on line 5 and on line 7', 'Remove one of them']);
  });

  faultCase('input', 'a top-level key twice ("python" on lines 1 and 3)', async (r) => {
    const dir = projectWith('{"python": "./fake-python",\n "chunks": [{"name": "a"}],\n "python": "/usr/bin/python3"}\n');
    await expectRefusedIn(r, dir, [], ['the key python appears twice in one object, on line 1 and on line 3']);
  });

  const utf16 = (text: string, bigEndian: boolean, bom: boolean): Buffer => {
    const little = Buffer.from(`${bom ? '\uFEFF' : ''}${text}`, 'utf16le');
    return bigEndian ? little.swap16() : little;
  };
  const utf16Cases: [string, boolean, boolean][] = [
    ['UTF-16 LE with its byte-order mark (FF FE)', false, true],
    ['UTF-16 BE with its byte-order mark (FE FF)', true, true],
    ['UTF-16 LE without a mark (a NUL after every character)', false, false],
  ];
  for (const [what, bigEndian, bom] of utf16Cases) {
    faultCase('input', `config saved as ${what}`, async (r) => {
      const dir = projectWith(undefined);
      writeFileSync(path.join(dir, 'chunks.config.json'), utf16(JSON.stringify(VALID), bigEndian, bom));
      await expectRefusedIn(r, dir, [], ['chunks.config.json is saved as UTF-16', 'Save it as UTF-8']);
    });
  }
});

describe('report dirs in the wrong place', () => {
  faultCase('input', '--report-dir is a symlink to the project', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync(dir, path.join(dir, 'out'));
    await expectRefusedIn(r, dir, ['--report-dir', 'out'], ['--report-dir "out" is the current folder', 'through a symlink: it resolves to', 'must be a folder of its own']);
  });

  faultCase('input', '--report-dir is a symlink to the folder above the project', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync(path.dirname(dir), path.join(dir, 'up'));
    await expectRefusedIn(r, dir, ['--report-dir', 'up'], ['--report-dir "up" holds the current folder', 'through a symlink']);
  });

  faultCase('input', '--report-dir not made yet, under a symlink to /sys (kern/new/report)', async (r) => {
    const dir = projectWith(VALID);
    symlinkSync('/sys/kernel', path.join(dir, 'kern'));
    await expectRefusedIn(r, dir, ['--report-dir', 'kern/new/report'], ['is inside /sys (/sys/kernel/new/report)']);
  });

  for (const reportDir of ['/proc/self/report', '/sys/kernel/report']) {
    faultCase('input', `--report-dir ${reportDir} (a kernel file system)`, async (r) => {
      const dir = projectWith(VALID);
      await expectRefusedIn(r, dir, ['--report-dir', reportDir], [`is inside /${reportDir.split('/')[1]}`, 'Choose a folder on a real disk']);
    });
  }
});
