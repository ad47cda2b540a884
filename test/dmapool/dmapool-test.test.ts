// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm/dmapool_test.c (KERNEL-SPEC §2.6), scaled down (NR_TESTS 3) and written directly
 * against the kernel API like the C original: device "dmapool-test" with a 64-bit DMA
 * mask, the six (size, align, boundary) rows, blocks = clamp((PAGE_SIZE / size) * 512,
 * 1024, 8192), allocate all then free all in the same order, NR_TESTS times. Asserted: it
 * succeeds, the steady-state pool sizes are 32, 128, 512, 512, 1024 and 196 pages, and
 * every second iteration hands the blocks out in reverse order. Then the reusable port in
 * src/kmods/dmapool-test.ts (used by the CLI and the benchmarks) with a small loop count
 * and a fake clock, checking its printk lines
 * "dmapool test: size:%-4zu align:%-4zu blocks:%-4d time:%llu".
 *
 * Kernel: mm/dmapool_test.c (6.3+).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, type Device, type DmaPool } from '../../src/index.js';
import { dmapoolTest } from '../../src/kmods/dmapool-test.js';

const NR_TESTS = 3;
const ENOMEM = 12;

interface Parms {
  size: number;
  align: number;
  boundary: number;
}

/* static struct dmapool_parms pool_parms[] */
const pool_parms: Parms[] = [
  { size: 16, align: 16, boundary: 0 },
  { size: 64, align: 64, boundary: 0 },
  { size: 256, align: 256, boundary: 0 },
  { size: 1024, align: 1024, boundary: 0 },
  { size: 4096, align: 4096, boundary: 0 },
  { size: 68, align: 32, boundary: 4096 },
];

/* The spec's figures for each row. */
const WANT_BLOCKS = [8192, 8192, 8192, 2048, 1024, 8192];
const WANT_PAGES = [32, 128, 512, 512, 1024, 196];

interface DmaPair {
  v: number;
  dma: number;
}

function nr_blocks(m: Machine, size: number): number {
  const k = m.kernel;
  return Math.min(Math.max(Math.floor(k.PAGE_SIZE / size) * 512, 1024), 8192);
}

/** dmapool_test_alloc; `order` records the vaddrs of each iteration. */
function dmapool_test_alloc(
  m: Machine,
  pool: DmaPool,
  p: DmaPair[],
  blocks: number,
  order: number[],
): number {
  const k = m.kernel;
  let i: number;
  for (i = 0; i < blocks; i++) {
    const handle = { value: 0 };
    p[i]!.v = k.dma_pool_alloc(pool, k.GFP_KERNEL, handle);
    if (p[i]!.v === 0) break;
    p[i]!.dma = handle.value;
    order.push(p[i]!.v);
  }
  if (i < blocks) {
    for (--i; i >= 0; i--) k.dma_pool_free(pool, p[i]!.v, p[i]!.dma);
    return -ENOMEM;
  }
  for (i = 0; i < blocks; i++) k.dma_pool_free(pool, p[i]!.v, p[i]!.dma);
  return 0;
}

/** dmapool_test_block: returns the module's ret, the pool's pages, and each iteration's order. */
function dmapool_test_block(m: Machine, dev: Device, parms: Parms) {
  const k = m.kernel;
  const blocks = nr_blocks(m, parms.size);
  const p: DmaPair[] = Array.from({ length: blocks }, () => ({ v: 0, dma: 0 }));
  const pool = k.dma_pool_create('test pool', dev, parms.size, parms.align, parms.boundary);
  if (pool === null) return { ret: -ENOMEM, blocks, pages: 0, orders: [] as number[][] };
  const orders: number[][] = [];
  const start = performance.now();
  let ret = 0;
  for (let i = 0; i < NR_TESTS; i++) {
    const order: number[] = [];
    ret = dmapool_test_alloc(m, pool, p, blocks, order);
    orders.push(order);
    if (ret !== 0) break;
  }
  const us = Math.round((performance.now() - start) * 1000);
  const pages = pool.nr_pages;
  const line = m.readFile('/sys/devices/dmapool-test/pools').split('\n')[1]!;
  m.log.info(
    'dmapool_test_block',
    `dmapool test: size:${String(parms.size).padEnd(4)} align:${String(parms.align).padEnd(4)}` +
      ` blocks:${String(blocks).padEnd(4)} time:${us}`,
  );
  k.dma_pool_destroy(pool);
  return { ret, blocks, pages, orders, line };
}

