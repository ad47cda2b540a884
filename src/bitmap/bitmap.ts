// SPDX-License-Identifier: GPL-2.0-only
/*
 * Word bitmaps over Uint32Array: find the next set or zero bit, set and clear ranges, test a
 * range, count bits.
 *
 * Kernel: lib/find_bit.c (find_next_bit, find_next_zero_bit), lib/bitmap.c (bitmap_set,
 * bitmap_clear, bitmap_weight).
 *
 * Layout: bit i lives in word i >>> 5 at bit position i & 31, so bit 0 is the least
 * significant bit of word 0 — the little-endian layout of the kernel's unsigned long maps.
 *
 *   word 0                           word 1
 *   bit 31 ............... bit 0     bit 63 ............... bit 32
 *
 * Bits at or above `size` in the last word are outside the map: the find functions never
 * report them, the range functions never touch them.
 *
 * Every index here is a bit index below MAX_BITMAP_BITS (< 2^31), so 32-bit operators are
 * safe on them.
 */

import { popcount32 } from '../base/units.js';

/** The largest bitmap kmem builds, in bits (keeps every bit index in the 32-bit range). */
export const MAX_BITMAP_BITS = 2 ** 30;

/** Mask of the bits at and above `start` within its word (BITMAP_FIRST_WORD_MASK). */
export function firstWordMask(start: number): number {
  return (0xffffffff << (start & 31)) | 0;
}

/** Mask of the bits below `end` within its word, all ones when end is word-aligned. */
export function lastWordMask(end: number): number {
  const r = end & 31;
  return r === 0 ? -1 : ((1 << r) - 1) | 0; // int32: (1 << 31) - 1 is not
}

/**
 * Find the first set bit at or after `start`.
 *
 * Kernel: find_next_bit(map, size, start).
 * @returns the bit index, or `size` when no bit in [start, size) is set.
 */
export function findNextBit(map: Uint32Array, size: number, start: number): number {
  if (start >= size) return size;
  let w = start >>> 5;
  let word = map[w]! & firstWordMask(start);
  const lastWord = (size - 1) >>> 5;
  while (word === 0) {
    if (++w > lastWord) return size;
    word = map[w]!;
  }
  const bit = (w << 5) + (31 - Math.clz32(word & -word));
  return bit < size ? bit : size;
}

/**
 * Find the first zero bit at or after `start`.
 *
 * Kernel: find_next_zero_bit(map, size, start).
 * @returns the bit index, or `size` when every bit in [start, size) is set.
 */
export function findNextZeroBit(map: Uint32Array, size: number, start: number): number {
  if (start >= size) return size;
  let w = start >>> 5;
  let word = ~map[w]! & firstWordMask(start);
  const lastWord = (size - 1) >>> 5;
  while (word === 0) {
    if (++w > lastWord) return size;
    word = ~map[w]!;
  }
  const bit = (w << 5) + (31 - Math.clz32(word & -word));
  return bit < size ? bit : size;
}

/**
 * Find the last set bit below `end`.
 * @returns the bit index, or -1 when no bit in [0, end) is set.
 */
export function findPrevBit(map: Uint32Array, end: number): number {
  if (end <= 0) return -1;
  let w = (end - 1) >>> 5;
  let word = map[w]! & lastWordMask(end);
  while (word === 0) {
    if (--w < 0) return -1;
    word = map[w]!;
  }
  return (w << 5) + 31 - Math.clz32(word);
}

/** Set the `nr` bits at `start` (kernel: bitmap_set). */
export function bitmapSet(map: Uint32Array, start: number, nr: number): void {
  if (nr <= 0) return;
  const end = start + nr;
  let w = start >>> 5;
  const lastW = (end - 1) >>> 5;
  if (w === lastW) {
    map[w] = map[w]! | (firstWordMask(start) & lastWordMask(end));
    return;
  }
  map[w] = map[w]! | firstWordMask(start);
  while (++w < lastW) map[w] = 0xffffffff;
  map[w] = map[w]! | lastWordMask(end);
}

