// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_pool_create through the kernel API: every creation rule of KERNEL-SPEC §2.1 in the
 * spec's order (NULL device, align 0 → 1, non-power-of-two align, size 0 and > INT_MAX,
 * the 16-byte minimum, ALIGN(size, align), allocation = max(size, PAGE_SIZE) without page
 * rounding, boundary 0 → allocation, boundary < size or not a power of two, boundary =
 * min(boundary, allocation)), the 31-character name, no block memory at creation, the
 * sysfs `pools` file (appears with the first pool, disappears with the last, newest pool
 * first, "%-16s %4zu %4zu %4u %2zu" byte for byte) and the failure paths (kmalloc of the
 * pool, device_create_file).
 *
 * Kernel: mm/dmapool.c dma_pool_create_node, pools_show (6.3+).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileNotFound, Machine, type Device, type DmaPool } from '../../src/index.js';

const INT_MAX = 0x7fffffff;

function setup(name = 'dmatest'): { m: Machine; dev: Device } {
  const m = new Machine();
  const dev = m.createDevice(name, { dmaMask: -1 });
  return { m, dev };
}

/** Create a pool that must exist. */
function mustCreate(
  m: Machine,
  dev: Device,
  size: number,
  align: number,
  boundary: number,
  name = 'p',
): DmaPool {
  const pool = m.kernel.dma_pool_create(name, dev, size, align, boundary);
  assert.ok(pool !== null, `dma_pool_create(${size}, ${align}, ${boundary}) failed`);
  return pool;
}

/** Read a file that must not exist; return the error. */
function absent(m: Machine, path: string): void {
  assert.throws(
    () => m.readFile(path),
    (e: unknown) => e instanceof FileNotFound && e.code === 'ENOENT',
  );
}

function kmallocActive(m: Machine): number {
  let n = 0;
  for (const c of m.kmalloc.caches) n += c.active;
  return n;
}

test('rule 1: a NULL device gives NULL; a real device with the same arguments works', () => {
  const { m, dev } = setup();
  assert.equal(m.kernel.dma_pool_create('p', null, 64, 8, 0), null);
  assert.equal(m.kernel.dma_pool_create_node('p', null, 64, 8, 0, 0), null);
  assert.ok(m.kernel.dma_pool_create('p', dev, 64, 8, 0) !== null);
  assert.deepEqual(m.dmesg(), [], 'creation failures are silent');
});

test('rule 2: align 0 means 1; a non-power-of-two align gives NULL', () => {
  const { m, dev } = setup();
  const p = mustCreate(m, dev, 20, 0, 0);
  assert.equal(p.size, 20, 'align 0 → 1: size 20 stays 20');
  for (const align of [3, 6, 12, 24, 48, 100, 4095]) {
    assert.equal(m.kernel.dma_pool_create('p', dev, 64, align, 0), null, `align ${align}`);
  }
  for (const align of [1, 2, 4, 8, 16, 32, 64, 4096, 8192]) {
    assert.ok(m.kernel.dma_pool_create('p', dev, 64, align, 0) !== null, `align ${align}`);
  }
  // The align check comes first: a bad align fails even with an otherwise valid size.
  assert.equal(m.kernel.dma_pool_create('p', dev, 16, 3, 0), null);
  assert.deepEqual(m.dmesg(), []);
});

test('rule 3: size 0 and size > INT_MAX give NULL; INT_MAX itself is accepted', () => {
  const { m, dev } = setup();
  assert.equal(m.kernel.dma_pool_create('p', dev, 0, 1, 0), null);
  assert.equal(m.kernel.dma_pool_create('p', dev, 0, 0, 0), null);
  assert.equal(m.kernel.dma_pool_create('p', dev, INT_MAX + 1, 1, 0), null);
  assert.equal(m.kernel.dma_pool_create('p', dev, 2 ** 40, 1, 0), null);
  const big = mustCreate(m, dev, INT_MAX, 1, 0);
  assert.equal(big.size, INT_MAX);
  assert.equal(big.allocation, INT_MAX);
  const one = mustCreate(m, dev, 1, 1, 0);
  assert.equal(one.size, 16);
});

test('rule 4: sizes below 16 (sizeof(struct dma_block)) become 16', () => {
  const { m, dev } = setup();
  for (const size of [1, 4, 8, 15, 16]) {
    assert.equal(mustCreate(m, dev, size, 1, 0).size, 16, `size ${size}`);
  }
  assert.equal(mustCreate(m, dev, 17, 1, 0).size, 17, 'no rounding above 16 with align 1');
  // 16 is raised before the alignment: size 1 align 32 → 32; size 4 align 8 → 16 (not 8).
  assert.equal(mustCreate(m, dev, 1, 32, 0).size, 32);
  assert.equal(mustCreate(m, dev, 4, 8, 0).size, 16);
});

