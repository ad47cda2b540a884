// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lazy freeing, purging and TLB flushes (KERNEL-SPEC §3.1, §3.3 step 5, §3.4): a freed range
 * is not reused until purged; vfree clears the PTEs without a flush, so a CPU that cached
 * the translation still reaches the old page until the purge; the drain work is scheduled
 * once the lazy pages exceed lazy_max_pages = fls(online CPUs) × 8192 and flushes once over
 * the union of what it purges; vm_unmap_aliases flushes once; an allocation that finds no
 * room purges and retries; 'unpurged vm_area' lines; VmallocUsed.
 *
 * Kernel: mm/vmalloc.c free_vmap_area_noflush, lazy_max_pages, drain_vmap_area_work,
 * __purge_vmap_area_lazy, vm_unmap_aliases, alloc_vmap_area (overflow: purge and retry),
 * s_show (unpurged vm_area); fs/proc/meminfo.c (VmallocUsed).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Kernel, type Machine } from '../../src/index.js';
import {
  assertFault,
  boot,
  GiB,
  head,
  PAGE,
  unpurged,
  unpurgedLine,
  vmallocinfo,
  vmallocUsedKb,
  warns,
} from '../helpers/vmalloc.js';

/** vmalloc `pages` pages and vfree them at once: returns the address of the (now lazy) area. */
function allocFree(k: Kernel, pages: number): number {
  const p = k.vmalloc(pages * PAGE);
  assert.notEqual(p, 0);
  k.vfree(p);
  return p;
}

function newFlushes(m: Machine, from: number) {
  return m.tlbFlushes().slice(from);
}

test('a freed range is not reused until it is purged', () => {
  const { m, k } = boot();
  const a = k.vmalloc(2 * PAGE);
  assert.equal(a, k.VMALLOC_START);
  k.vfree(a);
  const b = k.vmalloc(2 * PAGE);
  assert.notEqual(b, a, 'the lazy range is not handed out');
  assert.equal(b, a + 3 * PAGE, 'the next free range (lowest fit)');
  k.vm_unmap_aliases();
  const c = k.vmalloc(2 * PAGE);
  assert.equal(c, a, 'after the purge the range is free again');
  assert.deepEqual(warns(m), []);
});

test('vfree clears the PTEs without a TLB flush', () => {
  const { m, k } = boot();
  const p = k.vmalloc(4 * PAGE);
  k.memset(p, 1, 4 * PAGE);
  const flushes = m.tlbFlushes().length;
  k.vfree(p);
  assert.equal(m.tlbFlushes().length, flushes, 'no flush at vfree');
  for (let i = 0; i < 4; i++) assert.equal(k.vmalloc_to_page(p + i * PAGE), null, 'PTE cleared');
});

test('a stale TLB entry keeps a freed page readable on its CPU until the purge flushes it', () => {
  const { m, k } = boot({ cpus: 3 });
  const p = k.vmalloc(PAGE);
  k.memset(p, 0x5c, PAGE);
  const old = new Uint8Array(16).fill(0x5c);
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(p, 16)),
    old,
    'CPU 1 reads the area (and caches the translation)',
  );
  k.vfree(p);
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(p, 16)),
    old,
    'CPU 1 still reaches the old page',
  );
  assertFault(() => m.onCpu(2, () => k.mem_read(p, 1)), p, 'CPU 2 never cached it: it faults');
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  assert.equal(m.tlbFlushes().length, flushes + 1);
  assertFault(() => m.onCpu(1, () => k.mem_read(p, 1)), p, 'after the flush CPU 1 faults too');
});

test('the drain is scheduled only once the lazy pages exceed lazy_max_pages (1 CPU: 8192)', () => {
  const { m, k } = boot();
  const flushes = m.tlbFlushes().length;
  // 16 areas of 511 pages + guard (page arrays of 4088 bytes: kmalloc, no nested area):
  // exactly 8192 lazy pages, not above the limit.
  const lazy: number[] = [];
  for (let i = 0; i < 16; i++) lazy.push(allocFree(k, 511));
  assert.equal(m.work.pending, 0, '8192 lazy pages: no drain yet');
  assert.equal(lazy[15], k.VMALLOC_START + 15 * 512 * PAGE, 'the areas are back to back');
  // Two more pages (one + guard) go over.
  lazy.push(allocFree(k, 1));
  assert.equal(m.work.pending, 1, 'the drain work is queued');
  assert.equal(m.tlbFlushes().length, flushes, 'nothing flushed before the work runs');
  assert.notDeepEqual(unpurged(m), [], 'the areas are lazy until the work runs');

  m.runPendingWork();
  const f = newFlushes(m, flushes);
  assert.equal(f.length, 1, 'exactly one flush for the whole purge');
  assert.equal(f[0]!.start, lazy[0], 'from the first purged area');
  assert.equal(f[0]!.end, lazy[16]! + 2 * PAGE, 'to the end of the last one');
  assert.deepEqual(unpurged(m), [], 'everything purged');
  assert.equal(k.vmalloc(PAGE), k.VMALLOC_START, 'the space is free again');
});

