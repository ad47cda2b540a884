// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lock-free claim and release of bit ranges in a shared bitmap, word by word with
 * compare-and-swap, recording in the caller's journal slot which bits it holds.
 *
 * Kernel: lib/genalloc.c set_bits_ll(), clear_bits_ll(), bitmap_set_ll(), bitmap_clear_ll():
 * "read the word; if any bit of the mask is already set (clear: not set) fail with -EBUSY;
 * cmpxchg the word, and loop if it changed meanwhile", over the first partial word, the
 * whole words, the last partial word; on the first failure return the bits not done.
 *
 * Data structure: the shared bitmap as Int32 words (bit i in word i >>> 5), and the caller's
 * journal slot. Invariant (J2) of the journal protocol (the slot's S_LO, S_HI; layout.ts): [lo, hi) are the bits this slot
 * has set and not yet accounted (a claim) or is freeing and has not yet cleared (a free).
 * The journal never names a bit the slot does not hold:
 *   claim     hi advances just AFTER each word's successful CAS;
 *   rollback  lo advances just BEFORE each word's CAS clears it;
 *   free      lo advances just BEFORE each word's CAS clears it.
 * A thread stopped between a CAS and the journal store next to it can therefore only leak
 * (leave bits set that no journal names), never make recovery clear a bit another slot
 * owns. The store and its CAS are adjacent, in straight-line code with no call and no loop
 * edge between them, and a terminated worker stops only at a call or a loop edge (V8's
 * interrupt checks), so in practice even that leak cannot happen.
 *
 * DEVIATION: the kernel's unit is the 64-bit long; here it is the 32-bit word (Atomics has
 * no 64-bit compare-and-swap without BigInt, which kmem's hot paths do not use). The
 * algorithm, the partial-failure return and the rollback are the same, at finer grain.
 */

import { firstWordMask, lastWordMask } from '../../bitmap/bitmap.js';
import { S_HI, S_LO } from './layout.js';

/** Called by a claim after each word it set: (bit where the claimed part ends). */
export type WordHook = (heldEnd: number) => void;

/**
 * Set the `nr` bits at `start`, word by word, stopping at the first word with one of its
 * bits already set. Advances `journal[js + S_HI]` after each word.
 *
 * Kernel: bitmap_set_ll().
 * @returns 0 on success, else the number of bits not set (the words before the failing one
 *   stay set: the caller rolls back `nr - remain` bits from `start`).
 */
export function claimBits(
  words: Int32Array,
  start: number,
  nr: number,
  journal: Int32Array,
  js: number,
  hook: WordHook | null,
): number {
  const end = start + nr;
  const wLast = (end - 1) >>> 5;
  let w = start >>> 5;
  let pieceStart = start;
  let mask = firstWordMask(start);
  for (;;) {
    if (w === wLast) mask &= lastWordMask(end);
    const pieceEnd = w === wLast ? end : (w + 1) * 32;
    let old = words[w]!; // a guess: the CAS returns the real value if it differs
    for (;;) {
      if ((old & mask) !== 0) return end - pieceStart;
      const seen = Atomics.compareExchange(words, w, old, old | mask);
      if (seen === old) break;
      old = seen;
    }
    journal[js + S_HI] = pieceEnd;
    if (hook !== null) hook(pieceEnd);
    if (w === wLast) return 0;
    w++;
    pieceStart = pieceEnd;
    mask = -1;
  }
}

/**
 * Clear the `nr` bits at `start`, word by word, stopping at the first word where one of
 * them is not set. Advances `journal[js + S_LO]` before each word.
 *
 * Kernel: bitmap_clear_ll().
 * @returns 0 on success, else the number of bits not cleared.
 */
export function releaseBits(
  words: Int32Array,
  start: number,
  nr: number,
  journal: Int32Array,
  js: number,
): number {
  if (nr <= 0) return 0;
  const end = start + nr;
  const wLast = (end - 1) >>> 5;
  let w = start >>> 5;
  let pieceStart = start;
  let mask = firstWordMask(start);
  for (;;) {
    if (w === wLast) mask &= lastWordMask(end);
    const pieceEnd = w === wLast ? end : (w + 1) * 32;
    let old = words[w]!; // the allocation's bits are set; the CAS checks the rest
    if ((old & mask) !== mask) return end - pieceStart;
    journal[js + S_LO] = pieceEnd;
    for (;;) {
      const seen = Atomics.compareExchange(words, w, old, old & ~mask);
      if (seen === old) break;
      old = seen;
      if ((old & mask) !== mask) return end - pieceStart; // a racing double free
    }
    if (w === wLast) return 0;
    w++;
    pieceStart = pieceEnd;
    mask = -1;
  }
}

/**
 * Return true when every bit of [start, start + nr) equals `ones`' bits (-1: all set, 0: all
 * clear), with plain loads: the checks below are pre-checks and hints, each word is verified
 * again by its CAS.
 */
function rangeAll(words: Int32Array, start: number, nr: number, ones: number): boolean {
  if (nr <= 0) return true;
  const end = start + nr;
  const wLast = (end - 1) >>> 5;
  let mask = firstWordMask(start);
  for (let w = start >>> 5; ; w++) {
    if (w === wLast) mask &= lastWordMask(end);
    if ((words[w]! & mask) !== (ones & mask)) return false;
    if (w === wLast) return true;
    mask = -1;
  }
}

/**
 * Return true when every bit of [start, start + nr) is set (the pre-check of a free;
 * releaseBits verifies each word again with its CAS).
 * @returns false when some bit of the range is clear.
 */
export function rangeAllSet(words: Int32Array, start: number, nr: number): boolean {
  return rangeAll(words, start, nr, -1);
}

/**
 * Return true when every bit of [start, start + nr) is clear (a hint check).
 * @returns false when some bit of the range is set.
 */
export function rangeAllClear(words: Int32Array, start: number, nr: number): boolean {
  return rangeAll(words, start, nr, 0);
}
