// SPDX-License-Identifier: GPL-2.0-only
/*
 * checkInvariants(pool): recompute every fact of a genpool from its bitmaps and compare.
 * Run by the model-based tests after every operation, and by anyone who suspects a bug.
 *
 * Kernel: none (kmem's own invariants; lib/genalloc.c has no checker).
 *
 * Invariants (ids used in the messages):
 *   G1: chunk.avail == chunk.size - (set bits) * 2^order
 *   G3: no bit at or past nbits is set (the tail of the last long stays clear)
 *   T1: every fit-tree leaf matches its word;  T2: every inner node matches its children
 *   A1: every aligned-index entry matches its recomputation
 *   R1: the run index is ordered by (length, start), its buckets, region bits and length
 *       bits agree;  R2: it holds exactly the free runs
 *   R3: its boundary tags give the length of every long run at both ends
 */

// control-plane: invariant checker, run by tests and DEBUG=2 only
import { InvariantError } from '../base/errors.js';
import { bitmapWeight, findNextBit, findNextZeroBit } from '../bitmap/bitmap.js';
import { hex } from '../base/units.js';
import { FitTree } from './fit-tree.js';
import { AlignedIndex } from './aligned-index.js';
import type { GenPool } from './gen-pool.js';

/**
 * Check every invariant of `pool`.
 * @throws {InvariantError} naming the invariant, the chunk and the values that disagree.
 */
export function checkInvariants(pool: GenPool): void {
  const unit = 2 ** pool.minAllocOrder;
  for (const chunk of pool.chunks) {
    const at = `chunk ${hex(chunk.startAddr)}`;
    const weight = bitmapWeight(chunk.bits, chunk.nbits);
    const expected = chunk.size - weight * unit;
    if (chunk.avail !== expected) {
      throw new InvariantError(`G1: ${at}: avail ${chunk.avail}, bitmap says ${expected}`);
    }
    const total = chunk.bits.length * 32;
    if (findNextBit(chunk.bits, total, chunk.nbits) < total) {
      throw new InvariantError(`G3: ${at}: a bit past nbits ${chunk.nbits} is set`);
    }
    if (chunk.tree !== null) {
      const fresh = new FitTree(chunk.nbits, chunk.tree.cap);
      fresh.rebuild(chunk.bits);
      const tree = chunk.tree;
      for (let n = 1; n < 2 * fresh.leaves; n++) {
        if (
          fresh.pre(n) !== tree.pre(n) ||
          fresh.suf(n) !== tree.suf(n) ||
          fresh.max(n) !== tree.max(n)
        ) {
          const id = n >= fresh.leaves ? 'T1' : 'T2';
          throw new InvariantError(
            `${id}: ${at}: fit-tree node ${n} stores (${tree.pre(n)}, ${tree.suf(n)}, ${tree.max(n)}), computed (${fresh.pre(n)}, ${fresh.suf(n)}, ${fresh.max(n)})`,
          );
        }
      }
    }
    if (chunk.aligned !== null) {
      const fresh = new AlignedIndex(chunk.nbits, chunk.bits, chunk.aligned.jmax);
      for (let i = 0; i < fresh.m.length; i++) {
        if (fresh.m[i] !== chunk.aligned.m[i]) {
          throw new InvariantError(
            `A1: ${at}: aligned index entry ${i} stores ${chunk.aligned.m[i]}, computed ${fresh.m[i]}`,
          );
        }
      }
      const wide = chunk.aligned.wide;
      for (let i = 0; i < fresh.wide.length; i++) {
        if (fresh.wide[i] !== wide[i]) {
          throw new InvariantError(
            `A1: ${at}: aligned index wide entry ${i} stores ${wide[i]}, computed ${fresh.wide[i]}`,
          );
        }
      }
    }
    if (chunk.runs !== null) {
      const maps = chunk.runs.checkBoundaryMaps();
      if (maps !== '') throw new InvariantError(`R3: ${at}: run buckets and tags: ${maps}`);
      const entries = chunk.runs.entries();
      for (let i = 1; i < entries.length; i++) {
        const [l0, s0] = entries[i - 1]!;
        const [l1, s1] = entries[i]!;
        if (!(l0 < l1 || (l0 === l1 && s0 < s1))) {
          throw new InvariantError(
            `R1: ${at}: run index out of order at ${i}: (${l0},${s0}) (${l1},${s1})`,
          );
        }
      }
      const actual: string[] = [];
      let pos = findNextZeroBit(chunk.bits, chunk.nbits, 0);
      while (pos < chunk.nbits) {
        const end = findNextBit(chunk.bits, chunk.nbits, pos);
        actual.push(`${end - pos}@${pos}`);
        pos = findNextZeroBit(chunk.bits, chunk.nbits, end);
      }
      const indexed = entries.map(([l, s]) => `${l}@${s}`);
      actual.sort();
      indexed.sort();
      if (actual.join(',') !== indexed.join(',')) {
        throw new InvariantError(
          `R2: ${at}: run index holds ${indexed.length} runs, bitmap has ${actual.length} (first difference near ${firstDiff(actual, indexed)})`,
        );
      }
    }
  }
}

function firstDiff(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `bitmap ${a[i] ?? '-'} / index ${b[i] ?? '-'}`;
  }
  return 'none';
}
