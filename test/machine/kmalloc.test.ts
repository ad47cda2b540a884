// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmalloc and kfree through the kernel API: the size classes of the kmalloc caches (8 ...
 * 8k, with the 96 and 192 byte caches), ksize, kzalloc zeroing the object's real bytes,
 * kmalloc(0) = ZERO_SIZE_PTR, large kmallocs straight from the page allocator, kfree(NULL),
 * the double-free BUG, kfree of memory kmalloc never gave (WARN, ignored), might_alloc's
 * complaint for GFP_KERNEL in interrupt context, and failslab.
 *
 * Kernel: mm/slab_common.c (kmalloc_size_index / size_index[], kmalloc_caches,
 * KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE for SLUB, ZERO_SIZE_PTR, __kmalloc_large_node),
 * mm/slub.c (kfree, __ksize, free_large_kmalloc), include/linux/sched/mm.h (might_alloc),
 * mm/failslab.c.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, PageOwner } from '../../src/index.js';

function machine(): Machine {
  return new Machine({ memory: '64M' });
}

test('kmalloc sizes round up to the kmalloc caches, 96 and 192 included (ksize)', () => {
  const k = machine().kernel;
  const table: [number, number][] = [
    [1, 8],
    [8, 8],
    [9, 16],
    [16, 16],
    [17, 32],
    [24, 32],
    [32, 32],
    [33, 64],
    [64, 64],
    [65, 96],
    [96, 96],
    [97, 128],
    [128, 128],
    [129, 192],
    [192, 192],
    [193, 256],
    [256, 256],
    [257, 512],
    [512, 512],
    [513, 1024],
    [1024, 1024],
    [1025, 2048],
    [2048, 2048],
    [2049, 4096],
    [4096, 4096],
    [4097, 8192],
    [8192, 8192],
  ];
  for (const [size, cache] of table) {
    const p = k.kmalloc(size, k.GFP_KERNEL);
    assert.ok(p >= k.PAGE_OFFSET, `kmalloc(${size}) is a direct-map address`);
    assert.equal(k.ksize(p), cache, `kmalloc(${size}) comes from kmalloc-${cache}`);
    // Power-of-two caches give naturally aligned objects.
    if ((cache & (cache - 1)) === 0) assert.equal(p % cache, 0, `kmalloc-${cache} alignment`);
    else assert.equal(p % 32, 0, `kmalloc-${cache} objects are 32-byte aligned`);
  }
  assert.equal(k.ksize(k.PAGE_OFFSET + 0x100000), 0, 'not a kmalloc object');
});

test('objects of one cache do not overlap and can hold their full size', () => {
  const k = machine().kernel;
  const ptrs: number[] = [];
  for (let i = 0; i < 100; i++) {
    const p = k.kmalloc(96, k.GFP_KERNEL);
    k.memset(p, i, 96);
    ptrs.push(p);
  }
  const sorted = [...ptrs].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]! - sorted[i - 1]! >= 96);
  for (let i = 0; i < ptrs.length; i++) {
    assert.deepEqual(k.mem_read(ptrs[i]!, 96), new Uint8Array(96).fill(i), `object ${i}`);
  }
});

test('kmalloc-96 and kmalloc-192 slabs hold 42 and 21 objects (a page does not divide evenly)', () => {
  const m = machine();
  const k = m.kernel;
  const cache = (size: number) => m.kmalloc.caches.find((c) => c.size === size)!;
  assert.deepEqual(
    [cache(96).perSlab, cache(192).perSlab, cache(64).perSlab, cache(8192).perSlab],
    [42, 21, 64, 4],
  );
  for (const [size, per] of [
    [96, 42],
    [192, 21],
  ] as const) {
    const ptrs = Array.from({ length: per + 1 }, () => k.kmalloc(size, k.GFP_KERNEL));
    assert.ok(
      ptrs.every((p) => Number.isSafeInteger(p) && p >= k.PAGE_OFFSET),
      `kmalloc-${size}`,
    );
    assert.equal(new Set(ptrs).size, per + 1);
    assert.equal(cache(size).slabs, 2, `object ${per + 1} needs a second slab`);
    const first = Math.floor(ptrs[0]! / 4096);
    assert.ok(
      ptrs.slice(0, per).every((p) => Math.floor((p + size - 1) / 4096) === first),
      'inside the slab page',
    );
  }
});

