// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genalloc part of the kernel API: lib/genalloc.c and include/linux/genalloc.h under
 * their kernel names and argument order, as thin wrappers over GenPool. No logic lives here
 * beyond the C conventions (NULL pool → NULL, out-parameters as `{ value }` objects).
 *
 * Kernel: lib/genalloc.c, include/linux/genalloc.h (mainline 6.x), plus the old name
 * addr_in_gen_pool() of gen_pool_has_addr().
 *
 * Every export of this file is a kernel symbol: the kernel object spreads them all.
 *
 * DEVIATION: gen_pool_dma_alloc and gen_pool_dma_zalloc return NULL for a NULL pool, as the
 * seeds' kernel and the spec say (newer mainline passes pool->algo first and would oops);
 * gen_pool_create returns NULL for a min_alloc_order outside 0..40 (the kernel accepts any).
 */

import type { GenPoolAlgo } from '../genalloc/algos.js';
import type { GenPoolChunk } from '../genalloc/chunk.js';
import type { GenPool, Out } from '../genalloc/gen-pool.js';
import { genPoolCreateWithLog } from './genalloc-create.js';

export {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo as genpool_algo_t,
  type GenPoolDataAlign as genpool_data_align,
  type GenPoolDataFixed as genpool_data_fixed,
} from '../genalloc/algos.js';

/** `void (*func)(struct gen_pool *, struct gen_pool_chunk *, void *)`. */
export type gen_pool_chunk_func<D> = (pool: GenPool, chunk: GenPoolChunk, data: D) => void;

/**
 * Create a special memory pool. Kernel: gen_pool_create().
 * @returns the pool, or null (NULL) for a min_alloc_order outside 0..40.
 */
export function gen_pool_create(min_alloc_order: number, nid: number): GenPool | null {
  return genPoolCreateWithLog(min_alloc_order, nid, null);
}

/** Destroy a pool. Kernel: gen_pool_destroy(). @throws {KernelBug} when busy. */
export function gen_pool_destroy(pool: GenPool): void {
  pool.destroy();
}

/** Kernel: gen_pool_add_owner(). @returns 0 or -ENOMEM / -EINVAL. */
export function gen_pool_add_owner(
  pool: GenPool,
  virt: number,
  phys: number,
  size: number,
  nid: number,
  owner: unknown,
): number {
  return pool.addOwner(virt, phys, size, nid, owner);
}

/** Kernel: gen_pool_add_virt(). @returns 0 or -ENOMEM / -EINVAL. */
export function gen_pool_add_virt(
  pool: GenPool,
  virt: number,
  phys: number,
  size: number,
  nid: number,
): number {
  return pool.addVirt(virt, phys, size, nid);
}

/** Kernel: gen_pool_add() (phys = -1). @returns 0 or -ENOMEM / -EINVAL. */
export function gen_pool_add(pool: GenPool, addr: number, size: number, nid: number): number {
  return pool.add(addr, size, nid);
}

/** Kernel: gen_pool_alloc(). @returns the address, or 0. */
export function gen_pool_alloc(pool: GenPool, size: number): number {
  return pool.alloc(size);
}

/** Kernel: gen_pool_alloc_owner(). @returns the address, or 0. */
export function gen_pool_alloc_owner(
  pool: GenPool,
  size: number,
  owner: Out<unknown> | null,
): number {
  return pool.allocOwner(size, owner);
}

/** Kernel: gen_pool_alloc_algo(). @returns the address, or 0. */
export function gen_pool_alloc_algo(
  pool: GenPool,
  size: number,
  algo: GenPoolAlgo,
  data: unknown,
): number {
  return pool.allocAlgo(size, algo, data);
}

/** Kernel: gen_pool_alloc_algo_owner(). @returns the address, or 0. */
export function gen_pool_alloc_algo_owner(
  pool: GenPool,
  size: number,
  algo: GenPoolAlgo,
  data: unknown,
  owner: Out<unknown> | null,
): number {
  return pool.allocAlgoOwner(size, algo, data, owner);
}

/** Kernel: gen_pool_dma_alloc(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_alloc(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
): number {
  return pool === null ? 0 : pool.dmaAlloc(size, dma);
}

/** Kernel: gen_pool_dma_alloc_algo(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_alloc_algo(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
  algo: GenPoolAlgo,
  data: unknown,
): number {
  return pool === null ? 0 : pool.dmaAllocAlgo(size, dma, algo, data);
}

/** Kernel: gen_pool_dma_alloc_align(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_alloc_align(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
  align: number,
): number {
  return pool === null ? 0 : pool.dmaAllocAlign(size, dma, align);
}

/** Kernel: gen_pool_dma_zalloc(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_zalloc(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
): number {
  return pool === null ? 0 : pool.dmaZalloc(size, dma);
}

/** Kernel: gen_pool_dma_zalloc_algo(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_zalloc_algo(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
  algo: GenPoolAlgo,
  data: unknown,
): number {
  return pool === null ? 0 : pool.dmaZallocAlgo(size, dma, algo, data);
}

/** Kernel: gen_pool_dma_zalloc_align(). @returns the address, or 0 (also for a NULL pool). */
export function gen_pool_dma_zalloc_align(
  pool: GenPool | null,
  size: number,
  dma: Out<number> | null,
  align: number,
): number {
  return pool === null ? 0 : pool.dmaZallocAlign(size, dma, align);
}

/** Kernel: gen_pool_free(). @throws {KernelBug} on a bad free. */
export function gen_pool_free(pool: GenPool, addr: number, size: number): void {
  pool.free(addr, size);
}

/** Kernel: gen_pool_free_owner(). @throws {KernelBug} on a bad free. */
export function gen_pool_free_owner(
  pool: GenPool,
  addr: number,
  size: number,
  owner: Out<unknown> | null,
): void {
  pool.freeOwner(addr, size, owner);
}

/** Kernel: gen_pool_virt_to_phys(). @returns the physical address, or -1. */
export function gen_pool_virt_to_phys(pool: GenPool, addr: number): number {
  return pool.virtToPhys(addr);
}

/** Kernel: gen_pool_for_each_chunk(). */
export function gen_pool_for_each_chunk<D>(
  pool: GenPool,
  func: gen_pool_chunk_func<D>,
  data: D,
): void {
  pool.forEachChunk(func, data);
}

/** Kernel: gen_pool_has_addr(). @returns true when one chunk holds the whole range. */
export function gen_pool_has_addr(pool: GenPool, start: number, size: number): boolean {
  return pool.hasAddr(start, size);
}

/** The pre-2019 name of gen_pool_has_addr(). Kernel: addr_in_gen_pool(). */
export function addr_in_gen_pool(pool: GenPool, start: number, size: number): boolean {
  return pool.hasAddr(start, size);
}

/** Kernel: gen_pool_avail(). @returns free bytes as the kernel counts them. */
export function gen_pool_avail(pool: GenPool): number {
  return pool.avail();
}

/** Kernel: gen_pool_size(). @returns bytes managed by the pool. */
export function gen_pool_size(pool: GenPool): number {
  return pool.size();
}

/** Kernel: gen_pool_set_algo(); a null algo selects gen_pool_first_fit. */
export function gen_pool_set_algo(pool: GenPool, algo: GenPoolAlgo | null, data: unknown): void {
  pool.setAlgo(algo, data);
}
