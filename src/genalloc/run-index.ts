// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index of a genpool chunk: every maximal free run of the bitmap, grouped by
 * length and ordered by start within a length, so that the kernel's best fit — the
 * smallest run that holds nr bits, the lowest one on a tie — is the first run of the first
 * non-empty length at or above nr. A claim or a release finds the runs it touches from the
 * bitmap words beside it (and the tags of long runs), so it needs no bitmap search and no
 * fit tree.
 *
 * Kernel: none — replaces the full-bitmap scan of gen_pool_best_fit() (algos.ts) with the
 * same answer.
 *
 * Structure:
 *   - `lengths`, a SummaryBitmap with bit L set when some run has length L: the smallest
 *     length >= nr is one nextSet(nr), a few word operations;
 *   - per length in use, a group (`groupOf`, a PagedIntMap over the lengths, names it) of
 *     REGIONS buckets, one per 1/REGIONS of the chunk by start, and a mask with bit r set
 *     iff bucket r is non-empty: the lowest run of a length is in the bucket of the mask's
 *     lowest bit;
 *   - a bucket: the starts of its runs, sorted ascending, in a gap array (`buf[lo..hi)` of
 *     one Int32Array, free slots on both sides): its lowest run is buf[lo], taking it is
 *     lo++, and an insert or a removal is a binary search plus a shift of the shorter side;
 *   - `edge`, one Int32Array over the bits (boundary tags): a run of TAG_MIN bits or more
 *     holds its length at its first and last bit. A release asks the bitmap whether the
 *     bits beside it are free and, if so, scans the bitmap for the neighbour's far end;
 *     past TAG_MIN bits it reads the neighbour's tag instead. Other entries are stale and
 *     never read.
 *
 *   lengths:  ...0 1 1 0 0 1...      group 2: mask 0b101  region 0: [ . . 17 220 . ]
 *                  2 3     6                              region 2: [ . 9000 . ]
 *                                    group 6: mask 0b001  region 0: [ . 40 . . ]
 *
 * Why arrays and not a linked structure: the runs of one length in one region are few
 * (a handful in the workloads; tens for the shortest lengths at 90 % occupancy) and sit in
 * one or two cache lines, where a skip list chased a cache miss per link and two direct
 * maps over the bits missed on every boundary. The shift is O(bucket) in the worst case
 * (a length with very many runs in one region, inserted in the middle; at most
 * nbits / (2 * REGIONS) runs); it moves 4 bytes a run with copyWithin, and runs at either
 * end of a bucket (in address order, as fills and frees in order make them) cost O(1).
 *
 * Memory: `edge`, 4 bytes per bit, allocated with the index but written only at the ends
 * of long runs (untouched pages stay unmapped); 4 bytes per run in the buckets (up to
 * about four times that after growth and re-centring) plus an array object per bucket
 * that ever held a run; per group, about 400 bytes of tables (groups of lengths up to
 * KEEP_GROUPS are kept); the SummaryBitmap (about 1/8 byte per bit) and PagedIntMap pages
 * of the lengths in use.
 * Arrays and tables grow by doubling (amortised, counted in `growths`).
 *
 * Invariants (checked by check.ts):
 *   R1: each bucket is strictly increasing in start, and its starts lie in its region;
 *       bit r of a group's mask is set iff bucket r is non-empty; bit L of lengths is set
 *       iff group L has a run.
 *   R2: the runs are exactly the maximal free runs of the bitmap.
 *   R3: edge[start] and edge[start + len - 1] equal len for every run with len >= TAG_MIN.
 */

import { SummaryBitmap } from '../bitmap/summary.js';
import { PagedIntMap } from './int-map.js';

/**
 * Runs this long or longer are tagged at both ends. A shorter run's neighbour finds its far
 * end by scanning the bitmap (at most TAG_MIN bits, three words), in words the claim or
 * release has just touched, instead of reading a tag from a cold cache line.
 */
const TAG_MIN = 64;
/** Slots of a bucket's first array. */
const FIRST_CAPACITY = 8;
/** log2 of the regions a length's runs are split into (by start), one bit each in a mask. */
const REGION_BITS = 5;
const REGIONS = 1 << REGION_BITS;
/**
 * Groups of lengths up to this stay while empty: best fit empties and refills the groups of
 * short runs all the time, and a kept group spares the map entry and its undoing.
 */