/** Clear the `nr` bits at `start` (kernel: bitmap_clear). */
export function bitmapClear(map: Uint32Array, start: number, nr: number): void {
  if (nr <= 0) return;
  const end = start + nr;
  let w = start >>> 5;
  const lastW = (end - 1) >>> 5;
  if (w === lastW) {
    map[w] = map[w]! & ~(firstWordMask(start) & lastWordMask(end));
    return;
  }
  map[w] = map[w]! & ~firstWordMask(start);
  while (++w < lastW) map[w] = 0;
  map[w] = map[w]! & ~lastWordMask(end);
}

/**
 * Set the `nr` bits at `start` if all of them are zero (a claim on one thread).
 * @returns true when the bits were set, false (nothing changed) when one was already set.
 */
export function bitmapClaim(map: Uint32Array, start: number, nr: number): boolean {
  if (nr <= 0) return true;
  const end = start + nr;
  const wFirst = start >>> 5;
  const wLast = (end - 1) >>> 5;
  if (wFirst === wLast) {
    const mask = firstWordMask(start) & lastWordMask(end);
    const w = map[wFirst]!;
    if ((w & mask) !== 0) return false;
    map[wFirst] = w | mask;
    return true;
  }
  if ((map[wFirst]! & firstWordMask(start)) !== 0) return false;
  for (let w = wFirst + 1; w < wLast; w++) if (map[w] !== 0) return false;
  if ((map[wLast]! & lastWordMask(end)) !== 0) return false;
  map[wFirst] = map[wFirst]! | firstWordMask(start);
  for (let w = wFirst + 1; w < wLast; w++) map[w] = 0xffffffff;
  map[wLast] = map[wLast]! | lastWordMask(end);
  return true;
}

/**
 * Clear the `nr` bits at `start` if all of them are set (a release on one thread).
 * @returns true when the bits were cleared, false (nothing changed) when one was not set.
 */
export function bitmapRelease(map: Uint32Array, start: number, nr: number): boolean {
  if (nr <= 0) return true;
  const end = start + nr;
  const wFirst = start >>> 5;
  const wLast = (end - 1) >>> 5;
  if (wLast >= map.length) return false;
  if (wFirst === wLast) {
    const mask = firstWordMask(start) & lastWordMask(end);
    const w = map[wFirst]!;
    if ((w & mask) !== mask) return false;
    map[wFirst] = w & ~mask;
    return true;
  }
  const fm = firstWordMask(start);
  const lm = lastWordMask(end);
  if ((map[wFirst]! & fm) !== fm) return false;
  for (let w = wFirst + 1; w < wLast; w++) if (map[w] !== 0xffffffff) return false;
  if ((map[wLast]! & lm) !== lm) return false;
  map[wFirst] = map[wFirst]! & ~fm;
  for (let w = wFirst + 1; w < wLast; w++) map[w] = 0;
  map[wLast] = map[wLast]! & ~lm;
  return true;
}

/** Return true when every bit of [start, start + nr) is zero (true for nr = 0). */
export function isRangeClear(map: Uint32Array, start: number, nr: number): boolean {
  if (nr <= 0) return true;
  return findNextBit(map, start + nr, start) >= start + nr;
}

/** Return true when every bit of [start, start + nr) is set (true for nr = 0). */
export function isRangeSet(map: Uint32Array, start: number, nr: number): boolean {
  if (nr <= 0) return true;
  return findNextZeroBit(map, start + nr, start) >= start + nr;
}

/** Count the set bits of [0, size) (kernel: bitmap_weight). */
export function bitmapWeight(map: Uint32Array, size: number): number {
  let n = 0;
  const full = size >>> 5;
  for (let w = 0; w < full; w++) n += popcount32(map[w]!);
  if ((size & 31) !== 0) n += popcount32(map[full]! & lastWordMask(size));
  return n;
}

/** Return the number of Uint32 words a map of `bits` bits needs, rounded to whole 64-bit longs. */
export function bitmapWords(bits: number): number {
  return Math.ceil(bits / 64) * 2;
}
