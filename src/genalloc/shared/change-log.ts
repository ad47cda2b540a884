// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-thread replicas of the search index of a shared genpool, kept in step through one
 * change log per slot: every thread that changes bitmap words appends "chunk c, words
 * w0..w1" to its own log, and before each operation every thread replays the entries the
 * others appended since it last looked, recomputing those words' leaves and ancestors of
 * its own FitTree (fit-tree.ts) from the shared bitmap.
 *
 * Kernel: none — the kernel scans the bitmap (bitmap_find_next_zero_area); this is kmem's
 * concurrent variant of its single-threaded fit tree. The bitmap stays the only truth: a
 * replica is a hint, a claim verifies it with compare-and-swap (shared-pool.ts).
 *
 * Why replicas and not one shared tree: a shared tree must be written with atomic stores
 * and re-read with atomic loads on every level of every update, and Node 20's Atomics cost
 * 5 to 15 ns each, against under 1 ns for a plain access; a replica is updated with plain
 * accesses, and a thread writes only its own log and slot (no cache line written by two
 * threads on every operation).
 *
 * Protocol. Writer (the owner of slot s): after its CAS changed the words, and after it
 * updated its own replica, it writes entry k (at k mod LOG_ENTRIES) with plain stores and
 * publishes it with Atomics.store of the entry's sequence word, k + 1 (modulo 2^32); then it
 * advances its head (used only to start and to recover from a lap). Reader: for each other
 * slot it loads the sequence word of the entry at its cursor — one cache line with the
 * entry itself — and while it reads cursor + 1 (an Atomics.load, which synchronises with
 * the writer's store, so the entry and the CAS before it are visible) replays the entry and
 * advances. A sequence word from a later lap means the writer overwrote entries this reader
 * had not replayed: the reader rebuilds all its replicas from the bitmap and continues from
 * the writer's head (an entry replayed twice is harmless). An entry naming a chunk the
 * reader has not attached yet is skipped: the reader builds that chunk's replica from the
 * bitmap when it attaches it, and the change was made before the entry, hence before that
 * build.
 *
 * Claim (C1): once no operation is in flight and a copy has caught up (the first thing of
 * each of its operations, and of check()), its replicas equal FitTrees rebuilt from the
 * bitmap. Every change of a word is followed by an entry (or, for the copy that made it, a
 * direct update) that this copy replays after the change; each replay recomputes the word
 * from its current value, so the last recomputation of each word sees its final value.
 * While others run, a replica may lag their operations in flight: a search can miss a run
 * that is being freed, or offer one that is being claimed (the CAS then fails and the
 * search retries, as the kernel's does after a lost race).
 *
 * DEVIATION: none (kmem's own structure).
 *
 * Invariants: C1 above; the head of a slot only grows (modulo 2^32), also across detach and
 * reuse of the slot, so cursors stay valid.
 *
 * Internals are TypeScript `private` (`_name`), not `#private`: measured faster on this
 * per-operation path (docs/ARCHITECTURE.md, "#private or TypeScript private on hot paths").
 */

import type { SharedGenPoolChunk } from './shared-chunk.js';
import {
  ENTRY_INTS,
  H_SLOTS,
  LOG_ENTRIES,
  MAX_SLOTS,
  S_HEAD,
  SLOT_INTS,
  SLOTS_BYTE,
} from './layout.js';

const MASK = LOG_ENTRIES - 1;
const SLOTS_INT = SLOTS_BYTE / 4;

/** One thread's side of the change logs: its own log, and its cursors into the others. */
export class ChangeLog {
  private readonly _h: Int32Array;
  private readonly _slot: number;
  /** Int32 index of this slot's head. */
  private readonly _headAt: number;
  /** Int32 index of log 0's first entry. */
  private readonly _logs: number;
  /** Entries of slot s replayed so far. */
  private readonly _cursor = new Int32Array(MAX_SLOTS);
  /** Full rebuilds after being lapped (diagnostics). */
  rebuilds = 0;

  /** Attach to the logs in `h` (the meta buffer as Int32) for `slot`; logs at `logsByte`. */
  constructor(h: Int32Array, slot: number, logsByte: number) {
    this._h = h;
    this._slot = slot;
    this._headAt = SLOTS_INT + slot * SLOT_INTS + S_HEAD;
    this._logs = logsByte / 4;
    for (let s = 0; s < MAX_SLOTS; s++) {
      this._cursor[s] = Atomics.load(h, SLOTS_INT + s * SLOT_INTS + S_HEAD);
    }
  }

  /**
   * Publish that this slot changed words w0..w1 of chunk `chunk` (after the CAS).
   * Context: data plane; allocation-free; one atomic store.
   */
  append(chunk: number, w0: number, w1: number): void {
    const h = this._h;
    const head = h[this._headAt]!;
    const e = this._logs + (this._slot * LOG_ENTRIES + (head & MASK)) * ENTRY_INTS;
    h[e] = chunk;
    h[e + 1] = w0;
    h[e + 2] = w1;
    Atomics.store(h, e + 3, (head + 1) | 0); // publishes the entry
    h[this._headAt] = (head + 1) | 0;
  }

  /**
   * Replay the other slots' new entries into the replicas of `byIndex` (chunks by index,
   * as attached by this thread). `strict` reads with Atomics.load (before a failure is
   * reported) instead of plain loads.
   * Context: data plane; allocation-free; one load per attached slot when idle (the
   * sequence word of the entry at its cursor, on the same cache line as the entry).
   * @returns true when some entry was replayed.
   */
  catchUp(byIndex: readonly SharedGenPoolChunk[], strict: boolean): boolean {
    const h = this._h;
    const hw = strict ? Atomics.load(h, H_SLOTS) : h[H_SLOTS]!;
    let moved = false;
    for (let s = 0; s < hw; s++) {
      if (s === this._slot) continue;
      const k = this._cursor[s]!;
      const seq = this._logs + (s * LOG_ENTRIES + (k & MASK)) * ENTRY_INTS + 3;
      const seen = strict ? Atomics.load(h, seq) : h[seq]!;
      if (seen === ((k + 1) | 0)) {
        this._replay(s, byIndex);
        moved = true;
      } else if (seen !== ((k + 1 - LOG_ENTRIES) | 0) && seen !== 0) {
        this._lapped(s, byIndex); // the entry at the cursor is from a later lap
        moved = true;
      }
    }
    return moved;
  }

  /** Replay slot s's entries from the cursor while their sequence words say they are new. */
  private _replay(s: number, byIndex: readonly SharedGenPoolChunk[]): void {
    const h = this._h;
    const base = this._logs + s * LOG_ENTRIES * ENTRY_INTS;
    const n = byIndex.length;
    let k = this._cursor[s]!;
    for (;;) {
      const e = base + (k & MASK) * ENTRY_INTS;
      const want = (k + 1) | 0;
      if (Atomics.load(h, e + 3) !== want) break;
      const c = h[e]!;
      const w0 = h[e + 1]!;
      const w1 = h[e + 2]!;
      // Overwritten by a later lap while being read: start over from the bitmap.
      if (Atomics.load(h, e + 3) !== want) {
        this._lapped(s, byIndex);
        return;
      }
      if (c >= 0 && c < n) byIndex[c]!.refresh(w0, w1);
      k = want;
    }
    this._cursor[s] = k;
  }

  /** Slot s lapped this reader: rebuild every replica, continue from its head. (Cold.) */
  private _lapped(s: number, byIndex: readonly SharedGenPoolChunk[]): void {
    this._cursor[s] = Atomics.load(this._h, SLOTS_INT + s * SLOT_INTS + S_HEAD);
    this.rebuilds++;
    for (let i = 0; i < byIndex.length; i++) byIndex[i]!.tree.rebuild(byIndex[i]!.bits);
  }
}