test("dmapool_test (NR_TESTS 3): every row passes with the spec's steady-state sizes", () => {
  const m = new Machine();
  const k = m.kernel;
  const dev = m.createDevice('dmapool-test', { dmaMask: 0 });
  assert.equal(k.dma_set_mask_and_coherent(dev, k.DMA_BIT_MASK(64)), 0);
  for (let r = 0; r < pool_parms.length; r++) {
    const parms = pool_parms[r]!;
    const res = dmapool_test_block(m, dev, parms);
    const what = `row ${r} (${parms.size}/${parms.align}/${parms.boundary})`;
    assert.equal(res.ret, 0, what);
    assert.equal(res.blocks, WANT_BLOCKS[r], what);
    assert.equal(res.pages, WANT_PAGES[r], what);
    // The pools file agrees while the pool is idle.
    const perPage = parms.size === 68 ? 42 : 4096 / parms.size;
    const f = res.line!.trim().split(/ +/);
    assert.deepEqual(
      f.slice(-4),
      [
        '0',
        `${WANT_PAGES[r]! * perPage}`,
        `${parms.size === 68 ? 96 : parms.size}`,
        `${WANT_PAGES[r]}`,
      ],
      what,
    );
    // Every second iteration is the reverse of the one before; the third equals the first.
    const [o0, o1, o2] = res.orders as [number[], number[], number[]];
    assert.equal(o0.length, res.blocks);
    assert.equal(new Set(o0).size, o0.length, `${what}: distinct blocks`);
    assert.deepEqual(o1, [...o0].reverse(), `${what}: iteration 2 reversed`);
    assert.deepEqual(o2, o0, `${what}: iteration 3 in the first order`);
    assert.notDeepEqual(o1, o0);
  }
  const lines = m.dmesg();
  assert.equal(lines.length, 6);
  assert.match(lines[0]!, /^dmapool test: size:16   align:16   blocks:8192 time:\d+$/);
  assert.match(lines[5]!, /^dmapool test: size:68   align:32   blocks:8192 time:\d+$/);
  k.device_unregister(dev);
  assert.deepEqual(m.dma.buffers(dev), [], 'every pool destroyed idle: nothing leaked');
  assert.equal(m.dma.bytesInUse, 0);
});

test('dmapool_test: an allocation failure frees what was allocated and gives -ENOMEM', () => {
  const m = new Machine();
  const k = m.kernel;
  const dev = m.createDevice('dmapool-test', { dmaMask: -1 });
  m.failNth('dma', 5); // the fifth buffer of the first row
  const res = dmapool_test_block(m, dev, pool_parms[0]!);
  assert.equal(res.ret, -ENOMEM);
  assert.equal(res.pages, 4);
  assert.equal(res.orders[0]!.length, 4 * 256);
  assert.equal(res.orders.length, 1, 'the loop stops at the failure');
  assert.ok(!m.dmesg().some((l) => l.includes('busy')), 'everything was freed before destroy');
  assert.equal(m.dma.buffers(dev).length, 0);
  assert.equal(k.dma_pool_create('again', dev, 16, 16, 0)!.nr_pages, 0);
});

test("src/kmods/dmapool-test.ts: prints the kernel's line per row and reaches the spec sizes", () => {
  const m = new Machine();
  let t = 0;
  const clock = () => (t += 1.5); // every row takes exactly 1.5 ms
  const { rows, ret } = dmapoolTest(m, { clock, nrTests: 2 });
  assert.equal(ret, 0);
  assert.deepEqual(
    rows.map((r) => r.blocks),
    WANT_BLOCKS,
  );
  assert.deepEqual(
    rows.map((r) => r.pages),
    WANT_PAGES,
  );
  assert.deepEqual(
    m.dmesg().filter((l) => l.startsWith('dmapool test:')),
    [
      'dmapool test: size:16   align:16   blocks:8192 time:1500',
      'dmapool test: size:64   align:64   blocks:8192 time:1500',
      'dmapool test: size:256  align:256  blocks:8192 time:1500',
      'dmapool test: size:1024 align:1024 blocks:2048 time:1500',
      'dmapool test: size:4096 align:4096 blocks:1024 time:1500',
      'dmapool test: size:68   align:32   blocks:8192 time:1500',
    ],
  );
  assert.equal(m.platform.device('dmapool-test'), undefined, 'the module unregistered its device');
});

test('src/kmods/dmapool-test.ts: a failed allocation stops the run with -ENOMEM', () => {
  const m = new Machine();
  m.failNth('dma', 3);
  const { rows, ret } = dmapoolTest(m, { clock: () => 0, nrTests: 1 });
  assert.equal(ret, -ENOMEM);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.ret, -ENOMEM);
  assert.ok(!m.dmesg().some((l) => l.startsWith('dmapool test:')), 'no line for a failed row');
});
