// SPDX-License-Identifier: GPL-2.0-only
/*
 * Consistency check and crash recovery of a shared genpool, both for a quiescent pool (no
 * operation in flight in any live thread).
 *
 * Kernel: none (the kernel has no checker, and a CPU does not die mid-allocation).
 *
 * Data structure: reads the journals, bitmaps and delta entries of layout.ts.
 *
 * DEVIATION: none (kmem's own repair).
 *
 * What a thread that dies mid-operation can leave (its slot's journal says which, see
 * layout.ts and atomic-bits.ts):
 *   - during a claim, before or during its rollback: the words it set, [lo, hi), and no
 *     avail charge. Nobody was handed these granules: recovery clears them.
 *   - after the claim, before the index or avail were updated (the HOOK_CLAIMED point):
 *     the whole range set, the replicas not told, avail not charged: recovery clears
 *     the range — the allocation never reached its caller.
 *   - during a free: the words not yet cleared, [lo, hi); after it, before the index or
 *     avail (HOOK_RELEASED): nothing set, replicas not told, avail not credited. Recovery clears
 *     the rest of the range — the caller had asked for it to be freed.
 *   - holding the add lock: a dead slot passed to recover() releases it.
 * After the journals, recovery rebuilds its index replicas from the bitmap, logs every
 * chunk as changed (so the other copies refresh theirs: change-log.ts C1), and sets each
 * chunk's adjustment entry so that avail == size - set bits * 2^order (G1), which repairs
 * a missing charge or credit. Allocations a dead thread had been handed stay allocated.
 *
 * Invariants checked: G1, G3 (no bit past nbits), C1 (the calling copy's index replicas
 * equal FitTrees rebuilt from the bitmap: T1/T2 of fit-tree.ts), J1 (the journal of every
 * attached slot is idle).
 */

// control-plane: checker and recovery, run by tests and after a crash only
import { InvariantError } from '../../base/errors.js';
import { hex, popcount32 } from '../../base/units.js';
import { firstWordMask, lastWordMask } from '../../bitmap/bitmap.js';
import type { SharedGenPoolChunk } from './shared-chunk.js';
import { FitTree } from '../fit-tree.js';
import type { ChangeLog } from './change-log.js';
import {
  DELTA_ADJUST,
  DELTA_STRIDE,
  H_LOCK,
  MAX_SLOTS,
  OP_IDLE,
  S_CHUNK,
  S_HI,
  S_LO,
  S_OP,
  S_STATE,
  SLOT_INTS,
  SLOTS_BYTE,
} from './layout.js';

/** What {@link recoverShared} repaired. */
export interface RecoverReport {
  /** Busy journals found (operations that never finished). */
  journals: number;
  /** Granules those journals held, now free. */
  bitsReleased: number;
  /** Sum over chunks of |avail change| in granules made to match the bitmaps. */
  availFixed: number;
  /** Slots freed (the dead ones passed in). */
  slotsFreed: number;
}

/** Set bits of a chunk's bitmap within [0, nbits). */
function weight(chunk: SharedGenPoolChunk): number {
  const words = chunk.words;
  const full = chunk.nbits >>> 5;
  let n = 0;
  for (let w = 0; w < full; w++) n += popcount32(Atomics.load(words, w));
  if ((chunk.nbits & 31) !== 0)
    n += popcount32(Atomics.load(words, full) & lastWordMask(chunk.nbits));
  return n;
}

/**
 * Check G1, G3, C1 and J1.
 * @throws {InvariantError} naming the invariant, the chunk and the values.
 */
