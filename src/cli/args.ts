// SPDX-License-Identifier: GPL-2.0-only
/*
 * Argument parsing shared by the subcommands: node:util parseArgs in strict mode, with its
 * errors turned into one short line, and the usage-error convention of HOUSE-STYLE §3.12
 * (`kmem: <problem>` then the command's usage line and a pointer to --help, exit 2).
 *
 * Kernel: none (kmem's command line).
 */

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { printable } from './input-file.js';
import type { Output } from './out.js';

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status of a runtime error. */
export const EXIT_ERROR = 1;
/** Exit status of a usage error. */
export const EXIT_USAGE = 2;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/**
 * The option a parseArgs message names, as the user may have typed it: `'--seed'` →
 * `--seed`, `'-o, --out <value>'` → `-o (--out)`.
 * @returns the name, or null when the message quotes none.
 */
function quotedOption(message: string): string | null {
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (quoted === undefined) return null;
  const names = quoted.split(/[\s,]+/).filter((w) => w.startsWith('-'));
  if (names.length === 0) return null;
  return names.length === 1 ? names[0]! : `${names[0]!} (${names[1]!})`;
}

/**
 * Turn a parseArgs error into one short line: `unknown option '-x'`, `option '--seed'
 * needs a value` (also when the next word is an option: `--seed --json`), `option
 * '--json' takes no value`.
 * @returns the line; the first sentence of the message, lower-cased, for an error of
 *   another shape.
 */
export function describeParseError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const option = quotedOption(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option !== null) {
    return `unknown option '${option}'`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option !== null) {
    if (/does not take an argument/.test(message)) return `option '${option}' takes no value`;
    if (/ambiguous/.test(message)) {
      const long = /'(--[\w-]+)=/.exec(message)?.[1] ?? option;
      return `option '${option}' needs a value (a value starting with '-' is written ${long}=-X)`;
    }
    return `option '${option}' needs a value`;
  }
  const first = message.split(/\.\s|\n/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Print a usage error: `kmem: <problem>`, then `usage` and a pointer to `--help`.
 * @returns EXIT_USAGE (2).
 */
export function usageError(out: Output, usage: string, problem: string, command = ''): number {
  out.error(`kmem: ${printable(problem)}`);
  out.error(`${usage} (kmem ${command === '' ? '' : `${command} `}--help for more)`);
  return EXIT_USAGE;
}

/** The result of {@link parseCommandArgs}: the parsed arguments, or the exit code to return. */
export type ParsedArgs<V> =
  | { readonly ok: true; readonly values: V; readonly positionals: string[] }
  | { readonly ok: false; readonly code: number };

/**
 * Parse a command's arguments strictly. `--help` prints `help` and ends the command (exit 0);
 * a parse error, or more than `maxPositionals` arguments, is a usage error (exit 2).
 * @returns `{ ok: true, values, positionals }`, or `{ ok: false, code }` with the exit code.
 */
export function parseCommandArgs<V extends { help?: boolean | undefined }>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  out: Output,
  command: { readonly name: string; readonly help: string },
  maxPositionals = Infinity,
): ParsedArgs<V> {
  const usage = command.help.split('\n')[0] ?? `usage: kmem ${command.name}`;
  let values: V;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    values = parsed.values as unknown as V;
    positionals = parsed.positionals;
  } catch (err) {
    return { ok: false, code: usageError(out, usage, describeParseError(err), command.name) };
  }
  if (values.help === true) {
    out.print(command.help);
    return { ok: false, code: EXIT_OK };
  }
  const extra = positionals[maxPositionals];
  if (extra !== undefined) {
    const problem = `unexpected argument '${extra}'`;
    return { ok: false, code: usageError(out, usage, problem, command.name) };
  }
  return { ok: true, values, positionals };
}

/**
 * Format a caught error as the one line a user sees: the message (non-printable characters
 * escaped), never the stack.
 * @returns the line, `kmem: error: <message>`.
 */
export function errorLine(err: unknown): string {
  return `kmem: error: ${printable(err instanceof Error ? err.message : String(err))}`;
}
