// SPDX-License-Identifier: GPL-2.0-only
/*
 * gen_pool_add's allocation failure: the chunk's memory (vzalloc_node in the kernel) can
 * fail, making gen_pool_add return -ENOMEM and leave the pool as it was — through the
 * chunkAllocFails option, and on a machine through its page fault injector.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenPool, Machine } from '../../src/index.js';

test('chunkAllocFails makes gen_pool_add fail with -ENOMEM and changes nothing', () => {
  let fail = true;
  const pool = new GenPool(5, { chunkAllocFails: () => fail });
  assert.equal(pool.add(0x1000, 4096), -12);
  assert.equal(pool.size(), 0);
  assert.equal(pool.avail(), 0);
  fail = false;
  assert.equal(pool.add(0x1000, 4096), 0);
  assert.equal(pool.size(), 4096);
});

test("a machine's injected page failure fails the next gen_pool_add only", () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const pool = k.gen_pool_create(5, -1)!;
  m.failNth('page', 1);
  assert.equal(k.gen_pool_add(pool, 0x10000, 8192, -1), -k.ENOMEM);
  assert.equal(k.gen_pool_size(pool), 0);
  assert.ok(m.dmesg().includes('FAULT_INJECTION: forcing a failure.'));
  assert.equal(k.gen_pool_add(pool, 0x10000, 8192, -1), 0);
  assert.equal(k.gen_pool_size(pool), 8192);
});

test('devm_gen_pool_create pools see the injected failure too', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('sram0');
  const pool = k.devm_gen_pool_create(dev, 5, -1, 'x');
  assert.ok(!k.IS_ERR(pool));
  m.failNth('page', 2);
  assert.equal(k.gen_pool_add(pool as GenPool, 0x10000, 4096, -1), 0);
  assert.equal(k.gen_pool_add(pool as GenPool, 0x20000, 4096, -1), -k.ENOMEM);
  assert.equal(k.gen_pool_size(pool as GenPool), 4096);
});
