// SPDX-License-Identifier: GPL-2.0-only
/*
 * The five genalloc fit algorithms, literally as the kernel runs them: a scan of the chunk's
 * bitmap through bitmap_find_next_zero_area_off().
 *
 * Kernel: lib/genalloc.c gen_pool_first_fit(), gen_pool_first_fit_align(),
 * gen_pool_fixed_alloc(), gen_pool_first_fit_order_align(), gen_pool_best_fit()
 * (mainline 6.x, with the start_addr argument of January 2019).
 *
 * A GenPool recognises these functions by identity and answers them from its search index
 * (fit-tree.ts, run-index.ts) with the same result, without scanning; called directly, or
 * by a pool built with `{ index: false }`, they scan — they are the kernel's algorithm and
 * the `kernel-scan` baseline of the benchmarks. A custom algorithm with the same signature
 * always gets the bitmap, as in the kernel.
 *
 * Return convention (genpool_algo_t): a bit index; any value >= `size` means "no fit".
 *
 * DEVIATION: a NULL `data` for first_fit_align or fixed_alloc is a KernelBug (the kernel
 * dereferences it and oopses); `align` is converted to a C int with `| 0`.
 */

import { bitmapFindNextZeroArea, bitmapFindNextZeroAreaOff } from '../bitmap/index.js';
import { findNextBit } from '../bitmap/bitmap.js';
import type { KernelLog } from '../base/log.js';
import { KernelBug } from '../base/errors.js';
import { roundupPowOfTwo, TWO_POW_32 } from '../base/units.js';

/** `struct genpool_data_align`: the alignment, in bytes, for gen_pool_first_fit_align. */
export interface GenPoolDataAlign {
  align: number;
}

/** `struct genpool_data_fixed`: the offset, in bytes from the chunk start, for fixed alloc. */
export interface GenPoolDataFixed {
  offset: number;
}

/** What an algorithm may read of the pool it serves (the kernel passes `struct gen_pool *`). */
export interface GenPoolAlgoPool {
  readonly min_alloc_order: number;
  readonly log: KernelLog;
}

/**
 * `genpool_algo_t`: find `nr` free bits in `map` (of `size` bits), searching from `start`.
 * `startAddr` is the chunk's first address.
 *
 * @returns a bit index; any value >= `size` means no fit in this chunk.
 */
export type GenPoolAlgo = (
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  data: unknown,
  pool: GenPoolAlgoPool,
  startAddr: number,
) => number;

/**
 * Find the first run of `nr` free bits (no alignment beyond the granule).
 *
 * Kernel: gen_pool_first_fit().
 * @returns the first bit of the lowest fitting run, or a value >= `size`.
 */
export function gen_pool_first_fit(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  _data: unknown,
  _pool: GenPoolAlgoPool,
  _startAddr: number,
): number {
  return bitmapFindNextZeroArea(map, size, start, nr, 0);
}

/**
 * Return the bit mask and offset that gen_pool_first_fit_align searches with, into `out`
 * ([mask, offset]); a mask of -1 stands for the all-ones long of an alignment of 0.
 *
 * The absolute address is aligned, not the offset in the chunk: the offset is
 * `(startAddr & (align - 1)) >> order` (commit 52fbf1134d47, 2019).
 */
export function firstFitAlignParams(
  align: number,
  order: number,
  startAddr: number,
  out: Float64Array,
): void {
  const unit = 2 ** order;
  // align is a C int: (align + unit - 1) >> order, minus one, in unsigned long arithmetic.
  const units = Math.floor((align + unit - 1) / unit);
  out[0] = units - 1 < 0 ? -1 : units - 1;
  // start_addr & (align - 1): only the low 32 bits matter for an int alignment.
  const am = (align - 1) | 0;
  const low = (startAddr % TWO_POW_32) & am;
  out[1] = am < 0 ? Math.floor(startAddr / unit) : Math.floor((low >>> 0) / unit);
}

const alignScratch = new Float64Array(2);

/**
 * Find the first run of `nr` free bits whose absolute address is aligned to `data.align`.
 *
 * Kernel: gen_pool_first_fit_align().
 * @returns the first bit of the run, or a value >= `size`.
 */
