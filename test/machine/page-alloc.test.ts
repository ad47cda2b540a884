// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page allocator through the kernel API: alloc_pages / alloc_pages_node /
 * __free_pages, the zonelist (the highest zone the GFP mask allows, then the lower ones;
 * the preferred node first, then the others unless __GFP_THISNODE), the GFP_DMA32 and
 * GFP_DMA limits, __GFP_ZERO on real bytes, the order > MAX_PAGE_ORDER WARN (once, and not
 * with __GFP_NOWARN), warn_alloc's "page allocation failure" line, the double-free BUG,
 * reference counts, fault injection, and the totalram / nr_free_pages accounting.
 *
 * Kernel: mm/page_alloc.c (__alloc_pages: WARN_ON_ONCE_GFP(order > MAX_PAGE_ORDER),
 * prepare_alloc_pages: should_fail_alloc_page before any zone is tried, warn_alloc),
 * mm/fail_page_alloc.c (FAULT_NOWARN for __GFP_NOWARN), lib/fault-inject.c (fail_dump),
 * include/linux/gfp.h, include/linux/mm.h (get_page, put_page), lib/vsprintf.c (%pGg).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, type Page, PageOwner } from '../../src/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Allocate order-`order` blocks with `gfp` until one fails; return their pages. */
function drain(m: Machine, gfp: number, order: number, nid = -1): Page[] {
  const k = m.kernel;
  const out: Page[] = [];
  for (;;) {
    const p = nid < 0 ? k.alloc_pages(gfp, order) : k.alloc_pages_node(nid, gfp, order);
    if (p === null) return out;
    out.push(p);
  }
}

function failureLines(m: Machine): string[] {
  return m.dmesg().filter((l) => l.includes('page allocation failure'));
}

test('alloc_pages returns a block aligned to its order, referenced once; __free_pages returns it', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  for (let order = 0; order <= 10; order++) {
    const page = k.alloc_pages(k.GFP_KERNEL, order);
    assert.ok(page !== null, `order ${order}`);
    assert.equal(page.pfn % 2 ** order, 0, `order ${order} block is aligned to 2^${order} pages`);
    assert.equal(page._refcount, 1);
    assert.equal(page.order, order);
    assert.equal(page.owner, PageOwner.pages);
    assert.equal(k.page_address(page), k.PAGE_OFFSET + page.pfn * 4096);
    assert.equal(k.page_to_phys(page), page.pfn * 4096);
    assert.equal(k.virt_to_page(k.page_address(page)), page, 'the same struct page object');
    assert.equal(k.nr_free_pages(), free0 - 2 ** order);
    assert.equal(m.pages.inUse[PageOwner.pages], 2 ** order);
    k.__free_pages(page, order);
    assert.equal(k.nr_free_pages(), free0);
    assert.equal(page._refcount, 0);
    assert.equal(page.owner, PageOwner.free);
    assert.equal(m.pages.inUse[PageOwner.pages], 0);
  }
  m.pages.checkInvariants();
  assert.deepEqual(m.dmesg(), []);
});

test('GFP_KERNEL takes the highest zone first, then DMA32, then DMA, then fails with warn_alloc', () => {
  // 32 MiB: DMA is [1M,16M) (three aligned 4 MiB blocks), DMA32 is [16M,32M) (four).
  const m = new Machine({ memory: '32M' });
  const k = m.kernel;
  const pages = drain(m, k.GFP_KERNEL, 10);
  assert.deepEqual(
    pages.map((p) => p.zone),
    [1, 1, 1, 1, 0, 0, 0],
  );
  assert.ok(pages.slice(4).every((p) => p.pfn * 4096 < 16 * MiB));
  assert.deepEqual(m.dmesg(), [
    'swapper/0: page allocation failure: order:10, mode:0xcc0(GFP_KERNEL), nodemask=(null)',
  ]);
  // The smaller orders are still there (the DMA zone's [1M, 4M) and nothing else).
  assert.equal(k.nr_free_pages(), (3 * MiB) / 4096);
  assert.ok(k.alloc_pages(k.GFP_KERNEL, 9) !== null);
});

test('__GFP_NOWARN fails as quietly as the kernel: no page allocation failure line', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  drain(m, k.GFP_KERNEL | k.__GFP_NOWARN, 0);
  assert.equal(k.alloc_pages(k.GFP_KERNEL | k.__GFP_NOWARN, 0), null);
  assert.deepEqual(m.dmesg(), []);
  assert.equal(k.alloc_pages(k.GFP_ATOMIC | k.__GFP_ZERO, 1), null);
  assert.deepEqual(m.dmesg(), [
    'swapper/0: page allocation failure: order:1, mode:0x920(GFP_ATOMIC|__GFP_ZERO), nodemask=(null)',
  ]);
});

