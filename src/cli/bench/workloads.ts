// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool workloads of bench/WORKLOADS.md (G-fill, G-steady, G-high), written once and
 * run against any allocator that can allocate and free by address — kmem's GenPool, the
 * kernel-scan baseline, or a peer library (bench/genpool.bench.ts) — so that every row sees
 * the same operations. The live-set rule is shared with D-churn (dmapool.ts).
 *
 * Kernel: none (the workloads of bench/WORKLOADS.md; the allocators they drive port
 * lib/genalloc.c and mm/dmapool.c).
 *
 * checksum = sum mod 2^32 of every handed-out address as an offset from the chunk start.
 */

import { WORKLOAD_SEED } from '../../base/rng.js';
import { TWO_POW_32 } from '../../base/units.js';

/** What a workload needs of an allocator. */
export interface WorkloadTarget {
  /** Allocate `size` bytes; return the offset from the chunk start, or -1 on failure. */
  alloc(size: number): number;
  /** Free the `size` bytes at offset `off`. */
  free(off: number, size: number): void;
}

/** The outcome of one workload run. */
export interface WorkloadResult {
  ops: number;
  failed: number;
  checksum: number;
  /** Nanoseconds spent (G-fill: alloc phase only; see freeNs). */
  ns: number;
  /** G-fill only: free operations and their time. */
  freeOps: number;
  freeNs: number;
}

/** The canonical pool's chunk: its virtual base, 0x40000000. */
export const GENPOOL_BASE = 0x40000000;
/** The canonical pool's chunk size: 16 MiB. */
export const GENPOOL_SIZE = 16 * 1024 * 1024;
/** The canonical pool's min_alloc_order: 32-byte granules. */
export const GENPOOL_ORDER = 5;

/** (sum + off) mod 2^32 for 0 <= sum, off < 2^32, without a floating-point remainder. */
/** TWO_POW_32 as a module-local const: V8 folds it; an imported binding is reloaded per use. */
const U32 = TWO_POW_32;

function addMod32(sum: number, off: number): number {
  const t = sum + off;
  return t >= U32 ? t - U32 : t;
}

function now(): number {
  return Number(process.hrtime.bigint());
}

/**
 * G-fill: allocate 64 bytes 262,144 times (scaled by `scale`), then free all in allocation
 * order.
 * @returns the counts, checksum and times; a failed allocation counts in `failed`.
 */
export function runGFill(t: WorkloadTarget, scale = 1): WorkloadResult {
  const n = Math.floor(262144 * scale);
  const offs = new Float64Array(n);
  let checksum = 0;
  let failed = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const off = t.alloc(64);
    offs[i] = off;
    if (off < 0) failed++;
    else checksum = addMod32(checksum, off);
  }
  const t1 = now();
  for (let i = 0; i < n; i++) if (offs[i]! >= 0) t.free(offs[i]!, 64);
  const t2 = now();
  return { ops: n, failed, checksum, ns: t1 - t0, freeOps: n, freeNs: t2 - t1 };
}

/**
 * G-steady (cap 2048) and G-high (cap 7000): `steps` steps of the live-set rule with sizes
 * 32 * (1 + ((r >>> 2) % 128)), computed with & 127 (the same for a uint32).
 * @returns the counts, checksum and time; a failed allocation counts in `failed`.
 */
export function runGSteady(t: WorkloadTarget, cap: number, steps = 1_000_000): WorkloadResult {
  return runLiveSet(t, cap, steps, (r) => 32 * (1 + ((r >>> 2) & 127)));
}

/**
 * The live-set rule of WORKLOADS.md: allocate when L is empty or (L.length < cap and
 * r % 4 != 0), otherwise free L[(r >>> 8) % L.length] (swap with the last, pop).
 * @returns the counts, checksum and time; a failed allocation counts in `failed`.
 */
export function runLiveSet(
  t: WorkloadTarget,
  cap: number,
  steps: number,
  sizeOf: (r: number) => number,
): WorkloadResult {
  const liveOff = new Float64Array(cap);
  const liveSize = new Float64Array(cap);
  let x = WORKLOAD_SEED | 0; // xorshift32 state, inlined below (same sequence as XorShift32)
  let n = 0;
  let failed = 0;
  let checksum = 0;
  const t0 = now();
  for (let s = 0; s < steps; s++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    if (n === 0 || (n < cap && (r & 3) !== 0)) {
      const size = sizeOf(r);
      const off = t.alloc(size);
      if (off < 0) {
        failed++;
      } else {
        checksum = addMod32(checksum, off);
        liveOff[n] = off;
        liveSize[n] = size;
        n++;
      }
    } else {
      const i = (r >>> 8) % n;
      t.free(liveOff[i]!, liveSize[i]!);
      n--;
      liveOff[i] = liveOff[n]!;
      liveSize[i] = liveSize[n]!;
    }
  }
  const t1 = now();
  return { ops: steps, failed, checksum, ns: t1 - t0, freeOps: 0, freeNs: 0 };
}
