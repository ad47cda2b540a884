// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem test-vmalloc [param=value ...]`: load lib/test_vmalloc.c's module (the port in
 * src/kmods/test-vmalloc.ts) on a fresh simulated machine with module parameters written
 * as modprobe takes them, and print what the kernel logs during the run: the allocator's
 * warnings of the cases that provoke them, a "Summary:" line per worker and enabled case,
 * and "All test took worker<i>=<n> cycles". --json gives the per-case results. --seed
 * seeds the module's random numbers (testVmalloc's `seed`).
 *
 * Kernel: lib/test_vmalloc.c (module_param: nr_threads, test_loop_count,
 * test_repeat_count, run_test_mask, sequential_test_order, nr_pages, use_huge) and the
 * parsing of kernel/params.c (param_set_int, param_set_ulong, param_set_bool: kstrtoint
 * base 0, kstrtoul base 0, kstrtobool).
 *
 * DEVIATION: the kernel ignores an unknown parameter with a warning and loads the module
 * anyway; here an unknown name, like a bad value, is a usage error (exit 2). The module's
 * init returns -EAGAIN by design; the exit code is 1 when a run of a case failed (an
 * expected failure, align_shift_alloc_test's, counts as xfailed and does not).
 */

import { WORKLOAD_SEED } from '../../base/rng.js';
import { TWO_POW_32 } from '../../base/units.js';
import {
  initTestConfiguration,
  TEST_CASE_ARRAY,
  testVmalloc,
  type TestVmallocParams,
  type TestVmallocResult,
} from '../../kmods/test-vmalloc.js';
import { Machine } from '../../machine/machine.js';
import {
  COMMON_OPTIONS,
  EXIT_ERROR,
  EXIT_OK,
  errorLine,
  parseCommandArgs,
  usageError,
} from '../args.js';
import type { Command, CliContext } from '../command.js';
import { Progress } from '../progress.js';
import { seedOption } from '../scenario/command-support.js';

const USAGE =
  'usage: kmem test-vmalloc [param=value ...] [--cpus <n>] [--memory <size>] [--seed N] [--json] [--quiet]';

const HELP = `${USAGE}

Load lib/test_vmalloc.c's module on a fresh simulated machine and print the kernel log of
the run: each case's allocator warnings, a Summary line per worker and enabled case, and
the cycle count per worker. Takes long with the default 1,000,000 loops (progress bar on
stderr).

Module parameters (as modprobe takes them; numbers in decimal, 0x hex or 0 octal):
  nr_threads=<int>             workers, clamped to 1..65535 (default 0: one)
  test_loop_count=<int>        loops of one run of a case (default 1000000)
  test_repeat_count=<int>      runs of each case per worker (default 1)
  run_test_mask=<ulong>        bit i enables case i (default 7: cases 0-2)
  sequential_test_order=<bool> run the cases in id order, not shuffled (default n)
  nr_pages=<int>               pages of the fix_size and vm_map_ram cases (default 0: one)
  use_huge=<bool>              vmalloc_huge in fix_size_alloc_test (not modelled; default n)
A bool is y/n, 1/0, on/off, or the bare name for y.

Cases (run_test_mask bits):
${TEST_CASE_ARRAY.map((d, i) => `  ${String(i).padStart(2)}  0x${(1 << i).toString(16).padEnd(3)}  ${d.test_name}${d.xfail ? ' (expected to fail)' : ''}`).join('\n')}

Options:
  --cpus <n>       online CPUs of the machine; worker i runs on CPU i % n (default 1)
  --memory <size>  its RAM, as 512M or 4G (default 2G)
  --seed N         seed of the module's random numbers (get_random_u32 and friends):
                   the shuffled case order (--json's "order") and the random sizes and
                   alignments, 1..4294967295 (default ${WORKLOAD_SEED}); the same seed
                   gives the same results, timings aside. The Summary lines are printed
                   in case order whatever the seed.
  --json           print the configuration and each worker's per-case results
  -q, --quiet      no progress bar
  -h, --help       print this help and exit

Exit status: 0 when no run of a case failed, 1 when one did, 2 for a bad parameter.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  cpus: { type: 'string' },
  memory: { type: 'string' },
  seed: { type: 'string' },
} as const;

interface Values {
  help?: boolean;
  json?: boolean;
  quiet?: boolean;
  cpus?: string;
  memory?: string;
  seed?: string;
}

/** The type of each module parameter, as its module_param declares it. */
const PARAM_TYPES = {
  nr_threads: 'int',
  test_loop_count: 'int',
  test_repeat_count: 'int',
  run_test_mask: 'ulong',
  sequential_test_order: 'bool',
  nr_pages: 'int',
  use_huge: 'bool',
} as const;

type ParamName = keyof typeof PARAM_TYPES;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The `test-vmalloc` command. */
export const testVmallocCommand: Command = {
  name: 'test-vmalloc',
  summary: "lib/test_vmalloc.c's module, with its parameters",
  help: HELP,
  run(argv: readonly string[], ctx: CliContext): number {
    const parsed = parseCommandArgs<Values>(argv, OPTIONS, ctx.out, testVmallocCommand);
    if (!parsed.ok) return parsed.code;
    const params = parseModuleParams(parsed.positionals);
    if (typeof params === 'string') return usageError(ctx.out, USAGE, params, 'test-vmalloc');
    const seedArg = seedOption(parsed.values.seed, ctx.out, USAGE, 'test-vmalloc');
    if ('code' in seedArg) return seedArg.code;
    const seed = seedArg.seed ?? WORKLOAD_SEED;
    const machine = makeMachine(parsed.values);
    if (typeof machine === 'string') return usageError(ctx.out, USAGE, machine, 'test-vmalloc');
    try {
      const logStart = machine.dmesg().length;
      const r = runWithProgress(machine, { ...params, seed }, ctx, parsed.values.quiet === true);
      const log = machine.dmesg().slice(logStart);
      if (parsed.values.json === true)
        ctx.out.print(JSON.stringify(resultJson(r, seed, log), null, 2));
      else for (const line of log) ctx.out.print(line);
      const failed = r.workers.reduce(
        (n, w) => n + w.data.reduce((f, d) => f + d.test_failed, 0),
        0,
      );
      if (failed === 0) return EXIT_OK;
      ctx.out.error(`kmem: test-vmalloc: ${failed} failed run${failed === 1 ? '' : 's'} of a case`);
      return EXIT_ERROR;
    } catch (err) {
      ctx.out.error(errorLine(err));
      return EXIT_ERROR;
    }
  },
};

/**
 * Parse `name=value` module parameters (a bare name sets a bool parameter to y).
 * @returns the parameters, or the problem as one line (unknown name, bad value).
 */
export function parseModuleParams(args: readonly string[]): TestVmallocParams | string {
  const params: Mutable<TestVmallocParams> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!Object.hasOwn(PARAM_TYPES, name)) {
      return `unknown parameter '${name}' (known: ${Object.keys(PARAM_TYPES).join(', ')})`;
    }
    const type = PARAM_TYPES[name as ParamName];
    const value = eq < 0 ? (type === 'bool' ? 'y' : null) : arg.slice(eq + 1);
    const parsed = value === null ? null : parseParamValue(type, value);
    if (parsed === null) {
      return value === null
        ? `parameter '${name}' needs a value (${name}=<${type}>)`
        : `invalid value '${value}' for parameter '${name}' (${type})`;
    }
    (params as Record<string, number | boolean>)[name] = parsed;
  }
  return params;
}

/**
 * One parameter value as kernel/params.c parses it: an int or ulong with kstrto*'s base 0
 * (0x hex, leading 0 octal, else decimal; one trailing newline allowed; ulong takes no
 * sign, and only its low 32 bits matter to the mask), a bool with kstrtobool.
 * @returns the value, or null when the kernel would reject it (-EINVAL or -ERANGE).
 */
export function parseParamValue(
  type: 'int' | 'ulong' | 'bool',
  text: string,
): number | boolean | null {
  const s = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (type === 'bool') {
    if (/^[yY1]/.test(s) || /^o[nN]/i.test(s)) return true;
    if (/^[nN0]/.test(s) || /^of[fF]/i.test(s)) return false;
    return null;
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (m === null || (type === 'ulong' && m[1] === '-')) return null;
  const digits = m[2]!;
  const magnitude = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  if (type === 'ulong') {
    if (magnitude >= 1n << 64n) return null;
    return Number(magnitude % BigInt(TWO_POW_32));
  }
  const v = m[1] === '-' ? -magnitude : magnitude;
  return v < -(1n << 31n) || v >= 1n << 31n ? null : Number(v);
}

/**
 * The machine of the run: --cpus online CPUs (default 1) and --memory RAM (default 2G).
 * @returns the machine, or the problem as one line when an option is out of range.
 */
function makeMachine(v: Values): Machine | string {
  const cpus = v.cpus === undefined ? 1 : Number(v.cpus);
  if (!Number.isInteger(cpus) || cpus < 1)
    return `--cpus takes a positive integer, not '${v.cpus}'`;
  try {
    return new Machine({ memory: v.memory ?? '2G', cpus });
  } catch (err) {
    return `bad machine (--cpus ${cpus} --memory ${v.memory ?? '2G'}): ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Run the module with a microsecond clock, drawing the progress bar: the module reads the
 * clock before and after each case of each worker, and its loops that free memory let the
 * kernel's kworkers run (m.runPendingWork) once per loop, which the bar counts.
 * @returns the module's result; errors of the run propagate.
 */
function runWithProgress(
  m: Machine,
  params: TestVmallocParams & { readonly seed: number },
  ctx: CliContext,
  quiet: boolean,
): TestVmallocResult {
  const clockUs = (): number => performance.now() * 1000;
  const p = { ...params, now: clockUs, cycles: () => clockUs() * 1000 };
  if (quiet || ctx.writeProgress === null || !ctx.stderrIsTTY) return testVmalloc(m, p);
  const cfg = initTestConfiguration(params);
  let nrCases = 0;
  for (let i = 0; i < TEST_CASE_ARRAY.length; i++) {
    if ((cfg.run_test_mask & (1 << i)) !== 0) nrCases++;
  }
  const perCase = cfg.test_loop_count * cfg.test_repeat_count;
  const total = cfg.nr_threads * nrCases * perCase;
  const progress = new Progress(ctx, 'test_vmalloc', total, quiet);
  let clockReads = 0;
  let loops = 0;
  const drain = m.runPendingWork.bind(m);
  m.runPendingWork = (): number => {
    loops++;
    if ((loops & 255) === 0) {
      progress.update((clockReads >> 1) * perCase + Math.min(loops, perCase - 1));
    }
    return drain();
  };
  const now = (): number => {
    if ((clockReads++ & 1) === 1) loops = 0; // the end of a case: the next one starts afresh
    return clockUs();
  };
  try {
    return testVmalloc(m, { ...p, now });
  } finally {
    m.runPendingWork = drain;
    progress.end();
  }
}

/** The --json document: the configuration, each worker's enabled cases, the log. */
function resultJson(r: TestVmallocResult, seed: number, log: readonly string[]): object {
  const mask = r.config.run_test_mask;
  return {
    module: 'test_vmalloc',
    ret: r.ret,
    seed,
    config: r.config,
    workers: r.workers.map((w) => ({
      worker: w.worker,
      cpu: w.cpu,
      order: w.order
        .filter((id) => (mask & (1 << id)) !== 0)
        .map((id) => TEST_CASE_ARRAY[id]!.test_name),
      cycles: Math.round(w.stop - w.start),
      cases: w.data
        .filter((_, id) => (mask & (1 << id)) !== 0)
        .map((d) => ({
          test_name: d.test_name,
          passed: d.test_passed,
          failed: d.test_failed,
          xfailed: d.test_xfailed,
          avg_usec: d.time,
        })),
    })),
    log,
  };
}
