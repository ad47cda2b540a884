// SPDX-License-Identifier: GPL-2.0-only
/*
 * V-steady and V-align of bench/WORKLOADS.md: the vmap-area allocator alone (VaSpace), one
 * guard page after every area, immediate frees (free_vmap_area), over the x86-64 vmalloc
 * range, starting either from the whole address space (vmalloc_init, layout "whole") or
 * the range alone (layout "range").
 *
 * Each allocation is alloc_vmap_area's address-space work: __alloc_vmap_area (allocRange)
 * then the insertion into the busy tree (insertBusy); each free is free_vmap_area's:
 * the busy lookup by address (findBusy), the unlink and the merge into the free tree
 * (freeNow).
 *
 * Kernel: mm/vmalloc.c alloc_vmap_area/__alloc_vmap_area and free_vmap_area.
 */

import { WORKLOAD_SEED } from '../../base/rng.js';
import { TWO_POW_32 } from '../../base/units.js';
import { VaSpace } from '../../vmalloc/va-space.js';
import { benchLine, repeat, roundNs, type BenchLine } from './harness.js';
import type { WorkloadResult } from './workloads.js';

/** The start of the x86-64 vmalloc range as a 48-bit number (VMALLOC_START). */
export const VMAP_START = 0xc90000000000;
/** The end of the range: VMAP_START + 32 TiB. */
export const VMAP_END = VMAP_START + 32 * 2 ** 40;
const PAGE = 4096;
/** Live-set cap of both workloads. */
const K = 10000;

/**
 * One run of V-steady (align false) or V-align (align true), `whole` or range layout.
 * @returns the counts, checksum and time; a failed allocation counts in `failed`.
 */
export function runVmap(
  align: boolean,
  steps: number,
  whole: boolean,
  crossCheck = false,
): WorkloadResult {
  const space = whole
    ? new VaSpace({ capacity: 32768 })
    : new VaSpace({ lo: VMAP_START, hi: VMAP_END, capacity: 32768 });
  space.crossCheck = crossCheck;
  const addrs = new Float64Array(K);
  let x = WORKLOAD_SEED | 0; // xorshift32 state, inlined (same sequence as XorShift32)
  let n = 0;
  let failed = 0;
  let checksum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    if (n === 0 || (n < K && (r & 3) !== 0)) {
      // size includes the guard page; alignment PAGE_SIZE, or 4096 << ((r >>> 10) % 8)
      const size = PAGE * (1 + ((r >>> 2) & 63)) + PAGE;
      const a = align ? PAGE << ((r >>> 10) & 7) : PAGE;
      const addr = space.allocRange(size, a, VMAP_START, VMAP_END);
      if (addr < 0) {
        failed++;
        continue;
      }
      space.insertBusy(addr, size, 0);
      addrs[n++] = addr;
      const sum = checksum + (addr - VMAP_START);
      checksum = sum >= TWO_POW_32 ? sum - Math.floor(sum / TWO_POW_32) * TWO_POW_32 : sum;
    } else {
      const j = (r >>> 8) % n;
      space.freeNow(space.findBusy(addrs[j]!));
      addrs[j] = addrs[--n]!;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { ops: steps, ns, failed, checksum, freeOps: 0, freeNs: 0 };
}

/** A vmap benchmark run request. */
export interface VmapCase {
  readonly workload: 'V-steady' | 'V-align';
  readonly impl: 'kmem';
  /** Initial free space: vmalloc_init's whole address space, or the vmalloc range alone. */
  readonly layout: 'whole' | 'range';
}

/**
 * Every vmap case, in output order.
 * @returns the cases; no failure value.
 */
export function vmapCases(): VmapCase[] {
  const cases: VmapCase[] = [];
  for (const workload of ['V-steady', 'V-align'] as const) {
    for (const layout of ['whole', 'range'] as const)
      cases.push({ workload, impl: 'kmem', layout });
  }
  return cases;
}

/**
 * Run one vmap case; `quick` shrinks it to 20,000 steps (shape and agreement, not speed).
 * @returns its JSON line; no failure value (failed allocations are counted in it).
 */
export function runVmapCase(c: VmapCase, quick: boolean): BenchLine[] {
  const reps = quick ? 1 : 5;
  const warmup = quick ? 0 : 1;
  const steps = quick ? 20_000 : 1_000_000;
  const { result, timing } = repeat(
    () => runVmap(c.workload === 'V-align', steps, c.layout === 'whole'),
    reps,
    warmup,
    (r) => r.ns / r.ops,
  );
  return [
    benchLine(c, result.ops, timing.min, result.failed, result.checksum, {
      layout: c.layout,
      median_ns: roundNs(timing.median),
    }),
  ];
}
