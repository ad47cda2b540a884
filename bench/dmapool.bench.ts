// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dmapool benchmarks of bench/WORKLOADS.md:
 *
 *   D-test size=S align=A boundary=B   mm/dmapool_test.c's rows, run by the port in
 *                                      src/kmods/dmapool-test.ts (NR_TESTS iterations of
 *                                      allocate-all/free-all); ns per alloc+free pair
 *   D-churn                            size 64, align 64, boundary 4096; 1,000,000 steps
 *                                      of the live-set rule with K = 8192; ns per op
 *
 * Both run through the kernel API (machine.kernel), with blocks carved in simulated
 * memory. D-churn's checksum is the sum of the blocks' bus addresses modulo 2^32 (a
 * kmem-only figure: the kernel's addresses depend on its page allocator).
 */

import { Machine } from '../src/machine/machine.js';
import '../src/linux/kernel.js';
import type { DmaPool } from '../src/dmapool/dma-pool.js';
import { dmapoolTest, NR_TESTS, POOL_PARMS, type DmapoolParms } from '../src/kmods/dmapool-test.js';
import { repeat, roundNs, type BenchLine, type Timing } from './harness.js';
import { runLiveSet, type WorkloadTarget } from './workloads.js';
import { PAGE_OFFSET } from '../src/machine/layout.js';

/** A dmapool benchmark run request. */
export interface DmapoolCase {
  workload: string;
  impl: 'kmem';
}

/** The dmapool cases, in output order. */
export function dmapoolCases(): DmapoolCase[] {
  const cases: DmapoolCase[] = [];
  for (let i = 0; i < POOL_PARMS.length; i++) {
    const p = POOL_PARMS[i]!;
    cases.push({
      workload: dTestName(p),
      impl: 'kmem',
    });
  }
  cases.push({ workload: 'D-churn', impl: 'kmem' });
  return cases;
}

/** Allocation through a dmapool, as the block's physical address (its bus address). */
class DmaPoolTarget implements WorkloadTarget {
  readonly m: Machine;
  readonly pool: DmaPool;
  readonly #handle = { value: 0 };
  readonly #gfp: number;
  constructor() {
    this.m = new Machine({ memory: '1G' });
    const k = this.m.kernel;
    const dev = this.m.createDevice('churn', { dmaMask: -1 });
    this.pool = k.dma_pool_create('churn', dev, 64, 64, 4096)!;
    this.#gfp = k.GFP_KERNEL;
  }
  alloc(): number {
    const v = this.m.kernel.dma_pool_alloc(this.pool, this.#gfp, this.#handle);
    return v === 0 ? -1 : this.#handle.value;
  }
  free(off: number): void {
    this.m.kernel.dma_pool_free(this.pool, off + PAGE_OFFSET, off);
  }
}

/** Run one dmapool case; `quick` shrinks it for CI. */
export function runDmapoolCase(c: DmapoolCase, quick: boolean): BenchLine[] {
  const reps = quick ? 1 : 5;
  const warmup = quick ? 0 : 1;
  if (c.workload === 'D-churn') {
    const steps = quick ? 50_000 : 1_000_000;
    const { result, timing } = repeat(
      () => runLiveSet(new DmaPoolTarget(), 8192, steps, () => 64),
      reps,
      warmup,
      (r) => r.ns / r.ops,
    );
    return [line(c, result.ops, timing, result.failed, result.checksum, {})];
  }
  const row = POOL_PARMS.find((p) => c.workload === dTestName(p));
  if (row === undefined) throw new Error(`unknown dmapool workload ${c.workload}`);
  const nrTests = quick ? 5 : NR_TESTS;
  let blocks = 0;
  let pages = 0;
  const { timing } = repeat(
    () => {
      const m = new Machine({ memory: '1G' });
      const { rows, ret } = dmapoolTest(m, {
        clock: () => performance.now(),
        nrTests,
        parms: [row],
      });
      if (ret !== 0) throw new Error(`dmapool_test failed with ${ret}`);
      const r = rows[0]!;
      blocks = r.blocks;
      pages = r.pages;
      return {
        ops: nrTests * r.blocks,
        failed: 0,
        checksum: 0,
        ns: r.us * 1000,
        freeOps: 0,
        freeNs: 0,
      };
    },
    reps,
    warmup,
    (r) => r.ns / r.ops,
  );
  return [line(c, nrTests * blocks, timing, 0, 0, { blocks, pages })];
}

/** The WORKLOADS.md name of a dmapool_test row. */
function dTestName(p: DmapoolParms): string {
  return `D-test size=${p.size} align=${p.align} boundary=${p.boundary}`;
}

/** One JSON line: the fastest run as ns_per_op, the median beside it. */
function line(
  c: DmapoolCase,
  ops: number,
  timing: Timing,
  failed: number,
  checksum: number,
  extra: Record<string, number>,
): BenchLine {
  return {
    workload: c.workload,
    impl: c.impl,
    ops,
    ns_per_op: roundNs(timing.min),
    failed,
    checksum,
    median_ns: roundNs(timing.median),
    ...extra,
  };
}
