// The six chunks a starter config can have, in the order they run (quick feedback first), and the
// marker names that put a test in each. Names are compared ignoring case; the project's own
// spelling goes into the expression.
//
// A test may carry markers of two categories (`unit` and `memory_intensive`, `integration` and
// `slow`). Each chunk's expression leaves out the markers of every chunk after it, so such a test
// runs once, in the later chunk: the later chunks are the ones that need more care (fewer
// workers), so a test never runs with more workers than its most demanding marker allows.
//
// Synonyms, and why some are where they are:
// - unit_fast:   unit, unit_test(s), unittest, fast, quick.
// - unit_memory: memory_intensive, memory, high_memory, highmem, high_mem, memory_heavy,
//                memory_hungry, large_memory, big_memory, bigmem, and gpu, cuda: a GPU test holds
//                device memory, and every xdist worker makes its own CUDA context, so GPU tests
//                want few workers just like tests with big host buffers.
// - integration: integration, integration_test(s), functional, e2e, end_to_end, system.
// - validation:  validation, regression, accuracy, golden, reference.
// - stress:      stress, slow, soak, long, long_running: tests that run long or load the machine
//                themselves get one worker, so they neither starve nor are starved.
// - performance: performance, perf, benchmark, benchmarks, bench: timings need a quiet machine.
// Any other marker has no category: its tests go to the rest chunk unless another marker places them.

/** How many workers a chunk of this category gets, from the cores. */
export type WorkerRule = 'all-cores' | 'half-cores' | 'one';

/** One chunk a starter config may have. */
export interface MarkerCategory {
  chunk: 'unit_fast' | 'unit_memory' | 'integration' | 'validation' | 'stress' | 'performance';
  synonyms: readonly string[];
  workers: WorkerRule;
  /** Why that many workers, after "N workers = ...". */
  workersWhy: string;
  /** The chunk's one-line description, after "Tests marked X". */
  describe: string;
}

/** The categories in config order; a later one takes a test that also carries an earlier one's marker. */
export const MARKER_CATEGORIES: readonly MarkerCategory[] = [
  {
    chunk: 'unit_fast',
    synonyms: ['unit', 'unit_test', 'unit_tests', 'unittest', 'fast', 'quick'],
    workers: 'all-cores',
    workersWhy: 'quick tests that share nothing',
    describe: 'quick and independent',
  },
  {
    chunk: 'unit_memory',
    synonyms: ['memory_intensive', 'memory', 'high_memory', 'highmem', 'high_mem', 'memory_heavy', 'memory_hungry', 'large_memory', 'big_memory', 'bigmem', 'gpu', 'cuda'],
    workers: 'half-cores',
    workersWhy: 'because they hold big buffers',
    describe: 'they hold big buffers',
  },
  {
    chunk: 'integration',
    synonyms: ['integration', 'integration_test', 'integration_tests', 'functional', 'e2e', 'end_to_end', 'system'],
    workers: 'half-cores',
    workersWhy: 'because they start processes and share files',
    describe: 'components together, through files and processes',
  },
  {
    chunk: 'validation',
    synonyms: ['validation', 'regression', 'accuracy', 'golden', 'reference'],
    workers: 'half-cores',
    workersWhy: 'because they load reference data',
    describe: 'results checked against reference data',
  },
  {
    chunk: 'stress',
    synonyms: ['stress', 'slow', 'soak', 'long', 'long_running'],
    workers: 'one',
    workersWhy: 'they run long or load the machine themselves',
    describe: 'long or heavy',
  },
  {
    chunk: 'performance',
    synonyms: ['performance', 'perf', 'benchmark', 'benchmarks', 'bench'],
    workers: 'one',
    workersWhy: 'timings need a quiet machine',
    describe: 'timings, which need a quiet machine',
  },
];

/** pytest's own markers: they say how to run a test, never what kind of test it is. */
export const BUILTIN_MARKERS: ReadonlySet<string> = new Set(['parametrize', 'skip', 'skipif', 'xfail', 'usefixtures', 'filterwarnings', 'tryfirst', 'trylast']);

/** The category a marker name belongs to, ignoring case; undefined when it has none. */
export function categoryOf(marker: string): MarkerCategory | undefined {
  const name = marker.toLowerCase();
  return MARKER_CATEGORIES.find((category) => category.synonyms.includes(name));
}
