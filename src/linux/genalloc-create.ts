// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen_pool_create with a chosen kernel log: the one helper of the genalloc kernel API that
 * is not itself a kernel symbol, kept apart so that the kernel object (which spreads
 * genalloc.ts) carries kernel names only.
 *
 * Kernel: lib/genalloc.c gen_pool_create().
 */

import type { KernelLog } from '../base/log.js';
import { GenPool, type PoolMemory } from '../genalloc/gen-pool.js';

/**
 * Create a pool logging to `log` (the machine's kernel log when called through
 * `machine.kernel`). Kernel: gen_pool_create().
 * @returns the pool, or null when min_alloc_order is not an integer in 0..40.
 */
export function genPoolCreateWithLog(
  min_alloc_order: number,
  nid: number,
  log: KernelLog | null,
  memory: PoolMemory | null = null,
  chunkAllocFails: (() => boolean) | null = null,
): GenPool | null {
  if (!Number.isInteger(min_alloc_order) || min_alloc_order < 0 || min_alloc_order > 40) {
    return null;
  }
  return log === null
    ? new GenPool(min_alloc_order, { nid, memory, chunkAllocFails })
    : new GenPool(min_alloc_order, { nid, log, memory, chunkAllocFails });
}
