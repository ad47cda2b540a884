// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index of a genpool chunk: every maximal free run of the bitmap, grouped by
 * length and ordered by start within a length, so that the kernel's best fit — the
 * smallest run that holds nr bits, the lowest one on a tie — is the first run of the first
 * non-empty length at or above nr; and found by its start or its end, so that a claim or a
 * release updates the runs it touches without searching the bitmap or keeping a fit tree.
 *
 * Kernel: none — replaces the full-bitmap scan of gen_pool_best_fit() (algos.ts) with the
 * same answer.
 *
 * Structure:
 *   - `lengths`, a SummaryBitmap with bit L set when some run has length L: the smallest
 *     length >= nr is one nextSet(nr), a few word operations;
 *   - per length, a bucket: a doubly linked skip list of its runs ordered by start, whose
 *     head is a record of its own (`bucketOf` maps the length to it), so the lowest run of
 *     a length is the head's first link and an insert searches only among runs of one
 *     length;
 *   - `byStart` and `byEnd` (PagedIntMap, direct maps over the bit positions): the run
 *     whose first bit, or whose end (one past its last bit), is a given bit; `bucketOf`
 *     is a PagedIntMap over the lengths.
 * Records live in one Int32Array, rec[k * STRIDE ...]:
 *
 *   [ length | level | next[0..MAX_LEVEL) | prev[0..MAX_LEVEL) ]
 *
 * and the starts apart, start[k] (a head's: its bucket's top level in use): a search reads
 * the start of every run it passes, and 4 bytes a run stay in the L1 cache.
 *
 * With prev links a known run leaves its bucket in O(its level), no search. A run that is
 * cut or merged keeps its record: unlinked, re-keyed, linked into the bucket of its new
 * length. Records recycle through an index free-stack; the array doubles when full
 * (amortised, counted). Levels come from a xorshift32 with a fixed seed (p = 1/4), so the
 * shape is deterministic.
 *
 *   lengths:  ...0 1 1 0 0 1...       bucket 3: head ─► (3,17) ─► (3,220) ─► NIL
 *                  2 3     6          bucket 6: head ─► (6,40) ─► NIL
 *
 * Invariants (checked by check.ts):
 *   R1: each bucket is strictly increasing in start; bit L of lengths is set iff bucket L
 *       is non-empty.
 *   R2: the runs are exactly the maximal free runs of the bitmap.
 *   R3: byStart and byEnd map every run's start and end to its record, and nothing else.
 */

import { SummaryBitmap } from '../bitmap/summary.js';
import { PagedIntMap } from './int-map.js';

/** Links per record and direction; with p = 1/4 this serves 4^12 runs of one length. */
const MAX_LEVEL = 12;
const LEN = 0;
const LEVEL = 1;
const NEXT = 2;
const PREV = NEXT + MAX_LEVEL;
const STRIDE = PREV + MAX_LEVEL;
const NIL = -1;
/**
 * Buckets of lengths up to this keep their head record while empty: best fit empties and
 * refills the buckets of short runs all the time, and a kept head spares the record, the
 * map entry and their undoing (at most this many records, about 110 KiB).
 */
const KEEP_HEADS = 1024;

/** The free runs of a chunk of `nbits` bits, by length then start, and by start and end. */
export class RunIndex {
  #rec: Int32Array;
  /** Start of run k (a head: its bucket's top level in use), apart so searches stay in L1. */
  #start: Int32Array;
  #freeStack: Int32Array;
  #freeTop = 0;
  #capacity = 0;
  #count = 0;
  #rng = 0x9e3779b9 | 0;
  readonly #lengths: SummaryBitmap;
  readonly #bucketOf: PagedIntMap;
  readonly #byStart: PagedIntMap;
  readonly #byEnd: PagedIntMap;
  /** Times the record array doubled. */
  growths = 0;
  /** Records before the searched start on every level of one bucket (filled by #find). */
  readonly #update = new Int32Array(MAX_LEVEL);

