// SPDX-License-Identifier: GPL-2.0-only
/*
 * Units and integer helpers that are safe for addresses.
 *
 * Addresses and sizes are JavaScript numbers holding integers below 2^53. JavaScript's bit
 * operators truncate to 32 bits, so every helper here that may see an address uses `%`,
 * multiplication and Math.floor; the 32-bit helpers (fls, ffs, ctz32) say so in their name
 * or doc and are only for bit indices, word values and masks.
 *
 * Kernel: include/linux/align.h (ALIGN), include/linux/log2.h (roundup_pow_of_two,
 * is_power_of_2), include/asm-generic/bitops/fls.h.
 */

/** Bytes in a page of the simulated machine (x86-64). */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;

/** 2^32, for uint32 arithmetic done in doubles (checksums mod 2^32). */
export const TWO_POW_32 = 4294967296;

/** Return true when `n` is a positive integer power of two (any safe integer). */
export function isPowerOfTwo(n: number): boolean {
  if (!(n > 0) || !Number.isSafeInteger(n)) return false;
  while (n > TWO_POW_32) {
    if (n % 2 !== 0) return false;
    n /= 2;
  }
  return (n & (n - 1)) === 0 || n === TWO_POW_32;
}

/** Round `x` down to a multiple of `a` (a > 0). Safe for addresses. */
export function alignDown(x: number, a: number): number {
  return x - (x % a);
}

/** Round `x` up to a multiple of `a` (a > 0), the kernel's ALIGN(). Safe for addresses. */
export function alignUp(x: number, a: number): number {
  const r = x % a;
  return r === 0 ? x : x + (a - r);
}

/** Return true when `x` is a multiple of `a`. Safe for addresses. */
export function isAligned(x: number, a: number): boolean {
  return x % a === 0;
}

/**
 * Find the last (most significant) set bit of a uint32, counting from 1; fls(0) = 0.
 * Kernel: fls(). 32-bit values only.
 */
export function fls(x: number): number {
  return 32 - Math.clz32(x);
}

/** Find the first (least significant) set bit, counting from 1; ffs(0) = 0. 32-bit only. */
export function ffs(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x & -x);
}

/** Count trailing zero bits of a 32-bit value; ctz32(0) = 32. */
export function ctz32(x: number): number {
  return x === 0 ? 32 : 31 - Math.clz32(x & -x);
}

/** Count the set bits of a 32-bit value. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Round up to the next power of two, the kernel's roundup_pow_of_two(); values ≤ 1 give 1.
 * Safe for any safe integer.
 */
export function roundupPowOfTwo(n: number): number {
  if (n <= 1) return 1;
  if (n <= 0x40000000) return 1 << (32 - Math.clz32(Math.ceil(n) - 1));
  return 2 ** Math.ceil(Math.log2(n));
}

/** Return the number of bytes in a size written as bytes or with a K/M/G/T suffix ('512M'). */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
    return size;
  }
  const m = /^\s*(\d+)\s*([KMGT]?)i?B?\s*$/i.exec(size);
  if (m === null) throw new RangeError(`invalid size '${size}' (use bytes or 64K, 512M, 4G)`);
  const unit = (m[2] ?? '').toUpperCase();
  const shift = unit === 'K' ? 10 : unit === 'M' ? 20 : unit === 'G' ? 30 : unit === 'T' ? 40 : 0;
  const bytes = Number(m[1]) * 2 ** shift;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`size '${size}' is too large`);
  return bytes;
}

/** Format a non-negative integer as `0x` + lowercase hex; -1 (all ones) as 0xffffffffffffffff. */
export function hex(n: number): string {
  if (n === -1) return '0xffffffffffffffff';
  if (n < 0) return `-0x${(-n).toString(16)}`;
  return `0x${n.toString(16)}`;
}