test('GFP_DMA32 pages lie below 4 GiB: DMA32, then DMA, never Normal', () => {
  const m = new Machine({ memory: '8G' });
  const k = m.kernel;
  assert.equal(k.alloc_pages(k.GFP_KERNEL, 0)!.zone, 2, 'GFP_KERNEL prefers Normal');
  const pages = drain(m, k.GFP_KERNEL | k.GFP_DMA32, 10);
  assert.equal(pages.length, Math.floor((3 * GiB - 16 * MiB) / (4 * MiB)) + 3);
  assert.ok(pages.every((p) => (p.pfn + 1024) * 4096 <= 4 * GiB));
  assert.deepEqual(
    [pages[0]!.zone, pages[pages.length - 1]!.zone],
    [1, 0],
    'DMA32 first, DMA last',
  );
  assert.deepEqual(failureLines(m), [
    'swapper/0: page allocation failure: order:10, mode:0xcc4(GFP_KERNEL|GFP_DMA32), nodemask=(null)',
  ]);
  assert.ok(k.alloc_pages(k.GFP_KERNEL, 10)!.pfn * 4096 >= 4 * GiB, 'Normal is still free');
});

test('GFP_DMA pages lie below 16 MiB and fail when ZONE_DMA is empty', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const pages = drain(m, k.GFP_KERNEL | k.GFP_DMA, 0);
  assert.equal(pages.length, 3840);
  assert.ok(pages.every((p) => p.pfn * 4096 < 16 * MiB && p.zone === 0));
  assert.deepEqual(failureLines(m), [
    'swapper/0: page allocation failure: order:0, mode:0xcc1(GFP_KERNEL|GFP_DMA), nodemask=(null)',
  ]);
  assert.ok(k.alloc_pages(k.GFP_KERNEL, 0) !== null, 'DMA32 is untouched');
});

test('asking for both ZONE_DMA and ZONE_DMA32 is a KernelBug (GFP_ZONE_BAD)', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  assert.throws(() => k.alloc_pages(k.GFP_DMA | k.GFP_DMA32, 0), KernelBug);
  assert.equal(k.nr_free_pages(), free0);
});

test('NUMA: NUMA_NO_NODE means the current CPU node; alloc_pages_node picks a node', () => {
  const m = new Machine({ memory: '64M', nodes: 2, cpus: 4 });
  const k = m.kernel;
  assert.equal(k.alloc_pages(k.GFP_KERNEL, 0)!.nid, 0, 'CPU 0 is on node 0');
  assert.equal(m.onCpu(3, () => k.alloc_pages(k.GFP_KERNEL, 0))!.nid, 1, 'CPU 3 is on node 1');
  assert.equal(k.alloc_pages_node(1, k.GFP_KERNEL, 0)!.nid, 1);
  assert.equal(m.onCpu(3, () => k.alloc_pages_node(0, k.GFP_KERNEL, 0))!.nid, 0);
  assert.equal(k.alloc_pages_node(k.NUMA_NO_NODE, k.GFP_KERNEL, 0)!.nid, 0);
});

test('a full node falls back to the other node, but not with __GFP_THISNODE', () => {
  const m = new Machine({ memory: '64M', nodes: 2 });
  const k = m.kernel;
  const thisNode = drain(m, k.GFP_KERNEL | k.__GFP_THISNODE | k.__GFP_NOWARN, 10, 1);
  assert.equal(thisNode.length, 8, 'node 1 is [32M, 64M): eight 4 MiB blocks');
  assert.ok(thisNode.every((p) => p.nid === 1));
  assert.equal(k.alloc_pages_node(1, k.GFP_KERNEL | k.__GFP_THISNODE | k.__GFP_NOWARN, 10), null);
  const other = k.alloc_pages_node(1, k.GFP_KERNEL, 10);
  assert.ok(other !== null);
  assert.equal(other.nid, 0, 'without __GFP_THISNODE the zonelist goes on to node 0');
});

test('__GFP_ZERO zeroes the bytes of every page of the block; without it old bytes stay', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const page = k.alloc_pages(k.GFP_KERNEL, 1)!;
  const addr = k.page_address(page);
  k.memset(addr, 0xa5, 8192);
  k.__free_pages(page, 1);
  const dirty = k.alloc_pages(k.GFP_KERNEL, 1)!;
  assert.equal(dirty.pfn, page.pfn, 'the freed block comes back first');
  assert.deepEqual(k.mem_read(addr + 8191, 1), new Uint8Array([0xa5]), 'not zeroed');
  k.__free_pages(dirty, 1);
  const clean = k.alloc_pages(k.GFP_KERNEL | k.__GFP_ZERO, 1)!;
  assert.equal(clean.pfn, page.pfn);
  assert.deepEqual(k.mem_read(addr, 8192), new Uint8Array(8192));
  k.__free_pages(clean, 1);
  const zp = k.get_zeroed_page(k.GFP_KERNEL);
  assert.deepEqual(k.mem_read(zp, 4096), new Uint8Array(4096));
});

