// SPDX-License-Identifier: GPL-2.0-only
/*
 * SharedGenPool: the lock-free genpool shared by worker threads, as users get it — the
 * factories (create a pool, attach to one from its handle) and the DMA-style family on top
 * of the data plane of shared-core.ts, where the design, the concurrency argument, the
 * crash story and the DEVIATIONs are written down (and in docs/SHARED-GENPOOL.md).
 *
 * Kernel: lib/genalloc.c gen_pool_create(), gen_pool_dma_alloc(), gen_pool_dma_alloc_algo(),
 * gen_pool_dma_alloc_align(), gen_pool_dma_zalloc(), gen_pool_dma_zalloc_algo(),
 * gen_pool_dma_zalloc_align().
 *
 * Data structure: none of its own (one reusable { align } object for the *_align calls).
 *
 * Invariants: those of shared-core.ts.
 *
 * DEVIATION: dmaZalloc zeroes the chunk's backing buffer; a chunk without one (addVirt)
 * has no bytes to zero.
 */

import type { Out } from '../../base/out.js';
import { gen_pool_first_fit_align, type GenPoolAlgo, type GenPoolDataAlign } from '../algos.js';
import { SharedGenPoolCore } from './shared-core.js';
import { createSharedBuffers } from './shared-admin.js';
import type { AttachOptions, SharedGenPoolOptions } from './shared-api.js';
import type { SharedGenPoolHandle } from './layout.js';

export {
  HOOK_CLAIMED,
  HOOK_RELEASED,
  HOOK_WORD_CLAIMED,
  type AttachOptions,
  type SharedAddMemoryOptions,
  type SharedChunkVisitor,
  type SharedGenPoolOptions,
  type SharedPoolHook,
} from './shared-api.js';
export { SharedGenPoolCore } from './shared-core.js';
export type { SharedGenPoolHandle } from './layout.js';
export type { RecoverReport } from './recover.js';

/** A lock-free genpool shared by threads; the kernel's `struct gen_pool`. */
export class SharedGenPool extends SharedGenPoolCore {
  readonly #callAlign: GenPoolDataAlign = { align: 0 };

  /**
   * Create a shared pool with no chunks (first fit) and attach to it.
   * Kernel: gen_pool_create().
   * @returns the attached copy; post `pool.toShared()` to workers.
   * @throws {RangeError} when minAllocOrder is not in 0..40 or an option is out of range.
   */
  static create(minAllocOrder: number, options: SharedGenPoolOptions = {}): SharedGenPool {
    return new SharedGenPool(createSharedBuffers(minAllocOrder, options, []), options);
  }

  /**
   * Attach to the shared pool of `handle` (in a worker: the handle it was posted).
   * @returns a new attached copy with its own slot.
   * @throws {RangeError} when `handle` is not a shared genpool handle or all MAX_SLOTS slots
   *   are taken.
   */
  static attach(handle: SharedGenPoolHandle, options: AttachOptions = {}): SharedGenPool {
    return new SharedGenPool(handle, options);
  }

  /**
   * Allocate with `algo` and report the physical address in `dma`.
   * Kernel: gen_pool_dma_alloc_algo().
   * @returns the virtual address, or 0 on failure (`dma` untouched).
   */
  dmaAllocAlgo(size: number, dma: Out<number> | null, algo: GenPoolAlgo, data: unknown): number {
    return this.#phys(this.allocAlgoOwner(size, algo, data, null), dma);
  }

  /**
   * Allocate with the pool's algorithm, reporting the physical address.
   * Kernel: gen_pool_dma_alloc().
   * @returns the virtual address, or 0 on failure.
   */
  dmaAlloc(size: number, dma: Out<number> | null): number {
    return this.#phys(this.alloc(size), dma);
  }

  /**
   * Allocate with first-fit-align at `align` bytes. Kernel: gen_pool_dma_alloc_align().
   * @returns the virtual address, or 0 on failure.
   */
  dmaAllocAlign(size: number, dma: Out<number> | null, align: number): number {
    this.#callAlign.align = align;
    return this.dmaAllocAlgo(size, dma, gen_pool_first_fit_align, this.#callAlign);
  }

  /**
   * As {@link SharedGenPool.dmaAllocAlgo}, then zero the `size` bytes in the chunk's
   * backing buffer. Kernel: gen_pool_dma_zalloc_algo().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZallocAlgo(size: number, dma: Out<number> | null, algo: GenPoolAlgo, data: unknown): number {
    return this.#zero(this.dmaAllocAlgo(size, dma, algo, data), size);
  }

  /**
   * Zeroing {@link SharedGenPool.dmaAlloc}. Kernel: gen_pool_dma_zalloc().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZalloc(size: number, dma: Out<number> | null): number {
    return this.#zero(this.dmaAlloc(size, dma), size);
  }

  /**
   * Zeroing {@link SharedGenPool.dmaAllocAlign}. Kernel: gen_pool_dma_zalloc_align().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZallocAlign(size: number, dma: Out<number> | null, align: number): number {
    return this.#zero(this.dmaAllocAlign(size, dma, align), size);
  }

  #phys(vaddr: number, dma: Out<number> | null): number {
    if (vaddr !== 0 && dma !== null) dma.value = this.virtToPhys(vaddr);
    return vaddr;
  }

  #zero(vaddr: number, size: number): number {
    if (vaddr !== 0) this.chunkAt(vaddr)?.fill(vaddr, 0, size);
    return vaddr;
  }
}
