// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the bitmap layer (src/bitmap), then a seeded random comparison of every
 * function against the kernel's loops over a plain boolean[] (test/helpers/genpool-oracle.ts
 * and the bitmap_set_ll/bitmap_clear_ll loops written out below).
 *
 * Kernel: lib/find_bit.c, lib/bitmap.c (bitmap_set, bitmap_clear, bitmap_weight,
 * bitmap_find_next_zero_area_off), lib/genalloc.c (set_bits_ll, clear_bits_ll,
 * bitmap_set_ll, bitmap_clear_ll).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitmapClaim,
  bitmapClear,
  bitmapClearLl,
  bitmapFindNextZeroArea,
  bitmapFindNextZeroAreaOff,
  bitmapRelease,
  bitmapSet,
  bitmapSetLl,
  bitmapWeight,
  bitmapWords,
  findNextBit,
  findNextZeroBit,
  findPrevBit,
  isRangeClear,
  isRangeSet,
} from '../../src/bitmap/index.js';
import { XorShift32 } from '../../src/base/rng.js';
import {
  boolFindNextBit,
  boolFindNextZeroAreaOff,
  boolFindNextZeroBit,
  boolFindPrevBit,
} from '../helpers/genpool-oracle.js';

// ── Helpers ────────────────────────────────────────────────────────────────

/** A zeroed map of `bits` bits, in whole 64-bit longs as genalloc allocates it. */
function newMap(bits: number): Uint32Array {
  return new Uint32Array(Math.ceil(bits / 64) * 2);
}

/** A map with the given bits set. */
function mapWith(bits: number, set: readonly number[]): Uint32Array {
  const map = newMap(bits);
  for (const b of set) map[b >>> 5] = map[b >>> 5]! | (1 << (b & 31));
  return map;
}

function testBit(map: Uint32Array, i: number): boolean {
  return ((map[i >>> 5]! >>> (i & 31)) & 1) === 1;
}

/** The set bits of a map, ascending. */
function setBits(map: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < map.length * 32; i++) if (testBit(map, i)) out.push(i);
  return out;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

function toBools(map: Uint32Array): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < map.length * 32; i++) out.push(testBit(map, i));
  return out;
}

// ── find_next_bit / find_next_zero_bit / findPrevBit ───────────────────────

test('findNextBit finds set bits across word boundaries and returns size when none is left', () => {
  const map = mapWith(128, [5, 31, 32, 100]);
  assert.equal(findNextBit(map, 128, 0), 5);
  assert.equal(findNextBit(map, 128, 5), 5);
  assert.equal(findNextBit(map, 128, 6), 31);
  assert.equal(findNextBit(map, 128, 32), 32);
  assert.equal(findNextBit(map, 128, 33), 100);
  assert.equal(findNextBit(map, 128, 101), 128);
  assert.equal(findNextBit(newMap(128), 128, 0), 128);
});

test('findNextBit returns size for a start at or past size', () => {
  const map = mapWith(64, [3]);
  assert.equal(findNextBit(map, 64, 64), 64);
  assert.equal(findNextBit(map, 64, 1000), 64);
  assert.equal(findNextBit(map, 0, 0), 0);
  assert.equal(findNextBit(map, 64, 3), 3);
});

test('findNextBit never reports a bit at or past size in the last word', () => {
  const map = mapWith(64, [40]);
  assert.equal(findNextBit(map, 36, 0), 36);
  assert.equal(findNextBit(map, 41, 0), 40);
  assert.equal(findNextBit(map, 40, 33), 40);
});

test('findNextZeroBit finds clear bits across words and returns size when all are set', () => {
  const map = newMap(128);
  bitmapSet(map, 0, 70);
  assert.equal(findNextZeroBit(map, 128, 0), 70);
  assert.equal(findNextZeroBit(map, 128, 71), 71);
  assert.equal(findNextZeroBit(map, 70, 0), 70);
  assert.equal(findNextZeroBit(map, 64, 0), 64);
  bitmapSet(map, 0, 128);
  assert.equal(findNextZeroBit(map, 128, 0), 128);
  assert.equal(findNextZeroBit(map, 128, 200), 128);
});

test('findNextZeroBit never reports a clear bit at or past size in the last word', () => {
  const map = newMap(64);
  bitmapSet(map, 0, 20);
  assert.equal(findNextZeroBit(map, 20, 0), 20);
  assert.equal(findNextZeroBit(map, 21, 0), 20);
  assert.equal(findNextZeroBit(map, 20, 5), 20);
});