test('rule 5: size = ALIGN(size, align)', () => {
  const { m, dev } = setup();
  const cases: [number, number, number][] = [
    [68, 32, 96],
    [100, 64, 128],
    [1000, 8, 1000],
    [1001, 8, 1008],
    [20, 1, 20],
    [20, 4, 20],
    [20, 8, 24],
    [17, 16, 32],
    [4097, 4096, 8192],
  ];
  for (const [size, align, want] of cases) {
    assert.equal(mustCreate(m, dev, size, align, 0).size, want, `ALIGN(${size}, ${align})`);
  }
});

test('rule 6: allocation = max(size, PAGE_SIZE), not rounded to whole pages', () => {
  const { m, dev } = setup();
  assert.equal(mustCreate(m, dev, 16, 1, 0).allocation, 4096);
  assert.equal(mustCreate(m, dev, 4096, 1, 0).allocation, 4096);
  assert.equal(mustCreate(m, dev, 4097, 1, 0).allocation, 4097);
  assert.equal(mustCreate(m, dev, 5000, 1, 0).allocation, 5000);
  assert.equal(mustCreate(m, dev, 5000, 8, 0).allocation, 5000);
  assert.equal(mustCreate(m, dev, 5001, 8, 0).allocation, 5008, 'after ALIGN(5001, 8)');
  // The coherent buffer the pool asks for is `allocation` bytes exactly.
  const p = mustCreate(m, dev, 5000, 1, 0, 'odd');
  const h = { value: 0 };
  assert.ok(m.kernel.dma_pool_alloc(p, m.kernel.GFP_KERNEL, h) !== 0);
  const bufs = m.dma.buffers(dev);
  assert.equal(bufs.length, 1);
  assert.equal(bufs[0]!.size, 5000);
});

test('rule 7: boundary 0 → allocation; boundary < size or not a power of two → NULL', () => {
  const { m, dev } = setup();
  assert.equal(mustCreate(m, dev, 64, 1, 0).boundary, 4096);
  assert.equal(
    mustCreate(m, dev, 5000, 1, 0).boundary,
    5000,
    'not a power of two, from allocation',
  );
  assert.equal(m.kernel.dma_pool_create('p', dev, 64, 1, 32), null, 'boundary < size');
  assert.equal(m.kernel.dma_pool_create('p', dev, 64, 1, 96), null, 'not a power of two');
  assert.equal(m.kernel.dma_pool_create('p', dev, 64, 1, 3000), null, 'not a power of two');
  assert.equal(mustCreate(m, dev, 64, 1, 64).boundary, 64, 'boundary == size is fine');
  // The comparison uses the size after rules 4 and 5.
  assert.equal(m.kernel.dma_pool_create('p', dev, 20, 64, 32), null, '32 < ALIGN(20, 64) = 64');
  assert.equal(mustCreate(m, dev, 20, 32, 32).boundary, 32, '32 == ALIGN(20, 32)');
  assert.equal(mustCreate(m, dev, 10, 1, 16).boundary, 16, 'size 10 became 16, boundary 16 ok');
  assert.equal(m.kernel.dma_pool_create('p', dev, 10, 1, 8), null, 'boundary 8 < 16');
  assert.equal(m.kernel.dma_pool_create('p', dev, 5000, 1, 4096), null, 'boundary 4096 < 5000');
});

test('rule 8: boundary = min(boundary, allocation)', () => {
  const { m, dev } = setup();
  assert.equal(mustCreate(m, dev, 64, 1, 8192).boundary, 4096);
  assert.equal(mustCreate(m, dev, 64, 1, 2 ** 20).boundary, 4096);
  assert.equal(mustCreate(m, dev, 64, 1, 2048).boundary, 2048);
  assert.equal(mustCreate(m, dev, 5000, 1, 8192).boundary, 5000);
  assert.equal(mustCreate(m, dev, 68, 32, 4096).boundary, 4096);
});

test('rule 9: the name is cut to 31 characters (strscpy into 32 bytes)', () => {
  const { m, dev } = setup();
  const long = 'abcdefghijklmnopqrstuvwxyz0123456789';
  assert.equal(mustCreate(m, dev, 64, 1, 0, long).name, 'abcdefghijklmnopqrstuvwxyz01234');
  assert.equal(mustCreate(m, dev, 64, 1, 0, long.slice(0, 31)).name.length, 31);
  assert.equal(mustCreate(m, dev, 64, 1, 0, long.slice(0, 32)).name, long.slice(0, 31));
  assert.equal(mustCreate(m, dev, 64, 1, 0, 'short').name, 'short');
  assert.equal(mustCreate(m, dev, 64, 1, 0, '').name, '');
});

test('dma_pool_create_node keeps the node; dma_pool_create uses NUMA_NO_NODE', () => {
  const { m, dev } = setup();
  assert.equal(mustCreate(m, dev, 64, 1, 0).node, -1);
  const p = m.kernel.dma_pool_create_node('n', dev, 64, 1, 0, 0);
  assert.ok(p !== null);
  assert.equal(p.node, 0);
});

