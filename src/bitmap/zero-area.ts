// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fit primitive under every genalloc algorithm: find a run of `nr` zero bits whose start
 * satisfies an alignment mask and offset.
 *
 * Kernel: lib/bitmap.c bitmap_find_next_zero_area_off(), include/linux/bitmap.h
 * bitmap_find_next_zero_area(), include/linux/align.h __ALIGN_MASK().
 *
 * The loop, literally as the kernel runs it:
 *
 *   again: index = first zero bit at or after start
 *          index = __ALIGN_MASK(index + align_offset, align_mask) - align_offset
 *          end   = index + nr;  if end > size: return end      (failure: a value > size)
 *          i = first set bit in [index, end);  if i < end: start = i + 1, goto again
 *          return index
 *
 * __ALIGN_MASK(x, mask) is ((x + mask) & ~mask): with mask + 1 a power of two it rounds up
 * to a multiple of mask + 1; with any other mask it is the bitwise formula, kept literally.
 *
 * DEVIATION: where the C arithmetic would wrap below zero (an alignment offset larger than
 * the aligned index) the kernel returns a huge end; kmem returns Number.MAX_SAFE_INTEGER,
 * which every caller treats the same way (≥ size means no fit). A mask of all ones (the
 * kernel's result for align 0) is passed as -1.
 */

import { findNextBit, findNextZeroBit } from './bitmap.js';

/** The failure value for a start index that wrapped below zero in the kernel's arithmetic. */
export const WRAPPED_INDEX = Number.MAX_SAFE_INTEGER;

/**
 * Return __ALIGN_MASK(x, mask): ((x + mask) & ~mask) for non-negative `x`.
 * A `mask` of -1 stands for the all-ones unsigned long and yields 0.
 */
export function alignMask(x: number, mask: number): number {
  if (mask === 0) return x;
  if (mask < 0) return 0;
  const t = x + mask;
  const m1 = mask + 1;
  if ((m1 & mask) === 0 || isPow2Float(m1)) return t - (t % m1);
  // Non-power-of-two masks: the bitwise formula on the low 32 bits (mask < 2^31).
  const lo = t % 4294967296;
  return t - lo + ((lo & ~mask) >>> 0);
}

function isPow2Float(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * Find a run of `nr` zero bits in [start, size) whose first index i satisfies
 * (i + alignOffset) aligned by `alignMask`.
 *
 * Kernel: bitmap_find_next_zero_area_off().
 * Context: scans the bitmap, O(size / 32) in the worst case; allocation-free.
 *
 * @returns the first bit of the run, or a value greater than `size` when nothing fits.
 */
export function bitmapFindNextZeroAreaOff(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  alignMaskValue: number,
  alignOffset: number,
): number {
  let lastIndex = -1;
  for (;;) {
    let index = findNextZeroBit(map, size, start);
    index = alignMask(index + alignOffset, alignMaskValue) - alignOffset;
    if (index < 0) return WRAPPED_INDEX;
    const end = index + nr;
    if (end > size) return end;
    const i = findNextBit(map, end, index);
    if (i >= end) return index;
    // The kernel loops forever when the alignment pins the index below a set bit (a mask of
    // all ones with no offset); a search that cannot move forward has no fit.
    if (index <= lastIndex && i + 1 <= start) return WRAPPED_INDEX;
    lastIndex = index;
    start = i + 1;
  }
}

/**
 * Find a run of `nr` zero bits at or after `start` whose first index is aligned by
 * `alignMaskValue`.
 *
 * Kernel: bitmap_find_next_zero_area().
 * @returns the first bit of the run, or a value greater than `size` when nothing fits.
 */
export function bitmapFindNextZeroArea(
  map: Uint32Array,
  size: number,
  start: number,
  nr: number,
  alignMaskValue: number,
): number {
  return bitmapFindNextZeroAreaOff(map, size, start, nr, alignMaskValue, 0);
}
