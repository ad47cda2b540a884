// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index of a genpool chunk: every maximal free run of the bitmap, ordered by
 * (length, start), so that the kernel's best fit — the smallest run that holds nr bits, the
 * lowest one on a tie — is the first entry at or after (nr, 0).
 *
 * Kernel: none — replaces the full-bitmap scan of gen_pool_best_fit() (algos.ts) with the
 * same answer.
 *
 * Structure: a skip list in one Int32Array. Node k is the record rec[k * STRIDE ...]:
 *
 *   [ length | start | next[0] | next[1] | ... | next[MAX_LEVEL - 1] ]
 *
 * so that a visit touches one record (the length, start and lowest links share a cache
 * line). Node 0 is the head. Nodes are recycled through an index free-stack; the record
 * array doubles when full (an amortised, counted growth, never per operation). Levels come
 * from a xorshift32 with a fixed seed (p = 1/4), so the shape is deterministic.
 *
 *   head ─► (2,96) ─────────────► (5,0) ─────────► (40,300) ─► NIL     level 1
 *   head ─► (2,96) ─► (3,17) ───► (5,0) ─► (5,64) ─► (40,300) ─► NIL   level 0
 *
 * Invariants (checked by check.ts):
 *   R1: level-0 order is strictly increasing in (length, start).
 *   R2: the entries are exactly the maximal free runs of the bitmap.
 */

/** Links per node; with p = 1/4 this serves 4^16 entries. */
const MAX_LEVEL = 16;
const STRIDE = 2 + MAX_LEVEL;
const LEN = 0;
const START = 1;
const NEXT = 2;
const NIL = -1;

/** An ordered set of free runs keyed by (length, start). */
export class RunIndex {
  #rec: Int32Array;
  #freeStack: Int32Array;
  #freeTop = 0;
  #capacity = 0;
  #level = 1;
  #count = 0;
  #rng = 0x9e3779b9 | 0;
  /** Times the record array doubled. */
  growths = 0;
  /** Record offset of the run the last findBest returned, or -1. */
  #found = -1;
  /** Record offsets of the last node before the key on every level (filled by #find). */
  readonly #update = new Int32Array(MAX_LEVEL);

  constructor(capacity = 64) {
    this.#rec = new Int32Array(0);
    this.#freeStack = new Int32Array(0);
    this.#grow(Math.max(2, capacity));
    this.#freeTop--; // node 0 is the head
    for (let l = 0; l < MAX_LEVEL; l++) this.#rec[NEXT + l] = NIL;
  }

  /** Number of runs in the index. */
  get size(): number {
    return this.#count;
  }

  #grow(capacity: number): void {
    const old = this.#capacity;
    const rec = new Int32Array(capacity * STRIDE);
    rec.set(this.#rec);
    const freeStack = new Int32Array(capacity);
    freeStack.set(this.#freeStack.subarray(0, this.#freeTop));
    let top = this.#freeTop;
    for (let k = capacity - 1; k >= old; k--) freeStack[top++] = k;
    this.#rec = rec;
    this.#freeStack = freeStack;
    this.#freeTop = top;
    this.#capacity = capacity;
    if (old !== 0) this.growths++;
  }

  #randomLevel(): number {
    let x = this.#rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#rng = x;
    let level = 1;
    while ((x & 3) === 0 && level < MAX_LEVEL) {
      level++;
      x >>>= 2;
    }
    return level;
  }

  /**
   * Fill #update with the record offset of the last node before (len, start) on every
   * level; return the record offset of the first node at or after it, or -1.
   */
  #find(len: number, start: number): number {
    const rec = this.#rec;
    let x = 0; // the head's record
    let y = NIL;
    for (let l = this.#level - 1; l >= 0; l--) {
      y = rec[x + NEXT + l]!;
      while (y !== NIL) {
        const o = y * STRIDE;
        const yl = rec[o + LEN]!;
        if (yl > len || (yl === len && rec[o + START]! >= start)) break;
        x = o;
        y = rec[x + NEXT + l]!;
      }
      this.#update[l] = x;
    }
    return y === NIL ? -1 : y * STRIDE;
  }

  /** Add the run [start, start + len). */
  insert(len: number, start: number): void {
    if (this.#freeTop === 0) this.#grow(this.#capacity * 2);
    this.#find(len, start);
    const level = this.#randomLevel();
    if (level > this.#level) {
      for (let l = this.#level; l < level; l++) this.#update[l] = 0;
      this.#level = level;
    }
    const k = this.#freeStack[--this.#freeTop]!;
    const rec = this.#rec;
    const o = k * STRIDE;
    rec[o + LEN] = len;
    rec[o + START] = start;
    for (let l = 0; l < level; l++) {
      const u = this.#update[l]!;
      rec[o + NEXT + l] = rec[u + NEXT + l]!;
      rec[u + NEXT + l] = k;
    }
    for (let l = level; l < MAX_LEVEL; l++) rec[o + NEXT + l] = NIL;
    this.#count++;
  }

  /**
   * Remove the run [start, start + len).
   * @returns false when no such run is in the index (nothing changes).
   */
  remove(len: number, start: number): boolean {
    const o = this.#find(len, start);
    const rec = this.#rec;
    if (o < 0 || rec[o + LEN] !== len || rec[o + START] !== start) return false;
    this.#found = o;
    this.removeFound();
    return true;
  }

  /**
   * Find the smallest run of at least `nr` bits, the lowest-starting one on a tie, and
   * remember it for {@link RunIndex.removeFound}.
   * @returns its start, or -1 when every run is shorter.
   */
  findBest(nr: number): number {
    const o = this.#find(nr, -1);
    this.#found = o;
    return o < 0 ? -1 : this.#rec[o + START]!;
  }

  /** The length of the run the last findBest returned. */
  get foundLength(): number {
    return this.#rec[this.#found + LEN]!;
  }

  /**
   * Remove the run the last findBest returned, reusing that search's path (no second
   * search). Valid only while no other operation ran since that findBest.
   */
  removeFound(): void {
    const o = this.#found;
    const rec = this.#rec;
    const k = o / STRIDE;
    for (let l = 0; l < this.#level; l++) {
      const u = this.#update[l]!;
      if (rec[u + NEXT + l] !== k) break;
      rec[u + NEXT + l] = rec[o + NEXT + l]!;
    }
    while (this.#level > 1 && rec[NEXT + this.#level - 1] === NIL) this.#level--;
    this.#freeStack[this.#freeTop++] = k;
    this.#count--;
    this.#found = -1;
  }

  /** Return the runs in index order as [len, start] pairs (checker and tests only). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const rec = this.#rec;
    for (let k = rec[NEXT]!; k !== NIL; k = rec[k * STRIDE + NEXT]!) {
      out.push([rec[k * STRIDE + LEN]!, rec[k * STRIDE + START]!]);
    }
    return out;
  }
}
