// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kmem command line: pick the subcommand (commands/index.ts) from the first word, or
 * the default one when the first argument is an option or there is none, and hand it the
 * rest. `kmem --help` lists the commands; each command has its own `--help`.
 *
 * Kernel: none (kmem's command line).
 *
 * Exit codes (HOUSE-STYLE §3.12): 0 success, 1 runtime error, 2 usage error. An error is one
 * line `kmem: <problem>` on stderr — a usage error is followed by the usage line and a hint
 * to --help — never a stack trace.
 */

import process from 'node:process';
import { EXIT_ERROR, EXIT_OK, errorLine, usageError } from './args.js';
import type { CliContext } from './command.js';
import { COMMANDS, DEFAULT_COMMAND } from './commands/index.js';
import type { Output } from './out.js';

export { EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './args.js';

const USAGE = 'usage: kmem [command] [options]';

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map(
    (c) =>
      `  ${c.name.padEnd(width)}  ${c.summary}${c === DEFAULT_COMMAND ? ' (the default)' : ''}`,
  );
  return `${USAGE}

The Linux kernel's special-purpose allocators (genpool, dmapool, vmalloc) in TypeScript,
on a simulated machine.

Commands:
${lines.join('\n')}

Each command has its own help: kmem <command> --help, or kmem help <command>.

Options of every command:
  --json       print machine-readable output
  -q, --quiet  no progress bar
  -h, --help   print the command's help and exit`;
}

/**
 * A context for `out` with no terminal (tests, pipes).
 * @returns a CliContext with no progress writer and the process's cwd (never fails).
 */
export function plainContext(out: Output): CliContext {
  return { out, stderrIsTTY: false, writeProgress: null, cwd: process.cwd() };
}

/**
 * Run kmem with `argv` (the arguments after the program name).
 * @returns the exit code: 0, 1 (runtime error) or 2 (usage error).
 */
export function run(
  argv: readonly string[],
  out: Output,
  ctx: CliContext = plainContext(out),
): number {
  const first = argv[0];
  if (first === 'help' && argv.length > 1) return commandHelp(argv.slice(1), out);
  if (first === '--help' || first === '-h' || first === 'help') {
    out.print(globalHelp());
    return EXIT_OK;
  }
  if (first === undefined || first.startsWith('-'))
    return guarded(DEFAULT_COMMAND.run.bind(null, argv, ctx), out);
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) return usageError(out, USAGE, `unknown command '${first}'`);
  return guarded(command.run.bind(null, argv.slice(1), ctx), out);
}

/**
 * `kmem help <command>`: print that command's help.
 * @returns 0, or 2 (a usage error) for an unknown command or more than one word.
 */
function commandHelp(words: readonly string[], out: Output): number {
  const name = words[0]!;
  if (words.length > 1) return usageError(out, USAGE, `unexpected argument '${words[1]!}'`);
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return usageError(out, USAGE, `unknown command '${name}'`);
  out.print(command.help);
  return EXIT_OK;
}

/** Run a command; an error it did not catch still becomes one line and exit 1. */
function guarded(body: () => number, out: Output): number {
  try {
    return body();
  } catch (err) {
    out.error(errorLine(err));
    return EXIT_ERROR;
  }
}
