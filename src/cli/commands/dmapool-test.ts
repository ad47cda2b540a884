// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem dmapool-test`: load mm/dmapool_test.c's module (the port in
 * src/kmods/dmapool-test.ts) on a fresh simulated machine and print its pr_info lines,
 * "dmapool test: size:<size> align:<align> blocks:<blocks> time:<usec>", one per row of
 * its parameter table, timed with this process's clock. --json gives the rows.
 *
 * Kernel: mm/dmapool_test.c (dmapool_checks; NR_TESTS 100). The module's init returns 0
 * or -ENOMEM; -ENOMEM (an allocation failed) is exit 1 here.
 */

import { NR_TESTS, POOL_PARMS, dmapoolTest } from '../../kmods/dmapool-test.js';
import { Machine } from '../../machine/machine.js';
import { COMMON_OPTIONS, EXIT_ERROR, EXIT_OK, errorLine, parseCommandArgs } from '../args.js';
import type { Command, CliContext } from '../command.js';
import { Progress } from '../progress.js';

const USAGE = 'usage: kmem dmapool-test [--json] [--quiet]';

const HELP = `${USAGE}

Load mm/dmapool_test.c's module on a fresh simulated machine (1 GiB): for each row of its
table (size, align, boundary) a pool whose blocks are all allocated then all freed, ${NR_TESTS}
times, and the kernel's line with the time in microseconds.

Options:
  --json       print the rows (size, align, boundary, blocks, us, pages, ret) and the log
  -q, --quiet  no progress bar
  -h, --help   print this help and exit`;

/** The `dmapool-test` command. */
export const dmapoolTestCommand: Command = {
  name: 'dmapool-test',
  summary: "mm/dmapool_test.c's module, timed",
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<{ help?: boolean; json?: boolean; quiet?: boolean }>(
      argv,
      COMMON_OPTIONS,
      ctx.out,
      dmapoolTestCommand,
      0,
    );
    if (!parsed.ok) return parsed.code;
    // The module reads the clock before and after each row: the bar counts the rows.
    const progress = new Progress(
      ctx,
      'dmapool_test',
      POOL_PARMS.length,
      parsed.values.quiet === true,
    );
    try {
      const m = new Machine({ memory: '1G' });
      const logStart = m.dmesg().length;
      let reads = 0;
      const clock = (): number => {
        progress.update(reads++ >> 1);
        return performance.now();
      };
      const { rows, ret } = dmapoolTest(m, { clock });
      progress.end();
      const log = m.dmesg().slice(logStart);
      if (parsed.values.json === true) {
        ctx.out.print(JSON.stringify({ module: 'dmapool_test', ret, rows, log }, null, 2));
      } else {
        for (const line of log) ctx.out.print(line);
      }
      if (ret === 0) return EXIT_OK;
      ctx.out.error(`kmem: dmapool-test: the module's init returned ${ret}`);
      return EXIT_ERROR;
    } catch (err) {
      progress.end();
      ctx.out.error(errorLine(err));
      return EXIT_ERROR;
    }
  },
};
