// SPDX-License-Identifier: GPL-2.0-only
/*
 * The end-to-end vmalloc benchmark of bench/WORKLOADS.md: the kernel's lib/test_vmalloc.c
 * cases of its default run_test_mask (7), ported in src/kmods/test-vmalloc.ts and run with
 * the module's own parameters — one worker, the default test_loop_count of 1,000,000, the
 * cases in id order (test_vmalloc.sh "performance" also sets sequential_test_order=1):
 *
 *   test_vmalloc fix_size_alloc_test         vmalloc(1 page), write a byte, vfree
 *   test_vmalloc full_fit_alloc_test         the same into exact-fit holes
 *   test_vmalloc long_busy_list_alloc_test   100-page + 1-page with 15,000 busy areas
 *
 * One JSON line per case: ops = loops, ns_per_op = the module's "avg" (µs of one run of
 * test_loop_count loops, setup included, as the kernel measures it) × 1000 / loops,
 * failed = failed runs, checksum 0 (placements depend on the page allocator). The kernel's
 * own figures on 5.2-rc6 (KERNEL-SPEC §3.19): about 0.97, 0.99 and 12.9 µs per loop.
 *
 * Each run uses a fresh machine (2 GiB, one CPU, as the kernel's single-worker run), so a
 * case can also run in a process of its own. Warm-up runs of the same cases come first,
 * three of 7,000 loops (700 with --quick), each on a throwaway machine: the module itself,
 * like the kernel's, times one cold run, and without them V8's tiering would add ~0.15 µs
 * to every one of the million fix_size loops. Three machines rather than one: the kernel
 * API's functions are closures of their machine, so code optimised against one machine
 * deoptimises ("wrong call target") when the next machine's run starts, and recompiles
 * during the timed run; after three machines the call sites are machine-agnostic and
 * the timed run starts on settled code (--trace-deopt: 11 to 16 deopts in the timed run
 * with one warm-up machine, 0 to 1 with three, on each case).
 *
 * Kernel: lib/test_vmalloc.c, through src/kmods/test-vmalloc.ts.
 */

import { Machine } from '../../machine/machine.js';
import '../../linux/kernel.js';
import { TEST_CASE_ARRAY, testVmalloc, type TestVmallocResult } from '../../kmods/test-vmalloc.js';
import type { BenchLine } from './harness.js';

/** The case ids of run_test_mask 7. */
const MASK_7_CASES: readonly number[] = [0, 1, 2];

/** test_loop_count of a --quick run (test_vmalloc.sh "smoke" uses 10,000 too). */
const QUICK_LOOPS = 10000;

/** A test_vmalloc benchmark run request. */
export interface TestVmallocCase {
  readonly workload: string;
  readonly impl: 'kmem';
}

/**
 * The benchmark cases ('test_vmalloc <test_name>'), in output order.
 * @returns the cases; no failure value.
 */
export function testVmallocCases(): TestVmallocCase[] {
  const out: TestVmallocCase[] = [];
  for (let i = 0; i < MASK_7_CASES.length; i++) {
    out.push({ workload: workloadName(MASK_7_CASES[i]!), impl: 'kmem' });
  }
  return out;
}

/**
 * Run one case: a fresh machine and the module with run_test_mask = that case's bit.
 * @param quick - 10,000 loops instead of the module's default 1,000,000 (CI).
 * @returns its JSON line; throws an Error for a workload name that is not one of
 *   {@link testVmallocCases}.
 */
export function runTestVmallocCase(c: TestVmallocCase, quick = false): BenchLine[] {
  const id = MASK_7_CASES.find((i) => workloadName(i) === c.workload);
  if (id === undefined) throw new Error(`unknown test_vmalloc workload ${c.workload}`);
  return [runMask(1 << id, quick)[0]!];
}

/**
 * Run the module once with run_test_mask 7 (fix_size, full_fit, long_busy_list), one
 * worker, the cases in id order, on one fresh machine.
 * @param quick - 10,000 loops instead of the module's default 1,000,000 (CI).
 * @returns one JSON line per case; no failure value (failed runs are counted in them).
 */
export function runTestVmallocBench(quick = false): BenchLine[] {
  return runMask(7, quick);
}

/** Warm-up runs before the timed one, each on a throwaway machine (only the JIT carries over). */
const WARMUP_RUNS = 3;
/** Loops of each warm-up run. */
const WARMUP_LOOPS = 7000;

function runModule(mask: number, loops: number | undefined): TestVmallocResult {
  const m = new Machine({ memory: '2G', cpus: 1 });
  return testVmalloc(m, {
    now: () => performance.now() * 1000,
    nr_threads: 1,
    sequential_test_order: true,
    run_test_mask: mask,
    ...(loops === undefined ? {} : { test_loop_count: loops }),
  });
}

function runMask(mask: number, quick: boolean): BenchLine[] {
  for (let i = 0; i < WARMUP_RUNS; i++) runModule(mask, quick ? WARMUP_LOOPS / 10 : WARMUP_LOOPS);
  const r = runModule(mask, quick ? QUICK_LOOPS : undefined);
  const loops = r.config.test_loop_count;
  const w = r.workers[0]!;
  const out: BenchLine[] = [];
  for (let id = 0; id < TEST_CASE_ARRAY.length; id++) {
    if ((mask & (1 << id)) === 0) continue;
    const d = w.data[id]!;
    out.push({
      workload: workloadName(id),
      impl: 'kmem',
      ops: loops,
      ns_per_op: Math.round(((d.time * 1000) / loops) * 10) / 10,
      failed: d.test_failed,
      checksum: 0,
      avg_usec: d.time,
    });
  }
  return out;
}

function workloadName(id: number): string {
  return `test_vmalloc ${TEST_CASE_ARRAY[id]!.test_name}`;
}
