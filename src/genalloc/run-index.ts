// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index of a genpool chunk: every maximal free run of the bitmap, ordered by
 * (length, start), so that the kernel's best fit — the smallest run that holds nr bits, the
 * lowest one on a tie — is the first entry at or after (nr, 0).
 *
 * Kernel: none — replaces the full-bitmap scan of gen_pool_best_fit() (algos.ts) with the
 * same answer.
 *
 * Structure: a skip list in structure-of-arrays form. Node 0 is the head; node k has a
 * length, a start and `level[k]` forward links in next[k * MAX_LEVEL + l]. Nodes are
 * recycled through an index free-stack; the arrays double when full (an amortised,
 * counted growth, never per operation). Levels come from a xorshift32 seeded per index, so
 * the shape is deterministic.
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
const NIL = -1;

/** An ordered set of free runs keyed by (length, start). */
export class RunIndex {
  #len: Int32Array;
  #start: Int32Array;
  #next: Int32Array;
  #freeStack: Int32Array;
  #freeTop = 0;
  #capacity = 0;
  #level = 1;
  #count = 0;
  #rng = 0x9e3779b9;
  /** Times the node arrays doubled. */
  growths = 0;
  readonly #update = new Int32Array(MAX_LEVEL);

  constructor(capacity = 64) {
    this.#len = new Int32Array(0);
    this.#start = new Int32Array(0);
    this.#next = new Int32Array(0);
    this.#freeStack = new Int32Array(0);
    this.#grow(Math.max(2, capacity));
    this.#freeTop--; // node 0 is the head
    for (let l = 0; l < MAX_LEVEL; l++) this.#next[l] = NIL;
  }

  /** Number of runs in the index. */
  get size(): number {
    return this.#count;
  }

  #grow(capacity: number): void {
    const old = this.#capacity;
    const len = new Int32Array(capacity);
    const start = new Int32Array(capacity);
    const next = new Int32Array(capacity * MAX_LEVEL);
    const freeStack = new Int32Array(capacity);
    len.set(this.#len);
    start.set(this.#start);
    next.set(this.#next);
    freeStack.set(this.#freeStack.subarray(0, this.#freeTop));
    let top = this.#freeTop;
    for (let k = capacity - 1; k >= old; k--) freeStack[top++] = k;
    this.#len = len;
    this.#start = start;
    this.#next = next;
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

  /** Fill #update with the last node before (len, start) on every level. */
  #findPredecessors(len: number, start: number): void {
    const L = this.#len;
    const S = this.#start;
    const next = this.#next;
    let x = 0;
    for (let l = this.#level - 1; l >= 0; l--) {
      let y = next[x * MAX_LEVEL + l]!;
      while (y !== NIL && (L[y]! < len || (L[y]! === len && S[y]! < start))) {
        x = y;
        y = next[x * MAX_LEVEL + l]!;
      }
      this.#update[l] = x;
    }
  }

  /** Add the run [start, start + len). */
  insert(len: number, start: number): void {
    if (this.#freeTop === 0) this.#grow(this.#capacity * 2);
    this.#findPredecessors(len, start);
    const level = this.#randomLevel();
    if (level > this.#level) {
      for (let l = this.#level; l < level; l++) this.#update[l] = 0;
      this.#level = level;
    }
    const k = this.#freeStack[--this.#freeTop]!;
    this.#len[k] = len;
    this.#start[k] = start;
    const next = this.#next;
    for (let l = 0; l < level; l++) {
      const u = this.#update[l]!;
      next[k * MAX_LEVEL + l] = next[u * MAX_LEVEL + l]!;
      next[u * MAX_LEVEL + l] = k;
    }
    for (let l = level; l < MAX_LEVEL; l++) next[k * MAX_LEVEL + l] = NIL;
    this.#count++;
  }

  /**
   * Remove the run [start, start + len).
   * @returns false when no such run is in the index (nothing changes).
   */
  remove(len: number, start: number): boolean {
    this.#findPredecessors(len, start);
    const next = this.#next;
    const k = next[this.#update[0]! * MAX_LEVEL]!;
    if (k === NIL || this.#len[k] !== len || this.#start[k] !== start) return false;
    for (let l = 0; l < this.#level; l++) {
      const u = this.#update[l]!;
      if (next[u * MAX_LEVEL + l] !== k) break;
      next[u * MAX_LEVEL + l] = next[k * MAX_LEVEL + l]!;
    }
    while (this.#level > 1 && next[(this.#level - 1)]! === NIL) this.#level--;
    this.#freeStack[this.#freeTop++] = k;
    this.#count--;
    return true;
  }

  /**
   * Find the smallest run of at least `nr` bits, the lowest-starting one on a tie.
   * @returns its start, or -1 when every run is shorter.
   */
  findBest(nr: number): number {
    this.#findPredecessors(nr, -1);
    const k = this.#next[this.#update[0]! * MAX_LEVEL]!;
    return k === NIL ? -1 : this.#start[k]!;
  }

  /** Remove every run. */
  clear(): void {
    for (let k = this.#next[0]!; k !== NIL; ) {
      const nk = this.#next[k * MAX_LEVEL]!;
      this.#freeStack[this.#freeTop++] = k;
      k = nk;
    }
    for (let l = 0; l < MAX_LEVEL; l++) this.#next[l] = NIL;
    this.#level = 1;
    this.#count = 0;
  }

  /** Return the runs in index order as [len, start] pairs (checker and tests only). */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let k = this.#next[0]!; k !== NIL; k = this.#next[k * MAX_LEVEL]!) {
      out.push([this.#len[k]!, this.#start[k]!]);
    }
    return out;
  }
}