test('kzalloc zeroes the whole object in simulated memory; kmalloc does not', () => {
  const k = machine().kernel;
  const p = k.kmalloc(64, k.GFP_KERNEL);
  k.memset(p, 0xff, 64);
  k.kfree(p);
  const again = k.kmalloc(64, k.GFP_KERNEL);
  assert.equal(again, p, 'the freed object is reused first');
  assert.deepEqual(k.mem_read(again, 64), new Uint8Array(64).fill(0xff), 'kmalloc: old bytes');
  k.kfree(again);
  const z = k.kzalloc(40, k.GFP_KERNEL);
  assert.equal(z, p);
  assert.deepEqual(k.mem_read(z, 64), new Uint8Array(64), 'all of ksize() is zeroed');
  const c = k.kcalloc(3, 100, k.GFP_KERNEL);
  assert.equal(k.ksize(c), 512);
  assert.deepEqual(k.mem_read(c, 300), new Uint8Array(300));
});

test('kmalloc(0) returns ZERO_SIZE_PTR, which faults on access and which kfree ignores', () => {
  const m = machine();
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  const p = k.kmalloc(0, k.GFP_KERNEL);
  assert.equal(p, k.ZERO_SIZE_PTR);
  assert.equal(p, 16);
  assert.ok(k.ZERO_OR_NULL_PTR(p));
  assert.throws(() => k.mem_read(p, 1), { code: 'PAGE_FAULT' });
  k.kfree(p);
  k.kfree(0);
  assert.equal(k.nr_free_pages(), free0);
  assert.deepEqual(m.dmesg(), []);
});

test('kmalloc above 8 KiB takes pages from the page allocator, page-aligned', () => {
  const m = machine();
  const k = m.kernel;
  assert.equal(k.KMALLOC_MAX_CACHE_SIZE, 8192);
  const free0 = k.nr_free_pages();
  const p = k.kmalloc(8193, k.GFP_KERNEL);
  assert.equal(p % 4096, 0);
  assert.equal(k.ksize(p), 16384, 'get_order(8193) = 2');
  assert.equal(k.nr_free_pages(), free0 - 4);
  assert.equal(m.kmalloc.slabPages, 0, 'no slab for a large kmalloc');
  k.memset(p, 1, 16384);
  const big = k.kmalloc(4 * 2 ** 20, k.GFP_KERNEL);
  assert.equal(k.ksize(big), 4 * 2 ** 20);
  k.kfree(p);
  k.kfree(big);
  assert.equal(k.nr_free_pages(), free0);
  assert.deepEqual(m.dmesg(), []);
});

test('kmalloc of more than MAX_PAGE_ORDER pages is NULL with the page allocator WARN', () => {
  const m = machine();
  const k = m.kernel;
  assert.equal(k.kmalloc(4 * 2 ** 20 + 1, k.GFP_KERNEL), 0);
  assert.ok(m.dmesg().includes('WARNING: CPU: 0 PID: 0 at mm/page_alloc.c __alloc_pages_noprof'));
  assert.equal(k.kmalloc(4 * 2 ** 20 + 1, k.GFP_KERNEL), 0);
  assert.equal(m.log.count('warn'), 1);
  assert.equal(k.kmalloc_array(2 ** 30, 2 ** 30, k.GFP_KERNEL), 0, 'n * size overflows');
});

test('a double kfree is a KernelBug and the object is not freed twice', () => {
  const k = machine().kernel;
  const a = k.kmalloc(32, k.GFP_KERNEL);
  const keep = k.kmalloc(32, k.GFP_KERNEL);
  k.kfree(a);
  assert.throws(
    () => k.kfree(a),
    (e: unknown) =>
      e instanceof KernelBug && /double free of an object of kmalloc-32/.test(e.message),
  );
  const x = k.kmalloc(32, k.GFP_KERNEL);
  const y = k.kmalloc(32, k.GFP_KERNEL);
  assert.notEqual(x, y, 'the failed second free did not put the object on the free list again');
  assert.ok(x === a || y === a);
  assert.notEqual(x, keep);
  assert.notEqual(y, keep);
  assert.throws(() => k.kfree(keep + 8), KernelBug, 'a pointer into an object');
});

