import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { chooseWorkers, mapMarkers, type CollectedTest, type MappingInput } from '../../../src/init/map-markers.js';
import { MARKER_CATEGORIES } from '../../../src/init/marker-categories.js';
import { matchesMarkerExpression } from '../../../src/init/match-marker-expression.js';

const t = (nodeid: string, ...markers: string[]): CollectedTest => ({ nodeid, markers });

// The fixture project's suite (test/fixtures/init-project), as the collector reports it.
const FIXTURE_TESTS = [
  t('tests/test_integration.py::test_write_and_read', 'integration'),
  t('tests/test_integration.py::test_long_roundtrip', 'integration', 'slow'),
  t('tests/test_integration.py::test_sizes[1]', 'parametrize'),
  t('tests/test_integration.py::test_sizes[2]', 'integration', 'parametrize'),
  t('tests/test_memory.py::test_big_list', 'memory_intensive', 'unit'),
  t('tests/test_memory.py::test_big_bytes', 'memory_intensive', 'unit'),
  t('tests/test_memory.py::test_big_dict', 'memory_intensive'),
  t('tests/test_plain.py::test_unmarked_one'),
  t('tests/test_plain.py::test_unmarked_two'),
  t('tests/test_plain.py::test_imports', 'smoke'),
  t('tests/test_plain.py::test_timing', 'benchmark'),
  t('tests/test_slow.py::test_many_rounds', 'slow'),
  t('tests/test_slow.py::test_more_rounds', 'slow'),
  t('tests/test_units.py::test_add', 'unit'),
  t('tests/test_units.py::test_square[1]', 'parametrize', 'unit'),
  t('tests/test_units.py::test_square[2]', 'parametrize', 'unit'),
  t('tests/test_units.py::test_square[3]', 'parametrize', 'unit'),
  t('tests/test_units.py::TestText::test_upper', 'unit'),
];
const FIXTURE_REGISTERED = new Set(['unit', 'memory_intensive', 'integration', 'slow', 'smoke', 'parametrize', 'skip', 'xfail']);

function input(overrides: Partial<MappingInput> = {}): MappingInput {
  return { tests: FIXTURE_TESTS, registered: FIXTURE_REGISTERED, cores: 8, xdist: true, ...overrides };
}