test('order > MAX_PAGE_ORDER: NULL with one WARN, none with __GFP_NOWARN, none the second time', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  assert.equal(k.MAX_PAGE_ORDER, 10);
  assert.equal(k.alloc_pages(k.GFP_KERNEL | k.__GFP_NOWARN, 11), null);
  assert.deepEqual(m.dmesg(), [], '__GFP_NOWARN: silent, and the once-flag is not used up');
  assert.equal(k.alloc_pages(k.GFP_KERNEL, 11), null);
  assert.deepEqual(m.dmesg(), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 0 at mm/page_alloc.c __alloc_pages_noprof',
  ]);
  assert.equal(k.alloc_pages(k.GFP_KERNEL, 12), null);
  assert.equal(k.__get_free_pages(k.GFP_KERNEL, 11), 0);
  assert.equal(m.log.count('warn'), 1, 'WARN_ON_ONCE');
  assert.equal(failureLines(m).length, 0, 'no warn_alloc for a bad order');
  assert.equal(k.nr_free_pages(), free0);
  assert.ok(k.alloc_pages(k.GFP_KERNEL, 10) !== null, 'MAX_PAGE_ORDER itself is fine');
});

test('a double __free_pages is a KernelBug and leaves the allocator as it was', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const page = k.alloc_pages(k.GFP_KERNEL, 2)!;
  const keep = k.alloc_pages(k.GFP_KERNEL, 0)!;
  k.__free_pages(page, 2);
  const free1 = k.nr_free_pages();
  assert.throws(
    () => k.__free_pages(page, 2),
    (e: unknown) => e instanceof KernelBug && /refcount 0 \(double free\?\)/.test(e.message),
  );
  assert.equal(k.nr_free_pages(), free1);
  assert.equal(page._refcount, 0);
  assert.equal(keep._refcount, 1);
  m.pages.checkInvariants();
  assert.throws(() => k.__free_pages(null, 0), KernelBug);
  assert.throws(() => k.free_pages(k.VMALLOC_START, 0), KernelBug, 'not a direct-map page');
  k.free_pages(0, 0); // NULL is ignored
  assert.equal(k.nr_free_pages(), free1);
});

test('get_page/put_page: the block is freed when the last reference goes', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  const page = k.alloc_page(k.GFP_KERNEL)!;
  k.get_page(page);
  assert.equal(page._refcount, 2);
  k.__free_pages(page, 0);
  assert.equal(page._refcount, 1);
  assert.equal(k.nr_free_pages(), free0 - 1, 'still held by the second reference');
  k.put_page(page);
  assert.equal(page._refcount, 0);
  assert.equal(k.nr_free_pages(), free0);
  assert.throws(() => k.put_page(page), KernelBug);
  assert.equal(k.nr_free_pages(), free0);
});

test('failNth("page", n): the n-th allocation fails with the FAULT_INJECTION line only', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  m.failNth('page', 2);
  assert.ok(k.alloc_page(k.GFP_KERNEL) !== null, 'the first one goes through');
  const free1 = k.nr_free_pages();
  assert.equal(k.alloc_page(k.GFP_KERNEL), null);
  assert.equal(k.nr_free_pages(), free1);
  // should_fail_alloc_page fails the call in prepare_alloc_pages: NULL, no warn_alloc.
  assert.deepEqual(m.dmesg(), ['FAULT_INJECTION: forcing a failure.']);
  assert.ok(k.alloc_page(k.GFP_KERNEL) !== null, 'one shot');
  assert.equal(m.faults.injected, 1);
});

test('failNth("page", 1, times) fails that many in a row; __GFP_NOWARN hides fail_dump', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  m.failNth('page', 1, 2);
  assert.equal(k.alloc_page(k.GFP_KERNEL | k.__GFP_NOWARN), null);
  assert.equal(k.alloc_page(k.GFP_KERNEL), null);
  assert.ok(k.alloc_page(k.GFP_KERNEL) !== null);
  assert.deepEqual(m.dmesg(), ['FAULT_INJECTION: forcing a failure.'], 'only the loud one');
  // A failed kmalloc injection does not touch the page site, and bad requests are refused.
  m.failNth('kmalloc');
  assert.ok(k.alloc_page(k.GFP_KERNEL) !== null);
  assert.throws(() => m.failNth('page', 0), RangeError);
  assert.throws(() => m.failNth('page', 1, 1.5), RangeError);
  assert.throws(() => m.failNth('pages' as 'page'), RangeError);
});

test('totalram_pages stays; nr_free_pages counts every page out and back', () => {
  const m = new Machine({ memory: '4G' });
  const k = m.kernel;
  const total = k.totalram_pages();
  assert.equal(total, (4 * GiB - MiB) / 4096);
  assert.equal(k.nr_free_pages(), total);
  const a = k.alloc_pages(k.GFP_KERNEL, 3)!;
  const b = k.alloc_pages(k.GFP_DMA, 0)!;
  const c = k.__get_free_pages(k.GFP_KERNEL, 1);
  assert.equal(k.nr_free_pages(), total - 11);
  assert.equal(m.pages.inUse[PageOwner.pages], 11);
  k.free_pages(c, 1);
  k.__free_page(b);
  k.__free_pages(a, 3);
  assert.equal(k.nr_free_pages(), total);
  assert.equal(k.totalram_pages(), total);
  m.pages.checkInvariants();
});
