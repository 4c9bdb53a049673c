import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { checkNoLeftovers, faultCase, type FaultRecorder } from '../helpers/fault-case.js';
import { assertUsageError, configWith, expectRefused, projectWith, snapshot, SPAWN_MARKER } from './refusal.js';

// Bad configs and flags, run for real (no --dry-run unless the case is about it): each must stop
// the CLI with exit 2 and one paragraph saying what is wrong and how to fix it, before anything
// is started or written (see refusal.ts for how both are seen).

const A = { name: 'a' };

describe('the spawn detector', () => {
  test('a valid config does run the fake python, leaving the marker', async () => {
    const dir = projectWith(configWith({}));
    await runCli(['--report-dir', 'out'], { cwd: dir });
    assert.ok(readdirSync(dir).includes(SPAWN_MARKER), 'the fake python was never run: the bad-input cases would prove nothing');
  });
});

describe('bad config files', () => {
  faultCase('input', 'malformed JSON (a missing comma on line 3)', async (r) => {
    const text = '{\n  "python": "./fake-python",\n  "cwd": "." "chunks": [{"name": "a"}]\n}\n';
    await expectRefused(r, text, [], ['chunks.config.json:3:14:', 'a "," was expected between items', 'Fix the file near that spot']);
  });

  faultCase('input', 'config file that does not exist (--config nope.json)', async (r) => {
    await expectRefused(r, configWith({}), ['--config', 'nope.json'], ['Config file nope.json does not exist', 'Check the path given to --config']);
  });

  faultCase('input', 'config path that is a folder', async (r) => {
    const dir = projectWith(configWith({}));
    mkdirSync(path.join(dir, 'conf.d'));
    const before = snapshot(dir);
    const result = await runCli(['--config', 'conf.d'], { cwd: dir });
    assertUsageError(r, result, dir, ['conf.d is a folder, not a config file', 'Point --config at the JSON file']);
    checkNoLeftovers(r, result.tag);
    assert.deepEqual(snapshot(dir), before);
    r.held('nothing spawned or written');
  });

  faultCase('input', 'empty config file', async (r) => {
    await expectRefused(r, '', [], ['chunks.config.json:1:1:', 'the file is empty']);
  });

  faultCase('input', 'config starting with a byte-order mark', async (r) => {
    const dir = projectWith(`\uFEFF${JSON.stringify(configWith({}))}`);
    const result = await runCli(['--dry-run'], { cwd: dir });
    r.outcomeOf(result.exitCode);
    r.did(`exit ${result.exitCode}: the BOM is skipped, the config read`);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^Dry run: 1 chunk would run/);
    r.held('valid config with a BOM is accepted');
    checkNoLeftovers(r, result.tag);
    // Located errors count from the first character after the mark.
    const brokenDir = projectWith('\uFEFF{"chunks": [}');
    const broken = await runCli(['--dry-run'], { cwd: brokenDir });
    assertUsageError(r, broken, brokenDir, ['chunks.config.json:1:13:']);
  });

  faultCase('input', 'unclosed brackets nested 200,000 deep', async (r) => {
    await expectRefused(r, '['.repeat(200_000), [], ['chunks.config.json:1:1001:', 'brackets nest more than 1000 levels deep']);
  });

  faultCase('input', 'top level is an array, chunks an object (wrong types)', async (r) => {
    await expectRefused(r, [A], [], ['(root): must be a JSON object with a "chunks" array, got an array.']);
    await expectRefused(r, { chunks: A }, [], ['chunks: must be an array of chunk objects, got an object.']);
  });

  faultCase('input', 'wrong types in a chunk (required "yes", env value 3, paths "tests")', async (r) => {
    await expectRefused(r, configWith({ required: 'yes', env: { RETRIES: 3 }, paths: 'tests' }), [], [
      '(3 problems)',
      'chunks[0].paths: must be an array of strings, got the string "tests". Write it like ["a", "b"].',
      'chunks[0].env: variable RETRIES must be a string, got the number 3. Quote numbers and booleans',
      'chunks[0].required: must be true or false, got the string "yes".',
    ]);
  });

  const workerCases: [value: unknown, message: string][] = [
    [0, 'chunks[0].workers: must be from 1 to 512, got 0.'],
    [-1, 'chunks[0].workers: must be from 1 to 512, got -1.'],
    [1.5, 'chunks[0].workers: must be a whole number from 1 to 512, got the number 1.5.'],
    ['lots', 'chunks[0].workers: must be a whole number from 1 to 512, got the string "lots".'],
  ];
  for (const [workers, message] of workerCases) {
    faultCase('input', `workers ${JSON.stringify(workers)}`, async (r) => {
      await expectRefused(r, configWith({ workers }), [], [message]);
    });
  }

  const SIZE_HINT = 'Write a size such as "512MiB", "4GB" or "1.5GiB", or a percentage such as "60%".';
  const sizeCases: [value: string, message: string][] = [
    ['10PB', 'chunks[0].memoryLimit: "10PB" is larger than the 1 PiB maximum.'],
    ['99999999999999999999999GB', 'chunks[0].memoryLimit: "99999999999999999999999GB" is larger than the 1 PiB maximum.'],
    ['0GB', `chunks[0].memoryLimit: must be larger than zero, got "0GB". ${SIZE_HINT}`],
    ['-1GB', `chunks[0].memoryLimit: must be larger than zero, got "-1GB". ${SIZE_HINT}`],
    ['150%', 'chunks[0].memoryLimit: must be a percentage above 0% and at most 100%, got "150%".'],
    ['1e400GB', `chunks[0].memoryLimit: the string "1e400GB" is not a size. ${SIZE_HINT}`],
  ];
  for (const [memoryLimit, message] of sizeCases) {
    faultCase('input', `memoryLimit ${JSON.stringify(memoryLimit)}`, async (r) => {
      await expectRefused(r, configWith({ memoryLimit }), [], [message]);
    });
  }

  const DURATION_HINT = 'Write a duration such as "90s", "30m" or "1h30m".';
  const durationCases: [value: string, message: string][] = [
    ['-5s', `chunks[0].timeout: must be longer than zero, got "-5s". ${DURATION_HINT}`],
    ['0s', `chunks[0].timeout: must be longer than zero, got "0s". ${DURATION_HINT}`],
    ['1e400s', `chunks[0].timeout: the string "1e400s" is not a duration. ${DURATION_HINT}`],
    ['999999999999d', 'chunks[0].timeout: "999999999999d" is longer than the 7-day maximum.'],
  ];
  for (const [timeout, message] of durationCases) {
    faultCase('input', `timeout ${JSON.stringify(timeout)}`, async (r) => {
      await expectRefused(r, configWith({ timeout }), [], [message]);
    });
  }

  faultCase('input', 'a 400-digit timeout is cut short in the message', async (r) => {
    const timeout = `${'9'.repeat(400)}d`;
    const result = await expectRefused(r, configWith({ timeout }), [], [`chunks[0].timeout: "${'9'.repeat(40)}…" is longer than the 7-day maximum.`]);
    assert.ok(result.stderr.length < 300, `stderr is ${result.stderr.length} characters`);
    r.held('message under 300 characters');
  });

  faultCase('input', 'empty chunk list', async (r) => {
    await expectRefused(r, { python: './fake-python', chunks: [] }, [], ['chunks: is empty. Add at least one chunk, e.g. {"name": "unit"']);
  });

  faultCase('input', 'duplicate chunk names, exact and by case', async (r) => {
    await expectRefused(r, { python: './fake-python', chunks: [A, { name: 'b' }, A, { name: 'B' }] }, [], [
      'chunks[2].name: "a" is already the name of chunks[0]. Chunk names must be unique.',
      'chunks[3].name: "B" differs from chunks[1]\'s "b" only in case',
    ]);
  });

  faultCase('input', 'unknown keys ("testPath", "marker") get a did-you-mean', async (r) => {
    await expectRefused(r, { ...configWith({ marker: 'slow' }), testPath: ['tests'] }, [], [
      'testPath: is not a known field. Did you mean "testPaths"?',
      'chunks[0].marker: is not a known field. Did you mean "markers"?',
      'Known fields: name, description, markers,',
    ]);
  });

  faultCase('input', '10,000 chunks (5 MB config): --dry-run and --list work, quickly', async (r) => {
    const description = 'x'.repeat(450);
    const chunks = Array.from({ length: 10_000 }, (_, index) => ({ name: `c${index}`, markers: `m${index}`, description }));
    const dir = projectWith({ python: './fake-python', chunks });
    assert.ok(statSync(path.join(dir, 'chunks.config.json')).size > 5_000_000);
    const startedMs = Date.now();
    const dryRun = await runCli(['--dry-run'], { cwd: dir });
    const list = await runCli(['--list'], { cwd: dir });
    const elapsedMs = Date.now() - startedMs;
    r.outcomeOf(dryRun.exitCode);
    r.did(`exit ${dryRun.exitCode} and ${list.exitCode}: both print all 10,000 chunks (${(elapsedMs / 1000).toFixed(1)}s together)`);
    assert.equal(dryRun.exitCode, 0, dryRun.stderr);
    assert.equal(list.exitCode, 0, list.stderr);
    assert.match(dryRun.stdout, /^Dry run: 10000 chunks would run/);
    assert.equal(list.stdout.trimEnd().split('\n').length, 10_001);
    r.held('both exit 0 with every chunk');
    assert.ok(elapsedMs < 20_000, `took ${elapsedMs}ms`);
    r.held('both within 20 s');
    checkNoLeftovers(r, dryRun.tag);
    assert.ok(!readdirSync(dir).includes(SPAWN_MARKER));
    r.held('nothing spawned');
  });

  faultCase('input', '10,001 chunks: refused at once', async (r) => {
    const chunks = Array.from({ length: 10_001 }, (_, index) => ({ name: `c${index}` }));
    await expectRefused(r, { python: './fake-python', chunks }, [], ['chunks: has 10001 chunks; at most 10000 are allowed.', 'group tests into fewer chunks']);
  });
});

