// SPDX-License-Identifier: GPL-2.0-only
/*
 * The aligned-fit index of a genpool chunk: answers "the lowest index p, a multiple of 2^j,
 * with [p, p + nr) free" for nr <= 2^j in O(log words) — the placement of
 * gen_pool_first_fit_order_align and of gen_pool_first_fit_align on an aligned chunk.
 *
 * Kernel: none — replaces the scan of bitmap_find_next_zero_area(map, size, 0, nr, 2^j - 1)
 * with the same answer.
 *
 * Why it works: with nr <= 2^j, a fit at an aligned p lies inside the aligned block
 * [p, p + 2^j), so it exists iff that block's free prefix is at least nr. Call B_j(p) that
 * prefix. Blocks of 2^j >= 32 bits are exactly the nodes at height j - 5 of a binary tree
 * over the bitmap's words (the same shape as the fit tree's); smaller blocks live inside one
 * word. The index needs no fit tree: it keeps the nodes' own prefixes itself.
 *
 * Structure: for every tree node n at height h (leaves: h = 0) and every level
 * j = 0 .. h + 5, M(n, j) = the largest B_j over the 2^j-blocks inside n's span; M(n, h + 5)
 * is n's own prefix. A query descends from the root into the leftmost child whose M(·, j)
 * reaches nr. Entries are stored per height, node by node:
 *
 *   height h:  [ node L>>h: M(·,0) .. M(·,h+5) ][ node L>>h + 1: ... ] ...
 *
 * The index is built on the first aligned search of a chunk and kept up to date from then
 * on (it costs about h + 6 max operations per level of every update).
 *
 * Invariant A1 (check.ts): every entry equals its recomputation from the bitmap.
 */

import { lastWordMask, isRangeClear } from '../bitmap/bitmap.js';
import { runStarts } from './fit-tree.js';

/** Number of trailing one bits of a word that is not all ones. */
function trailingOnes(z: number): number {
  const t = ~z;
  return 31 - Math.clz32(t & -t);
}

/** Bits at the start of every 2^j-bit block of a word, for j = 0..4. */
const BLOCK_STARTS = [0xffffffff | 0, 0x55555555, 0x11111111, 0x01010101, 0x00010001];

/**
 * The largest free prefix (at most 2^j) of the 2^j-bit blocks of a word, given the run-start
 * masks y_1 = z, y_2, y_4, y_8, y_16 of its free bits.
 */
function liftBlock(z: number, y2: number, y4: number, y8: number, y16: number, j: number): number {
  const starts = BLOCK_STARTS[j]!;
  const full = j === 1 ? y2 : j === 2 ? y4 : j === 3 ? y8 : y16;
  if ((full & starts) !== 0) return 1 << j;
  let m = 0;
  let y = starts;
  for (let k = j - 1; k >= 0; k--) {
    const yk = k === 0 ? z : k === 1 ? y2 : k === 2 ? y4 : y8;
    const c = y & (yk >>> m);
    if (c !== 0) {
      m += 1 << k;
      y = c;
    }
  }
  return m;
}

/**
 * Lanes of the packed in-word levels: level j (0..4) in bits 6j..6j+4 (values 0..16), bit
 * 6j+5 a guard that stays 0 in stored values and catches the borrow in {@link packedMax}.
 */
const GUARDS = 0x20 | (0x20 << 6) | (0x20 << 12) | (0x20 << 18) | (0x20 << 24);
const LANES = ~GUARDS & 0x3fffffff;

/** Lane-wise max of two packed words (SWAR): 5 lanes for the price of one. */
function packedMax(a: number, b: number): number {
  const ge = ((a | GUARDS) - b) & GUARDS; // guard set where a's lane >= b's lane
  const mask = (ge >>> 5) * 31; // that lane all ones
  return (a & mask) | (b & ~mask & LANES);
}

/** The per-level aligned prefix maxima of one chunk's bitmap. */
export class AlignedIndex {
  /** Bits in the map, words holding them, leaves (a power of two >= the words). */
  readonly nbits: number;
  readonly #nWords: number;
  readonly #leaves: number;
  readonly #tailMask: number;
  /** Height of the root (leaves are height 0). */
  readonly height: number;
  readonly #offset: Int32Array;
  /**
   * The entries, per height, node by node. A node at height h has h + 2 entries:
   *   [0]       levels 0..4 packed (lanes of 6 bits, see GUARDS)
   *   [j - 4]   level j for j = 5 .. h + 5 (the last one is the node's own prefix)
   */
  readonly m: Int32Array;
  /** Levels 0..#jmax are maintained (all levels after a rebuild for a larger alignment). */
  #jmax: number;

  /** @param jmax - the largest alignment level to maintain from the start (2^jmax bits). */
  constructor(nbits: number, map: Uint32Array, jmax = 7) {
    this.nbits = nbits;
    this.#nWords = Math.ceil(nbits / 32);
    let L = 1;
    while (L < this.#nWords) L *= 2;
    this.#leaves = L;
    this.#tailMask = lastWordMask(nbits);
    this.#jmax = jmax;
    this.height = 31 - Math.clz32(L);
    this.#offset = new Int32Array(this.height + 2);
    let total = 0;
    for (let h = 0; h <= this.height; h++) {
      this.#offset[h] = total;
      total += (L >> h) * (h + 2);
    }
    this.#offset[this.height + 1] = total;
    this.m = new Int32Array(total);
    this.rebuild(map);
  }

  /** Index of node n's first entry (n at height h). */
  #slot(n: number, h: number): number {
    return this.#offset[h]! + (n - (this.#leaves >> h)) * (h + 2);
  }

