// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem bench`: the benchmarks of bench/WORKLOADS.md for kmem and the kernel-scan baseline
 * (src/cli/bench), each (workload, implementation) in a child process of its own, shown as
 * a table with the fidelity check of every line, or printed as the JSON lines of
 * WORKLOADS.md with --json. Peers that need dev dependencies (@thi.ng/malloc) are only in
 * `npm run bench`.
 *
 * Kernel: none (kmem's benchmarks of its lib/genalloc.c, mm/dmapool.c and mm/vmalloc.c
 * ports; the check column compares with the kernel's own C, bench/WORKLOADS.md).
 *
 * Exit codes: 0 every check passed, 1 a child failed or a check did not pass (one
 * `kmem: bench: ...` line each on stderr), 2 usage error (an unknown workload name).
 */

import { COMMON_OPTIONS, EXIT_ERROR, EXIT_OK, parseCommandArgs, usageError } from '../args.js';
import { benchCases, knownWorkloadNames, selectCases, type BenchCase } from '../bench/cases.js';
import type { BenchLine } from '../bench/harness.js';
import { gateProblems, lineCheck } from '../bench/reference.js';
import { KMEM_CHILD_SCRIPT, runCaseInChild } from '../bench/runner.js';
import type { Command, CliContext } from '../command.js';
import { formatTable, type Align } from '../format.js';
import { Progress } from '../progress.js';

const USAGE = 'usage: kmem bench [names...] [--quick] [--json] [--quiet]';

const HELP = `${USAGE}

Run the benchmarks of bench/WORKLOADS.md on kmem and on the kernel-scan baseline (GenPool
scanning its bitmap as lib/genalloc.c does), each workload and implementation in a
process of its own, and print a table: ops, ns per op, failed allocations, the checksum
of the addresses handed out, and the check.

Workloads (a name selects every workload it is a prefix of; none selects all):
  G-fill G-steady G-high    genpool: first-fit, best-fit, first-fit-order-align
  D-test D-churn            dmapool: mm/dmapool_test.c's rows (also: dmapool_test), churn
  V-steady V-align          vmap areas, from the whole address space and the range alone
  V-vmalloc                 vmalloc(4096) + vfree pairs through the kernel API
  test_vmalloc              lib/test_vmalloc.c's default cases, one line each

The check: ✓ kmem and kernel-scan printed the same checksum and failures (and, at full
size, the kernel's own results); ✗ they did not (exit 1); — nothing to compare with.

Options:
  --quick      small runs, in seconds: shape and agreement, not speed
  --json       print the JSON lines of bench/WORKLOADS.md instead of the table
  -q, --quiet  no progress bar
  -h, --help   print this help and exit`;

const OPTIONS = { ...COMMON_OPTIONS, quick: { type: 'boolean' } } as const;

interface BenchValues {
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  quick?: boolean;
}

/** The `bench` command. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'the benchmarks of WORKLOADS.md, checked against the kernel',
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<BenchValues>(argv, OPTIONS, ctx.out, benchCommand);
    if (!parsed.ok) return parsed.code;
    const all = benchCases();
    const { cases, unknown } = selectCases(all, parsed.positionals);
    if (unknown.length > 0) {
      const known = knownWorkloadNames(all).join(', ');
      return usageError(
        ctx.out,
        USAGE,
        `unknown workload '${unknown[0]}' (known: ${known})`,
        'bench',
      );
    }
    const v = parsed.values;
    const lines = runAll(cases, v.quick === true, v.json === true, ctx, v.quiet === true);
    if (lines === null) return EXIT_ERROR;
    if (v.json !== true) printTable(lines, v.quick === true, ctx);
    const problems = gateProblems(lines, v.quick === true);
    for (const p of problems) ctx.out.error(`kmem: bench: ${p}`);
    return problems.length === 0 ? EXIT_OK : EXIT_ERROR;
  },
};

/**
 * Run every case in its child process, with the progress bar; with `json`, print each
 * JSON line as it comes.
 * @returns all lines, or null after printing why a child failed.
 */
function runAll(
  cases: readonly BenchCase[],
  quick: boolean,
  json: boolean,
  ctx: CliContext,
  quiet: boolean,
): BenchLine[] | null {
  const progress = new Progress(ctx, 'bench', cases.length, quiet);
  const lines: BenchLine[] = [];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    progress.update(i);
    const r = runCaseInChild(KMEM_CHILD_SCRIPT, c, quick);
    if (!r.ok) {
      progress.end();
      for (const l of childErrorLines(r.stderr)) ctx.out.error(l);
      ctx.out.error(`kmem: bench: ${c.workload} ${c.impl} failed (exit ${String(r.status)})`);
      return null;
    }
    if (json) for (const text of r.texts) ctx.out.print(text);
    lines.push(...r.lines);
  }
  progress.end();
  return lines;
}

/**
 * What to show of a failed child's stderr: its `kmem:` lines (childMain's one-line
 * errors), or else the first `...Error: message` line (a crash before childMain ran), never
 * the stack.
 * @returns the lines to print, each starting with `kmem:`; empty when there is none.
 */
function childErrorLines(stderr: string): string[] {
  const lines = stderr.split('\n');
  const own = lines.filter((l) => l.startsWith('kmem:'));
  if (own.length > 0) return own;
  const error = lines.find((l) => /^[A-Za-z]*Error\b.*:/.test(l));
  return error === undefined ? [] : [`kmem: bench: child: ${error}`];
}

/** The JSON fields the table shows in columns of their own, or not at all (timing). */
const NOT_PARAMS = new Set([
  'workload',
  'impl',
  'ops',
  'ns_per_op',
  'failed',
  'checksum',
  'median_ns',
  'min_ns',
  'avg_usec',
]);
/** The fields shown as a bare value in the params column. */
const BARE_PARAMS = new Set(['algo', 'phase']);

/** The workload column (the name's first word) and the params column of a line. */
function workloadAndParams(l: BenchLine): [string, string] {
  const [workload, ...params] = l.workload.split(' ');
  for (const [key, value] of Object.entries(l)) {
    if (NOT_PARAMS.has(key)) continue;
    params.push(BARE_PARAMS.has(key) ? String(value) : `${key}=${String(value)}`);
  }
  return [workload!, params.join(' ')];
}

const HEADER = ['workload', 'impl', 'algo/params', 'ops', 'ns/op', 'failed', 'checksum', 'check'];
const ALIGN: readonly Align[] = [
  'left',
  'left',
  'left',
  'right',
  'right',
  'right',
  'right',
  'left',
];

/** Print the table and a one-line summary of the checks. */
function printTable(lines: readonly BenchLine[], quick: boolean, ctx: CliContext): void {
  const marks = lines.map((l) => lineCheck(l, lines, quick));
  const rows = lines.map((l, i) => {
    const [workload, params] = workloadAndParams(l);
    const counts = [l.ops, l.ns_per_op, l.failed, l.checksum].map(String);
    return [workload, l.impl, params, ...counts, marks[i]!];
  });
  for (const line of formatTable(HEADER, rows, ALIGN)) ctx.out.print(line);
  const passed = marks.filter((m) => m === '✓').length;
  const failed = marks.filter((m) => m === '✗').length;
  const against = quick ? 'kernel-scan' : "kernel-scan and the kernel's own results";
  ctx.out.print('');
  ctx.out.print(`${lines.length} lines: ${passed} ✓, ${failed} ✗ (checked against ${against})`);
}
