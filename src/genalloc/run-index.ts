// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index of a genpool chunk: every maximal free run of the bitmap, ordered by
 * (length, start), so that the kernel's best fit — the smallest run that holds nr bits, the
 * lowest one on a tie — is the first entry at or after (nr, 0); and found by its start or its
 * end, so that a claim or a release updates the runs it touches without any search of the
 * bitmap and without a fit tree.
 *
 * Kernel: none — replaces the full-bitmap scan of gen_pool_best_fit() (algos.ts) with the
 * same answer.
 *
 * Structure: a doubly linked skip list in one Int32Array. Node k is the record
 * rec[k * STRIDE ...]:
 *
 *   [ length | start | level | next[0..MAX_LEVEL) | prev[0..MAX_LEVEL) ]
 *
 * Node 0 is the head. With prev links a known node leaves the list in O(its level), no
 * search. Two IntMaps find a run by its first bit (`byStart`) and by its end, one past its
 * last bit (`byEnd`). Nodes are recycled through an index free-stack; the record array
 * doubles when full (amortised, counted). Levels come from a xorshift32 with a fixed seed
 * (p = 1/4), so the shape is deterministic.
 *
 *   head ─► (2,96) ─────────────► (5,0) ─────────► (40,300) ─► NIL     level 1
 *   head ─► (2,96) ─► (3,17) ───► (5,0) ─► (5,64) ─► (40,300) ─► NIL   level 0
 *
 * A run changes in place as it is cut or merged: its node is unlinked, re-keyed and linked
 * again at its new place (one search), keeping its level.
 *
 * Invariants (checked by check.ts):
 *   R1: level-0 order is strictly increasing in (length, start).
 *   R2: the entries are exactly the maximal free runs of the bitmap.
 *   R3: byStart and byEnd map every run's start and end to its node, and nothing else.
 */

import { IntMap } from './int-map.js';

/** Links per node and direction; with p = 1/4 this serves 4^12 entries. */
const MAX_LEVEL = 12;
const LEN = 0;
const START = 1;
const LEVEL = 2;
const NEXT = 3;
const PREV = NEXT + MAX_LEVEL;
const STRIDE = PREV + MAX_LEVEL;
const NIL = -1;

/** An ordered set of free runs keyed by (length, start), findable by start and by end. */
export class RunIndex {
  #rec: Int32Array;
  #freeStack: Int32Array;
  #freeTop = 0;
  #capacity = 0;
  #level = 1;
  #count = 0;
  #rng = 0x9e3779b9 | 0;
  readonly #byStart = new IntMap();
  readonly #byEnd = new IntMap();
  /** Times the record array doubled. */
  growths = 0;
  /** Nodes before the searched key on every level (filled by #find). */
  readonly #update = new Int32Array(MAX_LEVEL);

  constructor(capacity = 64) {
    this.#rec = new Int32Array(0);
    this.#freeStack = new Int32Array(0);
    this.#grow(Math.max(2, capacity));
    this.#freeTop--; // node 0 is the head
    this.#rec[LEVEL] = MAX_LEVEL;
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
   * Fill #update with the last node before (len, start) on every level.
   * @returns the first node at or after it, or NIL.
   */
  #find(len: number, start: number): number {
    const rec = this.#rec;
    let x = 0;
    let y = NIL;
    for (let l = this.#level - 1; l >= 0; l--) {
      y = rec[x * STRIDE + NEXT + l]!;
      while (y !== NIL) {
        const o = y * STRIDE;
        const yl = rec[o + LEN]!;
        if (yl > len || (yl === len && rec[o + START]! >= start)) break;
        x = y;
        y = rec[o + NEXT + l]!;
      }
      this.#update[l] = x;
    }
    return y;
  }

  /** Link node k (key and level set) after the nodes in #update. */
  #link(k: number): void {
    const rec = this.#rec;
    const o = k * STRIDE;
    const level = rec[o + LEVEL]!;
    if (level > this.#level) {
      for (let l = this.#level; l < level; l++) this.#update[l] = 0;
      this.#level = level;
    }
    for (let l = 0; l < level; l++) {
      const u = this.#update[l]!;
      const n = rec[u * STRIDE + NEXT + l]!;
      rec[o + NEXT + l] = n;
      rec[o + PREV + l] = u;
      rec[u * STRIDE + NEXT + l] = k;
      if (n !== NIL) rec[n * STRIDE + PREV + l] = k;
    }
  }