test('findPrevBit returns the last set bit below end, or -1', () => {
  const map = mapWith(128, [3, 31, 64, 90]);
  assert.equal(findPrevBit(map, 128), 90);
  assert.equal(findPrevBit(map, 90), 64);
  assert.equal(findPrevBit(map, 65), 64);
  assert.equal(findPrevBit(map, 64), 31);
  assert.equal(findPrevBit(map, 32), 31);
  assert.equal(findPrevBit(map, 31), 3);
  assert.equal(findPrevBit(map, 3), -1);
  assert.equal(findPrevBit(map, 0), -1);
  assert.equal(findPrevBit(newMap(128), 128), -1);
});

// ── bitmap_set / bitmap_clear / ranges / weight ────────────────────────────

test('bitmapSet sets exactly the range, inside one word and across three words', () => {
  const a = newMap(128);
  bitmapSet(a, 3, 5);
  assert.deepEqual(setBits(a), range(3, 8));
  const b = newMap(128);
  bitmapSet(b, 20, 60);
  assert.deepEqual(setBits(b), range(20, 80));
  const c = newMap(128);
  bitmapSet(c, 32, 32);
  assert.deepEqual(setBits(c), range(32, 64));
  assert.equal(c[0], 0);
  assert.equal(c[1], 0xffffffff);
  assert.equal(c[2], 0);
});

test('bitmapSet and bitmapClear with nr 0 change nothing', () => {
  const map = mapWith(64, [7]);
  bitmapSet(map, 0, 0);
  bitmapClear(map, 7, 0);
  assert.deepEqual(setBits(map), [7]);
});

test('bitmapClear clears exactly the range and leaves its neighbours set', () => {
  const map = newMap(128);
  bitmapSet(map, 0, 128);
  bitmapClear(map, 30, 40);
  assert.deepEqual(setBits(map), [...range(0, 30), ...range(70, 128)]);
  bitmapClear(map, 0, 1);
  assert.equal(testBit(map, 0), false);
  assert.equal(testBit(map, 1), true);
});

test('isRangeClear and isRangeSet look only at their range (true for an empty range)', () => {
  const map = mapWith(128, [40]);
  assert.equal(isRangeClear(map, 0, 40), true);
  assert.equal(isRangeClear(map, 0, 41), false);
  assert.equal(isRangeClear(map, 41, 87), true);
  assert.equal(isRangeClear(map, 40, 0), true);
  assert.equal(isRangeSet(map, 40, 1), true);
  assert.equal(isRangeSet(map, 39, 2), false);
  assert.equal(isRangeSet(map, 0, 0), true);
  bitmapSet(map, 10, 90);
  assert.equal(isRangeSet(map, 10, 90), true);
  assert.equal(isRangeSet(map, 9, 91), false);
  assert.equal(isRangeSet(map, 10, 91), false);
});

test('bitmapWeight counts the set bits below size only', () => {
  const map = mapWith(128, [0, 31, 32, 63, 64, 100]);
  assert.equal(bitmapWeight(map, 128), 6);
  assert.equal(bitmapWeight(map, 100), 5);
  assert.equal(bitmapWeight(map, 64), 4);
  assert.equal(bitmapWeight(map, 1), 1);
  assert.equal(bitmapWeight(map, 0), 0);
  assert.equal(bitmapWeight(newMap(128), 128), 0);
});

test('bitmapWords rounds a bit count up to whole 64-bit longs', () => {
  assert.equal(bitmapWords(0), 0);
  assert.equal(bitmapWords(1), 2);
  assert.equal(bitmapWords(64), 2);
  assert.equal(bitmapWords(65), 4);
  assert.equal(bitmapWords(1000), 32);
});

// ── bitmap_find_next_zero_area(_off) ───────────────────────────────────────

test('bitmapFindNextZeroArea returns the lowest run of nr zero bits, skipping short runs', () => {
  const map = mapWith(128, [3, 10]);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 3, 0), 0);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 4, 0), 4);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 7, 0), 11);
  assert.equal(bitmapFindNextZeroArea(map, 128, 5, 2, 0), 5);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 117, 0), 11);
});

test('bitmapFindNextZeroArea aligns the start to align_mask + 1', () => {
  const map = mapWith(128, [0]);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 1, 7), 8);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 1, 0), 1);
  bitmapSet(map, 8, 1);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 1, 7), 16);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 16, 15), 16);
  assert.equal(bitmapFindNextZeroArea(map, 128, 0, 64, 63), 64);
});