  /** The free-bit word (1 = free) of word w, bits past the map counted as used. */
  #freeWord(map: Uint32Array, w: number): number {
    if (w >= this.#nWords) return 0;
    const z = ~map[w]!;
    return w === this.#nWords - 1 ? z & this.#tailMask : z;
  }

  /** The largest maintained alignment level. */
  get jmax(): number {
    return this.#jmax;
  }

  /** Recompute every maintained entry from the bitmap. */
  rebuild(map: Uint32Array): void {
    const L = this.#leaves;
    for (let w = 0; w < L; w++) this.#leaf(L + w, this.#freeWord(map, w));
    for (let h = 1; h <= this.height; h++) {
      for (let n = L >> h; n < (L >> h) * 2; n++) this.#inner(n, h);
    }
  }

  /** Recompute the entries over the words of bits [start, start + nr) after they changed. */
  update(map: Uint32Array, start: number, nr: number): void {
    if (nr <= 0) return;
    const L = this.#leaves;
    const wFirst = start >>> 5;
    const wLast = (start + nr - 1) >>> 5;
    for (let w = wFirst; w <= wLast; w++) this.#leaf(L + w, this.#freeWord(map, w));
    let lo = (L + wFirst) >> 1;
    let hi = (L + wLast) >> 1;
    for (let h = 1; h <= this.height; h++) {
      let diff = 0;
      for (let n = lo; n <= hi; n++) diff |= this.#inner(n, h);
      if (diff === 0) return;
      lo >>= 1;
      hi >>= 1;
    }
  }

  /** Leaf entries: in-word block prefixes for j = 0..4 (packed), then the word's prefix. */
  #leaf(n: number, z: number): void {
    const m = this.m;
    const s = this.#slot(n, 0);
    let packed = 0;
    if (z === -1) {
      packed = 1 | (2 << 6) | (4 << 12) | (8 << 18) | (16 << 24);
    } else if (z !== 0) {
      // y_k marks the starts of k free bits in a row; a 2^j-block has a free prefix of k
      // when y_k has its first bit set. Binary lifting finds the largest such k per level.
      const y2 = z & (z >>> 1);
      const y4 = y2 & (y2 >>> 2);
      const y8 = y4 & (y4 >>> 4);
      const y16 = y8 & (y8 >>> 8);
      packed =
        1 |
        (liftBlock(z, y2, y4, y8, y16, 1) << 6) |
        (liftBlock(z, y2, y4, y8, y16, 2) << 12) |
        (liftBlock(z, y2, y4, y8, y16, 3) << 18) |
        (liftBlock(z, y2, y4, y8, y16, 4) << 24);
    }
    m[s] = packed;
    m[s + 1] = z === -1 ? 32 : trailingOnes(z); // the word's own free prefix
  }

  /**
   * Inner entries: the children's maxima per level, then the node's own prefix — for the
   * levels up to #jmax only (the largest alignment searched so far); the others are rebuilt
   * when a search first needs them.
   * @returns 0 when nothing changed.
   */
  #inner(n: number, h: number): number {
    const m = this.m;
    const s = this.#slot(n, h);
    const sa = this.#slot(2 * n, h - 1);
    const sb = sa + (h + 1); // the right child follows the left one
    const packed = packedMax(m[sa]!, m[sb]!);
    let diff = packed ^ m[s]!;
    m[s] = packed;
    const jmax = this.#jmax;
    const top = h + 4 < jmax ? h + 4 : jmax; // children's levels 5..h+4
    for (let j = 5; j <= top; j++) {
      const va = m[sa + j - 4]!;
      const vb = m[sb + j - 4]!;
      const d = va - vb;
      const v = va - (d & (d >> 31));
      diff |= v ^ m[s + j - 4]!;
      m[s + j - 4] = v;
    }
    if (h + 5 <= jmax) {
      // The node's own free prefix: the left child's, continued into the right one when
      // the left child is entirely free (children's own entries sit at index h).
      const half = 32 << (h - 1);
      const pa = m[sa + h]!;
      const own = pa === half ? half + m[sb + h]! : pa;
      diff |= own ^ m[s + h + 1]!;
      m[s + h + 1] = own;
    }
    return diff;
  }

  /**
   * Find the lowest multiple p of 2^j with [p, p + nr) free, for 1 <= nr <= 2^j.
   * @returns p, or -1 when no aligned block has a free prefix of nr bits.
   */
  find(map: Uint32Array, nr: number, j: number): number {
    const L = this.#leaves;
    const H = this.height;
    if (j >= H + 5) return nr <= this.nbits && isRangeClear(map, 0, nr) ? 0 : -1; // only p = 0
    if (j > this.#jmax) {
      this.#jmax = j;
      this.rebuild(map);
    }
    if (this.#level(1, H, j) < nr) return -1;
    let n = 1;
    let h = H;
    const stop = j >= 5 ? j - 5 : 0; // height of the 2^j blocks (or the leaves)
    while (h > stop) {
      const a = 2 * n;
      n = this.#level(a, h - 1, j) >= nr ? a : a + 1;
      h--;
    }
    const base = (n - (L >> h)) * (32 << h);
    if (j >= 5) return base;
    const y = runStarts(this.#freeWord(map, n - L), nr) & BLOCK_STARTS[j]!;
    return base + (31 - Math.clz32(y & -y));
  }

  /** M(n, j): the largest free prefix of the 2^j-blocks under node n (at height h). */
  #level(n: number, h: number, j: number): number {
    const s = this.#slot(n, h);
    return j < 5 ? (this.m[s]! >>> (6 * j)) & 31 : this.m[s + j - 4]!;
  }
}