  constructor(nbits: number, capacity = 64) {
    this.#lengths = new SummaryBitmap(nbits + 1);
    this.#bucketOf = new PagedIntMap(nbits + 1);
    this.#byStart = new PagedIntMap(nbits + 1);
    this.#byEnd = new PagedIntMap(nbits + 1);
    this.#rec = new Int32Array(0);
    this.#start = new Int32Array(0);
    this.#freeStack = new Int32Array(0);
    this.#grow(Math.max(2, capacity));
  }

  /** Number of runs in the index. */
  get size(): number {
    return this.#count;
  }

  #grow(capacity: number): void {
    const old = this.#capacity;
    const rec = new Int32Array(capacity * STRIDE);
    rec.set(this.#rec);
    const start = new Int32Array(capacity);
    start.set(this.#start);
    this.#start = start;
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

  #record(): number {
    if (this.#freeTop === 0) this.#grow(this.#capacity * 2);
    return this.#freeStack[--this.#freeTop]!;
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

  /** The head record of the bucket of `len`, created (empty) when there is none. */
  #bucket(len: number): number {
    let head = this.#bucketOf.get(len);
    if (head !== -1) return head;
    head = this.#record();
    const o = head * STRIDE;
    const rec = this.#rec;
    rec[o + LEN] = len;
    this.#start[head] = 1; // the bucket's top level in use
    rec[o + LEVEL] = MAX_LEVEL;
    for (let l = 0; l < MAX_LEVEL; l++) rec[o + NEXT + l] = NIL;
    this.#bucketOf.set(len, head);
    return head;
  }

  /** Fill #update with the last record before `start` on every level of bucket `head`. */
  #find(head: number, start: number): void {
    const rec = this.#rec;
    const starts = this.#start;
    let x = head;
    for (let l = starts[head]! - 1; l >= 0; l--) {
      let y = rec[x * STRIDE + NEXT + l]!;
      while (y !== NIL && starts[y]! < start) {
        x = y;
        y = rec[x * STRIDE + NEXT + l]!;
      }
      this.#update[l] = x;
    }
  }

  /** Link record k (key and level set) into the bucket of its length. */
  #link(k: number): void {
    const o = k * STRIDE;
    const head = this.#bucket(this.#rec[o + LEN]!); // may grow the record array
    const rec = this.#rec;
    const ho = head * STRIDE;
    const level = rec[o + LEVEL]!;
    const top = this.#start[head]!;
    if (rec[ho + NEXT] === NIL) this.#lengths.set(rec[o + LEN]!); // the bucket was empty
    this.#find(head, this.#start[k]!);
    if (level > top) {
      for (let l = top; l < level; l++) this.#update[l] = head;
      this.#start[head] = level;
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

  /** Take record k out of its bucket; drop the bucket when it empties. */
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
    const len = rec[o + LEN]!;
    const head = this.#bucketOf.get(len);
    if (rec[head * STRIDE + NEXT]! === NIL) {
      this.#lengths.clear(len);
      if (len > KEEP_HEADS) {
        this.#bucketOf.delete(len);
        this.#freeStack[this.#freeTop++] = head;
      } else {
        this.#start[head] = 1; // kept, empty: its top level back to 1
      }
    }
  }

  /** Give record k the key (len, start) and put it into its bucket. */
  #rekey(k: number, len: number, start: number): void {
    this.#unlink(k);
    const o = k * STRIDE;
    this.#rec[o + LEN] = len;
    this.#start[k] = start;
    this.#link(k);
  }