export function gen_pool_first_fit_align(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  data: unknown,
  pool: GenPoolAlgoPool,
  startAddr: number,
): number {
  if (data === null || typeof data !== 'object') nullData('gen_pool_first_fit_align', pool);
  const align = (data as GenPoolDataAlign).align | 0; // a C int
  firstFitAlignParams(align, pool.min_alloc_order, startAddr, alignScratch);
  return bitmapFindNextZeroAreaOff(map, size, start, nr, alignScratch[0]!, alignScratch[1]!);
}

/**
 * Allocate at exactly `data.offset` bytes from the chunk start, or fail.
 *
 * Kernel: gen_pool_fixed_alloc(). An offset that is not a multiple of the granule WARNs.
 * @returns `offset >> order` when that whole run is free, else `size`.
 */
export function gen_pool_fixed_alloc(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  data: unknown,
  pool: GenPoolAlgoPool,
  _startAddr: number,
): number {
  if (data === null || typeof data !== 'object') nullData('gen_pool_fixed_alloc', pool);
  const offset = (data as GenPoolDataFixed).offset;
  const unit = 2 ** pool.min_alloc_order;
  const offsetBit = Math.floor(offset / unit);
  if (offset % unit !== 0) {
    warnFixedOffset(pool, offset);
    return size;
  }
  const startBit = bitmapFindNextZeroArea(map, size, start + offsetBit, nr, 0);
  return startBit === offsetBit ? startBit : size;
}

/** The kernel dereferences `data` unchecked: a NULL one oopses. */
function nullData(site: string, pool: GenPoolAlgoPool): never {
  const message = `${site}: data is NULL (the algorithm needs its data structure)`;
  pool.log.bug('lib/genalloc.c', site, message);
  throw new KernelBug(message);
}

/** Log the WARN_ON of gen_pool_fixed_alloc for an offset off the granule grid. */
export function warnFixedOffset(pool: GenPoolAlgoPool, offset: number): void {
  const unit = 2 ** pool.min_alloc_order;
  // WARN_ON prints no message: the values go to the record's detail only.
  pool.log.warn(
    'lib/genalloc.c',
    'gen_pool_fixed_alloc',
    null,
    `fixed offset 0x${offset.toString(16)} is not a multiple of the ${unit}-byte granule`,
  );
}

/**
 * Find the first run of `nr` free bits whose index (relative to the chunk start) is a
 * multiple of the next power of two >= `nr`.
 *
 * Kernel: gen_pool_first_fit_order_align().
 * @returns the first bit of the run, or a value >= `size`.
 */
export function gen_pool_first_fit_order_align(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  _data: unknown,
  _pool: GenPoolAlgoPool,
  _startAddr: number,
): number {
  return bitmapFindNextZeroArea(map, size, start, nr, roundupPowOfTwo(nr) - 1);
}

/**
 * Find the smallest free run that holds `nr` bits; the lowest such run on a tie.
 *
 * Kernel: gen_pool_best_fit(). Scans the whole bitmap unless an exact-size run turns up.
 * @returns the first bit of that run, or `size` when nothing fits.
 */
export function gen_pool_best_fit(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  _data: unknown,
  _pool: GenPoolAlgoPool,
  _startAddr: number,
): number {
  let startBit = size;
  let len = size + 1;
  let index = bitmapFindNextZeroArea(map, size, start, nr, 0);
  while (index < size) {
    const nextBit = findNextBit(map, size, index + nr);
    if (nextBit - index < len) {
      len = nextBit - index;
      startBit = index;
      if (len === nr) return startBit;
    }
    index = bitmapFindNextZeroArea(map, size, nextBit + 1, nr, 0);
  }
  return startBit;
}

/** True when `algo` is one of the five algorithms above. */
export function isBuiltinAlgo(algo: GenPoolAlgo): boolean {
  return (
    algo === gen_pool_first_fit ||
    algo === gen_pool_first_fit_align ||
    algo === gen_pool_fixed_alloc ||
    algo === gen_pool_first_fit_order_align ||
    algo === gen_pool_best_fit
  );
}
