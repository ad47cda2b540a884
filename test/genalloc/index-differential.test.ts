// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test of the search indexes: an indexed GenPool and a scanning one
 * ({ index: false }: the kernel's algorithms over the bitmap, literally) get the same
 * seeded operations and must return the same address every time, with checkInvariants
 * after every operation. Sizes reach far past the fit tree's initial saturation bound (64
 * granules) and alignments far past the aligned index's initial levels (2^7), so raising
 * both mid-run is exercised, as are chunks whose start is not aligned (first_fit_align's
 * offset path) and several chunks.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorShift32 } from '../../src/base/rng.js';
import { checkInvariants } from '../../src/genalloc/check.js';
import { GenPool } from '../../src/genalloc/gen-pool.js';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo,
} from '../../src/genalloc/algos.js';

const ORDER = 4; // 16-byte granules
const UNIT = 1 << ORDER;

function makePools(): [GenPool, GenPool] {
  const pools: [GenPool, GenPool] = [
    GenPool.create(ORDER),
    GenPool.create(ORDER, { index: false }),
  ];
  for (const p of pools) {
    p.addVirt(0x10000, 0x80000000, 4000 * UNIT + 7); // unaligned size: a ragged last word
    p.addVirt(0x200000 + 48, 0x90000000, 9000 * UNIT); // start not aligned beyond 16 bytes
  }
  return pools;
}

interface Live {
  addr: number;
  size: number;
}

function runDifferential(
  seed: number,
  steps: number,
  pick: (r: XorShift32) => [GenPoolAlgo, unknown],
): void {
  const rng = new XorShift32(seed);
  const [fast, scan] = makePools();
  const live: Live[] = [];
  for (let step = 0; step < steps; step++) {
    const r = rng.next();
    const where = `seed ${seed} step ${step}`;
    if (live.length === 0 || r % 3 !== 0) {
      // sizes: mostly small, sometimes up to 1200 granules
      const big = rng.below(8) === 0;
      const size = big ? 1 + rng.below(1200 * UNIT) : 1 + rng.below(64 * UNIT);
      const [algo, data] = pick(rng);
      const a = fast.allocAlgo(size, algo, data);
      const b = scan.allocAlgo(size, algo, data);
      assert.equal(
        a,
        b,
        `${where}: alloc(${size}) indexed ${a.toString(16)} != scan ${b.toString(16)}`,
      );
      if (a !== 0) live.push({ addr: a, size });
    } else {
      const i = rng.below(live.length);
      const { addr, size } = live[i]!;
      live[i] = live[live.length - 1]!;
      live.pop();
      fast.free(addr, size);
      scan.free(addr, size);
    }
    assert.equal(fast.avail(), scan.avail(), `${where}: avail`);
    checkInvariants(fast);
  }
  for (const { addr, size } of live) fast.free(addr, size);
  assert.equal(fast.avail(), fast.size(), 'everything freed: avail back to size');
  checkInvariants(fast);
}

const ALIGNS = [1, 2, 16, 64, 512, 4096, 1 << 14, 1 << 16];

test('first fit from the index equals the kernel scan, sizes past the saturation bound', () => {
  runDifferential(11, 6000, () => [gen_pool_first_fit, null]);
});

test('order-align from the aligned index equals the kernel scan, alignments up to 2^11 granules', () => {
  runDifferential(12, 6000, () => [gen_pool_first_fit_order_align, null]);
});

test('first_fit_align (absolute, offset chunks) from the index equals the kernel scan', () => {
  runDifferential(13, 6000, (r) => [
    gen_pool_first_fit_align,
    { align: ALIGNS[r.below(ALIGNS.length)]! },
  ]);
});

test('best fit from the run index equals the kernel scan', () => {
  runDifferential(14, 6000, () => [gen_pool_best_fit, null]);
});

test('every algorithm mixed, indexes built mid-run, equals the kernel scan', () => {
  runDifferential(15, 8000, (r) => {
    const k = r.below(5);
    if (k === 0) return [gen_pool_first_fit, null];
    if (k === 1) return [gen_pool_best_fit, null];
    if (k === 2) return [gen_pool_first_fit_order_align, null];
    if (k === 3) return [gen_pool_first_fit_align, { align: ALIGNS[r.below(ALIGNS.length)]! }];
    return [gen_pool_fixed_alloc, { offset: r.below(2000) * UNIT }];
  });
});
