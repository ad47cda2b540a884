// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report's collectors (src/report/collect/*.ts) on machines built by hand: genpool
 * runs cut at the tracked allocations with their owners, free bytes and largest free
 * runs; dmapool pages and blocks in use read from the in-memory free list, with boundary
 * gaps; the vmalloc space's areas by kind, lazy areas, vmap blocks and free extents,
 * which tile the range; the simulated files.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GenPool,
  gen_pool_best_fit,
  gen_pool_first_fit_order_align,
  Machine,
} from '../../src/index.js';
import { algoName, collectGenpool, genpoolFree } from '../../src/report/collect/genpool.js';
import {
  blockOffsets,
  collectDmapool,
  dmapoolFree,
  freeBlocks,
} from '../../src/report/collect/dmapool.js';
import { collectVmalloc } from '../../src/report/collect/vmalloc.js';
import type { VmallocModel } from '../../src/report/model.js';
import { collectFiles, collectLog, knownFiles } from '../../src/report/collect/files.js';

const BASE = 0xc90000200000;

test('genpool: runs are cut at tracked allocations; the rest has owner ""', () => {
  const pool = GenPool.create(5);
  assert.equal(pool.addVirt(BASE, 0xfe000000, 4096), 0);
  const a = pool.alloc(100); // 4 granules
  const b = pool.alloc(64); // 2 granules, right after a
  const c = pool.alloc(32);
  pool.free(b, 64);
  assert.deepEqual([a - BASE, c - BASE], [0, 192]);
  const known = collectGenpool(pool, {
    name: 'p',
    device: 'dev',
    failures: 3,
    allocations: [{ addr: a, size: 100, owner: 'isp' }],
  });
  assert.equal(known.algo, 'first-fit');
  assert.equal(known.order, 5);
  assert.equal(known.failures, 3);
  const chunk = known.chunks[0]!;
  assert.deepEqual(
    { start: chunk.start, phys: chunk.phys, size: chunk.size, avail: chunk.avail },
    { start: BASE, phys: 0xfe000000, size: 4096, avail: 4096 - 160 },
  );
  assert.deepEqual(chunk.runs, [
    { offset: 0, size: 128, owner: 'isp' },
    { offset: 192, size: 32, owner: '' },
  ]);
  assert.deepEqual(chunk.largestFree, { offset: 224, size: 4096 - 224 });
  const merged = pool.alloc(64); // fills the hole: bits 0..7 are one set run
  assert.equal(merged - BASE, 128);
  const bare = collectGenpool(pool, { name: 'p', device: '', failures: 0, allocations: [] });
  assert.deepEqual(bare.chunks[0]!.runs, [{ offset: 0, size: 224, owner: '' }]);
  assert.deepEqual(genpoolFree(pool), { free: 4096 - 224, largest: 4096 - 224 });
});

test('genpool: chunks in search order, and the algorithms by name', () => {
  const pool = GenPool.create(4);
  pool.addVirt(BASE, 0x2000, 1024);
  pool.addVirt(BASE + 0x10000, 0x1000, 512);
  pool.setAlgo(gen_pool_best_fit, null);
  const m = collectGenpool(pool, { name: 'q', device: '', failures: 0, allocations: [] });
  assert.deepEqual(
    m.chunks.map((c) => c.start),
    [BASE + 0x10000, BASE],
  );
  assert.equal(m.algo, 'best-fit');
  assert.equal(algoName(gen_pool_first_fit_order_align), 'first-fit-order-align');
  assert.equal(
    algoName(() => 0),
    'custom',
  );
  assert.deepEqual(genpoolFree(GenPool.create(5)), { free: 0, largest: 0 });
});

test('dmapool: blocks in use come from the free list in memory, boundaries respected', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('nic0');
  const pool = k.dma_pool_create('cmd', dev, 96, 32, 512)!;
  const offsets = blockOffsets(pool);
  assert.equal(offsets.length, 40, 'five 96-byte blocks per 512-byte segment, 8 segments');
  assert.deepEqual(offsets.slice(4, 7), [384, 512, 608]);
  const h = { value: 0 };
  const blocks = [0, 1, 2, 3, 4, 5].map(() => k.dma_pool_alloc(pool, k.GFP_KERNEL, h));
  k.dma_pool_free(pool, blocks[1]!, blocks[1]! - k.PAGE_OFFSET);
  k.dma_pool_free(pool, blocks[2]!, blocks[2]! - k.PAGE_OFFSET);
  assert.equal(freeBlocks(m, pool).size, pool.nr_blocks - pool.nr_active);
  const model = collectDmapool(m, pool, { align: 32, failures: 2 });
  assert.deepEqual(
    { name: model.name, device: model.device, size: model.size, boundary: model.boundary },
    { name: 'cmd', device: 'nic0', size: 96, boundary: 512 },
  );
  assert.equal(model.pages.length, 1);
  const page = model.pages[0]!;
  assert.equal(page.blocks, 40);
  const index = (addr: number): number => offsets.indexOf(addr - page.vaddr);
  assert.deepEqual(
    page.inUse,
    [0, 3, 4, 5].map((i) => index(blocks[i]!)),
  );
  assert.deepEqual(dmapoolFree(m, pool), { free: (40 - 4) * 96, largest: 34 * 96 });
  const whole = k.dma_pool_create('page', dev, 4096, 4096, 0)!;
  assert.equal(collectDmapool(m, whole, { align: 4096, failures: 0 }).boundary, 0);
});

