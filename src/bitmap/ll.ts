// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lock-less range set and clear with the kernel's per-long granularity and partial-failure
 * return, the primitive genalloc claims and releases bits with.
 *
 * Kernel: lib/genalloc.c set_bits_ll(), clear_bits_ll(), bitmap_set_ll(), bitmap_clear_ll().
 *
 * The kernel works on unsigned longs (BITS_PER_LONG = 64). kmem's maps are Uint32Array, so
 * one kernel long is the word pair (2k, 2k+1): low half first, as on little-endian x86-64.
 *
 *   long k:   word 2k+1 (bits 63..32)   word 2k (bits 31..0)
 *
 * set_bits_ll(long, mask) fails (-EBUSY) when any bit of mask is already set, and
 * clear_bits_ll(long, mask) fails when any bit of mask is not set; otherwise they change the
 * whole long at once. bitmap_set_ll(map, start, nr) walks the longs of the range (first
 * partial long, whole longs, last partial long) and returns at the first failure the number
 * of bits it had NOT yet set ("remain"), having set the longs before it; 0 means success.
 * bitmap_clear_ll is symmetric. The caller rolls back `nr - remain` bits.
 *
 * This file is the single-threaded variant (plain stores): on one thread a long cannot change
 * between the test and the store, which is what the kernel's cmpxchg loop guarantees.
 */

import { firstWordMask, lastWordMask } from './bitmap.js';

const BITS_PER_LONG = 64;

/** The two 32-bit halves of a 64-bit mask, preallocated: the hot path builds no objects. */
const maskLo = new Int32Array(1);
const maskHi = new Int32Array(1);

function firstLongMask(start: number): void {
  const o = start % BITS_PER_LONG;
  maskLo[0] = o < 32 ? firstWordMask(o) : 0;
  maskHi[0] = o < 32 ? -1 : firstWordMask(o - 32);
}

function andLastLongMask(size: number): void {
  const r = size % BITS_PER_LONG;
  if (r === 0) return;
  maskLo[0] = maskLo[0]! & (r >= 32 ? -1 : lastWordMask(r));
  maskHi[0] = maskHi[0]! & (r > 32 ? lastWordMask(r - 32) : 0);
}

function setBitsLong(map: Uint32Array, long: number): boolean {
  const w = long * 2;
  const lo = maskLo[0]!;
  const hi = maskHi[0]!;
  if ((map[w]! & lo) !== 0 || (map[w + 1]! & hi) !== 0) return false;
  map[w] = map[w]! | lo;
  map[w + 1] = map[w + 1]! | hi;
  return true;
}

function clearBitsLong(map: Uint32Array, long: number): boolean {
  const w = long * 2;
  const lo = maskLo[0]!;
  const hi = maskHi[0]!;
  if ((map[w]! & lo) !== lo || (map[w + 1]! & hi) !== hi) return false;
  map[w] = map[w]! & ~lo;
  map[w + 1] = map[w + 1]! & ~hi;
  return true;
}

/**
 * Set `nr` bits at `start`, long by long, stopping at the first long with a bit already set.
 *
 * Kernel: bitmap_set_ll().
 * @returns 0 on success, else the number of bits not set (the longs before the failing one
 *   stay set; the caller rolls them back).
 */
export function bitmapSetLl(map: Uint32Array, start: number, nr: number): number {
  const size = start + nr;
  let long = Math.floor(start / BITS_PER_LONG);
  let bitsToSet = BITS_PER_LONG - (start % BITS_PER_LONG);
  firstLongMask(start);
  while (nr - bitsToSet >= 0) {
    if (!setBitsLong(map, long)) return nr;
    nr -= bitsToSet;
    bitsToSet = BITS_PER_LONG;
    maskLo[0] = -1;
    maskHi[0] = -1;
    long++;
  }
  if (nr !== 0) {
    andLastLongMask(size);
    if (!setBitsLong(map, long)) return nr;
  }
  return 0;
}

/**
 * Clear `nr` bits at `start`, long by long, stopping at the first long where some bit of the
 * range is not set.
 *
 * Kernel: bitmap_clear_ll().
 * @returns 0 on success, else the number of bits not cleared (earlier longs stay cleared).
 */
export function bitmapClearLl(map: Uint32Array, start: number, nr: number): number {
  const size = start + nr;
  let long = Math.floor(start / BITS_PER_LONG);
  let bitsToClear = BITS_PER_LONG - (start % BITS_PER_LONG);
  firstLongMask(start);
  while (nr - bitsToClear >= 0) {
    if (!clearBitsLong(map, long)) return nr;
    nr -= bitsToClear;
    bitsToClear = BITS_PER_LONG;
    maskLo[0] = -1;
    maskHi[0] = -1;
    long++;
  }
  if (nr !== 0) {
    andLastLongMask(size);
    if (!clearBitsLong(map, long)) return nr;
  }
  return 0;
}
