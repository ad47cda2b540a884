// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem replay <file>`: replay an allocation trace against several genalloc algorithms and
 * min_alloc_orders side by side, or rebuild the vmap address space of a real machine from
 * its /proc/vmallocinfo — then print the comparison and write the HTML report.
 *
 * Kernel: lib/genalloc.c (through replay/engine.ts), mm/vmalloc.c (through
 * replay/vmap-rebuild.ts). The formats are in docs/cli/replay.md.
 *
 * Exit codes: 0 done; 1 runtime error (a pool that cannot be built at an order, a report
 * that cannot be written); 2 usage error, an unreadable input file, or a malformed line
 * (`kmem: <file>:<line>: <problem>`).
 */

import { isAbsolute, resolve } from 'node:path';
import { parseKaddr } from '../../machine/layout.js';
import {
  COMMON_OPTIONS,
  EXIT_ERROR,
  EXIT_OK,
  EXIT_USAGE,
  errorLine,
  parseCommandArgs,
  usageError,
} from '../args.js';
import type { CliContext, Command } from '../command.js';
import { InputFileError, printable, readInputFile } from '../input-file.js';
import { Progress } from '../progress.js';
import { algoName, REPLAY_ALGOS, replayTrace, sampleSteps } from '../replay/engine.js';
import {
  printSnapshot,
  printTraceReplay,
  replayReportModel,
  snapshotJson,
  traceReplayJson,
  type SnapshotReplay,
  type TraceReplay,
} from '../replay/output.js';
import { renderHtml } from '../../report/index.js';
import { checkReportPath, writeReportFile } from '../report-out.js';
import { DEFAULT_REPORT } from '../replay/report-file.js';
import { InputError, parseTrace, parseTraceNumber } from '../replay/trace.js';
import { looksLikeVmallocinfo, parseVmallocinfo } from '../replay/vmallocinfo.js';
import { rebuildVmallocinfo } from '../replay/vmap-rebuild.js';

const USAGE =
  'usage: kmem replay <trace | vmallocinfo> [--algo LIST] [--order N[,M]] [--placements] [--vmallocinfo FILE] [--try SIZE[,SIZE]] [--out FILE | --no-report] [--json] [-q]';

const HELP = `${USAGE}

Replay an allocation trace against genalloc's fit algorithms side by side, and report
placements, failures, peak use and fragmentation for each, so that you can choose an
algorithm and a min_alloc_order for your pool from your own workload. Or read a
/proc/vmallocinfo snapshot of a real machine, rebuild that vmap address space at the exact
addresses, and report its areas, free extents, fragmentation and what still fits.

The file's format is detected: a line starting 0x<start>-0x<end> <size> is
/proc/vmallocinfo, anything else is a trace (docs/cli/replay.md):

  pool sram size=256K order=5 [base=0x...]
  chunk sram size=64K [base=0x...]
  alloc sram 1536 [align=64 | offset=0x400] [owner=usb] [id=a1] [addr=0x...]
  free sram a1                       (an id, or an address recorded with addr=)

Trace options:
  --algo LIST          algorithms to compare, comma-separated: first-fit, best-fit,
                       order-align (first-fit-order-align) (default: all three)
  --order N[,M]        min_alloc_order(s) for every pool, one panel per algorithm and
                       order (default: each pool's order= from the trace)
  --placements         also print every allocation's address under each algorithm

Snapshot options:
  --vmallocinfo FILE   read FILE as /proc/vmallocinfo (with a trace too: both, one report)
  --vmalloc-start ADDR start of the vmalloc range (default 0xffffc90000000000, or the
                       1 GiB-aligned lowest area when KASLR moved it)
  --try SIZE[,SIZE]    would vmalloc(SIZE) succeed? (4096, 0x1000, 64K, 2M, 1G)

Output:
  --out FILE           write the HTML report to FILE (default ${DEFAULT_REPORT})
  --no-report          write no report
  --json               print a machine-readable document instead of text
  -q, --quiet          no progress bar
  -h, --help           print this help and exit

Exit status: 0 done, 1 runtime error, 2 usage error or a bad input line
(kmem: <file>:<line>: <problem>).`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  algo: { type: 'string' },
  order: { type: 'string' },
  placements: { type: 'boolean' },
  vmallocinfo: { type: 'string' },
  'vmalloc-start': { type: 'string' },
  try: { type: 'string' },
  out: { type: 'string' },
  'no-report': { type: 'boolean' },
} as const;

interface Values {
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  algo?: string;
  order?: string;
  placements?: boolean;
  vmallocinfo?: string;
  'vmalloc-start'?: string;
  try?: string;
  out?: string;
  'no-report'?: boolean;
}

