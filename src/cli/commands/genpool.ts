// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem genpool`: the short genpool story of genpool-demo.ts, as a command.
 *
 * Kernel: lib/genalloc.c (through genpool-demo.ts).
 */

import { COMMON_OPTIONS, EXIT_ERROR, EXIT_OK, errorLine, parseCommandArgs } from '../args.js';
import type { Command, CliContext } from '../command.js';
import { genpoolDemoJson, printGenpoolDemo, runGenpoolDemo } from './genpool-demo.js';

const HELP = `usage: kmem genpool [--json]

Run a short genpool scenario on the on-chip SRAM of a simulated SoC: first fit, best fit,
order align, aligned DMA buffers, fixed offsets, fragmentation, a WARN and a BUG, and the
kernel log, told as the kernel API calls a driver would make.

Options:
  --json       print a machine-readable summary instead of text
  -h, --help   print this help and exit`;

/** The `genpool` command. */
export const genpoolCommand: Command = {
  name: 'genpool',
  summary: 'a short genpool story on a simulated SoC SRAM, call by call',
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<{ help?: boolean; json?: boolean }>(
      argv,
      COMMON_OPTIONS,
      ctx.out,
      genpoolCommand,
      0,
    );
    if (!parsed.ok) return parsed.code;
    try {
      const demo = runGenpoolDemo();
      if (parsed.values.json === true)
        ctx.out.print(JSON.stringify(genpoolDemoJson(demo), null, 2));
      else printGenpoolDemo(demo, ctx.out);
      return EXIT_OK;
    } catch (err) {
      ctx.out.error(errorLine(err));
      return EXIT_ERROR;
    }
  },
};