test('bitmapFindNextZeroAreaOff aligns index + align_offset, not index', () => {
  const map = newMap(128);
  // (index + 1) must be a multiple of 4: 3, 7, 11, ...
  assert.equal(bitmapFindNextZeroAreaOff(map, 128, 0, 1, 3, 1), 3);
  assert.equal(bitmapFindNextZeroAreaOff(map, 128, 4, 1, 3, 1), 7);
  // (index + 3) a multiple of 8: 5, 13, ...
  bitmapSet(map, 6, 1);
  assert.equal(bitmapFindNextZeroAreaOff(map, 128, 0, 2, 7, 3), 13);
  assert.equal(bitmapFindNextZeroAreaOff(map, 128, 0, 1, 7, 3), 5);
  // offset 0 is the plain variant
  assert.equal(
    bitmapFindNextZeroAreaOff(map, 128, 0, 2, 7, 0),
    bitmapFindNextZeroArea(map, 128, 0, 2, 7),
  );
});

test('bitmapFindNextZeroArea fails with a value greater than size (index + nr)', () => {
  const map = newMap(64);
  bitmapSet(map, 0, 60);
  // first zero bit is 60; 60 + 8 = 68 > 64
  assert.equal(bitmapFindNextZeroArea(map, 64, 0, 8, 0), 68);
  assert.equal(bitmapFindNextZeroArea(map, 64, 0, 4, 0), 60);
  // aligned to 16: index 64, end 68
  const m2 = newMap(64);
  bitmapSet(m2, 0, 50);
  assert.equal(bitmapFindNextZeroArea(m2, 64, 0, 4, 15), 68);
  assert.equal(bitmapFindNextZeroArea(m2, 64, 0, 4, 1), 50);
  // a full map: index = size, so size + nr
  const full = newMap(64);
  bitmapSet(full, 0, 64);
  assert.equal(bitmapFindNextZeroArea(full, 64, 0, 1, 0), 65);
  // the whole map fits exactly: end == size is success
  assert.equal(bitmapFindNextZeroArea(newMap(64), 64, 0, 64, 0), 0);
});

test('bitmapFindNextZeroArea with nr larger than size returns nr, which is greater than size', () => {
  const map = newMap(64);
  assert.equal(bitmapFindNextZeroArea(map, 40, 0, 41, 0), 41);
  assert.equal(bitmapFindNextZeroArea(map, 40, 0, 1000, 0), 1000);
  assert.ok(bitmapFindNextZeroArea(map, 40, 0, 41, 0) > 40);
  assert.equal(bitmapFindNextZeroArea(map, 40, 0, 40, 0), 0);
});

test('bitmapFindNextZeroArea ignores set bits at or past size', () => {
  const map = mapWith(64, [20]);
  assert.equal(bitmapFindNextZeroArea(map, 20, 0, 20, 0), 0);
  assert.equal(bitmapFindNextZeroArea(map, 21, 0, 21, 0), 42);
});

// ── bitmap_set_ll / bitmap_clear_ll ────────────────────────────────────────

test('bitmapSetLl returns 0 and sets the range when every bit was clear', () => {
  const map = newMap(256);
  assert.equal(bitmapSetLl(map, 10, 150), 0);
  assert.deepEqual(setBits(map), range(10, 160));
  const one = newMap(64);
  assert.equal(bitmapSetLl(one, 5, 3), 0);
  assert.deepEqual(setBits(one), [5, 6, 7]);
  const whole = newMap(192);
  assert.equal(bitmapSetLl(whole, 64, 64), 0);
  assert.deepEqual(setBits(whole), range(64, 128));
});

test('bitmapSetLl over 3 longs with a bit set in the 2nd long returns the bits not set and leaves the 1st long set', () => {
  // bits 10..159: long 0 gets 54 bits, long 1 64 bits, long 2 32 bits
  const map = mapWith(256, [70]);
  const remain = bitmapSetLl(map, 10, 150);
  assert.equal(remain, 150 - 54);
  assert.deepEqual(setBits(map), [...range(10, 64), 70]);
  // rollback as gen_pool_alloc_algo_owner does: clear nr - remain bits at start
  assert.equal(bitmapClearLl(map, 10, 150 - remain), 0);
  assert.deepEqual(setBits(map), [70]);
});

test('bitmapSetLl failing in the last partial long leaves the earlier longs set', () => {
  const map = mapWith(256, [150]);
  const remain = bitmapSetLl(map, 10, 150);
  assert.equal(remain, 150 - 54 - 64);
  assert.deepEqual(setBits(map), [...range(10, 128), 150]);
});