/** Validated options. */
interface Plan {
  readonly algos: readonly string[];
  /** Orders to compare; [-1] keeps each pool's own. */
  readonly orders: readonly number[];
  readonly tries: readonly number[];
  readonly vmallocStart: number;
}

/** A usage problem found while checking the options. */
class UsageProblem extends Error {}

/** The report cannot be written where --out says (found before the replay: exit 1). */
class ReportProblem extends Error {}

function list(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(',').map((w) => w.trim());
}

function planOf(v: Values): Plan {
  const algos: string[] = [];
  const given: string[] = [];
  for (const w of v.algo === undefined ? Object.keys(REPLAY_ALGOS) : list(v.algo)) {
    const name = algoName(w);
    if (name === null) {
      throw new UsageProblem(`unknown algorithm '${w}' (use first-fit, best-fit, order-align)`);
    }
    const at = algos.indexOf(name);
    if (at >= 0) {
      const same =
        given[at] === w ? `'${w}' is given twice` : `'${given[at]!}' and '${w}' are both ${name}`;
      throw new UsageProblem(`--algo: ${same}; give each algorithm once`);
    }
    algos.push(name);
    given.push(w);
  }
  const orders: number[] = [];
  for (const w of list(v.order)) {
    if (!/^\d+$/.test(w) || Number(w) > 40) {
      throw new UsageProblem(`--order ${w}: min_alloc_order must be an integer 0..40`);
    }
    if (orders.includes(Number(w)))
      throw new UsageProblem(`--order: ${Number(w)} is given twice; give each order once`);
    orders.push(Number(w));
  }
  const tries = list(v.try).map((w) => {
    const n = parseTraceNumber(w);
    if (Number.isNaN(n) || n === 0)
      throw new UsageProblem(`--try ${w}: not a size (use 64K, 2M, 0x1000)`);
    return n;
  });
  let vmallocStart = -1;
  if (v['vmalloc-start'] !== undefined) {
    vmallocStart = parseKaddr(v['vmalloc-start']);
    if (Number.isNaN(vmallocStart) || vmallocStart < 2 ** 47) {
      throw new UsageProblem(`--vmalloc-start ${v['vmalloc-start']}: not a kernel address`);
    }
  }
  return { algos, orders: orders.length === 0 ? [-1] : orders, tries, vmallocStart };
}

/** Read an input file (a regular file of at most 64 MiB); a failure is an InputError at line 0. */
function readInput(ctx: CliContext, file: string): string {
  try {
    return readInputFile(isAbsolute(file) ? file : resolve(ctx.cwd, file));
  } catch (err) {
    if (err instanceof InputFileError)
      throw new InputError(0, `cannot read the file: ${err.message}`);
    throw err;
  }
}

/** Parse and replay a trace with every algorithm × order. */
function runTrace(
  ctx: CliContext,
  file: string,
  text: string,
  plan: Plan,
  quiet: boolean,
): TraceReplay {
  const trace = parseTrace(text);
  const samples = sampleSteps(trace.ops.length);
  const total = trace.ops.length * plan.algos.length * plan.orders.length;
  const progress = new Progress(ctx, 'replay', total, quiet);
  const panels = [];
  let base = 0;
  try {
    for (const algo of plan.algos) {
      for (const order of plan.orders) {
        const from = base;
        panels.push(
          replayTrace(trace, algo, {
            order,
            sampleSteps: samples,
            onProgress: (d) => progress.update(from + d),
          }),
        );
        base += trace.ops.length;
      }
    }
  } finally {
    progress.end();
  }
  return { file, trace, panels, samples };
}

/** Which file is what: the positional (detected) and --vmallocinfo. */
function inputsOf(
  ctx: CliContext,
  positional: string | undefined,
  v: Values,
): { trace: [string, string] | null; snapshot: [string, string] | null } {
  let trace: [string, string] | null = null;
  let snapshot: [string, string] | null = null;
  if (positional !== undefined) {
    const text = withFile(positional, () => readInput(ctx, positional));
    if (looksLikeVmallocinfo(text)) snapshot = [positional, text];
    else trace = [positional, text];
  }
  if (v.vmallocinfo !== undefined) {
    if (snapshot !== null)
      throw new UsageProblem(`'${positional!}' is already a vmallocinfo snapshot; give one`);
    const f = v.vmallocinfo;
    snapshot = [f, withFile(f, () => readInput(ctx, f))];
  }
  return { trace, snapshot };
}

/** An InputError tagged with the file it came from. */
class FileInputError extends Error {
  constructor(file: string, err: InputError) {
    super(err.line > 0 ? `${file}:${err.line}: ${err.message}` : `${file}: ${err.message}`);
  }
}

