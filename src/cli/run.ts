// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kmem command line: parse the arguments, dispatch to a command, return the exit code.
 * Everything prints through an Output (out.ts), so tests can run it in-process.
 *
 * Kernel: none (kmem's command line).
 *
 * Exit codes (HOUSE-STYLE §3.12): 0 success, 1 runtime error, 2 usage error. An error is one
 * line `kmem: <problem>` on stderr — a usage error is followed by a hint to --help — never a
 * stack trace.
 */

import { parseArgs } from 'node:util';
import { genpoolDemoJson, printGenpoolDemo, runGenpoolDemo } from './commands/genpool-demo.js';
import type { Output } from './out.js';

/** Exit status of a successful run. */
export const EXIT_OK = 0;
/** Exit status of a runtime error. */
export const EXIT_ERROR = 1;
/** Exit status of a usage error. */
export const EXIT_USAGE = 2;

const USAGE = 'usage: kmem [genpool] [--json] [--help]';

const HELP = `${USAGE}

The Linux kernel's special-purpose allocators in TypeScript, on a simulated machine.

Commands:
  genpool      run a genpool scenario on the on-chip SRAM of a simulated SoC
               (the default): first fit, best fit, order align, aligned DMA buffers,
               fixed offsets, fragmentation, a WARN and a BUG, and the kernel log

Options:
  --json       print a machine-readable summary instead of text
  -h, --help   print this help and exit`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const;

/** Turn a parseArgs error into one short line. */
function describeParseError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) {
    return `unknown option '${quoted}'`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted !== undefined) {
    return `option '${quoted}' takes no value`;
  }
  const first = message.split(/\.\s|\n/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function usageError(out: Output, problem: string): number {
  out.error(`kmem: ${problem}`);
  out.error(`${USAGE} (kmem --help for more)`);
  return EXIT_USAGE;
}

/**
 * Run kmem with `argv` (the arguments after the program name).
 * @returns the exit code: 0, 1 (runtime error) or 2 (usage error).
 */
export function run(argv: readonly string[], out: Output): number {
  let values: { help?: boolean; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return usageError(out, describeParseError(err));
  }
  const command = positionals[0] ?? 'genpool';
  if (values.help === true || command === 'help') {
    out.print(HELP);
    return EXIT_OK;
  }
  if (command !== 'genpool') return usageError(out, `unknown command '${command}'`);
  if (positionals.length > 1) return usageError(out, `unexpected argument '${positionals[1]}'`);
  try {
    const demo = runGenpoolDemo();
    if (values.json === true) out.print(JSON.stringify(genpoolDemoJson(demo), null, 2));
    else printGenpoolDemo(demo, out);
    return EXIT_OK;
  } catch (err) {
    out.error(`kmem: error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_ERROR;
  }
}
