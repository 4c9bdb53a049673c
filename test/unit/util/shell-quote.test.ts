import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { quoteShellArg, quoteShellCommand } from '../../../src/util/shell-quote.js';
import { maskSecretEnv } from '../../../src/util/mask-secrets.js';

test('safe words stay bare; everything else is single-quoted', () => {
  assert.equal(quoteShellArg('--junitxml=/a/b.xml'), '--junitxml=/a/b.xml');
  assert.equal(quoteShellArg('unit and not slow'), "'unit and not slow'");
  assert.equal(quoteShellArg(''), "''");
  assert.equal(quoteShellArg("it's"), `'it'"'"'s'`);
});

test('a quoted command line turns back into the same argv in a real shell', () => {
  const argv = ['unit and not slow', "it's", '$(touch x)', '`id`', 'a;b', 'tab\there', 'new\nline', '*.py', '', '~', '!x', '\\'];
  const line = quoteShellCommand(argv);
  const echoed = execFileSync('sh', ['-c', `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${line}`], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(echoed), argv);
});

test('secret-looking variables are masked, others shown', () => {
  assert.deepEqual(maskSecretEnv({ API_TOKEN: 't', AWS_SECRET_ACCESS_KEY: 'k', DB_PASSWORD: 'p', MODE: 'fast', CUDA_VISIBLE_DEVICES: '0' }), {
    API_TOKEN: '***',
    AWS_SECRET_ACCESS_KEY: '***',
    DB_PASSWORD: '***',
    MODE: 'fast',
    CUDA_VISIBLE_DEVICES: '0',
  });
});

test('control characters are written with printf, so the line is inert on a terminal and the same bytes when pasted', () => {
  const arg = 'a\u001b[31mred\rb\tc\nd\u007f';
  const line = quoteShellArg(arg);
  assert.doesNotMatch(line, /[\u0000-\u0008\u000b-\u001f\u007f]/);
  const echoed = execFileSync('sh', ['-c', `printf %s ${line}`], { encoding: 'utf8' });
  assert.equal(echoed, arg);
});