function withFile<T>(file: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof InputError) throw new FileInputError(file, err);
    throw err;
  }
}

function checkOptionUse(v: Values, hasTrace: boolean, hasSnapshot: boolean): void {
  if (!hasTrace) {
    for (const o of ['algo', 'order', 'placements'] as const) {
      if (v[o] !== undefined)
        throw new UsageProblem(`--${o} needs a trace (the file is a vmallocinfo snapshot)`);
    }
  }
  if (!hasSnapshot) {
    for (const o of ['try', 'vmalloc-start'] as const) {
      if (v[o] !== undefined) throw new UsageProblem(`--${o} needs a vmallocinfo snapshot`);
    }
  }
}

function execute(
  argv: readonly string[],
  ctx: CliContext,
  v: Values,
  positionals: string[],
): number {
  const plan = planOf(v);
  if (positionals.length > 1) throw new UsageProblem(`unexpected argument '${positionals[1]!}'`);
  if (positionals.length === 0 && v.vmallocinfo === undefined)
    throw new UsageProblem('missing the trace or vmallocinfo file');
  if (v.out !== undefined && v['no-report'] === true)
    throw new UsageProblem('--out and --no-report exclude each other');
  let report: { path: string; shown: string } | null = null;
  if (v['no-report'] !== true) {
    const shown = v.out ?? DEFAULT_REPORT;
    const check = checkReportPath(shown, ctx.cwd);
    if (!check.ok && check.usage) throw new UsageProblem(check.problem);
    if (!check.ok) throw new ReportProblem(check.problem);
    report = { path: check.path, shown };
  }
  const inputs = inputsOf(ctx, positionals[0], v);
  checkOptionUse(v, inputs.trace !== null, inputs.snapshot !== null);
  const trace =
    inputs.trace === null
      ? null
      : withFile(inputs.trace[0], () =>
          runTrace(ctx, inputs.trace![0], inputs.trace![1], plan, v.quiet === true),
        );
  const snapshot: SnapshotReplay | null =
    inputs.snapshot === null
      ? null
      : withFile(inputs.snapshot[0], () => ({
          file: inputs.snapshot![0],
          rebuild: rebuildVmallocinfo(parseVmallocinfo(inputs.snapshot![1]), {
            vmallocStart: plan.vmallocStart,
            tries: plan.tries,
          }),
        }));
  let problem: string | null = null;
  if (report !== null) {
    const model = replayReportModel(trace, snapshot, ['kmem', 'replay', ...argv].join(' '));
    problem = writeReportFile(report.path, report.shown, renderHtml(model));
  }
  const written = report !== null && problem === null ? report.shown : null;
  printResults(ctx, v, trace, snapshot, written);
  if (problem === null) return EXIT_OK;
  ctx.out.error(`kmem: ${problem}`);
  return EXIT_ERROR;
}

/** Print the replay and the snapshot (text or --json), and the report's name if written. */
function printResults(
  ctx: CliContext,
  v: Values,
  trace: TraceReplay | null,
  snapshot: SnapshotReplay | null,
  report: string | null,
): void {
  if (v.json === true) {
    const doc = {
      replay: trace === null ? null : traceReplayJson(trace),
      vmallocinfo: snapshot === null ? null : snapshotJson(snapshot),
      report,
    };
    ctx.out.print(JSON.stringify(doc, null, 2));
    return;
  }
  if (trace !== null) printTraceReplay(ctx.out, trace, v.placements === true);
  if (trace !== null && snapshot !== null) ctx.out.print('');
  if (snapshot !== null) printSnapshot(ctx.out, snapshot);
  if (report !== null) {
    ctx.out.print('');
    ctx.out.print(`report: ${report}`);
  }
}

/** The `replay` command. */
export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay an allocation trace per algorithm, or rebuild a /proc/vmallocinfo',
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<Values>(argv, OPTIONS, ctx.out, replayCommand);
    if (!parsed.ok) return parsed.code;
    try {
      return execute(argv, ctx, parsed.values, parsed.positionals);
    } catch (err) {
      if (err instanceof UsageProblem) return usageError(ctx.out, USAGE, err.message, 'replay');
      if (err instanceof FileInputError) {
        ctx.out.error(`kmem: ${printable(err.message)}`);
        return EXIT_USAGE;
      }
      if (err instanceof ReportProblem) {
        ctx.out.error(`kmem: ${printable(err.message)}`);
        return EXIT_ERROR;
      }
      ctx.out.error(errorLine(err));
      return EXIT_ERROR;
    }
  },
};
