// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem run [scenario.json]` — and `kmem` with no command, which runs the built-in
 * scenario (scenarios/default.json): boot the scenario's simulated board, run its
 * workload, print the summary (per pool and per subsystem: sizes, use, failures,
 * fragmentation, TLB flushes) and write the HTML report, named on the last line.
 *
 * Kernel: lib/genalloc.c, mm/dmapool.c, mm/vmalloc.c (through src/cli/scenario).
 */

import { renderHtml } from '../../report/index.js';
import { COMMON_OPTIONS, EXIT_ERROR, EXIT_OK, parseCommandArgs, usageError } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { type Align, formatTable } from '../format.js';
import type { Output } from '../out.js';
import { checkReportPath, writeReportFile } from '../report-out.js';
import { runRequested, scenarioFailure, seedOption } from '../scenario/command-support.js';
import type { RunResult } from '../scenario/run-scenario.js';

/** The report's file name when --out is not given. */
export const DEFAULT_REPORT = 'kmem-report.html';

const USAGE =
  'usage: kmem run [scenario.json] [--seed N] [--out FILE] [--no-report] [--json] [--quiet]';

const HELP = `${USAGE}

Boot the simulated machine a scenario describes (memory, CPUs, a device tree), make its
genpools, dmapools and vmalloc users, run its workload (an operation script or a seeded
random mix), print a summary per pool and per subsystem (sizes, use, failures,
fragmentation, TLB flushes) and write an HTML report. Without a file, the built-in
scenario runs: an SoC with on-chip SRAM, a NIC and a storage controller using dmapools,
and drivers using vmalloc and vm_map_ram. \`kmem\` alone is \`kmem run\`.
The scenario format is described in docs/cli/scenario.md.

Options:
  --seed N      seed of a random mix (1..4294967295), instead of the scenario's
  -o, --out F   write the report to F (default: ${DEFAULT_REPORT} in the current directory)
  --no-report   write no report
  --json        print the summary as JSON (with the report's path)
  -q, --quiet   no progress bar
  -h, --help    print this help and exit

Exit status: 0 done, 1 the simulator refused the scenario or a kernel BUG stopped it,
2 a usage error or a malformed or invalid scenario file.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  seed: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'no-report': { type: 'boolean' },
} as const;

interface RunValues {
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  seed?: string;
  out?: string;
  'no-report'?: boolean;
}

/** Columns of words, aligned left; numbers align right. */
const TEXT_COLUMNS = new Set([
  'pool',
  'device',
  'algo',
  'user',
  'kind',
  'subsystem',
  'size / used are',
]);

/** Print the summary tables and the run's heading (no seed for a script: it has no effect). */
function printSummary(r: RunResult, out: Output): void {
  const s = r.summary;
  const seed = r.scenario.workload.kind === 'script' ? '' : `seed ${r.seed}; `;
  out.print(`kmem run: ${r.scenario.name} (${seed}${s.machine}; ${s.steps} steps)`);
  if (r.scenario.description !== '') out.print(r.scenario.description);
  for (const t of r.model.tables) {
    out.print('');
    out.print(`${t.title}:`);
    const align = t.header.map((h) => (TEXT_COLUMNS.has(h) ? 'left' : 'right') as Align);
    for (const line of formatTable(t.header, t.rows, align)) {
      out.print(`  ${line}`);
    }
  }
  const warns = r.model.log.filter((l) => l.startsWith('WARNING:')).length;
  out.print('');
  out.print(`kernel log: ${r.model.log.length} lines, ${warns} WARN${warns === 1 ? '' : 's'}`);
}

/** The `run` command (also the default command). */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a scenario (default: the built-in SoC) and write an HTML report',
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<RunValues>(argv, OPTIONS, ctx.out, runCommand, 1);
    if (!parsed.ok) return parsed.code;
    const v = parsed.values;
    const seedArg = seedOption(v.seed, ctx.out, USAGE, 'run');
    if ('code' in seedArg) return seedArg.code;
    const seed = seedArg.seed;
    if (v.out !== undefined && v['no-report'] === true) {
      return usageError(ctx.out, USAGE, '--out and --no-report cannot go together', 'run');
    }
    let report: { path: string; shown: string } | null = null;
    if (v['no-report'] !== true) {
      const shown = v.out ?? DEFAULT_REPORT;
      const check = checkReportPath(shown, ctx.cwd);
      if (!check.ok && check.usage) return usageError(ctx.out, USAGE, check.problem, 'run');
      if (!check.ok) {
        ctx.out.error(`kmem: ${check.problem}`);
        return EXIT_ERROR;
      }
      report = { path: check.path, shown };
    }
    const file = parsed.positionals[0] ?? null;
    let result: RunResult;
    try {
      result = runRequested(ctx, {
        file,
        seed,
        quiet: v.quiet === true,
        command: ['kmem', 'run', ...argv].join(' '),
      });
    } catch (err) {
      return scenarioFailure(ctx.out, err);
    }
    return finish(result, v.json === true, report, ctx);
  },
};

/**
 * Write the report (checked before the run), then print the summary — also when the
 * write failed, with the problem after it. Exported for the tests.
 * @returns the exit status: 0, or 1 when the report could not be written.
 */
export function finish(
  r: RunResult,
  json: boolean,
  report: { path: string; shown: string } | null,
  ctx: CliContext,
): number {
  const problem =
    report === null ? null : writeReportFile(report.path, report.shown, renderHtml(r.model));
  const written = report !== null && problem === null ? report.shown : null;
  if (json) {
    ctx.out.print(JSON.stringify({ ...r.summary, report: written }, null, 2));
  } else {
    printSummary(r, ctx.out);
    if (written !== null) ctx.out.print(`report: ${written}`);
  }
  if (problem === null) return EXIT_OK;
  ctx.out.error(`kmem: ${problem}`);
  return EXIT_ERROR;
}
