// SPDX-License-Identifier: GPL-2.0-only
/* SummaryBitmap (src/bitmap/summary.ts) against a plain array over seeded random operations. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorShift32 } from '../../src/base/rng.js';
import { SummaryBitmap } from '../../src/bitmap/summary.js';

for (const size of [1, 31, 32, 33, 1025, 40_000, 1 << 16]) {
  test(`SummaryBitmap of ${size} bits: nextSet agrees with a linear search after every set and clear`, () => {
    const rng = new XorShift32(size);
    const map = new SummaryBitmap(size);
    const ref = new Uint8Array(size);
    for (let i = 0; i < 5000; i++) {
      const r = rng.next();
      const j = (r >>> 5) % size;
      if ((r & 1) === 1) {
        map.set(j);
        ref[j] = 1;
      } else {
        map.clear(j);
        ref[j] = 0;
      }
      assert.equal(map.has(j), ref[j] === 1);
      const q = rng.below(size + 2);
      let expected = -1;
      for (let t = q; t < size; t++) {
        if (ref[t] === 1) {
          expected = t;
          break;
        }
      }
      assert.equal(map.nextSet(q), expected, `op ${i}: nextSet(${q})`);
    }
  });
}

test('SummaryBitmap.nextSet is -1 on an empty map and past the end', () => {
  const map = new SummaryBitmap(5000);
  assert.equal(map.nextSet(0), -1);
  map.set(4999);
  assert.equal(map.nextSet(0), 4999);
  assert.equal(map.nextSet(4999), 4999);
  assert.equal(map.nextSet(5000), -1);
  map.clear(4999);
  assert.equal(map.nextSet(0), -1);
});
