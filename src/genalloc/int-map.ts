// SPDX-License-Identifier: GPL-2.0-only
/*
 * IntMap: a hash map from non-negative int32 keys to int32 values, in typed arrays, for the
 * best-fit index's run boundaries (run start → run, run end → run).
 *
 * Kernel: none (kmem's own bookkeeping).
 *
 * Open addressing with linear probing over a power-of-two table; key slot 0 means empty
 * (keys are stored + 1). Deletion shifts the following entries of the probe chain back, so
 * there are no tombstones and a lookup never scans more than the chain it belongs to. The
 * table doubles when it is half full (amortised, counted growth); no operation allocates
 * otherwise.
 *
 * Invariant I1: every key is reachable from its home slot without crossing an empty slot.
 */

/** A map from int32 keys >= 0 to int32 values. */
export class IntMap {
  #keys: Int32Array;
  #values: Int32Array;
  #mask: number;
  /** 32 - log2(table size): the hash takes the product's top bits (Fibonacci hashing). */
  #shift: number;
  #size = 0;
  /** Times the table doubled. */
  growths = 0;

  constructor(capacity = 64) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.#keys = new Int32Array(cap);
    this.#values = new Int32Array(cap);
    this.#mask = cap - 1;
    this.#shift = Math.clz32(cap) + 1;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  #home(key: number): number {
    return Math.imul(key + 1, 0x9e3779b1) >>> this.#shift;
  }

  /** @returns the value of `key`, or -1 when absent. */
  get(key: number): number {
    const keys = this.#keys;
    const k1 = key + 1;
    for (let i = this.#home(key); ; i = (i + 1) & this.#mask) {
      const k = keys[i]!;
      if (k === k1) return this.#values[i]!;
      if (k === 0) return -1;
    }
  }

  /** Set `key` to `value`. */
  set(key: number, value: number): void {
    if (this.#size * 2 >= this.#mask) this.#grow();
    const keys = this.#keys;
    const k1 = key + 1;
    for (let i = this.#home(key); ; i = (i + 1) & this.#mask) {
      const k = keys[i]!;
      if (k === k1 || k === 0) {
        if (k === 0) this.#size++;
        keys[i] = k1;
        this.#values[i] = value;
        return;
      }
    }
  }

  /** Remove `key`. @returns false when it was absent. */
  delete(key: number): boolean {
    const keys = this.#keys;
    const values = this.#values;
    const mask = this.#mask;
    const k1 = key + 1;
    let i = this.#home(key);
    for (;;) {
      const k = keys[i]!;
      if (k === 0) return false;
      if (k === k1) break;
      i = (i + 1) & mask;
    }
    // Shift the rest of the chain back over the hole (no tombstones).
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = this.#home(keys[j]! - 1);
      // j's entry may move to the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        keys[hole] = keys[j]!;
        values[hole] = values[j]!;
        hole = j;
      }
    }
    keys[hole] = 0;
    this.#size--;
    return true;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Int32Array(keys.length * 2);
    this.#values = new Int32Array(keys.length * 2);
    this.#mask = keys.length * 2 - 1;
    this.#shift = Math.clz32(keys.length * 2) + 1;
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]! - 1, values[i]!);
    this.growths++;
  }

  /** Return the [key, value] pairs (checker and tests only). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] !== 0) out.push([this.#keys[i]! - 1, this.#values[i]!]);
    }
    return out;
  }
}
