// SPDX-License-Identifier: GPL-2.0-only
/*
 * Collecting a dmapool for the report: its pages in address order, each with the indexes
 * of the blocks in use, found by walking the pool's free list where the kernel keeps it —
 * in the free blocks themselves, in simulated memory — so the report shows what the pool's
 * own state says, not what its caller believes. Also the numbers the run engine samples:
 * free bytes and the largest run of adjacent free blocks in one page.
 *
 * Kernel: mm/dmapool.c (6.3+): struct dma_pool (next_block, nr_blocks, nr_active,
 * size, allocation, boundary), struct dma_page, struct dma_block { next_block, dma },
 * pool_initialise_page (blocks carved ascending, none crossing a boundary).
 *
 * The walk reads at most nr_blocks - nr_active links (a corrupted list cannot loop it);
 * a block's index is its position in pool_initialise_page's carving order.
 */

import type { DmaPool } from '../../dmapool/dma-pool.js';
import { PAGE_OFFSET } from '../../machine/layout.js';
import type { Machine } from '../../machine/machine.js';
import type { DmaPageModel, DmapoolModel } from '../model.js';

/**
 * The offsets of the blocks in one page, in carving order (pool_initialise_page).
 * @returns a new array; empty when a block does not fit.
 */
export function blockOffsets(pool: DmaPool): number[] {
  const out: number[] = [];
  let nextBoundary = pool.boundary;
  for (let offset = 0; offset + pool.size <= pool.allocation;) {
    if (offset + pool.size > nextBoundary) {
      offset = nextBoundary;
      nextBoundary += pool.boundary;
      continue;
    }
    out.push(offset);
    offset += pool.size;
  }
  return out;
}

/**
 * The CPU addresses of the free blocks, read from the in-memory free list.
 * @returns a set; blocks past a corrupted link are not in it.
 */
export function freeBlocks(m: Machine, pool: DmaPool): Set<number> {
  const free = new Set<number>();
  const limit = Math.max(0, pool.nr_blocks - pool.nr_active);
  let block = pool.next_block;
  while (block !== 0 && free.size < limit && !free.has(block)) {
    free.add(block);
    const p = block - PAGE_OFFSET;
    if (p < 0 || !Number.isSafeInteger(p)) break;
    block = m.phys.readU64Unaligned(p);
  }
  return free;
}

/** Per page: the page and, per carved block, whether it is free. */
function pageStates(m: Machine, pool: DmaPool): { vaddr: number; dma: number; free: boolean[] }[] {
  const free = freeBlocks(m, pool);
  const offsets = blockOffsets(pool);
  const pages = [...pool.page_list].sort((a, b) => a.vaddr - b.vaddr);
  return pages.map((p) => ({
    vaddr: p.vaddr,
    dma: p.dma,
    free: offsets.map((o) => free.has(p.vaddr + o)),
  }));
}

/**
 * Free bytes of a pool (free blocks × block size) and its largest free extent: the longest
 * run of adjacent free blocks within one page, in bytes.
 * @returns `{ free, largest }`; both 0 for a pool with no page.
 */
export function dmapoolFree(m: Machine, pool: DmaPool): { free: number; largest: number } {
  let free = 0;
  let largest = 0;
  for (const page of pageStates(m, pool)) {
    let run = 0;
    for (const f of page.free) {
      run = f ? run + 1 : 0;
      if (f) free++;
      if (run > largest) largest = run;
    }
  }
  return { free: free * pool.size, largest: largest * pool.size };
}

/**
 * The report's model of a dmapool. `align` is the alignment it was created with (the pool
 * keeps only the block size rounded up to it).
 * @returns the model (pages in address order).
 */
export function collectDmapool(
  m: Machine,
  pool: DmaPool,
  info: { readonly align: number; readonly failures: number },
): DmapoolModel {
  const pages: DmaPageModel[] = pageStates(m, pool).map((p) => {
    const inUse: number[] = [];
    p.free.forEach((f, i) => {
      if (!f) inUse.push(i);
    });
    return { vaddr: p.vaddr, dma: p.dma, blocks: p.free.length, inUse };
  });
  return {
    name: pool.name,
    device: pool.dev.name,
    size: pool.size,
    align: info.align,
    boundary: pool.boundary >= pool.allocation ? 0 : pool.boundary,
    allocation: pool.allocation,
    pages,
    failures: info.failures,
  };
}