  #newRun(len: number, start: number): void {
    const k = this.#record();
    const o = k * STRIDE;
    this.#rec[o + LEN] = len;
    this.#start[k] = start;
    this.#rec[o + LEVEL] = this.#randomLevel();
    this.#link(k);
    this.#byStart.set(start, k);
    this.#byEnd.set(start + len, k);
    this.#count++;
  }

  #dropRun(k: number): void {
    this.#unlink(k);
    const o = k * STRIDE;
    this.#byStart.delete(this.#start[k]!);
    this.#byEnd.delete(this.#start[k]! + this.#rec[o + LEN]!);
    this.#freeStack[this.#freeTop++] = k;
    this.#count--;
  }

  /** Add the free run [start, start + len) (building the index from a bitmap). */
  insert(len: number, start: number): void {
    this.#newRun(len, start);
  }

  /**
   * Remove the run [start, start + len).
   * @returns false when no such run is in the index (nothing changes).
   */
  remove(len: number, start: number): boolean {
    const k = this.#byStart.get(start);
    if (k === -1 || this.#rec[k * STRIDE + LEN] !== len) return false;
    this.#dropRun(k);
    return true;
  }

  /**
   * Find the smallest run of at least `nr` bits, the lowest-starting one on a tie.
   * @returns its start, or -1 when every run is shorter.
   */
  findBest(nr: number): number {
    const len = this.#lengths.nextSet(nr);
    if (len < 0) return -1;
    const first = this.#rec[this.#bucketOf.get(len) * STRIDE + NEXT]!;
    return this.#start[first]!;
  }

  /**
   * Record that bits [s, e) of the free run starting at `runStart` were claimed: the run is
   * cut into what is left before s and after e.
   * @returns false when no run starts at runStart (nothing changes).
   */
  claim(runStart: number, s: number, e: number): boolean {
    const k = this.#byStart.get(runStart);
    if (k === -1) return false;
    const b = runStart + this.#rec[k * STRIDE + LEN]!;
    const hasLeft = s > runStart;
    const hasRight = b > e;
    if (hasLeft) {
      this.#byEnd.set(s, k);
      if (hasRight) {
        this.#rekey(k, s - runStart, runStart);
        this.#newRun(b - e, e);
      } else {
        this.#byEnd.delete(b);
        this.#rekey(k, s - runStart, runStart);
      }
    } else if (hasRight) {
      this.#byStart.delete(runStart);
      this.#byStart.set(e, k);
      this.#rekey(k, b - e, e);
    } else {
      this.#dropRun(k);
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
      const a = this.#start[left]!;
      let b = e;
      if (right !== -1) {
        b = e + rec[right * STRIDE + LEN]!;
        this.#dropRun(right);
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
      this.#newRun(e - s, s);
    }
  }

  /** Return the runs in index order — by length, then start — as [len, start] pairs. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const rec = this.#rec;
    for (let len = this.#lengths.nextSet(0); len >= 0; len = this.#lengths.nextSet(len + 1)) {
      const head = this.#bucketOf.get(len);
      if (head === -1) return [[-1, -1]]; // a length bit without a bucket breaks R1
      for (let k = rec[head * STRIDE + NEXT]!; k !== NIL; k = rec[k * STRIDE + NEXT]!) {
        out.push([rec[k * STRIDE + LEN]!, this.#start[k]!]);
      }
    }
    return out;
  }

  /**
   * Check R1 (buckets and length bits agree) and R3 (the boundary maps name exactly the
   * runs).
   * @returns a description of the first disagreement, or '' when they agree.
   */
  checkBoundaryMaps(): string {
    const runs = this.entries();
    if (runs.length !== this.#count) return `${runs.length} runs linked, ${this.#count} counted`;
    for (const [len, head] of this.#bucketOf.entries()) {
      const empty = this.#rec[head * STRIDE + NEXT] === NIL;
      if (empty === this.#lengths.has(len)) {
        return `bucket ${len} is ${empty ? 'empty' : 'not empty'}, its length bit is ${empty ? 'set' : 'clear'}`;
      }
      if (empty && len > KEEP_HEADS) return `bucket ${len} is empty`;
    }
    if (this.#byStart.size !== runs.length || this.#byEnd.size !== runs.length) {
      return `${runs.length} runs but ${this.#byStart.size} starts and ${this.#byEnd.size} ends mapped`;
    }
    for (const [len, start] of runs) {
      const k = this.#byStart.get(start);
      if (k === -1 || this.#byEnd.get(start + len) !== k)
        return `run ${len}@${start} is not mapped`;
    }
    return '';
  }
}