test('the fixture suite: one chunk per category in use, each leaving out the later ones, and rest', () => {
  const mapping = mapMarkers(input());
  assert.deepEqual(
    mapping.chunks.map(({ name, markers, rest, workers, tests }) => ({ name, markers, rest, workers, tests })),
    [
      { name: 'unit_fast', markers: 'unit and not (memory_intensive or integration or slow)', rest: false, workers: 5, tests: 5 },
      { name: 'unit_memory', markers: 'memory_intensive and not (integration or slow)', rest: false, workers: 3, tests: 3 },
      { name: 'integration', markers: 'integration and not slow', rest: false, workers: 2, tests: 2 },
      { name: 'stress', markers: 'slow', rest: false, workers: 1, tests: 3 },
      { name: 'rest', markers: undefined, rest: true, workers: 4, tests: 5 },
    ],
  );
  assert.deepEqual(mapping.multiCategory, [
    { nodeid: 'tests/test_integration.py::test_long_roundtrip', markers: ['integration', 'slow'], chunk: 'stress' },
    { nodeid: 'tests/test_memory.py::test_big_list', markers: ['unit', 'memory_intensive'], chunk: 'unit_memory' },
    { nodeid: 'tests/test_memory.py::test_big_bytes', markers: ['unit', 'memory_intensive'], chunk: 'unit_memory' },
  ]);
  assert.deepEqual(mapping.unregistered, [{ marker: 'benchmark', tests: 1, category: 'performance' }]);
  assert.deepEqual(mapping.uncategorised, [{ marker: 'smoke', tests: 1 }]);
  assert.ok(!mapping.markersInUse.some((entry) => entry.marker === 'parametrize'), "pytest's own markers are not the suite's");
  assert.match(mapping.chunks[0]!.reason, /^5 tests marked unit \(2 more carry a later chunk's marker too and run there\); 5 workers, one per test \(all 8 cores would be 8/);
  assert.match(mapping.chunks[1]!.reason, /3 workers, one per test \(half of 8 cores would be 4, because they hold big buffers\)/);
  assert.match(mapping.chunks[3]!.reason, /^3 tests marked slow; 1 worker: they run long/);
});

test('workers: all cores for unit_fast, half (at least 1) for memory, one for stress and performance; none without xdist', () => {
  const cases: [Parameters<typeof chooseWorkers>, number, RegExp][] = [
    [['all-cores', 'quick', 4, true, 100], 4, /^4 workers = all 4 cores: quick$/],
    [['half-cores', 'because they hold big buffers', 4, true, 100], 2, /^2 workers = half of 4 cores, because they hold big buffers$/],
    [['half-cores', 'because x', 1, true, 100], 1, /^1 worker = half of 1 core/],
    [['half-cores', 'because x', 7, true, 100], 3, /^3 workers = half of 7 cores/],
    [['one', 'timings need a quiet machine', 64, true, 100], 1, /^1 worker: timings need a quiet machine$/],
    [['all-cores', 'quick', 64, false, 100], 1, /^1 worker, since pytest-xdist is not installed for this Python \(64 = all 64 cores otherwise, quick\)$/],
    [['all-cores', 'quick', 1024, true, 10_000], 512, /^512 workers/],
    [['half-cores', 'because x', 8, true, 0], 4, /^4 workers = half of 8 cores/],
  ];
  for (const [args, workers, because] of cases) {
    const chosen = chooseWorkers(...args);
    assert.equal(chosen.workers, workers, JSON.stringify(args));
    assert.match(chosen.because, because, JSON.stringify(args));
  }
});

test('synonyms, any case, keep the project\'s spelling; several synonyms of one category are or-ed', () => {
  const mapping = mapMarkers({
    tests: [t('a', 'Unit'), t('b', 'high_memory', 'Unit'), t('c', 'memory_intensive'), t('d', 'benchmark'), t('e', 'e2e'), t('f', 'regression')],
    registered: new Set(['Unit', 'high_memory', 'memory_intensive', 'benchmark', 'e2e', 'regression']),
    cores: 2,
    xdist: true,
  });
  assert.deepEqual(
    mapping.chunks.map((chunk) => [chunk.name, chunk.markers ?? 'rest', chunk.tests]),
    [
      ['unit_fast', 'Unit and not (memory_intensive or high_memory or e2e or regression or benchmark)', 1],
      ['unit_memory', '(memory_intensive or high_memory) and not (e2e or regression or benchmark)', 2],
      ['integration', 'e2e and not (regression or benchmark)', 1],
      ['validation', 'regression and not benchmark', 1],
      ['performance', 'benchmark', 1],
      ['rest', 'rest', 0],
    ],
  );
  assert.match(mapping.chunks.at(-1)!.reason, /^No test is left for it now; it takes any test added later/);
});

test('a category whose every test also carries a later marker gets no chunk, and is reported', () => {
  const mapping = mapMarkers({ tests: [t('a', 'integration', 'slow'), t('b', 'unit')], registered: new Set(['integration', 'slow', 'unit']), cores: 4, xdist: true });
  assert.deepEqual(mapping.chunks.map((chunk) => chunk.name), ['unit_fast', 'stress', 'rest']);
  assert.equal(mapping.chunks[0]!.markers, 'unit and not slow', 'the dropped chunk\'s marker is not excluded: every test carrying it carries a later one');
  assert.deepEqual(mapping.absorbed, [{ chunk: 'integration', markers: ['integration'], tests: 1 }]);
});

test('a suite without category markers gets only the rest chunk, holding every test', () => {
  const mapping = mapMarkers({ tests: [t('a'), t('b', 'smoke')], registered: new Set(['smoke']), cores: 4, xdist: false });
  assert.deepEqual(mapping.chunks.map((chunk) => [chunk.name, chunk.rest, chunk.tests, chunk.workers]), [['rest', true, 2, 1]]);
  assert.match(mapping.chunks[0]!.reason, /pytest-xdist is not installed/);
});

// Any suite: every test lands in exactly one chunk (rest included), as the expressions in the config select them.
test('property: the chunks partition any suite, whatever markers its tests carry', () => {
  const names = [...MARKER_CATEGORIES.flatMap((category) => category.synonyms.slice(0, 2)), 'smoke', 'asyncio', 'parametrize', 'MEMORY'];
  const suite = fc.array(fc.subarray(names), { minLength: 1, maxLength: 40 });
  fc.assert(
    fc.property(suite, fc.subarray(names), fc.integer({ min: 1, max: 128 }), fc.boolean(), (markerLists, registered, cores, xdist) => {
      const tests = markerLists.map((markers, index) => t(`t${index}`, ...markers));
      const mapping = mapMarkers({ tests, registered: new Set(registered), cores, xdist });
      const selective = mapping.chunks.filter((chunk) => !chunk.rest);
      let restCount = 0;
      for (const test of tests) {
        const owners = selective.filter((chunk) => matchesMarkerExpression(chunk.markers!, new Set(test.markers)));
        assert.ok(owners.length <= 1, `${test.markers.join(',')} is in ${owners.map((chunk) => chunk.name).join(', ')}`);
        if (owners.length === 0) restCount += 1;
      }
      assert.equal(mapping.chunks.at(-1)!.name, 'rest');
      assert.equal(mapping.chunks.at(-1)!.tests, restCount);
      assert.equal(mapping.chunks.reduce((sum, chunk) => sum + chunk.tests, 0), tests.length);
      for (const chunk of mapping.chunks) {
        assert.ok(chunk.workers >= 1 && chunk.workers <= Math.max(1, cores));
        if (!xdist) assert.equal(chunk.workers, 1);
        if (!chunk.rest) assert.ok(chunk.tests > 0, `${chunk.name} selects nothing`);
        // Only markers pytest knows go into expressions: run-chunks plan then reports no unknown marker.
        for (const name of chunk.markers?.match(/[A-Za-z_]\w*/g) ?? []) if (!['and', 'or', 'not'].includes(name)) assert.ok(registered.includes(name), name);
      }
    }),
  );
});
