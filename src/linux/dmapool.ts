// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dmapool part of the kernel API: mm/dmapool.c and include/linux/dmapool.h under their
 * kernel names and argument order, bound to one machine. No logic beyond the C
 * conventions (NULL pool, out-parameter handles).
 *
 * Kernel: include/linux/dmapool.h (dma_pool_zalloc is dma_pool_alloc | __GFP_ZERO;
 * dma_pool_create is dma_pool_create_node with NUMA_NO_NODE), mm/dmapool.c.
 */

import type { Out } from '../base/out.js';
import type { Device } from '../machine/device.js';
import type { Machine } from '../machine/machine.js';
import { DmaPool } from '../dmapool/dma-pool.js';
import { dmamPoolCreate, dmamPoolDestroy } from '../dmapool/managed.js';

/*
 * The functions that need no machine are module-level, so every machine's kernel API holds
 * the same function objects: a driver loop that runs on several machines (a benchmark, a
 * test) keeps one call target, which V8 inlines, instead of deoptimizing on each new one.
 */

/** dma_pool_alloc(pool, mem_flags, handle). @returns the CPU address, or 0 (NULL). */
function dma_pool_alloc(pool: DmaPool, mem_flags: number, handle: Out<number> | null): number {
  return pool.alloc(mem_flags, handle);
}

/** dma_pool_zalloc(pool, mem_flags, handle). @returns the CPU address, or 0 (NULL). */
function dma_pool_zalloc(pool: DmaPool, mem_flags: number, handle: Out<number> | null): number {
  return pool.zalloc(mem_flags, handle);
}

/** dma_pool_free(pool, vaddr, dma). */
function dma_pool_free(pool: DmaPool, vaddr: number, dma: number): void {
  pool.free(vaddr, dma);
}

/** dma_pool_destroy(pool); NULL is ignored. */
function dma_pool_destroy(pool: DmaPool | null): void {
  if (pool !== null) pool.destroy();
}

/** Build the dmapool functions of the kernel API of `m`. */
export function dmapoolApi(m: Machine) {
  return {
    /** dma_pool_create(name, dev, size, align, boundary). @returns the pool, or null. */
    dma_pool_create(
      name: string,
      dev: Device | null,
      size: number,
      align: number,
      boundary: number,
    ): DmaPool | null {
      return DmaPool.create(m, name, dev, size, align, boundary, -1);
    },
    /** dma_pool_create_node(name, dev, size, align, boundary, node). @returns the pool, or null. */
    dma_pool_create_node(
      name: string,
      dev: Device | null,
      size: number,
      align: number,
      boundary: number,
      node: number,
    ): DmaPool | null {
      return DmaPool.create(m, name, dev, size, align, boundary, node);
    },
    dma_pool_alloc,
    dma_pool_zalloc,
    dma_pool_free,
    dma_pool_destroy,
    /** dmam_pool_create(name, dev, size, align, allocation). @returns the pool, or null. */
    dmam_pool_create(
      name: string,
      dev: Device | null,
      size: number,
      align: number,
      allocation: number,
    ): DmaPool | null {
      return dmamPoolCreate(m, name, dev, size, align, allocation);
    },
    /** dmam_pool_destroy(pool). */
    dmam_pool_destroy(pool: DmaPool): void {
      dmamPoolDestroy(m, pool);
    },
  };
}
