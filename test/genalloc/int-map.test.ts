// SPDX-License-Identifier: GPL-2.0-only
/* PagedIntMap (src/genalloc/int-map.ts) against a JavaScript Map over seeded random operations. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorShift32 } from '../../src/base/rng.js';
import { PagedIntMap } from '../../src/genalloc/int-map.js';

test('PagedIntMap agrees with a Map over 200,000 seeded set/get/delete operations, through growth', () => {
  const rng = new XorShift32(11);
  const limit = 5000 * 64 + 1;
  const map = new PagedIntMap(limit);
  const ref = new Map<number, number>();
  for (let i = 0; i < 200_000; i++) {
    const r = rng.next();
    // keys clustered in a few pages, and spread over all of them
    const key = (r & 1) === 1 ? (r >>> 8) % 3000 : ((r >>> 8) % 5000) * 64;
    const op = r % 3;
    if (op === 0) {
      map.set(key, i);
      ref.set(key, i);
    } else if (op === 1) {
      assert.equal(map.delete(key), ref.delete(key), `delete ${key} at op ${i}`);
    } else {
      assert.equal(map.get(key), ref.get(key) ?? -1, `get ${key} at op ${i}`);
    }
    assert.equal(map.size, ref.size, `size at op ${i}`);
  }
  assert.ok(map.growths > 0, 'the page pool grew');
  assert.deepEqual(
    map.entries().sort((a, b) => a[0] - b[0]),
    [...ref.entries()].sort((a, b) => a[0] - b[0]),
  );
});

test('PagedIntMap: absent keys, the last key, overwrite and value 0', () => {
  const map = new PagedIntMap(2049);
  assert.equal(map.get(2048), -1, 'a key in a page never used');
  assert.equal(map.delete(2048), false);
  map.set(2048, 0);
  assert.equal(map.get(2048), 0, 'value 0 is a value');
  assert.equal(map.get(2047), -1, 'a neighbour in another page');
  map.set(2048, 5); // overwrite keeps one entry
  assert.equal(map.size, 1);
  assert.equal(map.delete(2048), true);
  assert.equal(map.delete(2048), false);
  assert.equal(map.size, 0);
  assert.deepEqual(map.entries(), []);
});
