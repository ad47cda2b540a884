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
 *
 * Kernel: mm/dmapool.c and mm/dmapool_test.c, through src/linux and src/kmods.
 */

import { Machine } from '../../machine/machine.js';
import '../../linux/kernel.js';
import type { DmaPool } from '../../dmapool/dma-pool.js';
import { dmapoolTest, NR_TESTS, POOL_PARMS, type DmapoolParms } from '../../kmods/dmapool-test.js';
import { PAGE_OFFSET } from '../../machine/layout.js';
import { benchLine, repeat, roundNs, type BenchLine, type Timing } from './harness.js';
import { runLiveSet, type WorkloadResult, type WorkloadTarget } from './workloads.js';

/** PAGE_OFFSET as a module-local const (V8 folds it; an imported binding is reloaded per use). */
const DIRECT_MAP = PAGE_OFFSET;

/** A dmapool benchmark run request. */
export interface DmapoolCase {
  readonly workload: string;
  readonly impl: 'kmem';
}

/**
 * The dmapool cases, in output order: the D-test rows, then D-churn.
 * @returns the cases; no failure value.
 */
export function dmapoolCases(): DmapoolCase[] {
  const cases: DmapoolCase[] = [];
  for (let i = 0; i < POOL_PARMS.length; i++) {
    cases.push({ workload: dTestName(POOL_PARMS[i]!), impl: 'kmem' });
  }
  cases.push({ workload: 'D-churn', impl: 'kmem' });
  return cases;
}

/** Allocation through a dmapool, as the block's physical address (its bus address). */
class DmaPoolTarget implements WorkloadTarget {
  readonly m: Machine;
  /** The kernel API, read once (machine.kernel is a lookup). */
  readonly k: Machine['kernel'];
  readonly pool: DmaPool;
  readonly #handle = { value: 0 };
  readonly #gfp: number;
  constructor() {
    this.m = new Machine({ memory: '1G' });
    const k = this.m.kernel;
    this.k = k;
    const dev = this.m.createDevice('churn', { dmaMask: -1 });
    this.pool = k.dma_pool_create('churn', dev, 64, 64, 4096)!;
    this.#gfp = k.GFP_KERNEL;
  }
  alloc(): number {
    const v = this.k.dma_pool_alloc(this.pool, this.#gfp, this.#handle);
    return v === 0 ? -1 : this.#handle.value;
  }
  free(off: number): void {
    this.k.dma_pool_free(this.pool, off + DIRECT_MAP, off);
  }
}

/**
 * Run one dmapool case; `quick` shrinks it for CI.
 * @returns its JSON line; throws an Error for an unknown workload or a failed module run.
 */
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
  const shape = { blocks: 0, pages: 0 };
  const { timing } = repeat(
    () => dTestOnce(row, nrTests, shape),
    reps,
    warmup,
    (r) => r.ns / r.ops,
  );
  return [line(c, nrTests * shape.blocks, timing, 0, 0, shape)];
}

/** One run of a dmapool_test row on a fresh machine; records its blocks and pages. */
function dTestOnce(
  row: DmapoolParms,
  nrTests: number,
  shape: { blocks: number; pages: number },
): WorkloadResult {
  const m = new Machine({ memory: '1G' });
  const { rows, ret } = dmapoolTest(m, {
    clock: () => performance.now(),
    nrTests,
    parms: [row],
  });
  if (ret !== 0) throw new Error(`dmapool_test failed with ${ret}`);
  const r = rows[0]!;
  shape.blocks = r.blocks;
  shape.pages = r.pages;
  return {
    ops: nrTests * r.blocks,
    failed: 0,
    checksum: 0,
    ns: r.us * 1000,
    freeOps: 0,
    freeNs: 0,
  };
}

/**
 * The WORKLOADS.md name of a dmapool_test row.
 * @returns `D-test size=<size> align=<align> boundary=<boundary>`; no failure value.
 */
export function dTestName(p: DmapoolParms): string {
  return `D-test size=${p.size} align=${p.align} boundary=${p.boundary}`;
}

/** One JSON line: the fastest run as ns_per_op, the median beside it. */
function line(
  c: DmapoolCase,
  ops: number,
  timing: Timing,
  failed: number,
  checksum: number,
  extra: Readonly<Record<string, number>>,
): BenchLine {
  return benchLine(c, ops, timing.min, failed, checksum, {
    median_ns: roundNs(timing.median),
    ...extra,
  });
}
