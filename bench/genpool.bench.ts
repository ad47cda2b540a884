// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool benchmarks of bench/WORKLOADS.md — G-fill, G-steady, G-high — for three
 * implementations:
 *
 *   kmem         GenPool with its search index (the real implementation)
 *   kernel-scan  GenPool with { index: false }: the kernel's algorithms scanning the bitmap
 *                as lib/genalloc.c does (the baseline; must print the same checksums)
 *   thi.ng       @thi.ng/malloc MemPool over a 16 MiB ArrayBuffer (a peer, its own
 *                placement rule, so its own checksum)
 */

import { MemPool } from '@thi.ng/malloc';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_order_align,
  type GenPoolAlgo,
} from '../src/genalloc/algos.js';
import { GenPool } from '../src/genalloc/gen-pool.js';
import { repeat, roundNs, type BenchLine } from './harness.js';
import {
  GENPOOL_BASE,
  GENPOOL_ORDER,
  GENPOOL_SIZE,
  runGFill,
  runGSteady,
  type WorkloadTarget,
} from './workloads.js';

/** The genpool algorithms of the workloads, by their WORKLOADS.md names. */
export const ALGOS: Readonly<Record<string, GenPoolAlgo>> = {
  'first-fit': gen_pool_first_fit,
  'best-fit': gen_pool_best_fit,
  'first-fit-order-align': gen_pool_first_fit_order_align,
};

/** Allocation through a GenPool, as offsets from the chunk start. */
class GenPoolTarget implements WorkloadTarget {
  readonly pool: GenPool;
  constructor(algo: GenPoolAlgo, indexed: boolean) {
    this.pool = GenPool.create(GENPOOL_ORDER, { index: indexed });
    this.pool.addVirt(GENPOOL_BASE, GENPOOL_BASE, GENPOOL_SIZE);
    this.pool.setAlgo(algo, null);
  }
  alloc(size: number): number {
    const a = this.pool.alloc(size);
    return a === 0 ? -1 : a - GENPOOL_BASE;
  }
  free(off: number, size: number): void {
    this.pool.free(off + GENPOOL_BASE, size);
  }
}

/** Allocation through @thi.ng/malloc, as offsets from its first usable byte. */
class ThingTarget implements WorkloadTarget {
  readonly pool: MemPool;
  readonly base: number;
  constructor() {
    this.pool = new MemPool({ size: GENPOOL_SIZE + 4096, align: 32, compact: true, split: true });
    this.base = 0;
  }
  alloc(size: number): number {
    const a = this.pool.malloc(size);
    return a === 0 ? -1 : a - this.base;
  }
  free(off: number, _size: number): void {
    this.pool.free(off + this.base);
  }
}

/** A benchmark run request. */
export interface GenpoolCase {
  workload: 'G-fill' | 'G-steady' | 'G-high';
  impl: 'kmem' | 'kernel-scan' | 'thi.ng';
  algo: string;
}

/** Every genpool case, in output order. */
export function genpoolCases(): GenpoolCase[] {
  const cases: GenpoolCase[] = [];
  for (const impl of ['kmem', 'kernel-scan'] as const) {
    cases.push({ workload: 'G-fill', impl, algo: 'first-fit' });
  }
  for (const workload of ['G-steady', 'G-high'] as const) {
    for (const algo of Object.keys(ALGOS)) {
      for (const impl of ['kmem', 'kernel-scan'] as const) cases.push({ workload, impl, algo });
    }
    cases.push({ workload, impl: 'thi.ng', algo: 'first-fit' });
  }
  return cases;
}

function makeTarget(c: GenpoolCase): WorkloadTarget {
  if (c.impl === 'thi.ng') return new ThingTarget();
  return new GenPoolTarget(ALGOS[c.algo]!, c.impl === 'kmem');
}

/** Run one genpool case; `quick` shrinks it for CI (shape and agreement, not speed). */
export function runGenpoolCase(c: GenpoolCase, quick: boolean): BenchLine[] {
  const slow = c.impl !== 'kmem'; // baselines and peers take microseconds per op: one run
  const reps = quick ? 1 : slow ? 1 : 5;
  const warmup = quick || slow ? 0 : 1;
  const scale = quick ? 1 / 16 : 1;
  const algoField = c.impl === 'thi.ng' ? {} : { algo: c.algo };
  if (c.workload === 'G-fill') {
    const alloc = repeat(
      () => runGFill(makeTarget(c), scale),
      reps,
      warmup,
      (r) => r.ns / r.ops,
    );
    const free = repeat(
      () => runGFill(makeTarget(c), scale),
      reps,
      warmup,
      (r) => r.freeNs / r.freeOps,
    );
    const r = alloc.result;
    return [
      line(c, r.ops, alloc.timing.min, r.failed, r.checksum, {
        ...algoField,
        phase: 'alloc',
        median_ns: roundNs(alloc.timing.median),
      }),
      line(c, r.freeOps, free.timing.min, 0, r.checksum, {
        ...algoField,
        phase: 'free',
        median_ns: roundNs(free.timing.median),
      }),
    ];
  }
  const cap = c.workload === 'G-steady' ? 2048 : 7000;
  const steps = quick ? 50_000 : 1_000_000;
  const { result, timing } = repeat(
    () => runGSteady(makeTarget(c), cap, steps),
    reps,
    warmup,
    (r) => r.ns / r.ops,
  );
  return [
    line(c, result.ops, timing.min, result.failed, result.checksum, {
      ...algoField,
      median_ns: roundNs(timing.median),
    }),
  ];
}

function line(
  c: GenpoolCase,
  ops: number,
  nsPerOp: number,
  failed: number,
  checksum: number,
  extra: Record<string, string | number>,
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
