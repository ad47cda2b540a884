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
 * word. The index needs no fit tree: it keeps the blocks' own prefixes itself.
 *
 * Structure: for every tree node n at height h (leaves: h = 0) and every level
 * j = 0 .. h + 5, M(n, j) = the largest B_j over the 2^j-blocks inside n's span; M(n, h + 5)
 * is n's own prefix. A query descends from the root into the leftmost child whose M(·, j)
 * reaches nr. Levels 0..7 — every alignment up to 2^7 granules — are packed in two words
 * per node, node n at m[2n] and m[2n + 1], so the two children of a node share 16 bytes:
 *
 *   m[2n]      levels 0..4, 6-bit lanes (values 0..16, bit 5 of each lane a guard)
 *              ┌──┬──────┬──────┬──────┬──────┬──────┐
 *              │00│  j4  │  j3  │  j2  │  j1  │  j0  │   bits 29..0
 *              └──┴──────┴──────┴──────┴──────┴──────┘
 *   m[2n + 1]  levels 5..7, 9-bit lanes (values 0..128, bit 8 of each lane a guard)
 *              ┌─────┬─────────┬─────────┬─────────┐
 *              │ 0.. │   j7    │   j6    │   j5    │      bits 26..0
 *              └─────┴─────────┴─────────┴─────────┘
 *
 * A lane above a node's own level (j > h + 5: levels 6 and 7 of a leaf, 7 at height 1) is
 * 0. Every level is the lane-wise maximum of the children's (SWAR, all lanes at once),
 * except each node's own level h + 5, its prefix: the left child's, continued into the
 * right one when the left child is entirely free. Levels 8 and up (alignments of 2^8
 * granules and more) live in `#wide`, per height h >= 3, node by node, h - 2 entries
 * (levels 8 .. h + 5); they are maintained only once a search has needed one (#jmax > 7),
 * and up to the largest level searched so far.
 *
 * The index is built on the first aligned search of a chunk and kept up to date from then
 * on: an update recomputes the touched leaves and climbs while a node changes.
 *
 * Invariant A1 (check.ts): every entry equals its recomputation from the bitmap.
 */

import { lastWordMask, isRangeClear } from '../bitmap/bitmap.js';
import { runStarts } from './fit-tree.js';

/** Bits at the start of every 2^j-bit block of a word, for j = 0..4. */
const BLOCK_STARTS = [0xffffffff | 0, 0x55555555, 0x11111111, 0x01010101, 0x00010001];

/** The packed levels 0..4 of an entirely free word (blocks of 2^j bits, all free). */
const FREE_WORD_LO = 1 | (2 << 6) | (4 << 12) | (8 << 18) | (16 << 24);

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

/** The packed levels 0..4 of free-bit word z by binary lifting (builds BYTE_LO). */
function packLoByLifting(z: number): number {
  if (z === -1) return FREE_WORD_LO;
  if (z === 0) return 0;
  // y_k marks the starts of k free bits in a row; a 2^j-block has a free prefix of k when
  // y_k has its first bit set. Binary lifting finds the largest such k per level.
  const y2 = z & (z >>> 1);
  const y4 = y2 & (y2 >>> 2);
  const y8 = y4 & (y4 >>> 4);
  const y16 = y8 & (y8 >>> 8);
  return (
    1 |
    (liftBlock(z, y2, y4, y8, y16, 1) << 6) |
    (liftBlock(z, y2, y4, y8, y16, 2) << 12) |
    (liftBlock(z, y2, y4, y8, y16, 3) << 18) |
    (liftBlock(z, y2, y4, y8, y16, 4) << 24)
  );
}

/**
 * BYTE_LO[b]: levels 0..3 of the free-bit byte b, packed as in m[2n] (level 4 lane 0).
 * Blocks of up to 8 bits never straddle a byte, so a word's levels 0..3 are the lane-wise
 * maxima of its four bytes' (1 KiB, built once).
 */
const BYTE_LO = buildByteLo();

function buildByteLo(): Int32Array {
  const table = new Int32Array(256);
  for (let b = 0; b < 256; b++) table[b] = packLoByLifting(b) & ((1 << 24) - 1);
  return table;
}

/**
 * The packed levels 0..4 of free-bit word z (see the header), without a branch: levels
 * 0..3 from BYTE_LO, level 4 (16-bit blocks) the longer of the halves' trailing free runs.
 */
function packLo(z: number): number {
  const t = BYTE_LO;
  const v = maxLo(
    maxLo(t[z & 255]!, t[(z >>> 8) & 255]!),
    maxLo(t[(z >>> 16) & 255]!, t[z >>> 24]!),
  );
  const a = z & 0xffff;
  const b = z >>> 16;
  // trailing ones of x: 32 - clz32(x & (~x - 1)); at most 16 for a 16-bit x
  const l4 = max32(32 - Math.clz32(a & (~a - 1)), 32 - Math.clz32(b & (~b - 1)));
  return v | (l4 << 24);
}

/** Guards of the levels 0..4 word (bit 5 of each 6-bit lane). */
const LO_GUARDS = 0x20 | (0x20 << 6) | (0x20 << 12) | (0x20 << 18) | (0x20 << 24);
const LO_LANES = ~LO_GUARDS & 0x3fffffff;
/** Guards of the levels 5..7 word (bit 8 of each 9-bit lane). */
const HI_GUARDS = (1 << 8) | (1 << 17) | (1 << 26);
const HI_LANES = ~HI_GUARDS & 0x7ffffff;

/** Lane-wise max of two levels 0..4 words (SWAR): 5 lanes for the price of one. */
function maxLo(a: number, b: number): number {
  const ge = ((a | LO_GUARDS) - b) & LO_GUARDS; // guard set where a's lane >= b's lane
  const mask = (ge >>> 5) * 31; // that lane all ones
  return (a & mask) | (b & ~mask & LO_LANES);
}

/** Lane-wise max of two levels 5..7 words (SWAR). */
function maxHi(a: number, b: number): number {
  const ge = ((a | HI_GUARDS) - b) & HI_GUARDS;
  const mask = (ge >>> 8) * 255;
  return (a & mask) | (b & ~mask & HI_LANES);
}

/** The larger of two int32 values, without a branch. */
function max32(a: number, b: number): number {
  const d = a - b;
  return a - (d & (d >> 31));
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
  /** Levels 0..7 of node n at m[2n] (levels 0..4) and m[2n + 1] (levels 5..7). */
  readonly m: Int32Array;
  /** Levels 8 and up: per height h >= 3, node by node, levels 8 .. h + 5 (h - 2 entries). */
  readonly #wide: Int32Array;
  /** Start of each height's entries in #wide. */
  readonly #offset: Int32Array;
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
    this.#jmax = Math.max(7, jmax);
    this.height = 31 - Math.clz32(L);
    this.m = new Int32Array(4 * L);
    this.#offset = new Int32Array(this.height + 2);
    let total = 0;
    for (let h = 3; h <= this.height; h++) {
      this.#offset[h] = total;
      total += (L >> h) * (h - 2);
    }
    this.#offset[this.height + 1] = total;
    this.#wide = new Int32Array(total);
    this.rebuild(map);
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

  /** Levels 8 and up (empty of meaning until a search needs one); for the checker. */
  get wide(): Int32Array {
    return this.#wide;
  }

  /** Recompute every maintained entry from the bitmap. */
  rebuild(map: Uint32Array): void {
    const L = this.#leaves;
    for (let w = 0; w < L; w++) this.#leaf(L + w, this.#freeWord(map, w));
    for (let h = 1; h <= this.height; h++) {
      for (let n = L >> h; n < (L >> h) * 2; n++) this.#inner(n, h);
    }
  }

  /**
   * Recompute the entries over the words of bits [start, start + nr) after they changed,
   * climbing while a node changes. Above height 2 (and with levels 0..7 only), once a single
   * node is left, the climb carries that node's two words in registers: each level is two
   * SWAR maxima against the sibling's words, which are read off the dependency chain.
   *
   * Context: data plane; O(levels changed), allocation-free.
   */
  update(map: Uint32Array, start: number, nr: number): void {
    if (nr <= 0) return;
    const L = this.#leaves;
    const wFirst = start >>> 5;
    const wLast = (start + nr - 1) >>> 5;
    for (let w = wFirst; w <= wLast; w++) this.#leaf(L + w, this.#freeWord(map, w));
    let lo = (L + wFirst) >> 1;
    let hi = (L + wLast) >> 1;
    const H = this.height;
    let h = 1;
    // Node by node up to height 2 (own-prefix lanes), while several nodes are touched, and
    // while levels 8 and up are maintained.
    for (; h <= H; h++) {
      let diff = 0;
      for (let n = lo; n <= hi; n++) diff |= this.#inner(n, h);
      if (diff === 0) return;
      if (h >= 2 && lo === hi && this.#jmax <= 7) break;
      lo >>= 1;
      hi >>= 1;
    }
    if (h >= H) return; // the root was recomputed
    // Above height 2 every lane is the maximum of the children's: climb with the changed
    // child's two words in registers and the sibling's read off the dependency chain.
    const m = this.m;
    let vLo = m[2 * lo]!;
    let vHi = m[2 * lo + 1]!;
    for (let c = lo; c > 1; c >>= 1) {
      const s = 2 * (c ^ 1);
      vLo = maxLo(vLo, m[s]!);
      vHi = maxHi(vHi, m[s + 1]!);
      const i = 2 * (c >> 1);
      if (vLo === m[i]! && vHi === m[i + 1]!) return;
      m[i] = vLo;
      m[i + 1] = vHi;
    }
  }

  /** Leaf entries: the in-word levels 0..4, and level 5, the word's own free prefix. */
  #leaf(n: number, z: number): void {
    const m = this.m;
    m[2 * n] = packLo(z);
    m[2 * n + 1] = 32 - Math.clz32(z & (~z - 1)); // trailing ones (32 for z = -1)
  }

  /**
   * Recompute inner node n at height h from its children.
   * @returns 0 when nothing changed.
   */
  #inner(n: number, h: number): number {
    const m = this.m;
    const a = 4 * n; // left child 2n at 4n, right child 2n + 1 at 4n + 2
    const i = 2 * n;
    const lo = maxLo(m[a]!, m[a + 2]!);
    const ha = m[a + 1]!;
    const hb = m[a + 3]!;
    let hi: number;
    if (h >= 3) {
      hi = maxHi(ha, hb);
    } else if (h === 2) {
      // levels 5, 6 from the children; 7 is this node's own prefix (children's own: 6)
      const a6 = ha >>> 9;
      const own = a6 === 64 ? 64 + (hb >>> 9) : a6;
      hi = maxHi(ha, hb) | (own << 18);
    } else {
      // level 5 from the children; 6 is this node's own prefix (children's own: 5)
      const a5 = ha & 255;
      const own = a5 === 32 ? 32 + (hb & 255) : a5;
      hi = max32(a5, hb & 255) | (own << 9);
    }
    let diff = (lo ^ m[i]!) | (hi ^ m[i + 1]!);
    m[i] = lo;
    m[i + 1] = hi;
    if (this.#jmax > 7 && h >= 3) diff |= this.#innerWide(n, h);
    return diff;
  }

  /**
   * Levels 8 .. min(h + 5, #jmax) of inner node n at height h >= 3: the children's maxima,
   * then the node's own prefix (the children's own prefixes are their level h + 4).
   * @returns 0 when nothing changed.
   */
  #innerWide(n: number, h: number): number {
    const w = this.#wide;
    const off = this.#offset;
    const L = this.#leaves;
    const s = off[h]! + (n - (L >> h)) * (h - 2);
    const jmax = this.#jmax;
    let diff = 0;
    if (h >= 4) {
      const sa = off[h - 1]! + (2 * n - (L >> (h - 1))) * (h - 3);
      const sb = sa + (h - 3); // the right child follows the left one
      const top = h + 4 < jmax ? h + 4 : jmax; // children's levels 8..h+4
      for (let j = 8; j <= top; j++) {
        const v = max32(w[sa + j - 8]!, w[sb + j - 8]!);
        diff |= v ^ w[s + j - 8]!;
        w[s + j - 8] = v;
      }
    }
    if (h + 5 <= jmax) {
      const half = 32 << (h - 1);
      const ownA = this.#ownPrefix(2 * n, h - 1);
      const own = ownA === half ? half + this.#ownPrefix(2 * n + 1, h - 1) : ownA;
      diff |= own ^ w[s + h - 3]!;
      w[s + h - 3] = own;
    }
    return diff;
  }

  /** The free prefix of node n's own span, for a node at height h >= 2 (level h + 5). */
  #ownPrefix(n: number, h: number): number {
    if (h === 2) return this.m[2 * n + 1]! >>> 18;
    return this.#wide[this.#offset[h]! + (n - (this.#leaves >> h)) * (h - 2) + h - 3]!;
  }

  /**
   * Find the lowest multiple p of 2^j with [p, p + nr) free, for 1 <= nr <= 2^j.
   * @returns p, or -1 when no aligned block has a free prefix of nr bits.
   */
  find(map: Uint32Array, nr: number, j: number): number {
    const H = this.height;
    if (j >= H + 5) return nr <= this.nbits && isRangeClear(map, 0, nr) ? 0 : -1; // only p = 0
    if (j > 7) return this.#findWide(map, nr, j);
    const m = this.m;
    // M(n, j) = (m[2n + word] >>> shift) & mask
    const word = j < 5 ? 0 : 1;
    const shift = j < 5 ? 6 * j : 9 * (j - 5);
    const mask = j < 5 ? 31 : 255;
    if (((m[2 + word]! >>> shift) & mask) < nr) return -1;
    const stop = j >= 5 ? j - 5 : 0; // height of the 2^j blocks (or the leaves)
    let n = 1;
    for (let h = H; h > stop; h--) {
      n *= 2; // the left child; the right one when the left has no fit
      n += (((m[2 * n + word]! >>> shift) & mask) - nr) >>> 31;
    }
    const base = (n - (this.#leaves >> stop)) * (32 << stop);
    if (j >= 5) return base;
    const y = runStarts(this.#freeWord(map, n - this.#leaves), nr) & BLOCK_STARTS[j]!;
    return base + (31 - Math.clz32(y & -y));
  }

  /** {@link AlignedIndex.find} for levels j >= 8 (blocks of 256 bits and more). (Cold.) */
  #findWide(map: Uint32Array, nr: number, j: number): number {
    if (j > this.#jmax) {
      this.#jmax = j;
      this.rebuild(map);
    }
    const H = this.height;
    const L = this.#leaves;
    if (this.#wideLevel(1, H, j) < nr) return -1;
    let n = 1;
    for (let h = H; h > j - 5; h--) {
      n *= 2;
      if (this.#wideLevel(n, h - 1, j) < nr) n++;
    }
    return (n - (L >> (j - 5))) * (32 << (j - 5));
  }

  /** M(n, j) for j >= 8 and a node at height h >= j - 5. */
  #wideLevel(n: number, h: number, j: number): number {
    return this.#wide[this.#offset[h]! + (n - (this.#leaves >> h)) * (h - 2) + j - 8]!;
  }
}