describe('bad configs in pyproject.toml', () => {
  const TABLE = '[tool.run-chunks]\npython = "./fake-python"\n\n[[tool.run-chunks.chunks]]\nname = "a"\n';

  /** A project whose pyproject.toml is `text` (and, when given, a chunks.config.json beside it): refused, nothing run or written. */
  async function expectTomlRefused(r: FaultRecorder, text: string, json: unknown, args: string[], fragments: readonly string[]): Promise<void> {
    const dir = projectWith(json);
    writeFileSync(path.join(dir, 'pyproject.toml'), text);
    const before = snapshot(dir);
    const result = await runCli(args, { cwd: dir });
    assertUsageError(r, result, dir, fragments);
    checkNoLeftovers(r, result.tag);
    assert.deepEqual(snapshot(dir), before, 'the project changed');
    assert.equal(readFileSync(path.join(dir, 'pyproject.toml'), 'utf8'), text);
    assert.ok(!readdirSync(dir).includes(SPAWN_MARKER), 'the fake python ran');
    r.held('nothing spawned or written; pyproject.toml untouched');
  }

  faultCase('input', 'chunks.config.json and [tool.run-chunks] in one folder', async (r) => {
    await expectTomlRefused(r, TABLE, configWith({}), [], ['Two run-chunks configs in', 'chunks.config.json and the [tool.run-chunks] table in pyproject.toml', '--config chunks.config.json or --config pyproject.toml']);
  });

  faultCase('input', 'pyproject.toml that is not valid TOML, holding [tool.run-chunks]', async (r) => {
    await expectTomlRefused(r, `${TABLE}workers = [1,\n`, undefined, [], ['pyproject.toml:7:1: the file is not valid TOML:', 'Fix the file near that spot']);
  });

  faultCase('input', 'a bad field in [tool.run-chunks], located by TOML line', async (r) => {
    await expectTomlRefused(r, `${TABLE}timeout = "soon"\n`, undefined, [], ['pyproject.toml [tool.run-chunks] is not a valid run-chunks config (1 problem):', 'pyproject.toml:6: chunks[0].timeout: the string "soon" is not a duration.']);
  });

  faultCase('input', '--config pyproject.toml without a [tool.run-chunks] table', async (r) => {
    await expectTomlRefused(r, '[project]\nname = "x"\n', undefined, ['--config', 'pyproject.toml'], ['pyproject.toml has no [tool.run-chunks] table.', 'run `run-chunks init`']);
  });
});