test('with 2 online CPUs lazy_max_pages is fls(2) × 8192 = 16384', () => {
  const { m, k } = boot({ cpus: 2 });
  for (let i = 0; i < 32; i++) allocFree(k, 511); // 16384 lazy pages
  assert.equal(m.work.pending, 0, '16384 lazy pages: not above the limit');
  allocFree(k, 1);
  assert.equal(m.work.pending, 1);
  const flushes = m.tlbFlushes().length;
  m.runPendingWork();
  assert.equal(m.tlbFlushes().length, flushes + 1, 'one flush');
  assert.deepEqual(unpurged(m), []);
});

test('with several vmap nodes a purged area goes to its CPU node pool, served to that node only', () => {
  const { m, k } = boot({ cpus: 2 }); // nr_vmap_nodes = 2
  const a = k.vmalloc(PAGE); // CPU 0: tagged for node 0
  const b = k.vmalloc(PAGE);
  assert.equal(a, k.VMALLOC_START);
  assert.equal(b, a + 2 * PAGE);
  k.vfree(a);
  k.vm_unmap_aliases(); // a normal purge: the 2-page area joins node 0's pool
  const c = m.onCpu(1, () => k.vmalloc(PAGE));
  assert.equal(c, b + 2 * PAGE, "node 1's pool is empty and a is not in the free tree");
  const d = k.vmalloc(PAGE);
  assert.equal(d, a, "node 0's pool serves the same size on CPU 0");
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_aliases purges every lazy area with one flush over their union', () => {
  const { m, k } = boot();
  const a = allocFree(k, 1);
  const keep = k.vmalloc(PAGE);
  const b = allocFree(k, 3);
  assert.equal(unpurged(m).length, 2);
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  const f = newFlushes(m, flushes);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.start, a);
  assert.equal(f[0]!.end, b + 4 * PAGE);
  assert.ok(keep > a && keep < b, 'the union covers a live area in between');
  assert.deepEqual(unpurged(m), []);
  assert.deepEqual(k.mem_read(keep, 1).length, 1, 'the live area is untouched');
});

test('vm_unmap_aliases with nothing lazy flushes nothing', () => {
  const { m, k } = boot();
  k.vmalloc(PAGE);
  k.vm_unmap_aliases();
  assert.deepEqual(m.tlbFlushes(), []);
});

test('an allocation that finds no room purges the lazy areas, flushes once and retries', () => {
  const { m, k } = boot();
  const start = k.VMALLOC_START + GiB;
  const end = start + 4 * PAGE;
  const alloc = (): number =>
    k.__vmalloc_node_range(
      3 * PAGE,
      1,
      start,
      end,
      k.GFP_KERNEL,
      k.PAGE_KERNEL,
      0,
      k.NUMA_NO_NODE,
      'window',
    );
  const p1 = alloc();
  assert.equal(p1, start, 'the window is full');
  k.vfree(p1);
  assert.deepEqual(unpurged(m), [unpurgedLine(start, 4 * PAGE)]);
  const flushes = m.tlbFlushes().length;
  const p2 = alloc();
  assert.equal(p2, start, 'the retry after the purge succeeds');
  const f = newFlushes(m, flushes);
  assert.equal(f.length, 1, 'the purge flushed once');
  assert.ok(f[0]!.start <= start && f[0]!.end >= end, 'over the purged area');
  assert.deepEqual(unpurged(m), []);
  assert.ok(!m.dmesg().some((l) => l.includes('vmalloc')), 'no failure logged');
});

test('/proc/vmallocinfo lists freed areas as "unpurged vm_area" until the purge', () => {
  const { m, k } = boot();
  const a = k.__vmalloc_node(PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'lazy_a');
  const b = k.__vmalloc_node(2 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'lazy_b');
  k.vfree(a);
  assert.deepEqual(vmallocinfo(m), [
    `${head(b, 3 * PAGE)} lazy_b pages=2 vmalloc N0=2`,
    unpurgedLine(a, 2 * PAGE),
  ]);
  k.vm_unmap_aliases();
  assert.deepEqual(vmallocinfo(m), [`${head(b, 3 * PAGE)} lazy_b pages=2 vmalloc N0=2`]);
});

test('VmallocUsed follows the vmalloc pages: up at allocation, down at vfree, not at purge', () => {
  const { m, k } = boot();
  assert.equal(vmallocUsedKb(m), 0);
  assert.equal(k.vmalloc_nr_pages(), 0);
  const p = k.vmalloc(10 * PAGE);
  assert.equal(vmallocUsedKb(m), 40);
  assert.equal(k.vmalloc_nr_pages(), 10);
  const q = k.vzalloc(PAGE + 1);
  assert.equal(vmallocUsedKb(m), 48);
  const r = k.get_vm_area(4 * PAGE, k.VM_ALLOC);
  assert.ok(r !== null);
  assert.equal(vmallocUsedKb(m), 48, 'a reservation has no pages');
  k.vfree(p);
  assert.equal(vmallocUsedKb(m), 8, 'down at vfree, before any purge');
  k.vfree(q);
  assert.equal(vmallocUsedKb(m), 0);
  assert.equal(k.vmalloc_nr_pages(), 0);
  assert.equal(k.vmalloc(0), 0);
  assert.equal(vmallocUsedKb(m), 0, 'a failed vmalloc counts nothing');
});
