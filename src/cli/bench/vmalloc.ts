// SPDX-License-Identifier: GPL-2.0-only
/*
 * The end-to-end vmalloc benchmark of issue 4: `vmalloc(4096)` + `vfree` pairs through the
 * kernel API on a simulated machine — address-space search, page allocation, the page
 * array (kmalloc), page tables, lazy freeing and the purges with their TLB flushes, all
 * included. The kernel takes about 1 µs per pair on real hardware (Rezki's 5.2-rc6 and
 * 2025 figures, KERNEL-SPEC §3.19).
 *
 *   V-vmalloc   1,000,000 pairs of vmalloc(4096) / vfree (ns per pair); the deferred drain
 *               work runs whenever it is queued, as a kworker would
 *
 * The checksum is the sum of the addresses handed out, as offsets from VMALLOC_START,
 * modulo 2^32 (a kmem figure: it depends on the purge timing and the node pools).
 *
 * Kernel: mm/vmalloc.c vmalloc/vfree, through src/linux.
 */

import { Machine } from '../../machine/machine.js';
import '../../linux/kernel.js';
import { VMALLOC_START } from '../../machine/layout.js';
import { benchLine, repeat, roundNs, type BenchLine } from './harness.js';
import type { WorkloadResult } from './workloads.js';

/** The V-vmalloc run request (one implementation: kmem). */
export const VMALLOC_CASE = { workload: 'V-vmalloc', impl: 'kmem' } as const;

/**
 * One run of V-vmalloc with `pairs` pairs on a fresh 4 GiB machine.
 * @returns the counts, checksum and time; a failed vmalloc counts in `failed`.
 */
export function runVmallocPairs(pairs: number): WorkloadResult {
  const m = new Machine({ memory: '4G' });
  const k = m.kernel;
  let checksum = 0;
  let failed = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < pairs; i++) {
    const p = k.vmalloc(4096);
    if (p === 0) failed++;
    else checksum = (checksum + (p - VMALLOC_START)) % 4294967296;
    k.vfree(p);
    if (m.work.pending > 0) m.runPendingWork();
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { ops: pairs, failed, checksum, ns, freeOps: 0, freeNs: 0 };
}

/**
 * The V-vmalloc line: the median of 5 runs after a warm-up (one run with `quick`).
 * @returns the line; no failure value (failed pairs are counted in it).
 */
export function vmallocPairLine(quick: boolean): BenchLine {
  const pairs = quick ? 20_000 : 1_000_000;
  const { result, timing } = repeat(
    () => runVmallocPairs(pairs),
    quick ? 1 : 5,
    1,
    (r) => r.ns / r.ops,
  );
  return benchLine(VMALLOC_CASE, result.ops, timing.median, result.failed, result.checksum, {
    min_ns: roundNs(timing.min),
  });
}
