import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from '../../../src/events/types.js';
import { createReporterMultiplexer } from '../../../src/reporters/multiplexer.js';
import type { Reporter } from '../../../src/reporters/reporter.js';

const notice: RunEvent = { type: 'run-notice', level: 'info', message: 'hello', chunk: undefined };

test('one reporter throwing never stops the others, and is reported', () => {
  const seen: string[] = [];
  const failures: string[] = [];
  const broken: Reporter = {
    name: 'broken',
    onNotice() {
      throw new Error('boom');
    },
  };
  const healthy: Reporter = { name: 'healthy', onNotice: (event) => seen.push(event.message) };
  const multiplexer = createReporterMultiplexer([broken, healthy], (reporter, error) => failures.push(`${reporter.name}: ${(error as Error).message}`));
  multiplexer.emit(notice);
  multiplexer.emit(notice);
  assert.deepEqual(seen, ['hello', 'hello']);
  assert.deepEqual(failures, ['broken: boom', 'broken: boom']);
});

test('flush waits for asynchronous handlers; a rejected one is reported, not thrown', async () => {
  const order: string[] = [];
  const failures: string[] = [];
  const slow: Reporter = {
    name: 'slow',
    async onNotice() {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('slow done');
    },
  };
  const rejecting: Reporter = {
    name: 'rejecting',
    async onNotice() {
      throw new Error('disk full');
    },
  };
  const multiplexer = createReporterMultiplexer([slow, rejecting], (reporter, error) => failures.push(`${reporter.name}: ${(error as Error).message}`));
  multiplexer.emit(notice);
  await multiplexer.flush();
  order.push('flushed');
  assert.deepEqual(order, ['slow done', 'flushed']);
  assert.deepEqual(failures, ['rejecting: disk full']);
});

test('reporters without a handler for an event are skipped', () => {
  const multiplexer = createReporterMultiplexer([{ name: 'empty' }], () => assert.fail('no error expected'));
  multiplexer.emit(notice);
});
