// SPDX-License-Identifier: GPL-2.0-only
/*
 * Edge cases found in review, each checked on the indexed pool and on the kernel-scan pool
 * ({ index: false }), which must agree: C's unsigned arithmetic (a custom algorithm's -1,
 * align as a C int, address-0 wrap-around), non-integer sizes, and zeroing through a
 * WebAssembly memory that grew.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug } from '../../src/base/errors.js';
import { GenPool } from '../../src/genalloc/gen-pool.js';
import { gen_pool_first_fit_align, type GenPoolAlgo } from '../../src/genalloc/algos.js';
import { newWasmMemory } from '../helpers/wasm.js';

function both(order: number, setup: (p: GenPool) => void): GenPool[] {
  const pools = [GenPool.create(order), GenPool.create(order, { index: false })];
  for (const p of pools) setup(p);
  return pools;
}

test('a custom algorithm returning -1 (~0UL in C) means no fit in that chunk, not a BUG', () => {
  let calls = 0;
  const never: GenPoolAlgo = () => {
    calls++;
    return -1;
  };
  for (const p of both(5, (q) => {
    q.add(0x10000, 4096, -1);
    q.add(0x20000, 4096, -1);
  })) {
    calls = 0;
    assert.equal(p.allocAlgo(64, never, null), 0);
    assert.equal(calls, 2, 'both chunks were tried');
    assert.equal(p.avail(), 8192);
  }
});

test('a size that is not a safe integer allocates nothing (alloc returns 0)', () => {
  for (const p of both(5, (q) => q.add(0x10000, 4096, -1))) {
    assert.equal(p.alloc(1.5), 0);
    assert.equal(p.alloc(Number.NaN), 0);
    assert.equal(p.alloc(-32), 0);
    assert.equal(p.alloc(2 ** 60), 0);
    assert.equal(p.avail(), 4096);
    assert.notEqual(p.alloc(32), 0, 'a whole size still works');
  }
});

test('first_fit_align with align missing or not an int behaves as the C int conversion says, without hanging', () => {
  for (const p of both(5, (q) => q.add(0x10000, 4096, -1))) {
    assert.equal(
      p.allocAlgo(64, gen_pool_first_fit_align, {}),
      0,
      'align 0: the all-ones mask fits nothing',
    );
    assert.equal(p.allocAlgo(64, gen_pool_first_fit_align, { align: Number.NaN }), 0);
    assert.equal(p.avail(), 4096);
    assert.equal(p.allocAlgo(64, gen_pool_first_fit_align, { align: 256 }), 0x10000);
  }
});

test('first_fit_align with an alignment far above the chunk agrees between the index and the scan', () => {
  const [fast, scan] = both(0, (q) => q.addVirt(0, 0, 64, -1));
  for (const align of [2 ** 31, 2 ** 33, 2 ** 40]) {
    assert.equal(
      fast!.allocAlgo(8, gen_pool_first_fit_align, { align }),
      scan!.allocAlgo(8, gen_pool_first_fit_align, { align }),
      `align ${align}`,
    );
  }
});

test('free(0, 0) on a chunk at address 0 BUGs (0 + 0 - 1 wraps in C) and has_addr(0, 0) is false', () => {
  for (const p of both(5, (q) => q.addVirt(0, 0, 4096, -1))) {
    assert.throws(() => p.free(0, 0), KernelBug);
    assert.equal(p.hasAddr(0, 0), false);
    assert.equal(p.hasAddr(0, 1), true);
    assert.equal(p.avail(), 4096, 'nothing changed');
  }
});

test('dmaZalloc zeroes through a WebAssembly memory that grew after the first zeroing', () => {
  const mem = newWasmMemory(1);
  const pool = GenPool.create(4);
  pool.addMemory(mem);
  new Uint8Array(mem.buffer).fill(0xff);
  const a = pool.dmaZalloc(100, null);
  assert.equal(
    pool.bytes(a, 100).every((b) => b === 0),
    true,
  );
  pool.free(a, 100);
  mem.grow(1); // the old buffer is detached; the chunk must use the new one
  new Uint8Array(mem.buffer).fill(0xee);
  const b = pool.dmaZalloc(48, null);
  const bytes = new Uint8Array(mem.buffer);
  const off = pool.offsetOf(b);
  assert.equal(
    bytes.subarray(off, off + 48).every((x) => x === 0),
    true,
    'zeroed in the new buffer',
  );
  assert.equal(bytes[off + 48], 0xee, 'past the requested size untouched');
});
