// SPDX-License-Identifier: GPL-2.0-only
/*
 * SummaryBitmap: a bitmap with summary levels (a bit per non-empty word of the level below),
 * so that "the first set bit at or after i" costs a few word operations however sparse the
 * map is — a van Emde Boas-like layout of 32-ary levels.
 *
 * Kernel: none (kmem's own index; the kernel's find_next_bit scans).
 *
 *   level 2:  [ w ]                          bit j: word j of level 1 is non-zero
 *   level 1:  [ w | w | ... ]                bit j: word j of level 0 is non-zero
 *   level 0:  [ w | w | w | w | ... ]        the bits themselves
 *
 * Invariant B1: bit j of level k+1 is set iff word j of level k is non-zero.
 */

/** A bitmap of `size` bits answering nextSet(i) in O(levels). */
export class SummaryBitmap {
  readonly size: number;
  readonly #levels: Uint32Array[];

  constructor(size: number) {
    this.size = size;
    const levels: Uint32Array[] = [];
    let bits = Math.max(1, size);
    for (;;) {
      const words = Math.ceil(bits / 32);
      levels.push(new Uint32Array(words));
      if (words === 1) break;
      bits = words;
    }
    this.#levels = levels;
  }

  /** Set bit i. */
  set(i: number): void {
    const levels = this.#levels;
    for (let k = 0; k < levels.length; k++) {
      const map = levels[k]!;
      const w = i >>> 5;
      const old = map[w]!;
      map[w] = old | (1 << (i & 31));
      if (old !== 0) return; // the levels above already know this word is non-zero
      i = w;
    }
  }

  /** Clear bit i. */
  clear(i: number): void {
    const levels = this.#levels;
    for (let k = 0; k < levels.length; k++) {
      const map = levels[k]!;
      const w = i >>> 5;
      const v = map[w]! & ~(1 << (i & 31));
      map[w] = v;
      if (v !== 0) return; // the word is still non-zero: nothing changes above
      i = w;
    }
  }

  /** Return true when bit i is set. */
  has(i: number): boolean {
    return (this.#levels[0]![i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /**
   * Find the first set bit at or after i.
   * @returns its index, or -1 when there is none.
   */
  nextSet(i: number): number {
    const levels = this.#levels;
    if (i >= this.size) return -1;
    let k = 0;
    // Climb until some word holds a set bit at or after the position.
    for (;;) {
      const map = levels[k]!;
      const w = i >>> 5;
      if (w >= map.length) return -1;
      const bits = map[w]! & (-1 << (i & 31));
      if (bits !== 0) {
        i = (w << 5) + 31 - Math.clz32(bits & -bits);
        break;
      }
      if (k === levels.length - 1) return -1;
      i = w + 1; // next word of this level = next bit of the level above
      k++;
    }
    // Descend: take the lowest set bit of each word below.
    while (k > 0) {
      k--;
      const word = levels[k]![i]!;
      i = (i << 5) + 31 - Math.clz32(word & -word);
    }
    return i;
  }
}