const KEEP_GROUPS = 1024;
/** Shifts shorter than this are done by a loop (copyWithin costs a call, ~30 ns). */
const SHORT_SHIFT = 24;
/** The array of a bucket that never held a run (shared; never written: its length is 0). */
const NO_STARTS = new Int32Array(0);

/** The free runs of a chunk of `nbits` bits, by length then start, tagged long runs. */
export class RunIndex {
  /**
   * Per bucket id (group * REGIONS + region): its array, and the bounds [lo, hi) of its
   * starts. A group's buckets start with the shared empty array; the first insert gives
   * each its own.
   */
  #buf: Int32Array[] = [];
  #lo: Int32Array;
  #hi: Int32Array;
  /** Per group: bit r set iff the bucket of region r is non-empty. */
  #mask: Int32Array;
  /** Groups to reuse (groups of long lengths that emptied), and how many. */
  #freeGroups: Int32Array;
  #freeTop = 0;
  #groups = 0;
  #count = 0;
  readonly #nbits: number;
  /** log2 of the bits per region: REGIONS regions cover the chunk. */
  readonly #regionShift: number;
  /** Boundary tags: the length of a run of TAG_MIN bits or more at its first and last bit. */
  readonly #edge: Int32Array;
  readonly #lengths: SummaryBitmap;
  readonly #groupOf: PagedIntMap;
  /** The run findBest returned last: its start, length and bucket (claim's fast path). */
  #bestStart = -1;
  #bestLen = 0;
  #bestId = 0;
  /** Times a bucket or the bucket tables grew. */
  growths = 0;

  constructor(nbits: number) {
    this.#lengths = new SummaryBitmap(nbits + 1);
    this.#groupOf = new PagedIntMap(nbits + 1);
    this.#nbits = nbits;
    // the smallest power of two of bits per region that covers nbits with REGIONS regions
    this.#regionShift = Math.max(0, 32 - Math.clz32(Math.max(1, nbits) - 1) - REGION_BITS);
    this.#edge = new Int32Array(Math.max(1, nbits));
    this.#lo = new Int32Array(4 * REGIONS);
    this.#hi = new Int32Array(4 * REGIONS);
    this.#mask = new Int32Array(4);
    this.#freeGroups = new Int32Array(4);
  }

  /** Number of runs in the index. */
  get size(): number {
    return this.#count;
  }

  // ── Buckets ────────────────────────────────────────────────────────────────