test('no block memory is allocated at creation', () => {
  const { m, dev } = setup();
  const inUse = m.dma.bytesInUse;
  const p = mustCreate(m, dev, 64, 8, 0);
  assert.equal(m.dma.buffers(dev).length, 0);
  assert.equal(m.dma.bytesInUse, inUse);
  assert.equal(p.nr_pages, 0);
  assert.equal(p.nr_blocks, 0);
  assert.equal(p.nr_active, 0);
  assert.equal(p.next_block, 0);
  assert.deepEqual(p.page_list, []);
  // The first allocation is what adds the first buffer.
  assert.ok(m.kernel.dma_pool_alloc(p, m.kernel.GFP_KERNEL, { value: 0 }) !== 0);
  assert.equal(m.dma.buffers(dev).length, 1);
});

test('the pools file appears with the first pool and disappears with the last', () => {
  const { m, dev } = setup();
  const path = '/sys/devices/dmatest/pools';
  absent(m, path);
  assert.equal(m.kernel.dma_pool_create('bad', dev, 0, 1, 0), null);
  absent(m, path);
  const a = mustCreate(m, dev, 64, 1, 0, 'a');
  assert.equal(m.readFile(path).split('\n')[0], 'poolinfo - 0.1');
  const b = mustCreate(m, dev, 64, 1, 0, 'b');
  m.kernel.dma_pool_destroy(a);
  assert.ok(m.readFile(path).includes('\nb '), 'still there while b lives');
  assert.ok(!m.readFile(path).includes('\na '), 'a is gone from the list');
  m.kernel.dma_pool_destroy(b);
  absent(m, path);
  // And it comes back with a new first pool.
  mustCreate(m, dev, 64, 1, 0, 'c');
  assert.ok(m.readFile(path).startsWith('poolinfo - 0.1\nc '));
});

test('the pools file lists the newest pool first, per device', () => {
  const { m, dev } = setup();
  const other = m.createDevice('other', { dmaMask: -1 });
  mustCreate(m, dev, 16, 1, 0, 'first');
  mustCreate(m, dev, 32, 1, 0, 'second');
  mustCreate(m, other, 64, 1, 0, 'elsewhere');
  mustCreate(m, dev, 64, 1, 0, 'third');
  const text = m.readFile('/sys/devices/dmatest/pools');
  const names = text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(' ')[0]);
  assert.deepEqual(names, ['third', 'second', 'first']);
  assert.equal(m.readFile('/sys/devices/other/pools').split('\n').length, 3);
});

test('the pools line is "%-16s %4zu %4zu %4u %2zu": the spec\'s "test pool" example', () => {
  const { m, dev } = setup();
  const p = mustCreate(m, dev, 68, 32, 0, 'test pool');
  const h = { value: 0 };
  for (let i = 0; i < 3; i++) assert.ok(m.kernel.dma_pool_alloc(p, m.kernel.GFP_KERNEL, h) !== 0);
  const want =
    'poolinfo - 0.1\n' +
    'test pool' +
    ' '.repeat(7) +
    ' ' +
    '   3' +
    ' ' +
    '  42' +
    ' ' +
    '  96' +
    ' ' +
    ' 1' +
    '\n';
  assert.equal(m.readFile('/sys/devices/dmatest/pools'), want);
  assert.equal(want, 'poolinfo - 0.1\ntest pool           3   42   96  1\n');
});

test('the pools columns widen rather than truncate; names longer than 16 are not cut', () => {
  const { m, dev } = setup();
  const p = mustCreate(m, dev, 16, 1, 0, 'a-name-of-twenty-chars');
  const h = { value: 0 };
  for (let i = 0; i < 10001; i++) m.kernel.dma_pool_alloc(p, m.kernel.GFP_KERNEL, h);
  // 10001 blocks at 256 per page → 40 pages, 10240 blocks.
  assert.equal(
    m.readFile('/sys/devices/dmatest/pools'),
    'poolinfo - 0.1\na-name-of-twenty-chars 10001 10240   16 40\n',
  );
});

test('creation fails (NULL, nothing left behind) when kmalloc of the pool fails', () => {
  const { m, dev } = setup();
  const before = kmallocActive(m);
  m.failNth('kmalloc');
  assert.equal(m.kernel.dma_pool_create('p', dev, 64, 8, 0), null);
  assert.equal(dev.dma_pools.length, 0);
  absent(m, '/sys/devices/dmatest/pools');
  assert.equal(kmallocActive(m), before);
  // The injection was one-shot: the next creation succeeds.
  assert.ok(m.kernel.dma_pool_create('p', dev, 64, 8, 0) !== null);
  assert.equal(kmallocActive(m), before + 1);
});

test('creation fails when the pools attribute cannot be created, and is undone', () => {
  const { m, dev } = setup();
  assert.equal(
    dev.createFile('pools', () => 'squatter\n'),
    0,
  );
  const before = kmallocActive(m);
  assert.equal(m.kernel.dma_pool_create('p', dev, 64, 8, 0), null);
  assert.equal(dev.dma_pools.length, 0, 'list_del of the new pool');
  assert.equal(kmallocActive(m), before, 'kfree of the new pool');
  assert.equal(m.readFile('/sys/devices/dmatest/pools'), 'squatter\n');
});
