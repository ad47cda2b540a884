// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool peer of bench/WORKLOADS.md's G-steady and G-high: @thi.ng/malloc (a dev
 * dependency, so it stays out of src/). kmem's own genpool cases — GenPool with its index
 * (kmem) and scanning the bitmap as lib/genalloc.c does (kernel-scan) — and the workloads
 * themselves live in src/cli/bench/genpool.ts and workloads.ts; this file plugs a target of
 * its own into them:
 *
 *   thi.ng       @thi.ng/malloc MemPool over a 16 MiB ArrayBuffer (a peer, its own
 *                placement rule, so its own checksum; its lines carry no algo)
 *
 * Kernel: none (a userspace allocator, for comparison with lib/genalloc.c's port).
 */

import { MemPool } from '@thi.ng/malloc';
import { runGenpoolCase, type GenpoolCase } from '../src/cli/bench/genpool.js';
import type { BenchLine } from '../src/cli/bench/harness.js';
import { GENPOOL_SIZE, type WorkloadTarget } from '../src/cli/bench/workloads.js';

/** The peer's implementation name, as its JSON lines print it. */
export const THING_IMPL = 'thi.ng';

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

/**
 * Run one thi.ng case (G-steady or G-high) on a fresh MemPool; `quick` shrinks it for CI.
 * @returns its JSON line; errors of the pool propagate.
 */
export function runThingCase(c: GenpoolCase, quick: boolean): BenchLine[] {
  return runGenpoolCase(c, quick, () => new ThingTarget());
}
