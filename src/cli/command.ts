// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shape of a kmem subcommand: a name, a one-line summary for `kmem --help`, its own
 * help text, and a run function that parses its own arguments and returns an exit code.
 * The dispatcher (run.ts) picks the command; everything else is the command's.
 *
 * Kernel: none (kmem's command line).
 */

import type { Output } from './out.js';

/** What a command may use besides its arguments: where to print, and facts about stderr. */
export interface CliContext {
  /** Where every line goes (stdout and stderr). */
  readonly out: Output;
  /** True when stderr is a terminal: only then may a command draw a progress bar. */
  readonly stderrIsTTY: boolean;
  /** Write a progress line in place on stderr (no newline); '' clears it. Null: no terminal. */
  readonly writeProgress: ((text: string) => void) | null;
  /** The directory relative paths are resolved against (the process's cwd). */
  readonly cwd: string;
}

/** One kmem subcommand. */
export interface Command {
  /** The word typed after `kmem`. */
  readonly name: string;
  /** One line for the command list of `kmem --help`. */
  readonly summary: string;
  /** The full `--help` text of the command, starting with its usage line. */
  readonly help: string;
  /**
   * Run the command with the arguments after its name.
   * @returns the exit code: 0 success, 1 runtime error, 2 usage error (after printing the
   * problem on one line and the usage line).
   */
  run(argv: readonly string[], ctx: CliContext): number;
}
