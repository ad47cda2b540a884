// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark harness: runs one workload several times on fresh state, keeps the fastest and
 * the median, and builds the JSON line of bench/WORKLOADS.md.
 *
 * Kernel: none (kmem's benchmarks; the workloads exercise lib/genalloc.c, mm/dmapool.c and
 * mm/vmalloc.c as ported).
 *
 * Timing habits (flatbush's): a gc() first when node runs with --expose-gc (not between
 * runs: measured here, it slows the run after it by half), a warm-up run, `reps` timed
 * runs, and one process per (workload, implementation) pair so JIT state does not leak
 * between implementations (runner.ts spawns them).
 */

import type { WorkloadResult } from './workloads.js';

/** One JSON line of the benchmark output (bench/WORKLOADS.md). */
export interface BenchLine {
  workload: string;
  impl: string;
  ops: number;
  ns_per_op: number;
  failed: number;
  checksum: number;
  [extra: string]: string | number;
}

/** Statistics of repeated runs. */
export interface Timing {
  min: number;
  median: number;
  runs: number;
}

declare const gc: (() => void) | undefined;

/**
 * Run `once` `reps` times after `warmup` untimed runs.
 * @returns the last result and the ns/op statistics (`nsOf` of each timed run); there is
 *   no failure value (errors of `once` propagate).
 */
export function repeat(
  once: () => WorkloadResult,
  reps: number,
  warmup: number,
  nsOf: (r: WorkloadResult) => number,
): { result: WorkloadResult; timing: Timing } {
  if (typeof gc === 'function') gc(); // once: a gc() before every run costs the next run
  for (let i = 0; i < warmup; i++) once();
  const samples: number[] = [];
  let result: WorkloadResult | null = null;
  for (let i = 0; i < reps; i++) {
    result = once();
    samples.push(nsOf(result));
  }
  samples.sort((a, b) => a - b);
  return {
    result: result!,
    timing: { min: samples[0]!, median: samples[Math.floor(samples.length / 2)]!, runs: reps },
  };
}

/**
 * Round a nanosecond figure for printing.
 * @returns one decimal below 100, a whole number above; no failure value.
 */
export function roundNs(ns: number): number {
  return ns < 100 ? Math.round(ns * 10) / 10 : Math.round(ns);
}

/**
 * The common head of a JSON line: the six fields of WORKLOADS.md in their order, then
 * `extra` (algo, phase, layout, median_ns, ...) in its own order.
 * @returns the line; no failure value.
 */
export function benchLine(
  c: { readonly workload: string; readonly impl: string },
  ops: number,
  nsPerOp: number,
  failed: number,
  checksum: number,
  extra: Readonly<Record<string, string | number>>,
): BenchLine {
  return {
    workload: c.workload,
    impl: c.impl,
    ops,
    ns_per_op: roundNs(nsPerOp),
    failed,
    checksum,
    ...extra,
  };
}