  /** The group of `len`, created (all buckets empty) when there is none. (Cold.) */
  #newGroup(len: number): number {
    let g: number;
    if (this.#freeTop > 0) {
      g = this.#freeGroups[--this.#freeTop]!; // its buckets are empty and centred
    } else {
      g = this.#groups++;
      if (g === this.#mask.length) {
        this.#lo = grown(this.#lo, g * 2 * REGIONS);
        this.#hi = grown(this.#hi, g * 2 * REGIONS);
        this.#mask = grown(this.#mask, g * 2);
        this.#freeGroups = grown(this.#freeGroups, g * 2);
        this.growths++;
      }
      for (let r = 0; r < REGIONS; r++) this.#buf.push(NO_STARTS);
    }
    this.#groupOf.set(len, g);
    return g;
  }

  /**
   * The index in bucket `id` of the first start >= `start` (binary search of buf[lo..hi)).
   */
  #search(id: number, start: number): number {
    const buf = this.#buf[id]!;
    let lo = this.#lo[id]!;
    let hi = this.#hi[id]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buf[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Put `start` into the bucket of `len` and start's region (it is not there). */
  #add(len: number, start: number): void {
    let g = this.#groupOf.get(len);
    if (g < 0) g = this.#newGroup(len);
    const r = start >>> this.#regionShift;
    const id = g * REGIONS + r;
    let lo = this.#lo[id]!;
    let hi = this.#hi[id]!;
    let buf = this.#buf[id]!;
    if (lo === hi) {
      // the bucket was empty
      const m = this.#mask[g]!;
      if (m === 0) this.#lengths.set(len);
      this.#mask[g] = m | (1 << r);
    }
    // Fast path: the new start is the lowest (best fit's leftovers, frees in address order).
    if (lo > 0 && (lo === hi || buf[lo]! > start)) {
      buf[lo - 1] = start;
      this.#lo[id] = lo - 1;
      return;
    }
    let p = this.#search(id, start);
    if (p - lo < hi - p ? lo === 0 : hi === buf.length) {
      // The shorter side has no free slot: re-centre (when at most half full) or grow,
      // leaving free slots on both sides. (Amortised: once per cap/4 inserts at least.)
      const cap = buf.length * 2 > 4 * (hi - lo + 1) ? buf.length : buf.length * 2;
      this.#spread(id, Math.max(FIRST_CAPACITY, cap));
      buf = this.#buf[id]!;
      const moved = this.#lo[id]! - lo;
      lo += moved;
      hi += moved;
      p += moved;
    }
    if (p - lo < hi - p) {
      // Shift [lo, p) down one slot.
      if (p - lo < SHORT_SHIFT) for (let i = lo; i < p; i++) buf[i - 1] = buf[i]!;
      else buf.copyWithin(lo - 1, lo, p);
      buf[p - 1] = start;
      this.#lo[id] = lo - 1;
    } else {
      // Shift [p, hi) up one slot.
      if (hi - p < SHORT_SHIFT) for (let i = hi; i > p; i--) buf[i] = buf[i - 1]!;
      else buf.copyWithin(p + 1, p, hi);
      buf[p] = start;
      this.#hi[id] = hi + 1;
    }
  }

  /** Move bucket `id` into the middle of an array of `capacity` slots (cold, amortised). */
  #spread(id: number, capacity: number): void {
    const old = this.#buf[id]!;
    const lo = this.#lo[id]!;
    const hi = this.#hi[id]!;
    const at = (capacity - (hi - lo)) >>> 1;
    if (capacity === old.length) {
      old.copyWithin(at, lo, hi);
    } else {
      const buf = new Int32Array(capacity);
      buf.set(old.subarray(lo, hi), at);
      this.#buf[id] = buf;
      this.growths++;
    }
    this.#lo[id] = at;
    this.#hi[id] = at + (hi - lo);
  }

  /**
   * Take slot p out of bucket `id`, shifting the shorter side. Never the bucket's last
   * run: a bucket of one run holds it at lo, and #take removes the run at lo itself.
   */
  #removeAt(id: number, p: number): void {
    const buf = this.#buf[id]!;
    const lo = this.#lo[id]!;
    const hi = this.#hi[id]!;
    if (p - lo < hi - p) {
      if (p - lo < SHORT_SHIFT) for (let i = p; i > lo; i--) buf[i] = buf[i - 1]!;
      else buf.copyWithin(lo + 1, lo, p);
      this.#lo[id] = lo + 1;
    } else {
      if (hi - p < SHORT_SHIFT) for (let i = p + 1; i < hi; i++) buf[i - 1] = buf[i]!;
      else buf.copyWithin(p, p + 1, hi);
      this.#hi[id] = hi - 1;
    }
  }

  /** Take the lowest run out of bucket `id` of length `len`. */
  #pop(id: number, len: number): void {
    const lo = this.#lo[id]! + 1;
    if (lo < this.#hi[id]!) {
      this.#lo[id] = lo;
      return;
    }
    // The bucket is empty: centre it, clear its region bit and, with the last, the length.
    const mid = this.#buf[id]!.length >>> 1;
    this.#lo[id] = mid;
    this.#hi[id] = mid;
    const g = (id / REGIONS) | 0;
    const m = this.#mask[g]! & ~(1 << (id & (REGIONS - 1)));
    this.#mask[g] = m;
    if (m !== 0) return;
    this.#lengths.clear(len);
    if (len > KEEP_GROUPS) {
      this.#groupOf.delete(len);
      this.#freeGroups[this.#freeTop++] = g;
    }
  }

  /**
   * Take the run (len, start) out of its bucket.
   * @returns false when it is not there (nothing changes).
   */
  #take(len: number, start: number): boolean {
    if (!(len >= 1)) return false;
    const g = this.#groupOf.get(len);
    if (g < 0) return false;
    const id = g * REGIONS + (start >>> this.#regionShift);
    const lo = this.#lo[id]!;
    const hi = this.#hi[id]!;
    if (lo === hi) return false;
    const buf = this.#buf[id]!;
    if (buf[lo] === start) {
      this.#pop(id, len); // the lowest run of its bucket (best fit's choice)
      return true;
    }
    const p = this.#search(id, start);
    if (p === hi || buf[p] !== start) return false;
    this.#removeAt(id, p);
    return true;
  }

  // ── Runs ───────────────────────────────────────────────────────────────────

  /** Add the run [start, start + len) to its bucket; tag its ends when it is long. */
  #put(len: number, start: number): void {
    if (len >= TAG_MIN) {
      this.#edge[start] = len;
      this.#edge[start + len - 1] = len;
    }
    this.#add(len, start);
  }

  /**
   * The end of the free bits from bit e (free in `bits`) on: a scan of the bitmap for the
   * next used bit, over at most TAG_MIN bits. Past that the run is long, so tagged: its
   * end is `first` (the run's first bit, which holds its tag) plus the tag.
   */
  #endOf(bits: Uint32Array, e: number, first: number): number {
    const lastWord = (this.#nbits - 1) >>> 5;
    let w = e >>> 5;
    let word = bits[w]! & (-1 << (e & 31));
    for (;;) {
      if (word !== 0) return (w << 5) + 31 - Math.clz32(word & -word);
      w++;
      if (w > lastWord) return this.#nbits;
      if ((w << 5) - e >= TAG_MIN) return first + this.#edge[first]!; // [e, 32w) free: long
      word = bits[w]!;
    }
  }

  /**
   * The start of the free run that ends at bit s (bit s - 1 free in `bits`): a scan back
   * for the previous used bit, over at most TAG_MIN bits; a run longer than that is tagged.
   */
  #startOf(bits: Uint32Array, s: number): number {
    let w = (s - 1) >>> 5;
    let word = bits[w]! & (-1 >>> (31 - ((s - 1) & 31))); // bits at or below s - 1
    for (;;) {
      if (word !== 0) return (w << 5) + 32 - Math.clz32(word);
      if (w === 0) return 0;
      if (s - (w << 5) >= TAG_MIN) return s - this.#edge[s - 1]!; // [32w, s) is free: long
      w--;
      word = bits[w]!;
    }
  }

  /** Add the free run [start, start + len) (building the index from a bitmap). */
  insert(len: number, start: number): void {
    this.#bestStart = -1;
    this.#put(len, start);
    this.#count++;
  }

  /**
   * Remove the run [start, start + len).
   * @returns false when no such run is in the index (nothing changes).
   */
  remove(len: number, start: number): boolean {
    this.#bestStart = -1;
    if (!this.#take(len, start)) return false;
    this.#count--;
    return true;
  }

  /**
   * Find the smallest run of at least `nr` bits, the lowest-starting one on a tie.
   * @returns its start, or -1 when every run is shorter.
   */
  findBest(nr: number): number {
    const len = this.#lengths.nextSet(nr);
    if (len < 0) return -1;
    const g = this.#groupOf.get(len);
    const m = this.#mask[g]!;
    const id = g * REGIONS + 31 - Math.clz32(m & -m); // the lowest non-empty region
    const start = this.#buf[id]![this.#lo[id]!]!;
    this.#bestStart = start;
    this.#bestLen = len;
    this.#bestId = id;
    return start;
  }

  /**
   * Record that bits [s, e) of the free run starting at `runStart` were claimed: the run is
   * cut into what is left before s and after e.
   * @returns false when no run starts at runStart (nothing changes).
   */
  claim(bits: Uint32Array, runStart: number, s: number, e: number): boolean {
    let len: number;
    const id = this.#bestId;
    if (
      runStart === this.#bestStart &&
      this.#lo[id]! < this.#hi[id]! &&
      this.#buf[id]![this.#lo[id]!] === runStart
    ) {
      // findBest's run, still the lowest of its bucket: take it without a search.
      len = this.#bestLen;
      this.#pop(id, len);
    } else {
      // What is left of the run after e is still free in the bitmap.
      const free = e < this.#nbits && (bits[e >>> 5]! & (1 << (e & 31))) === 0;
      const end = free ? this.#endOf(bits, e, runStart) : e;
      len = end - runStart;
      if (!this.#take(len, runStart)) return false;
    }
    this.#bestStart = -1;
    const b = runStart + len;
    if (s > runStart) this.#put(s - runStart, runStart);
    else this.#count--;
    if (b > e) {
      this.#put(b - e, e);
      this.#count++;
    }
    return true;
  }

  /**
   * Record that bits [s, e) were released (they are clear in `bits` now): they join the
   * free runs that end at s and that start at e, if any.
   * @returns false when the bitmap shows a free neighbour the index does not hold (a kmem
   *   bug; the index is left without the neighbour).
   */
  release(bits: Uint32Array, s: number, e: number): boolean {
    this.#bestStart = -1;
    let a = s;
    let b = e;
    let ok = true;
    if (s > 0 && (bits[(s - 1) >>> 5]! & (1 << ((s - 1) & 31))) === 0) {
      a = this.#startOf(bits, s); // the free run that ends at s
      if (this.#take(s - a, a)) this.#count--;
      else ok = false;
    }
    if (e < this.#nbits && (bits[e >>> 5]! & (1 << (e & 31))) === 0) {
      b = this.#endOf(bits, e, e); // the free run that starts at e
      if (this.#take(b - e, e)) this.#count--;
      else ok = false;
    }
    this.#put(b - a, a);
    this.#count++;
    return ok;
  }

  /** Return the runs in index order — by length, then start — as [len, start] pairs. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let len = this.#lengths.nextSet(0); len >= 0; len = this.#lengths.nextSet(len + 1)) {
      const g = this.#groupOf.get(len);
      if (g === -1) return [[-1, -1]]; // a length bit without a group breaks R1
      for (let id = g * REGIONS; id < (g + 1) * REGIONS; id++) {
        const buf = this.#buf[id]!;
        for (let i = this.#lo[id]!; i < this.#hi[id]!; i++) out.push([len, buf[i]!]);
      }
    }
    return out;
  }

  /**
   * Check R1 (buckets, region bits and length bits agree; every start lies in its bucket's
   * region) and R3 (the tags at both ends of every long run name its length).
   * @returns a description of the first disagreement, or '' when they agree.
   */
  checkBoundaryMaps(): string {
    const runs = this.entries();
    if (runs.length !== this.#count)
      return `${runs.length} runs in buckets, ${this.#count} counted`;
    for (const [len, g] of this.#groupOf.entries()) {
      let m = 0;
      for (let r = 0; r < REGIONS; r++) {
        const id = g * REGIONS + r;
        if (this.#lo[id]! < this.#hi[id]!) m |= 1 << r;
        for (let i = this.#lo[id]!; i < this.#hi[id]!; i++) {
          const start = this.#buf[id]![i]!;
          if (start >>> this.#regionShift !== r) return `run ${len}@${start} is in region ${r}`;
        }
      }
      if (m !== this.#mask[g]) return `length ${len}: region bits ${this.#mask[g]}, buckets ${m}`;
      if ((m === 0) === this.#lengths.has(len)) {
        return `length ${len} has ${m === 0 ? 'no runs' : 'runs'}, its length bit is ${m === 0 ? 'set' : 'clear'}`;
      }
      if (m === 0 && len > KEEP_GROUPS) return `length ${len} has an empty group`;
    }
    const edge = this.#edge;
    for (const [len, start] of runs) {
      if (len >= TAG_MIN && (edge[start] !== len || edge[start + len - 1] !== len)) {
        return `run ${len}@${start} is tagged ${edge[start]} and ${edge[start + len - 1]}`;
      }
    }
    return '';
  }
}

/** A copy of `a` in an array of `length` elements (table growth; cold). */
function grown(a: Int32Array, length: number): Int32Array {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
