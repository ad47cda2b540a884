// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane of one attached copy of a shared genpool: claim a run under the copy's
 * journal (first fit through this thread's replica of the fit tree, or any algorithm over
 * the bitmap) with the kernel's retry after a lost race, release a run, and keep the
 * replica and the change log in step after either. shared-core.ts holds the chunk list
 * and the API; this is the part that touches the bitmap.
 *
 * Kernel: lib/genalloc.c gen_pool_alloc_algo_owner() (the `retry:` loop: find, set_bits
 * with rollback on -EBUSY, search again from the failed position) and gen_pool_free_owner()
 * (bitmap_clear_ll).
 *
 * Data structure: views over the slot's journal (layout.ts: op, chunk, lo, hi) in the meta
 * buffer; the chunks' bitmaps and replicas (shared-chunk.ts); this copy's change log
 * (change-log.ts).
 *
 * First fit: descend the replica; its answer ends in a live bitmap word, which may disagree
 * with a replica that lags other threads: then scan the bitmap from there. Claim; on a lost
 * race catch up on the logs and search again from the failed candidate (the kernel's
 * retry), scanning when the replica's answer is taken. "No fit" is decided on the replica
 * (shared-core.ts, "Search correctness").
 *
 * Invariants: J2 (atomic-bits.ts: the journal's [lo, hi) never names a bit the slot does
 * not hold); every change of bitmap words by this slot is applied to its replica and
 * appended to its log before the operation returns (change-log.ts C1).
 *
 * DEVIATION: the claim unit is a 32-bit word (atomic-bits.ts).
 *
 * Internals are TypeScript `private` (`_name`), not `#private`: measured faster on this
 * per-operation path (docs/ARCHITECTURE.md, "#private or TypeScript private on hot paths").
 */

import { hex } from '../../base/units.js';
import type { GenPoolAlgo, GenPoolAlgoPool } from '../algos.js';
import { claimBits, rangeAllClear, releaseBits, type WordHook } from './atomic-bits.js';
import type { ChangeLog } from './change-log.js';
import type { SharedGenPoolChunk } from './shared-chunk.js';
import {
  HOOK_CLAIMED,
  HOOK_RELEASED,
  HOOK_WORD_CLAIMED,
  scanFrom,
  type SharedPoolHook,
} from './shared-api.js';
import {
  OP_CLAIM,
  OP_FREE,
  OP_IDLE,
  S_CHUNK,
  S_HI,
  S_LO,
  S_OP,
  SLOT_INTS,
  SLOTS_BYTE,
} from './layout.js';

/** Reports a BUG (logs and throws). */
export type BugReporter = (site: string, message: string) => never;

/** The claim, release and index upkeep of one slot (see the file header). */
export class SlotOps {
  /** Lost-race retries so far (the kernel's `goto retry`). */
  retries = 0;
  private readonly _h: Int32Array;
  /** Int32 index of this slot's journal in _h. */
  private readonly _js: number;
  private readonly _log: ChangeLog;
  /** Replays the other slots' logs into the replicas (strict loads); true if any was new. */
  private readonly _catchUp: () => boolean;
  private readonly _bug: BugReporter;
  private _hook: SharedPoolHook | null = null;
  private _wordHook: WordHook | null = null;
  private _hookChunk = 0;

  /** The data plane of `slot` over the meta buffer `h` (as Int32), appending to `log`. */
  constructor(
    h: Int32Array,
    slot: number,
    log: ChangeLog,
    catchUp: () => boolean,
    bug: BugReporter,
  ) {
    this._h = h;
    this._log = log;
    this._catchUp = catchUp;
    this._js = SLOTS_BYTE / 4 + slot * SLOT_INTS;
    this._bug = bug;
  }

  /** Install or remove the test hook (shared-api.ts SharedPoolHook). */
  setHook(hook: SharedPoolHook | null): void {
    this._hook = hook;
    this._wordHook =
      hook === null ? null : (end: number): void => hook(HOOK_WORD_CLAIMED, this._hookChunk, end);
  }

  /** Mark the journal idle (the caller has accounted the operation). */
  idle(): void {
    this._h[this._js + S_OP] = OP_IDLE;
  }

