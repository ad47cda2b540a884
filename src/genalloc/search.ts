// SPDX-License-Identifier: GPL-2.0-only
/*
 * The search side of a genpool chunk: which index answers which algorithm, and how the
 * indexes follow every claim and release. The pool (gen-pool.ts) owns the chunk walk, the
 * bitmap claim and the accounting; this file owns "where" and "keep the indexes in step".
 *
 * Kernel: the algo(...) call of lib/genalloc.c gen_pool_alloc_algo_owner(), answered for the
 * five built-in algorithms by kmem's indexes with exactly the kernel's result:
 *
 *   gen_pool_first_fit                 fit tree: one descent              (fit-tree.ts)
 *   gen_pool_first_fit_order_align     aligned index: one descent         (aligned-index.ts)
 *   gen_pool_first_fit_align           aligned index on an aligned chunk (nr <= align),
 *                                      else the fit tree's aligned sweep
 *   gen_pool_best_fit                  run index: first run of the first length >= nr
 *   gen_pool_fixed_alloc               none: the run at the offset is free or not
 *   anything else                      the algorithm itself, over the bitmap
 *
 * Each index is built from the bitmap by the first search that needs it (a chunk used only
 * for best fit never builds a fit tree) and updated for the touched words after that.
 *
 * DEVIATION: `align` of genpool_data_align is a C int; it is converted with `| 0` as C
 * would (so a missing or non-numeric align is 0: the kernel's all-ones mask, no fit).
 */

import { InvariantError } from '../base/errors.js';
import { isPowerOfTwo, roundupPowOfTwo } from '../base/units.js';
import { isRangeClear } from '../bitmap/bitmap.js';
import {
  firstFitAlignParams,
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  warnFixedOffset,
  type GenPoolAlgo,
  type GenPoolAlgoPool,
  type GenPoolDataAlign,
  type GenPoolDataFixed,
} from './algos.js';
import type { GenPoolChunk } from './chunk.js';
import type { FitTree } from './fit-tree.js';

/** [align mask, align offset] of the last first_fit_align search (no per-call array). */
const alignParams = new Float64Array(2);

/**
 * Ask the algorithm, or the index that answers it, for the start bit of nbits free bits in
 * `chunk`, searching from bit 0.
 *
 * Context: data plane; allocation-free except the first search that builds an index.
 * @returns a bit index; any value >= chunk.nbits means no fit (the algorithm's convention).
 */
export function searchChunk(
  pool: GenPoolAlgoPool,
  chunk: GenPoolChunk,
  algo: GenPoolAlgo,
  data: unknown,
  nbits: number,
): number {
  const endBit = chunk.nbits;
  chunk.bestStart = -1;
  if (!chunk.indexed) return algo(chunk.bits, endBit, 0, nbits, data, pool, chunk.startAddr);
  if (algo === gen_pool_first_fit) {
    const i = treeFor(chunk, nbits).findFirst(chunk.bits, nbits);
    return i < 0 ? endBit : i;
  }
  if (algo === gen_pool_best_fit) {
    const i = (chunk.runs ?? chunk.enableRunIndex()).findBest(nbits);
    chunk.bestStart = i;
    return i < 0 ? endBit : i;
  }
  if (algo === gen_pool_first_fit_order_align) {
    return searchAligned(chunk, nbits, roundupPowOfTwo(nbits), 0);
  }
  if (data !== null && typeof data === 'object') {
    if (algo === gen_pool_first_fit_align) {
      const align = (data as GenPoolDataAlign).align | 0; // a C int
      if (isPowerOfTwo(align)) {
        firstFitAlignParams(align, pool.min_alloc_order, chunk.startAddr, alignParams);
        return searchAligned(chunk, nbits, alignParams[0]! + 1, alignParams[1]!);
      }
    }
    if (algo === gen_pool_fixed_alloc) {
      return searchFixed(pool, chunk, (data as GenPoolDataFixed).offset, nbits);
    }
  }
  return algo(chunk.bits, endBit, 0, nbits, data, pool, chunk.startAddr);
}