test('bitmapSetLl failing in the first long returns nr and changes nothing', () => {
  const map = mapWith(256, [12]);
  assert.equal(bitmapSetLl(map, 10, 150), 150);
  assert.deepEqual(setBits(map), [12]);
});

test('bitmapSetLl only tests the bits of its range, not the rest of the long', () => {
  const map = mapWith(128, [5, 21]);
  assert.equal(bitmapSetLl(map, 10, 11), 0);
  assert.deepEqual(setBits(map), [5, ...range(10, 22)]);
  assert.equal(bitmapSetLl(map, 0, 0), 0);
  assert.equal(bitmapSetLl(map, 21, 1), 1);
});

test('bitmapClearLl returns 0 and clears the range when every bit was set', () => {
  const map = newMap(256);
  bitmapSet(map, 0, 256);
  assert.equal(bitmapClearLl(map, 10, 150), 0);
  assert.deepEqual(setBits(map), [...range(0, 10), ...range(160, 256)]);
});

test('bitmapClearLl over 3 longs with a clear bit in the 2nd long returns the bits not cleared and leaves the 1st long cleared', () => {
  const map = newMap(256);
  bitmapSet(map, 10, 150);
  bitmapClear(map, 70, 1);
  const remain = bitmapClearLl(map, 10, 150);
  assert.equal(remain, 96);
  assert.deepEqual(setBits(map), [...range(64, 70), ...range(71, 160)]);
  assert.equal(bitmapClearLl(map, 0, 0), 0);
  // a clear in the first long changes nothing
  const m2 = newMap(128);
  bitmapSet(m2, 0, 20);
  assert.equal(bitmapClearLl(m2, 10, 11), 11);
  assert.deepEqual(setBits(m2), range(0, 20));
});

// ── bitmapClaim / bitmapRelease (one-thread claim and release) ─────────────

test('bitmapClaim sets a wholly clear range and returns true, inside one word and across words', () => {
  const map = newMap(256);
  assert.equal(bitmapClaim(map, 3, 5), true);
  assert.equal(bitmapClaim(map, 20, 150), true);
  assert.deepEqual(setBits(map), [...range(3, 8), ...range(20, 170)]);
  assert.equal(bitmapClaim(map, 0, 0), true, 'an empty range is claimed trivially');
});

test('bitmapClaim of a range with any bit set returns false and changes nothing', () => {
  for (const taken of [10, 31, 32, 100, 159]) {
    const map = mapWith(256, [taken]);
    assert.equal(bitmapClaim(map, 10, 150), false, `bit ${taken} taken`);
    assert.deepEqual(setBits(map), [taken]);
  }
  const map = mapWith(64, [9]);
  assert.equal(bitmapClaim(map, 5, 4), true, 'bit 9 is outside [5, 9)');
});

test('bitmapRelease clears a wholly set range and returns true', () => {
  const map = newMap(256);
  bitmapSet(map, 0, 256);
  assert.equal(bitmapRelease(map, 20, 150), true);
  assert.deepEqual(setBits(map), [...range(0, 20), ...range(170, 256)]);
  assert.equal(bitmapRelease(map, 0, 1), true);
  assert.equal(bitmapRelease(map, 5, 0), true, 'an empty range is released trivially');
  assert.equal(testBit(map, 0), false);
});

test('bitmapRelease of a range with any bit clear, or past the map, returns false and changes nothing', () => {
  for (const hole of [20, 31, 32, 100, 169]) {
    const map = newMap(256);
    bitmapSet(map, 0, 256);
    bitmapClear(map, hole, 1);
    assert.equal(bitmapRelease(map, 20, 150), false, `bit ${hole} clear`);
    assert.deepEqual(
      setBits(map),
      range(0, 256).filter((b) => b !== hole),
    );
  }
  const map = newMap(64);
  bitmapSet(map, 0, 64);
  assert.equal(bitmapRelease(map, 60, 5), false, 'bit 64 is past the storage');
  assert.deepEqual(setBits(map), range(0, 64));
  assert.equal(bitmapRelease(map, 60, 4), true);
});

// ── Seeded random comparison with boolean[] ────────────────────────────────