  /**
   * First fit of `nbits` in `chunk` by this copy's replica, claimed.
   * Context: data plane; lock-free; allocation-free.
   * @returns the claimed start bit (journal CLAIM), or -1 when the replica has no fit.
   */
  claimFirst(chunk: SharedGenPoolChunk, nbits: number): number {
    const tree = chunk.tree;
    if (nbits > tree.cap) tree.raiseCap(chunk.bits, nbits); // cold: rebuilds the replica
    if (tree.longestRun() < nbits) return -1; // the replica has no run: "Search correctness"
    // The descent ends in a live bitmap word, which may disagree with the replica: then
    // the answer is no run there (-1 or a bit before the leaf); scan instead.
    let start = tree.findFirst(chunk.bits, nbits);
    if (start < 0 || start + nbits > chunk.nbits) start = scanFrom(chunk, 0, nbits);
    while (start >= 0) {
      const remain = this.take(chunk, start, nbits);
      if (remain === 0) return start;
      this.retries++;
      // The kernel's retry: search again from the failed candidate (start_bit), on a
      // replica that has caught up with the claim that won (if it is published yet).
      this._catchUp();
      let next = tree.findAligned(chunk.bits, nbits, 1, 0, start);
      if (next < 0) return -1;
      if (next + nbits > chunk.nbits || !rangeAllClear(chunk.words, next, nbits)) {
        next = scanFrom(chunk, start, nbits);
      }
      start = next;
    }
    return -1;
  }

  /**
   * Any algorithm over the shared bitmap, with the kernel's retry.
   * @returns the claimed start bit, or -1 when the algorithm finds no fit.
   */
  claimAlgo(
    pool: GenPoolAlgoPool,
    chunk: SharedGenPoolChunk,
    algo: GenPoolAlgo,
    data: unknown,
    nbits: number,
  ): number {
    const endBit = chunk.nbits;
    let start = 0;
    for (let tries = 0; ; tries++) {
      start = algo(chunk.bits, endBit, start, nbits, data, pool, chunk.startAddr);
      if (!(start >= 0 && start < endBit)) return -1;
      if (start + nbits > endBit || !Number.isInteger(start)) {
        this._bug(
          'gen_pool_alloc_algo_owner',
          `algorithm returned bit ${start} for ${nbits} bits of a ${endBit}-bit chunk at ${hex(chunk.startAddr)}`,
        );
      }
      if (this.take(chunk, start, nbits) === 0) return start;
      this.retries++;
      if (tries > 4 * endBit + 64) {
        this._bug(
          'gen_pool_alloc_algo_owner',
          `algorithm keeps returning taken bit ${start} in chunk ${hex(chunk.startAddr)}`,
        );
      }
    }
  }

  /**
   * Claim [start, start + nbits) under the journal; on success update the replica and the log (the
   * journal stays CLAIM until the caller has charged avail: {@link SlotOps.idle}). On a
   * lost race roll back the words set (and log them).
   * @returns 0, or the number of bits not set (the claim failed and was rolled back).
   */
  take(chunk: SharedGenPoolChunk, start: number, nbits: number): number {
    const j = this._h;
    const js = this._js;
    j[js + S_CHUNK] = chunk.index;
    j[js + S_LO] = start;
    j[js + S_HI] = start;
    j[js + S_OP] = OP_CLAIM;
    this._hookChunk = chunk.index;
    const remain = claimBits(chunk.words, start, nbits, j, js, this._wordHook);
    if (remain === 0) {
      if (this._hook !== null) this._hook(HOOK_CLAIMED, chunk.index, start);
      this._changed(chunk, start, nbits);
      return 0;
    }
    const done = nbits - remain;
    if (done > 0) {
      if (releaseBits(chunk.words, start, done, j, js) !== 0) {
        this._bug('gen_pool_alloc_algo_owner', `rollback of bit ${start} failed`);
      }
      this._changed(chunk, start, done);
    }
    j[js + S_OP] = OP_IDLE;
    return remain;
  }

  /**
   * Clear [start, start + nbits) under the journal (FREE), update the replica and the log.
   * @returns 0, or the bits not cleared (one was not set: the caller BUGs; the journal is
   *   left FREE for the caller to idle).
   */
  release(chunk: SharedGenPoolChunk, start: number, nbits: number): number {
    const j = this._h;
    const js = this._js;
    j[js + S_CHUNK] = chunk.index;
    j[js + S_LO] = start;
    j[js + S_HI] = start + nbits;
    j[js + S_OP] = OP_FREE;
    const remain = releaseBits(chunk.words, start, nbits, j, js);
    if (this._hook !== null) this._hook(HOOK_RELEASED, chunk.index, start);
    if (nbits - remain > 0) this._changed(chunk, start, nbits - remain);
    return remain;
  }

  /** After this copy changed bits [start, start + nbits): its replica, then its log. */
  private _changed(chunk: SharedGenPoolChunk, start: number, nbits: number): void {
    chunk.tree.update(chunk.bits, start, nbits);
    this._log.append(chunk.index, start >>> 5, (start + nbits - 1) >>> 5);
  }
}