/** The chunk's fit tree, built on first use, able to answer searches for nbits. */
function treeFor(chunk: GenPoolChunk, nbits: number): FitTree {
  const tree = chunk.tree ?? chunk.ensureTree();
  if (nbits > tree.cap && nbits <= chunk.nbits) {
    // Let the indexes answer searches for nbits (cold: a few times per chunk at most).
    tree.raiseCap(chunk.bits, nbits);
  }
  return tree;
}

/**
 * The lowest i with [i, i + nbits) free and (i + off) a multiple of `align` (a power of
 * two), from bit 0; chunk.nbits (no fit) when there is none.
 */
function searchAligned(chunk: GenPoolChunk, nbits: number, align: number, off: number): number {
  let i: number;
  if (off === 0 && nbits <= align) {
    // The aligned index alone (no fit tree): align <= 2^30, so clz32 gives log2.
    const j = 31 - Math.clz32(align);
    const index = chunk.aligned ?? chunk.enableAlignedIndex(j);
    i = index.find(chunk.bits, nbits, j);
  } else if (align === 1) {
    i = treeFor(chunk, nbits).findFirst(chunk.bits, nbits);
  } else {
    i = treeFor(chunk, nbits).findAligned(chunk.bits, nbits, align, off, 0);
  }
  return i < 0 ? chunk.nbits : i;
}

/** gen_pool_fixed_alloc without the scan: the run at the offset is free, or no fit. */
function searchFixed(
  pool: GenPoolAlgoPool,
  chunk: GenPoolChunk,
  offset: number,
  nbits: number,
): number {
  const unit = 2 ** pool.min_alloc_order;
  if (offset % unit !== 0) {
    warnFixedOffset(pool, offset);
    return chunk.nbits;
  }
  const bit = offset / unit;
  if (!(bit >= 0) || bit + nbits > chunk.nbits) return chunk.nbits;
  return isRangeClear(chunk.bits, bit, nbits) ? bit : chunk.nbits;
}

/**
 * Return the first bit of the free run that holds startBit, before a claim sets its bits:
 * known when the run index chose it, else one past the last used bit below startBit.
 */
export function runStartFor(chunk: GenPoolChunk, startBit: number): number {
  if (startBit === chunk.bestStart) return startBit;
  const tree = chunk.tree ?? chunk.ensureTree();
  return tree.runStartBefore(chunk.bits, startBit);
}

/**
 * Bring the chunk's indexes in step after bits [startBit, startBit + nbits) were claimed
 * from the free run starting at runStart.
 * @throws {InvariantError} when the run index has no such run (a kmem bug).
 */
export function indexAfterClaim(
  chunk: GenPoolChunk,
  startBit: number,
  nbits: number,
  runStart: number,
): void {
  if (chunk.tree !== null) chunk.tree.update(chunk.bits, startBit, nbits);
  if (chunk.aligned !== null) chunk.aligned.update(chunk.bits, startBit, nbits);
  if (chunk.runs !== null && !chunk.runs.claim(chunk.bits, runStart, startBit, startBit + nbits)) {
    throw new InvariantError(`R2: the run index has no free run at bit ${runStart}`);
  }
}

/**
 * Bring the chunk's indexes in step after bits [startBit, startBit + nbits) were freed.
 * @throws {InvariantError} when the bitmap has a free neighbour the run index lacks (a kmem
 *   bug).
 */
export function indexAfterRelease(chunk: GenPoolChunk, startBit: number, nbits: number): void {
  if (nbits === 0) return;
  if (chunk.tree !== null) chunk.tree.update(chunk.bits, startBit, nbits);
  if (chunk.aligned !== null) chunk.aligned.update(chunk.bits, startBit, nbits);
  if (chunk.runs !== null && !chunk.runs.release(chunk.bits, startBit, startBit + nbits)) {
    throw new InvariantError(`R2: the run index lacks a free run next to bit ${startBit}`);
  }
}