test('kfree of memory that is not from kmalloc WARNs and frees nothing', () => {
  const m = machine();
  const k = m.kernel;
  const page = k.alloc_page(k.GFP_KERNEL)!;
  const addr = k.page_address(page);
  const free0 = k.nr_free_pages();
  k.kfree(addr);
  // WARN_ON_ONCE prints no message of its own; pr_warn names the pointer.
  assert.deepEqual(m.dmesg(), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 0 at mm/slub.c free_large_kmalloc',
    `object pointer: 0xffff${addr.toString(16)}`,
  ]);
  assert.equal(page._refcount, 1, 'the page is still allocated');
  assert.equal(page.owner, PageOwner.pages);
  assert.equal(k.nr_free_pages(), free0);
  k.__free_pages(page, 0);
  assert.equal(k.nr_free_pages(), free0 + 1);
});

test('kmalloc(GFP_KERNEL) in interrupt context complains; GFP_ATOMIC is silent', () => {
  const m = machine();
  const k = m.kernel;
  const a = m.inInterrupt(() => k.kmalloc(32, k.GFP_ATOMIC));
  assert.ok(a >= k.PAGE_OFFSET);
  assert.deepEqual(m.dmesg(), []);
  const b = m.inInterrupt(() => k.kmalloc(32, k.GFP_KERNEL));
  assert.ok(b >= k.PAGE_OFFSET, 'the allocation itself still succeeds');
  const log = m.dmesg();
  assert.match(
    log[0]!,
    /^BUG: sleeping function called from invalid context at include\/linux\/sched\/mm\.h:\d+$/,
  );
  assert.match(
    log[1]!,
    /^in_atomic\(\): 1, irqs_disabled\(\): 1, non_block: 0, pid: 0, name: swapper\/0$/,
  );
  m.log.clear();
  k.kfree(k.kmalloc(32, k.GFP_KERNEL));
  assert.deepEqual(m.dmesg(), [], 'outside interrupt context GFP_KERNEL is fine');
});

test('failNth("kmalloc") makes the next kmalloc return NULL (failslab); kmalloc(0) is not one', () => {
  const m = machine();
  const k = m.kernel;
  m.failNth('kmalloc');
  assert.equal(k.kmalloc(0, k.GFP_KERNEL), k.ZERO_SIZE_PTR, 'size 0 never reaches the slab');
  assert.equal(k.kzalloc(64, k.GFP_KERNEL), 0);
  assert.deepEqual(m.dmesg(), ['FAULT_INJECTION: forcing a failure.']);
  assert.ok(k.kmalloc(64, k.GFP_KERNEL) !== 0, 'one shot');
  m.failNth('kmalloc');
  assert.equal(k.kmalloc(64, k.GFP_KERNEL | k.__GFP_NOWARN), 0);
  assert.equal(m.dmesg().length, 1, '__GFP_NOWARN: no fail_dump');
  // A large kmalloc never reaches failslab: it fails only through the page site.
  m.failNth('kmalloc');
  const big = k.kmalloc(3 * 4096, k.GFP_KERNEL);
  assert.ok(big !== 0);
  assert.equal(k.kmalloc(64, k.GFP_KERNEL), 0, 'the injection was still pending');
  m.failNth('page');
  assert.equal(k.kmalloc(3 * 4096, k.GFP_KERNEL), 0);
});

test('initOnAlloc zeroes every kmalloc and page; initOnFree zeroes on kfree', () => {
  const m = new Machine({ memory: '64M', initOnAlloc: true, initOnFree: true });
  const k = m.kernel;
  const p = k.kmalloc(128, k.GFP_KERNEL);
  k.memset(p, 0x77, 128);
  k.kfree(p);
  assert.deepEqual(k.mem_read(p, 128), new Uint8Array(128), 'init_on_free wiped the object');
  const onAlloc = new Machine({ memory: '64M', initOnAlloc: true }).kernel;
  const q = onAlloc.kmalloc(128, onAlloc.GFP_KERNEL);
  onAlloc.memset(q, 0x77, 128);
  onAlloc.kfree(q);
  assert.equal(onAlloc.kmalloc(128, onAlloc.GFP_KERNEL), q);
  assert.deepEqual(onAlloc.mem_read(q, 128), new Uint8Array(128), 'init_on_alloc');
  const page = onAlloc.alloc_page(onAlloc.GFP_KERNEL)!;
  const addr = onAlloc.page_address(page);
  onAlloc.memset(addr, 0x55, 4096);
  onAlloc.__free_page(page);
  assert.equal(onAlloc.alloc_page(onAlloc.GFP_KERNEL), page);
  assert.deepEqual(onAlloc.mem_read(addr, 4096), new Uint8Array(4096));
});
