// SPDX-License-Identifier: GPL-2.0-only
/*
 * Collecting a genpool for the report: each chunk (in the kernel's list order, newest
 * first) with its allocated runs read from the chunk's bitmap, split at the allocations
 * the caller knows of so each run carries its owner, its `avail`, and its largest free run.
 * Also the two numbers the run engine samples over time: free bytes and the largest free
 * extent of a pool.
 *
 * Kernel: lib/genalloc.c (struct gen_pool_chunk: start_addr, end_addr, phys_addr, avail,
 * bits; gen_pool_for_each_chunk order; gen_pool_avail, gen_pool_size).
 *
 * A run of set bits in the bitmap may hold several allocations back to back; with the
 * allocations given, it is cut into one run per allocation (its size rounded up to the
 * granule, as the bitmap holds it), and any part no known allocation covers becomes a run
 * with owner ''. Without them, each run of set bits is one run with owner ''.
 */

import { findNextBit, findNextZeroBit } from '../../bitmap/bitmap.js';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
} from '../../genalloc/algos.js';
import type { GenPoolChunk } from '../../genalloc/chunk.js';
import type { GenPool } from '../../genalloc/gen-pool.js';
import type { ChunkModel, GenpoolModel, RunModel } from '../model.js';

/** One live allocation the caller tracked: where, how many bytes asked for, and by whom. */
export interface TrackedAllocation {
  readonly addr: number;
  readonly size: number;
  readonly owner: string;
}

/** What the report says about a pool besides its chunks. */
export interface GenpoolInfo {
  readonly name: string;
  readonly device: string;
  readonly failures: number;
  /** Live allocations with owners, in any order; empty when unknown. */
  readonly allocations: readonly TrackedAllocation[];
}

/**
 * The name of a genpool algorithm.
 * @returns first-fit, best-fit, first-fit-order-align, first-fit-align, fixed, or 'custom'.
 */
export function algoName(algo: unknown): string {
  if (algo === gen_pool_first_fit) return 'first-fit';
  if (algo === gen_pool_best_fit) return 'best-fit';
  if (algo === gen_pool_first_fit_order_align) return 'first-fit-order-align';
  if (algo === gen_pool_first_fit_align) return 'first-fit-align';
  if (algo === gen_pool_fixed_alloc) return 'fixed';
  return 'custom';
}

/** The free runs of a chunk's bitmap as [first bit, end bit) pairs, calling `visit`. */
function forEachFreeRun(chunk: GenPoolChunk, visit: (first: number, end: number) => void): void {
  const bits = chunk.bits;
  const n = chunk.nbits;
  for (let pos = findNextZeroBit(bits, n, 0); pos < n;) {
    const end = findNextBit(bits, n, pos);
    visit(pos, end);
    pos = end >= n ? n : findNextZeroBit(bits, n, end);
  }
}

/**
 * Free bytes (by the bitmap) and the largest free run of a pool, over all its chunks.
 * @returns `{ free, largest }` in bytes; both 0 for a pool with no chunk.
 */
export function genpoolFree(pool: GenPool): { free: number; largest: number } {
  const unit = 2 ** pool.minAllocOrder;
  let free = 0;
  let largest = 0;
  for (const chunk of pool.chunks) {
    forEachFreeRun(chunk, (first, end) => {
      free += (end - first) * unit;
      if ((end - first) * unit > largest) largest = (end - first) * unit;
    });
  }
  return { free, largest };
}

/** Cut the allocated bit run [first, end) of `chunk` into runs by `allocs` (sorted). */
function cutRun(
  chunk: GenPoolChunk,
  unit: number,
  first: number,
  end: number,
  allocs: readonly TrackedAllocation[],
  out: RunModel[],
): void {
  let cur = first * unit;
  const stop = end * unit;
  let i = lowerBound(allocs, chunk.startAddr + cur);
  for (; i < allocs.length; i++) {
    const a = allocs[i]!;
    const off = a.addr - chunk.startAddr;
    if (off >= stop) break;
    const len = Math.min(Math.ceil(a.size / unit) * unit, stop - off);
    if (off > cur) out.push({ offset: cur, size: off - cur, owner: '' });
    if (len > 0) out.push({ offset: off, size: len, owner: a.owner });
    cur = Math.max(cur, off + len);
  }
  if (cur < stop) out.push({ offset: cur, size: stop - cur, owner: '' });
}

/** The index of the first allocation at or above `addr`. */
function lowerBound(allocs: readonly TrackedAllocation[], addr: number): number {
  let lo = 0;
  let hi = allocs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (allocs[mid]!.addr < addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function chunkModel(
  chunk: GenPoolChunk,
  unit: number,
  allocs: readonly TrackedAllocation[],
): ChunkModel {
  const runs: RunModel[] = [];
  const bits = chunk.bits;
  const n = chunk.nbits;
  for (let pos = findNextBit(bits, n, 0); pos < n;) {
    const end = findNextZeroBit(bits, n, pos);
    cutRun(chunk, unit, pos, end, allocs, runs);
    pos = end >= n ? n : findNextBit(bits, n, end);
  }
  let largest = { offset: 0, size: 0 };
  forEachFreeRun(chunk, (first, end) => {
    if ((end - first) * unit > largest.size)
      largest = { offset: first * unit, size: (end - first) * unit };
  });
  return {
    start: chunk.startAddr,
    phys: chunk.physAddr,
    size: chunk.size,
    avail: chunk.avail,
    runs,
    largestFree: largest,
  };
}

/**
 * The report's model of a genpool.
 * @returns the model (chunks newest first, runs in offset order).
 */
export function collectGenpool(pool: GenPool, info: GenpoolInfo): GenpoolModel {
  const unit = 2 ** pool.minAllocOrder;
  const allocs = [...info.allocations].sort((a, b) => a.addr - b.addr);
  return {
    name: info.name,
    device: info.device,
    order: pool.minAllocOrder,
    algo: algoName(pool.algorithm),
    chunks: pool.chunks.map((c) => chunkModel(c, unit, allocs)),
    failures: info.failures,
  };
}