/** Busy, lazy, pooled areas and free extents tile [start, end) exactly. */
function assertTiles(model: VmallocModel): void {
  const all = [...model.areas, ...model.lazy, ...(model.pooled ?? []), ...model.free].sort(
    (x, y) => x.start - y.start,
  );
  let at = model.start;
  for (const x of all) {
    assert.equal(x.start, at, 'no gap and no overlap');
    at += x.size;
  }
  assert.equal(at, model.end);
}

test('vmalloc with 4 CPUs: purged areas kept in the vmap nodes` pools are collected as pooled', () => {
  const m = new Machine({ memory: '256M', cpus: 4 });
  const k = m.kernel;
  const sizes = [4096, 8192, 3 * 4096, 4096, 16384];
  const addrs = sizes.map((size) => k.vmalloc(size));
  const keep = k.vmalloc(4096);
  for (const a of addrs) k.vfree(a);
  const lazy = collectVmalloc(m);
  assert.equal(lazy.lazy.length + lazy.pooled!.length, sizes.length);
  assertTiles(lazy);
  k.vm_unmap_aliases();
  const model = collectVmalloc(m);
  assert.deepEqual(model.lazy, []);
  assert.deepEqual(
    model.pooled,
    addrs.map((start, i) => ({ start, size: sizes[i]! + 4096 })),
    'every purged area is in a pool, with its guard page, in address order',
  );
  assert.ok(model.areas.some((x) => x.start === keep));
  assertTiles(model);
  const again = k.vmalloc(8192);
  assert.equal(again, addrs[1], 'a request of the same size class reuses the pooled area');
  const after = collectVmalloc(m);
  assert.equal(after.pooled!.length, sizes.length - 1);
  assertTiles(after);
});

test('vmalloc: areas by kind, lazy areas, vmap blocks; with free extents they tile the range', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const k = m.kernel;
  const v = k.vmalloc(64 * 1024);
  const io = k.ioremap(0xfe000000, 8192);
  const small = [0, 1, 2, 3].map(() => k.alloc_page(k.GFP_KERNEL));
  const big = Array.from({ length: 100 }, () => k.alloc_page(k.GFP_KERNEL));
  const a = k.vm_map_ram(small, 4, -1, k.PAGE_KERNEL);
  const b = k.vm_map_ram(big, 100, -1, k.PAGE_KERNEL);
  const gone = k.vzalloc(16384);
  k.vfree(gone);
  const model = collectVmalloc(m);
  const kindAt = (addr: number) =>
    model.areas.find((x) => addr >= x.start && addr < x.start + x.size);
  assert.deepEqual(
    { ...kindAt(v)!, start: 0 },
    { start: 0, size: 69632, kind: 'vmalloc', guard: true, pages: 16, caller: 'vmalloc' },
  );
  assert.equal(kindAt(io)!.kind, 'ioremap');
  assert.equal(kindAt(a)!.kind, 'vmap_block');
  assert.deepEqual(
    [kindAt(b)!.kind, kindAt(b)!.pages, kindAt(b)!.guard],
    ['vm_map_ram', 100, false],
  );
  assert.deepEqual(model.lazy, [{ start: gone, size: 16384 + 4096 }]);
  assert.equal(model.blocks.length, 1);
  assert.equal(model.blocks[0]!.usedPages, 4);
  assert.deepEqual(model.pooled, [], 'one vmap node: no pools');
  assertTiles(model);
  k.vm_unmap_ram(a, 4);
  const dirty = collectVmalloc(m).blocks[0]!;
  assert.deepEqual([dirty.usedPages, dirty.dirtyMin, dirty.dirtyMax], [0, 0, 4]);
});

test('files: every /proc file and each dmapool device`s pools, as readFile reads them', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('nvme0');
  k.dma_pool_create('prp', dev, 256, 256, 0);
  m.createDevice('quiet0');
  assert.deepEqual(knownFiles(m), [
    '/proc/meminfo',
    '/proc/vmallocinfo',
    '/sys/devices/nvme0/pools',
  ]);
  for (const f of collectFiles(m)) assert.equal(f.text, m.readFile(f.path));
  k.vfree(12345);
  assert.deepEqual(collectLog(m), m.dmesg());
});
