// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark harness: runs one workload several times on fresh state, keeps the fastest and
 * the median, and prints the JSON line of bench/WORKLOADS.md.
 *
 * Timing habits (flatbush's): a gc() first when node runs with --expose-gc (not between
 * runs: measured here, it slows the run after it by half), a warm-up run, REPS timed runs, and one process per (workload, implementation) pair so JIT
 * state does not leak between implementations (run.ts spawns them).
 */

import type { WorkloadResult } from './workloads.js';

/** One JSON line of the benchmark output. */
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

/** Run `once` `reps` times after `warmup` untimed runs; return the last result and ns/op stats. */
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

/** Round a nanosecond figure for printing (one decimal below 100, whole above). */
export function roundNs(ns: number): number {
  return ns < 100 ? Math.round(ns * 10) / 10 : Math.round(ns);
}
