import type { ChalkInstance } from 'chalk';
import type { ChunkStatus } from '../results/outcome.js';

/** A short mark and a colour for each status, used by the terminal reporter. */
export function styleStatus(chalk: ChalkInstance, status: ChunkStatus): { mark: string; paint: (text: string) => string } {
  switch (status) {
    case 'passed':
      return { mark: '✔', paint: chalk.green };
    case 'skipped':
    case 'no-tests':
      return { mark: '○', paint: chalk.yellow };
    case 'failed':
      return { mark: '✖', paint: chalk.red };
    case 'interrupted':
      return { mark: '■', paint: chalk.magenta };
    case 'error':
    case 'crashed':
    case 'timeout':
    case 'memory-limit':
    case 'gpu-memory-limit':
    case 'killed':
    case 'oom':
      return { mark: '☠', paint: chalk.red.bold };
  }
}