export function checkShared(
  h32: Int32Array,
  chunks: readonly SharedGenPoolChunk[],
  order: number,
): void {
  for (let s = 0; s < MAX_SLOTS; s++) {
    const at = SLOTS_BYTE / 4 + s * SLOT_INTS;
    if (Atomics.load(h32, at + S_STATE) !== 0 && Atomics.load(h32, at + S_OP) !== OP_IDLE) {
      throw new InvariantError(
        `J1: slot ${s} has an operation in flight on chunk ${h32[at + S_CHUNK]} holding bits ${h32[at + S_LO]}..${h32[at + S_HI]} (a dead thread? run recover())`,
      );
    }
  }
  for (const chunk of chunks) {
    const at = `chunk ${hex(chunk.startAddr)}`;
    const expected = chunk.size - weight(chunk) * 2 ** order;
    if (chunk.avail !== expected) {
      throw new InvariantError(`G1: ${at}: avail ${chunk.avail}, bitmap says ${expected}`);
    }
    const words = chunk.words;
    const w0 = chunk.nbits >>> 5;
    for (let w = w0; w < words.length; w++) {
      const mask = w === w0 && (chunk.nbits & 31) !== 0 ? ~lastWordMask(chunk.nbits) : -1;
      if ((Atomics.load(words, w) & mask) !== 0) {
        throw new InvariantError(`G3: ${at}: a bit past nbits ${chunk.nbits} is set (word ${w})`);
      }
    }
    const fresh = new FitTree(chunk.nbits, chunk.tree.cap);
    fresh.rebuild(chunk.bits);
    for (let n = 0; n < fresh.node.length; n++) {
      if (fresh.node[n] !== chunk.tree.node[n]) {
        throw new InvariantError(
          `C1: ${at}: index replica entry ${n} is ${chunk.tree.node[n]}, the bitmap gives ${fresh.node[n]}`,
        );
      }
    }
  }
}

/** Clear the bits of [lo, hi) that are set; return how many were. */
function clearHeld(words: Int32Array, lo: number, hi: number): number {
  if (hi <= lo) return 0;
  let n = 0;
  const wLast = (hi - 1) >>> 5;
  let mask = firstWordMask(lo);
  for (let w = lo >>> 5; ; w++) {
    if (w === wLast) mask &= lastWordMask(hi);
    n += popcount32(Atomics.and(words, w, ~mask) & mask);
    if (w === wLast) return n;
    mask = -1;
  }
}

/**
 * Repair a quiescent pool (see the header).
 * @returns what was repaired.
 */
export function recoverShared(
  h32: Int32Array,
  chunks: readonly SharedGenPoolChunk[],
  deadSlots: readonly number[],
  log: ChangeLog,
): RecoverReport {
  const report: RecoverReport = { journals: 0, bitsReleased: 0, availFixed: 0, slotsFreed: 0 };
  const byIndex = new Map<number, SharedGenPoolChunk>();
  for (const c of chunks) byIndex.set(c.index, c);
  for (let s = 0; s < MAX_SLOTS; s++) {
    const at = SLOTS_BYTE / 4 + s * SLOT_INTS;
    if (Atomics.load(h32, at + S_OP) === OP_IDLE) continue;
    report.journals++;
    const chunk = byIndex.get(h32[at + S_CHUNK]!);
    if (chunk !== undefined) {
      report.bitsReleased += clearHeld(chunk.words, h32[at + S_LO]!, h32[at + S_HI]!);
    }
    Atomics.store(h32, at + S_OP, OP_IDLE);
  }
  for (const s of deadSlots) {
    if (!Number.isInteger(s) || s < 0 || s >= MAX_SLOTS) continue;
    const at = SLOTS_BYTE / 4 + s * SLOT_INTS;
    for (const c of chunks) {
      const d = c.deltas;
      Atomics.add(d, DELTA_ADJUST * DELTA_STRIDE, Atomics.exchange(d, s * DELTA_STRIDE, 0));
    }
    Atomics.compareExchange(h32, H_LOCK, s + 1, 0);
    if (Atomics.exchange(h32, at + S_STATE, 0) !== 0) report.slotsFreed++;
  }
  for (const c of chunks) {
    c.tree.rebuild(c.bits);
    if (c.words.length > 0) log.append(c.index, 0, c.words.length - 1);
    const want = -weight(c);
    const diff = (want - c.availDelta()) | 0;
    if (diff !== 0) {
      Atomics.add(c.deltas, DELTA_ADJUST * DELTA_STRIDE, diff);
      report.availFixed += Math.abs(diff);
    }
  }
  return report;
}