  /** Take node k out of the list (its key and level stay). */
  #unlink(k: number): void {
    const rec = this.#rec;
    const o = k * STRIDE;
    const level = rec[o + LEVEL]!;
    for (let l = 0; l < level; l++) {
      const p = rec[o + PREV + l]!;
      const n = rec[o + NEXT + l]!;
      rec[p * STRIDE + NEXT + l] = n;
      if (n !== NIL) rec[n * STRIDE + PREV + l] = p;
    }
  }

  /** Give node k the key (len, start) and put it at its place. */
  #rekey(k: number, len: number, start: number): void {
    this.#unlink(k);
    const o = k * STRIDE;
    this.#rec[o + LEN] = len;
    this.#rec[o + START] = start;
    this.#find(len, start);
    this.#link(k);
  }

  #newNode(len: number, start: number): number {
    if (this.#freeTop === 0) this.#grow(this.#capacity * 2);
    const k = this.#freeStack[--this.#freeTop]!;
    const o = k * STRIDE;
    this.#rec[o + LEN] = len;
    this.#rec[o + START] = start;
    this.#rec[o + LEVEL] = this.#randomLevel();
    this.#find(len, start);
    this.#link(k);
    this.#byStart.set(start, k);
    this.#byEnd.set(start + len, k);
    this.#count++;
    return k;
  }

  #dropNode(k: number): void {
    this.#unlink(k);
    const o = k * STRIDE;
    this.#byStart.delete(this.#rec[o + START]!);
    this.#byEnd.delete(this.#rec[o + START]! + this.#rec[o + LEN]!);
    this.#freeStack[this.#freeTop++] = k;
    this.#count--;
  }

  /** Add the free run [start, start + len) (building the index from a bitmap). */
  insert(len: number, start: number): void {
    this.#newNode(len, start);
  }

  /**
   * Remove the run [start, start + len).
   * @returns false when no such run is in the index (nothing changes).
   */
  remove(len: number, start: number): boolean {
    const k = this.#byStart.get(start);
    if (k === -1 || this.#rec[k * STRIDE + LEN] !== len) return false;
    this.#dropNode(k);
    return true;
  }

  /**
   * Find the smallest run of at least `nr` bits, the lowest-starting one on a tie.
   * @returns its start, or -1 when every run is shorter.
   */
  findBest(nr: number): number {
    const k = this.#find(nr, -1);
    return k === NIL ? -1 : this.#rec[k * STRIDE + START]!;
  }

  /**
   * Record that bits [s, e) of the free run starting at `runStart` were claimed: the run is
   * cut into what is left before s and after e.
   * @returns false when no run starts at runStart (nothing changes).
   */
  claim(runStart: number, s: number, e: number): boolean {
    const k = this.#byStart.get(runStart);
    if (k === -1) return false;
    const o = k * STRIDE;
    const b = runStart + this.#rec[o + LEN]!;
    const hasLeft = s > runStart;
    const hasRight = b > e;
    if (hasLeft) {
      this.#byEnd.set(s, k);
      if (hasRight) {
        this.#rekey(k, s - runStart, runStart);
        this.#newNode(b - e, e);
      } else {
        this.#byEnd.delete(b);
        this.#rekey(k, s - runStart, runStart);
      }
    } else if (hasRight) {
      this.#byStart.delete(runStart);
      this.#byStart.set(e, k);
      this.#rekey(k, b - e, e);
    } else {
      this.#dropNode(k);
    }
    return true;
  }

  /**
   * Record that bits [s, e) were released: they join the free runs that end at s and that
   * start at e, if any.
   */
  release(s: number, e: number): void {
    const left = this.#byEnd.get(s);
    const right = this.#byStart.get(e);
    const rec = this.#rec;
    if (left !== -1) {
      const a = rec[left * STRIDE + START]!;
      let b = e;
      if (right !== -1) {
        b = e + rec[right * STRIDE + LEN]!;
        this.#dropNode(right);
      }
      this.#byEnd.delete(s);
      this.#byEnd.set(b, left);
      this.#rekey(left, b - a, a);
    } else if (right !== -1) {
      const b = e + rec[right * STRIDE + LEN]!;
      this.#byStart.delete(e);
      this.#byStart.set(s, right);
      this.#rekey(right, b - s, s);
    } else {
      this.#newNode(e - s, s);
    }
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

  /**
   * Check R3: the boundary maps name exactly the runs of the list.
   * @returns a description of the first disagreement, or '' when they agree.
   */
  checkBoundaryMaps(): string {
    const runs = this.entries();
    if (this.#byStart.size !== runs.length || this.#byEnd.size !== runs.length) {
      return `${runs.length} runs but ${this.#byStart.size} starts and ${this.#byEnd.size} ends mapped`;
    }
    for (const [len, start] of runs) {
      const k = this.#byStart.get(start);
      if (k === -1 || this.#byEnd.get(start + len) !== k) return `run ${len}@${start} is not mapped`;
    }
    return '';
  }
}
