import type { Option } from 'commander';
import { findClosestName } from '../config/did-you-mean.js';
import { quoteText } from '../config/quote-text.js';
import { quoteShellArg } from '../util/shell-quote.js';
import { UserError } from '../util/user-error.js';
import { createProgram, splitPassthrough } from './parse-args.js';

/** The subcommands beside the default "run the chunks", in the order --help lists them. */
export const SUBCOMMAND_NAMES = ['plan', 'report', 'history', 'merge', 'matrix', 'init'] as const;

/** Where the arguments go: a subcommand, with the options given before its name, or a plain run. */
export type Route = { kind: 'subcommand'; name: string; leading: string[]; rest: string[] } | { kind: 'run' };

// pytest's options that people type at run-chunks' level, and the config field that does their job.
const PYTEST_OPTIONS: Record<string, { field: string; example: string }> = {
  '-k': { field: '"keyword" (a -k expression)', example: 'run-chunks -- -k EXPR' },
  '-m': { field: '"markers" (a -m expression)', example: 'run-chunks -- -m EXPR' },
  '-n': { field: '"workers" (a number, or "auto"; --no-parallel runs each chunk with one)', example: 'run-chunks -- -n 4' },
};

/** Whether `flag` ("-c", "--config") names `option` (commander's Option.is, which its types lack). */
export function isFlagOf(option: Option, flag: string): boolean {
  return option.short === flag || option.long === flag;
}

function takesValue(option: Option | undefined): boolean {
  return option !== undefined && (option.required || option.optional);
}

/** The flag of an argument: "--config" of "--config=x", "-k" of "-kEXPR"; undefined for a word. */
function flagOf(arg: string): string | undefined {
  if (!arg.startsWith('-') || arg === '-') return undefined;
  if (arg.startsWith('--')) return arg.split('=', 1)[0];
  return arg.slice(0, 2);
}

function refusePytestOption(flag: string): never {
  const known = PYTEST_OPTIONS[flag]!;
  throw new UserError(
    `${flag} is pytest's option, not run-chunks'. Pass it after -- to add it to every selected chunk's pytest command (${known.example}), ` +
      `or set ${known.field} on the chunk in the config (or in "defaults" for every chunk).`,
  );
}

function refuseWord(word: string): never {
  const closest = findClosestName(word, SUBCOMMAND_NAMES);
  const commands = SUBCOMMAND_NAMES.join(', ');
  if (closest !== undefined) throw new UserError(`Unknown command ${quoteText(word)}. Did you mean \`run-chunks ${closest}\`? The commands are ${commands}; run \`run-chunks --help\` for them.`);
  throw new UserError(
    `${quoteText(word)} is not a run-chunks command (${commands}), and a run takes no arguments of its own. ` +
      `To run one chunk, use --chunk ${quoteShellArg(word)}; to pass arguments to every chunk's pytest, put them after -- (run-chunks -- ${quoteShellArg(word)}).`,
  );
}

/**
 * Finds the subcommand in argv, also after global options (`run-chunks -c x.json plan`), and
 * refuses what would otherwise fail obscurely: pytest's -k, -m and -n given to run-chunks, and a
 * word that is no command (a typo such as "pln" gets a did-you-mean).
 */
export function routeArgs(argv: readonly string[], version: string): Route {
  const { own } = splitPassthrough(argv);
  const options = createProgram(version).options;
  for (let index = 0; index < own.length; index += 1) {
    const arg = own[index]!;
    const flag = flagOf(arg);
    if (flag === undefined) {
      if (!(SUBCOMMAND_NAMES as readonly string[]).includes(arg)) refuseWord(arg);
      return { kind: 'subcommand', name: arg, leading: own.slice(0, index), rest: argv.slice(index + 1) };
    }
    if (flag in PYTEST_OPTIONS) refusePytestOption(flag);
    const option = options.find((candidate) => isFlagOf(candidate, flag));
    // An unknown option (or --help): commander says so, with its own did-you-mean.
    if (option === undefined) return { kind: 'run' };
    if (takesValue(option) && !arg.includes('=') && !(flag.length === 2 && arg.length > 2)) index += 1;
  }
  return { kind: 'run' };
}
