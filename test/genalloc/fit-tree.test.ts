// SPDX-License-Identifier: GPL-2.0-only
/*
 * The first-fit index alone (FitTree): after every claim and release of random ranges, the
 * tree updated in place must equal a tree rebuilt from the bitmap (node for node, which
 * covers invariants T1 and T2), and findFirst must equal a linear scan for the lowest run;
 * an update of bits outside the map is refused with a KernelBug that names the range,
 * leaving the tree as it was.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug } from '../../src/base/errors.js';
import { XorShift32 } from '../../src/base/rng.js';
import { FitTree } from '../../src/genalloc/fit-tree.js';

function setBits(bits: Uint32Array, s: number, e: number, on: boolean): void {
  for (let i = s; i < e; i++) {
    if (on) bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31));
    else bits[i >>> 5] = bits[i >>> 5]! & ~(1 << (i & 31));
  }
}

/** The lowest start of nr free bits, or -1 (a linear scan). */
function lowestRun(bits: Uint32Array, nbits: number, nr: number): number {
  let run = 0;
  for (let i = 0; i < nbits; i++) {
    if ((bits[i >>> 5]! & (1 << (i & 31))) !== 0) run = 0;
    else if (++run === nr) return i - nr + 1;
  }
  return -1;
}

for (const nbits of [1000, 4096, 70_001]) {
  test(`fit tree over ${nbits} bits: updated in place equals rebuilt, first fit equals a scan`, () => {
    const bits = new Uint32Array(Math.ceil(nbits / 32));
    const tree = new FitTree(nbits, 64);
    tree.rebuild(bits);
    const rng = new XorShift32(nbits);
    for (let step = 0; step < 1500; step++) {
      const start = rng.next() % nbits;
      const nr = 1 + (rng.next() % Math.min(200, nbits - start));
      setBits(bits, start, start + nr, rng.next() % 3 !== 0);
      tree.update(bits, start, nr);
      const fresh = new FitTree(nbits, 64);
      fresh.rebuild(bits);
      assert.deepEqual(tree.node, fresh.node, `step ${step}: [${start}, ${start + nr})`);
      const want = 1 + (rng.next() % 64);
      const found = tree.findFirst(bits, want);
      const scan = lowestRun(bits, nbits, want);
      assert.equal(
        found < 0 || found >= nbits ? -1 : found,
        scan,
        `step ${step}: first fit ${want}`,
      );
    }
  });
}

test('fit tree: an update outside the map is a KernelBug naming the range, tree unchanged', () => {
  const nbits = 1000;
  const bits = new Uint32Array(Math.ceil(nbits / 32));
  const tree = new FitTree(nbits, 64);
  tree.rebuild(bits);
  const before = tree.node.slice();
  assert.throws(
    () => tree.update(bits, 990, 20),
    (e: unknown) => {
      assert.ok(e instanceof KernelBug);
      assert.match(e.message, /\[990, 1010\) outside the chunk's 1000 bits/);
      return true;
    },
  );
  assert.throws(() => tree.update(bits, -1, 4), KernelBug);
  assert.throws(() => tree.update(bits, Number.NaN, 4), KernelBug);
  assert.deepEqual(tree.node, before);
  // the last bits themselves are in range
  setBits(bits, 990, 1000, true);
  tree.update(bits, 990, 10);
  const fresh = new FitTree(nbits, 64);
  fresh.rebuild(bits);
  assert.deepEqual(tree.node, fresh.node);
});