describe('bad and conflicting flags', () => {
  const HELP = 'Run `run-chunks --help` for the options.';
  const flagCases: [fault: string, args: string[], fragments: string[]][] = [
    ['unknown --chunk name', ['--chunk', 'zz'], ['Unknown chunk "zz" given to --chunk. Known chunks: a, b.', 'run-chunks --list']],
    ['--chunk with a typo', ['--chunk', 'aa'], ['Unknown chunk "aa" (did you mean "a"?)']],
    ['--dry-run with --list', ['--dry-run', '--list'], [`Option '--list' cannot be used with option '--dry-run'. ${HELP}`]],
    ['--list with --shard 1/2', ['--list', '--shard', '1/2'], ['cannot be used with option \'--shard <i/n>\'']],
    ['--list with --memory-budget 4GB', ['--list', '--memory-budget', '4GB'], ['cannot be used with option \'--memory-budget <size>\'']],
    ['--parallel-chunks 3 with --memory-budget 4GB', ['--parallel-chunks', '3', '--memory-budget', '4GB'], ['cannot be used with option \'--memory-budget <size>\'']],
    ['--shard 0/2', ['--shard', '0/2'], ['argument \'0/2\' is invalid. Expected I/N with 1 <= I <= N, e.g. 2/4.']],
    ['--shard 3/2', ['--shard', '3/2'], ['argument \'3/2\' is invalid. Expected I/N with 1 <= I <= N']],
    ['--shard 1/0', ['--shard', '1/0'], ['argument \'1/0\' is invalid.']],
    ['--shard half', ['--shard', 'half'], ['argument \'half\' is invalid.']],
    ['--shard 1/2 with two chunks selected', ['--shard', '1/2'], ['--shard splits one chunk across machines: select exactly one with --chunk (2 selected).']],
    ['--memory-budget nonsense', ['--memory-budget', 'nonsense'], ['argument \'nonsense\' is invalid. Expected a size above zero such as "16GB"']],
    ['--memory-budget 0GB', ['--memory-budget', '0GB'], ['argument \'0GB\' is invalid.']],
    ['--memory-budget 200%', ['--memory-budget', '200%'], ['argument \'200%\' is invalid.', 'at most 100%']],
    ['--memory-budget 10PB', ['--memory-budget', '10PB'], ['argument \'10PB\' is invalid.']],
    ['--sample-interval 0', ['--sample-interval', '0'], ['argument \'0\' is invalid. Expected a duration such as "500ms"', 'from 10ms to 60s']],
    ['--parallel-chunks 0', ['--parallel-chunks', '0'], ['Expected a whole number from 1 to 64.']],
    ['--retry-on-oom 9', ['--retry-on-oom', '9'], ['Expected a whole number from 0 to 5.']],
    ['--report-dir "" (empty)', ['--report-dir', ''], ['argument \'\' is invalid. Expected a path, got an empty string.']],
    ['--report-dir . (the project itself)', ['--report-dir', '.'], ['--report-dir "." is the current folder', 'must be a folder of its own']],
    ['--report-dir .. (holds the project)', ['--report-dir', '..'], ['--report-dir ".." holds the current folder']],
    ['--config "" (empty)', ['--config', ''], ['Expected a path, got an empty string.']],
    ['--history "" (empty)', ['--history', ''], ['Expected a path, got an empty string.']],
    ['unknown flag --frobnicate', ['--frobnicate'], [`Unknown option '--frobnicate'. ${HELP}`]],
    ['misspelt flag --dryrun', ['--dryrun'], ['Unknown option \'--dryrun\' (Did you mean --dry-run?)']],
  ];
  for (const [fault, args, fragments] of flagCases) {
    faultCase('input', fault, async (r) => {
      await expectRefused(r, { python: './fake-python', chunks: [A, { name: 'b' }] }, args, fragments);
    });
  }

  faultCase('input', '--no-parallel with --parallel-chunks 3 (accepted: they do not conflict)', async (r) => {
    const dir = projectWith({ python: './fake-python', chunks: [{ name: 'a', workers: 4 }, { name: 'b', workers: 4 }] });
    const result = await runCli(['--no-parallel', '--parallel-chunks', '3', '--dry-run'], { cwd: dir });
    r.outcomeOf(result.exitCode);
    r.did('exit 0: three chunks at once, each without xdist workers');
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /^Dry run: 2 chunks would run up to 3 at once/);
    assert.equal(result.stdout.match(/workers\/limits: 1 worker,/g)?.length, 2);
    r.held('dry run shows 1 worker per chunk and up to 3 chunks at once');
    checkNoLeftovers(r, result.tag);
  });
});