/** bitmap_set_ll(), the kernel's loop over 64-bit longs, on boolean[]. */
function llSet(map: boolean[], start: number, nr: number, set: boolean): number {
  const size = start + nr;
  let p = Math.floor(start / 64);
  let bitsToSet = 64 - (start % 64);
  let lo = start % 64;
  const testLong = (long: number, from: number, to: number): boolean => {
    for (let j = from; j < to; j++) if (map[long * 64 + j] === set) return false;
    return true;
  };
  const writeLong = (long: number, from: number, to: number): void => {
    for (let j = from; j < to; j++) map[long * 64 + j] = set;
  };
  while (nr >= bitsToSet) {
    if (!testLong(p, lo, 64)) return nr;
    writeLong(p, lo, 64);
    nr -= bitsToSet;
    bitsToSet = 64;
    lo = 0;
    p++;
  }
  if (nr !== 0) {
    const hi = size % 64;
    if (!testLong(p, lo, hi)) return nr;
    writeLong(p, lo, hi);
  }
  return 0;
}

test('every bitmap function agrees with boolean[] on seeded random maps and operations', () => {
  const seed = 0x5eed1234;
  const rng = new XorShift32(seed);
  const masks = [0, 0, 1, 3, 7, 15, 31, 63, 127, 2, 5, 6, 12];
  for (let round = 0; round < 4000; round++) {
    const size = 1 + rng.below(320);
    const map = newMap(size + 64); // storage past size, as the kernel's longs
    const density = rng.below(5);
    for (let i = 0; i < map.length * 32; i++) {
      if (rng.below(4) < density) map[i >>> 5] = map[i >>> 5]! | (1 << (i & 31));
    }
    const bools = toBools(map);
    const at = `seed ${seed} round ${round} (size ${size})`;
    for (let k = 0; k < 8; k++) {
      const op = rng.below(11);
      const start = rng.below(size + 3);
      const nr = rng.below(size + 5 - Math.min(start, size));
      const ctx = `${at} op ${k}: kind ${op} start ${start} nr ${nr}`;
      switch (op) {
        case 0:
          assert.equal(findNextBit(map, size, start), boolFindNextBit(bools, size, start), ctx);
          break;
        case 1:
          assert.equal(
            findNextZeroBit(map, size, start),
            boolFindNextZeroBit(bools, size, start),
            ctx,
          );
          break;
        case 2: {
          const end = rng.below(size + 1);
          assert.equal(findPrevBit(map, end), boolFindPrevBit(bools, end), `${ctx} end ${end}`);
          break;
        }
        case 3: {
          const m = masks[rng.below(masks.length)]!;
          const off = rng.below(m + 2);
          assert.equal(
            bitmapFindNextZeroAreaOff(map, size, start, nr, m, off),
            boolFindNextZeroAreaOff(bools, size, start, nr, m, off),
            `${ctx} mask ${m} off ${off}`,
          );
          break;
        }
        case 4: {
          const n = Math.min(nr, size - Math.min(start, size));
          let clear = true;
          let full = true;
          for (let i = start; i < start + n; i++) {
            if (bools[i]) clear = false;
            else full = false;
          }
          assert.equal(isRangeClear(map, start, n), clear, ctx);
          assert.equal(isRangeSet(map, start, n), full, ctx);
          let w = 0;
          for (let i = 0; i < size; i++) if (bools[i]) w++;
          assert.equal(bitmapWeight(map, size), w, ctx);
          break;
        }
        case 5:
        case 6: {
          const s = Math.min(start, size);
          const n = Math.min(nr, size - s);
          if (op === 5) bitmapSet(map, s, n);
          else bitmapClear(map, s, n);
          for (let i = s; i < s + n; i++) bools[i] = op === 5;
          assert.deepEqual(toBools(map), bools, ctx);
          break;
        }
        case 7:
        case 8: {
          const s = Math.min(start, size);
          const n = Math.min(nr, size - s);
          const got = op === 7 ? bitmapSetLl(map, s, n) : bitmapClearLl(map, s, n);
          const want = llSet(bools, s, n, op === 7);
          assert.equal(got, want, ctx);
          assert.deepEqual(toBools(map), bools, ctx);
          break;
        }
        case 9:
        case 10: {
          const s = Math.min(start, size);
          const n = Math.min(nr, size - s);
          const set = op === 9;
          const got = set ? bitmapClaim(map, s, n) : bitmapRelease(map, s, n);
          let ok = true;
          for (let i = s; i < s + n; i++) if (bools[i] === set) ok = false;
          if (ok) for (let i = s; i < s + n; i++) bools[i] = set;
          assert.equal<boolean>(got, ok, ctx);
          assert.deepEqual(toBools(map), bools, ctx);
          break;
        }
      }
    }
  }
});
