// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool benchmarks of bench/WORKLOADS.md — G-fill, G-steady, G-high — for kmem's two
 * implementations (peers such as @thi.ng/malloc plug in a target of their own from bench/):
 *
 *   kmem         GenPool with its search index (the real implementation)
 *   kernel-scan  GenPool with { index: false }: the kernel's algorithms scanning the bitmap
 *                as lib/genalloc.c does (the baseline; must print the same checksums)
 *
 * Kernel: lib/genalloc.c (gen_pool_alloc_algo_owner, gen_pool_free_owner and the three
 * algorithms), through src/genalloc.
 */

import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_order_align,
  type GenPoolAlgo,
} from '../../genalloc/algos.js';
import { GenPool } from '../../genalloc/gen-pool.js';
import { benchLine, repeat, roundNs, type BenchLine } from './harness.js';
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

/** The genpool workloads. */
export type GenpoolWorkload = 'G-fill' | 'G-steady' | 'G-high';

/** A genpool benchmark run request. */
export interface GenpoolCase {
  readonly workload: GenpoolWorkload;
  /** 'kmem', 'kernel-scan', or a peer's name (its lines carry no algo). */
  readonly impl: string;
  /** A key of {@link ALGOS}; absent for a peer with its own placement rule. */
  readonly algo?: string;
}

/**
 * Every genpool case, in output order: per workload and algorithm kmem then kernel-scan,
 * and after each of G-steady and G-high one case per name in `peers`.
 * @returns the cases; no failure value.
 */
export function genpoolCases(peers: readonly string[] = []): GenpoolCase[] {
  const cases: GenpoolCase[] = [];
  for (const impl of ['kmem', 'kernel-scan']) {
    cases.push({ workload: 'G-fill', impl, algo: 'first-fit' });
  }
  for (const workload of ['G-steady', 'G-high'] as const) {
    for (const algo of Object.keys(ALGOS)) {
      for (const impl of ['kmem', 'kernel-scan']) cases.push({ workload, impl, algo });
    }
    for (const impl of peers) cases.push({ workload, impl });
  }
  return cases;
}

/**
 * A fresh GenPool for a kmem or kernel-scan case.
 * @returns the target; throws an Error for an unknown algorithm.
 */
export function genPoolTarget(c: GenpoolCase): WorkloadTarget {
  const algo = ALGOS[c.algo ?? ''];
  if (algo === undefined) throw new Error(`unknown genpool algorithm ${String(c.algo)}`);
  return new GenPoolTarget(algo, c.impl === 'kmem');
}

/**
 * Run one genpool case on fresh targets from `makeTarget`; `quick` shrinks it for CI
 * (shape and agreement, not speed).
 * @returns its JSON lines (G-fill: alloc then free); errors of the target propagate.
 */
export function runGenpoolCase(
  c: GenpoolCase,
  quick: boolean,
  makeTarget: (c: GenpoolCase) => WorkloadTarget = genPoolTarget,
): BenchLine[] {
  const slow = c.impl !== 'kmem'; // baselines and peers take microseconds per op: one run
  const reps = quick ? 1 : slow ? 1 : 5;
  const warmup = quick || slow ? 0 : 1;
  const algoField = c.algo === undefined ? {} : { algo: c.algo };
  if (c.workload === 'G-fill') {
    const scale = quick ? 1 / 16 : 1;
    const fill = (): ReturnType<typeof runGFill> => runGFill(makeTarget(c), scale);
    const alloc = repeat(fill, reps, warmup, (r) => r.ns / r.ops);
    const free = repeat(fill, reps, warmup, (r) => r.freeNs / r.freeOps);
    const r = alloc.result;
    return [
      benchLine(c, r.ops, alloc.timing.min, r.failed, r.checksum, {
        ...algoField,
        phase: 'alloc',
        median_ns: roundNs(alloc.timing.median),
      }),
      benchLine(c, r.freeOps, free.timing.min, 0, r.checksum, {
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
    benchLine(c, result.ops, timing.min, result.failed, result.checksum, {
      ...algoField,
      median_ns: roundNs(timing.median),
    }),
  ];
}
