// SPDX-License-Identifier: GPL-2.0-only
/*
 * An integer map in typed arrays for kmem's indexes: PagedIntMap, a direct map for keys
 * below a known limit (the best-fit index's length → group of buckets).
 *
 * Kernel: none (kmem's own bookkeeping).
 *
 * PagedIntMap: no hashing and no probing — the key's slot is found from its bits (see the
 * class). It trades memory (4 bytes per key of every page ever used) for two array reads
 * per lookup (an earlier hashed map cost about 40 % of the best-fit index's time).
 */

// ── Paged direct map ─────────────────────────────────────────────────────────

/** Keys per page of a {@link PagedIntMap} (a power of two). */
const PAGE_SHIFT = 10;
const PAGE_KEYS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_KEYS - 1;

/**
 * A map from int32 keys in [0, limit) to int32 values >= 0 without hashing: the value of
 * key k sits at slot k & 1023 of k's page, stored + 1 (0: absent). Every directory entry
 * starts at page 0 of the pool, a page that stays empty, so a lookup is two array reads and
 * no branch; a key's own page is taken from the pool the first time a key in it is set.
 * The memory is 4 bytes per key of every page ever used (at most 4 * limit bytes) plus
 * limit / 256 bytes of directory. The pool doubles when full (amortised, counted; a new
 * typed array is already zero, so growth copies and never fills).
 *
 *   dir:   [ 0 | 1024 | 0 | 2048 | ... ]          page of key k: dir[k >>> 10]
 *   pool:  [ page 0: the empty page | page 1024 | page 2048 | (free) ... ]
 */
export class PagedIntMap {
  readonly #dir: Int32Array;
  #pool: Int32Array;
  #used = PAGE_KEYS;
  #size = 0;
  /** Times the page pool doubled. */
  growths = 0;

  /** @param limit - one past the largest key. */
  constructor(limit: number) {
    this.#dir = new Int32Array(Math.max(1, Math.ceil(limit / PAGE_KEYS)));
    this.#pool = new Int32Array(4 * PAGE_KEYS);
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** @returns the value of `key`, or -1 when absent. */
  get(key: number): number {
    return this.#pool[this.#dir[key >>> PAGE_SHIFT]! + (key & PAGE_MASK)]! - 1;
  }

  /** Set `key` (in [0, limit)) to `value` (>= 0). */
  set(key: number, value: number): void {
    let page = this.#dir[key >>> PAGE_SHIFT]!;
    if (page === 0) page = this.#newPage(key >>> PAGE_SHIFT);
    const i = page + (key & PAGE_MASK);
    if (this.#pool[i] === 0) this.#size++;
    this.#pool[i] = value + 1;
  }

  /** Remove `key`. @returns false when it was absent. */
  delete(key: number): boolean {
    const i = this.#dir[key >>> PAGE_SHIFT]! + (key & PAGE_MASK);
    if (this.#pool[i] === 0) return false; // absent (always so on the empty page)
    this.#pool[i] = 0;
    this.#size--;
    return true;
  }

  /** Give directory entry p a page of its own. (Cold: once per page.) */
  #newPage(p: number): number {
    if (this.#used === this.#pool.length) {
      const pool = new Int32Array(this.#pool.length * 2);
      pool.set(this.#pool);
      this.#pool = pool;
      this.growths++;
    }
    const page = this.#used;
    this.#used += PAGE_KEYS;
    this.#dir[p] = page;
    return page;
  }

  /** Return the [key, value] pairs (checker and tests only). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let p = 0; p < this.#dir.length; p++) {
      const page = this.#dir[p]!;
      if (page === 0) continue;
      for (let k = 0; k < PAGE_KEYS; k++) {
        const v = this.#pool[page + k]!;
        if (v !== 0) out.push([p * PAGE_KEYS + k, v - 1]);
      }
    }
    return out;
  }
}
