// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_map_ram / vm_unmap_ram and the per-CPU vmap blocks (KERNEL-SPEC §3.1, §3.4, §3.8,
 * §3.16; seed 004 new_vmap_block, vm_map_ram, vm_unmap_ram, vm_unmap_aliases): the small
 * path (count <= 64) bump-allocates power-of-two page runs inside VMAP_BLOCK_SIZE-aligned
 * blocks of VMAP_BBMAP_BITS pages (a function of NR_CPUS), one list of blocks per CPU; freed
 * pages turn dirty and stay reachable through stale TLB entries until vm_unmap_aliases
 * flushes exactly the dirty range; a block whose every page was handed out and freed goes
 * lazy; fragmented blocks are purged by vm_unmap_aliases (free < BITS/4) or, forced, by the
 * purge-and-retry of a failing allocation. The large path (count > 64) is a plain area of
 * exactly count pages with no guard page and no vm_struct. The BUGs of a bad vm_unmap_ram,
 * vfree of a vm_map_ram address, and a model-based test of the blocks against an oracle.
 *
 * Kernel: mm/vmalloc.c vm_map_ram, vm_unmap_ram, vb_alloc, vb_free, new_vmap_block,
 * free_vmap_block, purge_fragmented_block(s), _vm_unmap_aliases, reclaim_and_purge_vmap_areas,
 * remove_vm_area, vfree; s_show ("vm_map_ram", "unpurged vm_area").
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  kaddr,
  KernelBug,
  Machine,
  XorShift32,
  type Kernel,
  type Page,
  type TlbFlush,
} from '../../src/index.js';
import { checkVaSpace } from '../../src/vmalloc/check.js';
import { Vmalloc } from '../../src/vmalloc/vmalloc.js';
import {
  allocPages,
  assertFault,
  boot,
  head,
  logged,
  MiB,
  PAGE,
  pattern,
  unpurged,
  unpurgedLine,
  vmallocinfo,
  warns,
} from '../helpers/vmalloc.js';

/** VMAP_BBMAP_BITS of the default machine (NR_CPUS = 64): 4 MiB blocks. */
const BITS = 1024;
const BLOCK = BITS * PAGE;
assert.equal(BLOCK, 4 * MiB);

/** The pages of a 64-page scratch set, reused by the tests that only look at addresses. */
function scratch(k: Kernel, n = 64): Page[] {
  return allocPages(k, n);
}

/** vm_map_ram of the first `count` of `pages`, which must succeed. */
function mapRam(k: Kernel, pages: readonly Page[], count: number): number {
  const a = k.vm_map_ram(pages, count, k.NUMA_NO_NODE);
  assert.notEqual(a, 0, `vm_map_ram(${count})`);
  return a;
}

/** The flushes recorded since `from`. */
function flushesSince(m: Machine, from: number): readonly TlbFlush[] {
  return m.tlbFlushes().slice(from);
}

/** Assert that `fn` throws a KernelBug and that dmesg has the kernel BUG line. */
function assertBug(m: Machine, fn: () => unknown, what: string): void {
  const before = m.dmesg().length;
  assert.throws(fn, KernelBug, what);
  assert.ok(
    m.dmesg().slice(before).includes('kernel BUG at mm/vmalloc.c!'),
    `${what}: "kernel BUG at mm/vmalloc.c!" in dmesg`,
  );
}

// ── the small path: blocks ─────────────────────────────────────────────────────

test('vm_map_ram of up to 64 pages is served from a block; the pages are mapped, no vm_struct', () => {
  const { m, k } = boot();
  const pages = scratch(k, 3);
  const a = mapRam(k, pages, 3);
  const S = k.VMALLOC_START;
  assert.equal(a, S, 'the first block is the lowest VMAP_BLOCK_SIZE-aligned free range');
  for (let i = 0; i < 3; i++) {
    assert.equal(k.vmalloc_to_page(a + i * PAGE)!.pfn, pages[i]!.pfn, `page ${i}`);
  }
  assert.equal(k.vmalloc_to_page(a + 3 * PAGE), null, 'the 4th page of the run is not mapped');
  const data = pattern(3 * PAGE, 7);
  k.mem_write(a, data);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      k.mem_read(k.page_address(pages[i]!), PAGE),
      data.subarray(i * PAGE, (i + 1) * PAGE),
      `the direct map of page ${i} sees the write`,
    );
  }
  assert.equal(k.find_vm_area(a), null, 'vmap blocks carry no vm_struct');
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'the whole block is listed');
  assert.equal(k.is_vmalloc_addr(a), true);
  assert.deepEqual(warns(m), []);
});

test('the request is rounded up to a power of two pages: 3 pages consume 4', () => {
  const { k } = boot();
  const pages = scratch(k);
  const counts = [3, 1, 5, 2, 7, 8, 9, 16, 17, 33, 64, 1];
  let off = 0;
  for (const n of counts) {
    const a = mapRam(k, pages, n);
    assert.equal(a, k.VMALLOC_START + off * PAGE, `vm_map_ram(${n}) at page ${off}`);
    off += 2 ** Math.ceil(Math.log2(n));
  }
  // 4 + 1 + 8 + 2 + 8 + 8 + 16 + 16 + 32 + 64 + 64 + 1 = 224 pages of the block consumed
  assert.equal(off, 224);
});

test('bump allocation: results are not naturally aligned and freed holes are not reused', () => {
  const { k } = boot();
  const pages = scratch(k);
  const S = k.VMALLOC_START;
  const a = mapRam(k, pages, 1);
  const b = mapRam(k, pages, 2);
  assert.equal(a, S);
  assert.equal(b, S + PAGE, 'a 2-page run at an odd page offset');
  const c = mapRam(k, pages, 4);
  assert.equal(c, S + 3 * PAGE, 'a 4-page run at page 3');
  k.vm_unmap_ram(a, 1);
  k.vm_unmap_ram(b, 2);
  const d = mapRam(k, pages, 1);
  assert.equal(d, S + 7 * PAGE, 'the hole at pages 0..2 is not reused');
  k.vm_unmap_aliases();
  const e = mapRam(k, pages, 1);
  assert.equal(e, S + 8 * PAGE, 'not even after vm_unmap_aliases flushed it');
});

test('a block VA is aligned to VMAP_BLOCK_SIZE and leaves the space below to vmalloc', () => {
  const { k } = boot();
  const pages = scratch(k, 1);
  const S = k.VMALLOC_START;
  const v1 = k.vmalloc(PAGE);
  assert.equal(v1, S);
  const a = mapRam(k, pages, 1);
  assert.equal(a, S + BLOCK, 'the next 4 MiB-aligned range');
  assert.equal(a % BLOCK, 0);
  const v2 = k.vmalloc(PAGE);
  assert.equal(v2, S + 2 * PAGE, 'vmalloc still fills the gap below the block');
  const v3 = k.vmalloc(BLOCK);
  assert.equal(v3, S + 2 * BLOCK, 'a block-sized vmalloc cannot use the gap');
});

test('VMAP_BBMAP_BITS = min(1024, max(128, 2^25 / roundup_pow_of_two(NR_CPUS) / 16))', () => {
  const cases: Array<[nrCpus: number, bits: number]> = [
    [1, 1024],
    [64, 1024],
    [2048, 1024],
    [3000, 512], // roundup to 4096
    [4096, 512],
    [5000, 256], // roundup to 8192
    [8192, 256],
  ];
  for (const [nrCpus, bits] of cases) {
    const m = new Machine({ memory: '16M', cpus: 1, nrCpus });
    const k = m.kernel;
    const pages = allocPages(k, 64);
    const S = k.VMALLOC_START;
    const first: number[] = [];
    for (let i = 0; i < bits / 64; i++) first.push(mapRam(k, pages, 64));
    assert.deepEqual(
      first,
      Array.from({ length: bits / 64 }, (_, i) => S + i * 64 * PAGE),
      `NR_CPUS ${nrCpus}: ${bits / 64} runs of 64 pages fill the first block`,
    );
    const next = mapRam(k, pages, 1);
    assert.equal(
      next,
      S + bits * PAGE,
      `NR_CPUS ${nrCpus}: the next block starts ${bits} pages up`,
    );
    assert.equal(next % (bits * PAGE), 0, 'and is aligned to its own size');
    assert.deepEqual(
      vmallocinfo(m),
      [`${head(S, bits * PAGE)} vm_map_ram`, `${head(next, bits * PAGE)} vm_map_ram`],
      `NR_CPUS ${nrCpus}: blocks of ${bits * PAGE} bytes`,
    );
  }
});

test('the first block on the CPU list with room serves; a new block goes to the tail', () => {
  const { k } = boot();
  const pages = scratch(k);
  const S = k.VMALLOC_START;
  for (let i = 0; i < 15; i++) mapRam(k, pages, 64);
  assert.equal(mapRam(k, pages, 32), S + 960 * PAGE);
  assert.equal(mapRam(k, pages, 16), S + 992 * PAGE); // block 1: 16 pages left
  const b2 = mapRam(k, pages, 32);
  assert.equal(b2, S + BLOCK, '32 pages do not fit in the 16 left: a new block');
  assert.equal(mapRam(k, pages, 8), S + 1008 * PAGE, 'block 1 is still first on the list');
  assert.equal(mapRam(k, pages, 8), S + 1016 * PAGE, 'its last 8 pages');
  assert.equal(mapRam(k, pages, 1), S + BLOCK + 32 * PAGE, 'block 1 is full: block 2 serves');
});

test('each CPU allocates from its own blocks; any CPU may unmap', () => {
  const { m, k } = boot({ cpus: 2 });
  const pages = scratch(k, 4);
  const S = k.VMALLOC_START;
  const a0 = mapRam(k, pages, 1);
  const a1 = m.onCpu(1, () => mapRam(k, pages, 1));
  assert.equal(a0, S);
  assert.equal(a1, S + BLOCK, 'CPU 1 gets a block of its own');
  assert.equal(mapRam(k, pages, 2), S + PAGE, 'CPU 0 continues in its block');
  assert.equal(
    m.onCpu(1, () => mapRam(k, pages, 2)),
    S + BLOCK + PAGE,
    'CPU 1 in its block',
  );
  m.onCpu(1, () => k.vm_unmap_ram(a0, 1)); // vb_free finds the block by address
  assert.equal(k.vmalloc_to_page(a0), null);
  assert.equal(mapRam(k, pages, 1), S + 3 * PAGE, "CPU 0's block, bump pointer unchanged");
  assert.deepEqual(warns(m), []);
});

// ── the large path ─────────────────────────────────────────────────────────────

test('vm_map_ram of more than 64 pages: exactly count pages, no guard page, no vm_struct', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 65);
  const S = k.VMALLOC_START;
  const a = mapRam(k, pages, 65);
  const b = mapRam(k, pages, 65);
  assert.equal(a, S);
  assert.equal(b, S + 65 * PAGE, 'no guard page between the two');
  assert.equal(k.find_vm_area(a), null, 'no vm_struct');
  for (let i = 0; i < 65; i++) assert.equal(k.vmalloc_to_page(b + i * PAGE)!.pfn, pages[i]!.pfn);
  assert.deepEqual(vmallocinfo(m), [
    `${head(a, 65 * PAGE)} vm_map_ram`,
    `${head(b, 65 * PAGE)} vm_map_ram`,
  ]);
  const data = pattern(65 * PAGE, 3);
  k.mem_write(a, data);
  assert.deepEqual(k.mem_read(b, 65 * PAGE), data, 'both map the same pages');
  const small = mapRam(k, pages, 1);
  assert.equal(small, S + BLOCK, 'a small mapping still goes to an aligned block');

  k.vm_unmap_ram(a, 65);
  assert.equal(k.vmalloc_to_page(a), null, 'PTEs cleared');
  assert.deepEqual(unpurged(m), [unpurgedLine(a, 65 * PAGE)], 'the area is lazy');
  assert.notEqual(mapRam(k, pages, 65), a, 'not reused before the purge');
  k.vm_unmap_aliases();
  assert.deepEqual(unpurged(m), []);
  assert.equal(mapRam(k, pages, 65), a, 'reused after it');
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_ram of a large count where no area is: WARN_ON_ONCE, once', () => {
  const { m, k } = boot();
  const where = k.VMALLOC_START + 100 * PAGE;
  k.vm_unmap_ram(where, 65);
  let w = warns(m);
  assert.equal(w.length, 1, 'one WARN');
  assert.equal(w[0]!.message, null, 'WARN_ON prints no message line');
  assert.match(w[0]!.where, /mm\/vmalloc\.c/);
  k.vm_unmap_ram(where, 65);
  w = warns(m);
  assert.equal(w.length, 1, 'WARN_ON_ONCE: the second miss is silent (spec §3.8)');
});

// ── errors ─────────────────────────────────────────────────────────────────────

test('vm_unmap_ram BUGs on NULL, outside [VMALLOC_START, VMALLOC_END] and unaligned', () => {
  const { m, k } = boot();
  const pages = scratch(k, 1);
  const a = mapRam(k, pages, 1);
  assertBug(m, () => k.vm_unmap_ram(0, 1), 'NULL');
  assertBug(m, () => k.vm_unmap_ram(k.VMALLOC_START - PAGE, 1), 'below VMALLOC_START');
  assertBug(m, () => k.vm_unmap_ram(k.page_address(pages[0]!), 1), 'a direct-map address');
  assertBug(m, () => k.vm_unmap_ram(k.VMALLOC_END + 1, 1), 'above VMALLOC_END');
  assertBug(m, () => k.vm_unmap_ram(a + 8, 1), 'not page-aligned');
  assertBug(m, () => k.vm_unmap_ram(a + 8, 100), 'not page-aligned, large count');
  assert.equal(k.vmalloc_to_page(a)!.pfn, pages[0]!.pfn, 'nothing was unmapped');
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_ram with a count other than the mapped one: no diagnostic, wrong pages go', () => {
  const { m, k } = boot();
  const pages = scratch(k, 2);
  const S = k.VMALLOC_START;
  const a = mapRam(k, pages, 1);
  const b = mapRam(k, pages.slice(1), 1);
  assert.deepEqual([a, b], [S, S + PAGE]);
  k.vm_unmap_ram(a, 2); // small path: 2^get_order(2 pages) = 2 pages cleared
  assert.deepEqual(warns(m), [], 'no WARN');
  assert.equal(k.vmalloc_to_page(b), null, "the neighbour's PTE went with it");
  // Large path: the whole area is found by its address and freed, whatever the count.
  const big = allocPages(k, 100);
  const c = mapRam(k, big, 100);
  k.vm_unmap_ram(c, 70);
  assert.equal(k.vmalloc_to_page(c + 99 * PAGE), null, 'all 100 pages unmapped');
  assert.deepEqual(unpurged(m), [unpurgedLine(c, 100 * PAGE)], 'the whole area is lazy');
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_ram of a small count where no block is oopses (vb_free finds no vmap_block)', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 65);
  const big = mapRam(k, pages, 65); // a plain area, not a block
  assert.throws(() => k.vm_unmap_ram(big, 1), KernelBug);
  assert.throws(() => k.vm_unmap_ram(k.VMALLOC_START + 100 * BLOCK, 1), KernelBug);
  assert.equal(k.vmalloc_to_page(big)!.pfn, pages[0]!.pfn, 'nothing was unmapped');
  assert.ok(m.dmesg().includes('kernel BUG at mm/vmalloc.c!'));
});

test('vm_map_ram(0 pages) WARNs and returns NULL; a failed mapping is undone', () => {
  const { m, k } = boot();
  const pages = scratch(k, 4);
  assert.equal(k.vm_map_ram(pages, 0, k.NUMA_NO_NODE), 0);
  assert.equal(warns(m).length, 1, 'vb_alloc: WARN_ON(size == 0)');
  const withHole: (Page | null)[] = [pages[0]!, null, pages[2]!];
  assert.equal(k.vm_map_ram(withHole, 3, k.NUMA_NO_NODE), 0, 'a NULL page: NULL');
  assert.equal(warns(m).length, 2, 'the mapping WARN');
  const S = k.VMALLOC_START;
  assert.equal(k.vmalloc_to_page(S), null, 'the page mapped before the failure is unmapped');
  assert.equal(mapRam(k, pages, 1), S + 4 * PAGE, 'the failed run consumed (and dirtied) 4 pages');
});

test('new_vmap_block(order, gfp) reserves an aligned block, hands out 2^order pages, maps nothing', () => {
  const { m, k } = boot();
  const pages = scratch(k, 1);
  const S = k.VMALLOC_START;
  const b1 = k.new_vmap_block(3, k.GFP_KERNEL);
  assert.equal(b1, S);
  assert.equal(k.vmalloc_to_page(b1), null, 'nothing is mapped');
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`]);
  assert.equal(mapRam(k, pages, 1), S + 8 * PAGE, 'the next run follows the 8 pages');
  const b2 = k.new_vmap_block(0, k.GFP_KERNEL);
  assert.equal(b2, S + BLOCK, 'a second block');
  assert.equal(mapRam(k, pages, 1), S + 9 * PAGE, 'the first block is still first on the list');
  m.failNth('vmap_area');
  const err = k.new_vmap_block(0, k.GFP_KERNEL);
  assert.ok(k.IS_ERR(err), `ERR_PTR(-errno) when no VA can be had, got ${err}`);
  assert.equal(k.PTR_ERR(err), -k.ENOMEM);
  for (let i = 0; i < 1014; i++) mapRam(k, pages, 1); // fill the first block
  m.failNth('vmap_area');
  assert.equal(k.vm_map_ram(pages, 1, k.NUMA_NO_NODE), S + BLOCK + PAGE, 'block 2 serves');
  for (let i = 0; i < 1022; i++) mapRam(k, pages, 1); // fill block 2 too
  m.failNth('vmap_area');
  assert.equal(k.vm_map_ram(pages, 1, k.NUMA_NO_NODE), 0, 'no block, no new block: NULL');
});

// ── dirty ranges, stale TLB entries and vm_unmap_aliases ───────────────────────

test('a freed run stays reachable through a stale TLB entry until vm_unmap_aliases flushes the dirty range', () => {
  const { m, k } = boot({ cpus: 3 });
  const pages = scratch(k, 7);
  const S = k.VMALLOC_START;
  const a = mapRam(k, pages, 4); // pages 0..3
  const b = mapRam(k, pages, 2); // 4..5
  const c = mapRam(k, pages.slice(6), 1); // 6
  assert.deepEqual([a, b, c], [S, S + 4 * PAGE, S + 6 * PAGE]);
  k.memset(a, 0xa1, 4 * PAGE);
  k.memset(b, 0xb2, 2 * PAGE);
  k.memset(c, 0xc3, PAGE);
  m.onCpu(1, () => {
    k.mem_read(a, 4 * PAGE);
    k.mem_read(c, PAGE);
  });
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_ram(a, 4);
  k.vm_unmap_ram(c, 1);
  assert.equal(m.tlbFlushes().length, flushes, 'vb_free does not flush');
  assert.equal(k.vmalloc_to_page(a), null, 'the PTEs are cleared');
  assert.equal(k.vmalloc_to_page(c), null);
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(a + 3 * PAGE, 4)),
    new Uint8Array(4).fill(0xa1),
    'CPU 1 still reaches the freed page through its TLB',
  );
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(c, 4)),
    new Uint8Array(4).fill(0xc3),
  );
  assertFault(() => m.onCpu(2, () => k.mem_read(a, 1)), a, 'CPU 2 never cached it');

  k.vm_unmap_aliases();
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1, 'one flush');
  assert.equal(f[0]!.start, a, 'from the lowest dirty page');
  assert.equal(f[0]!.end, c + PAGE, 'to the end of the highest: exactly the dirty range');
  assertFault(() => m.onCpu(1, () => k.mem_read(a, 1)), a, 'after the flush CPU 1 faults');
  assertFault(() => m.onCpu(1, () => k.mem_read(c, 1)), c, 'on both runs');
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(b, 2)),
    new Uint8Array(2).fill(0xb2),
    'the live run in between is untouched',
  );

  const again = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  assert.equal(m.tlbFlushes().length, again, 'the dirty range was reset: nothing left to flush');
  k.vm_unmap_ram(b, 2);
  k.vm_unmap_aliases();
  const g = flushesSince(m, again);
  assert.equal(g.length, 1);
  assert.deepEqual([g[0]!.start, g[0]!.end], [b, b + 2 * PAGE], 'only the newly dirty pages');
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_aliases flushes the lazy areas and the dirty ranges together, once', () => {
  const { m, k } = boot();
  const pages = scratch(k, 2);
  const S = k.VMALLOC_START;
  const v = k.vmalloc(PAGE);
  assert.equal(v, S);
  const r = mapRam(k, pages, 2);
  assert.equal(r, S + BLOCK);
  k.vfree(v);
  k.vm_unmap_ram(r, 2);
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1);
  assert.deepEqual([f[0]!.start, f[0]!.end], [S, S + BLOCK + 2 * PAGE], 'the union of both');
  assert.deepEqual(unpurged(m), []);
});

test('a block whose every page was handed out and freed is freed: its VA becomes lazy', () => {
  const { m, k } = boot({ cpus: 2 });
  const pages = scratch(k);
  const S = k.VMALLOC_START;
  const runs: number[] = [];
  for (let i = 0; i < BITS / 64; i++) runs.push(mapRam(k, pages, 64));
  assert.equal(runs[15], S + 960 * PAGE);
  const next = mapRam(k, pages, 1);
  assert.equal(next, S + BLOCK, 'the full block left the free list');
  k.memset(runs[0]!, 0x77, PAGE);
  m.onCpu(1, () => k.mem_read(runs[0]!, 1));
  for (let i = 0; i < 15; i++) k.vm_unmap_ram(runs[i]!, 64);
  assert.deepEqual(
    vmallocinfo(m),
    [`${head(S, BLOCK)} vm_map_ram`, `${head(S + BLOCK, BLOCK)} vm_map_ram`],
    '960 dirty pages: the block stays',
  );
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_ram(runs[15]!, 64);
  assert.equal(m.tlbFlushes().length, flushes, 'freeing the block does not flush');
  assert.deepEqual(vmallocinfo(m), [
    `${head(S + BLOCK, BLOCK)} vm_map_ram`,
    unpurgedLine(S, BLOCK),
  ]);
  assert.equal(Vmalloc.of(m).lazyPages, BITS);
  assert.deepEqual(
    m.onCpu(1, () => k.mem_read(runs[0]!, 1)),
    Uint8Array.of(0x77),
    'a stale entry reaches the old page until the purge',
  );
  const v = k.vmalloc(PAGE);
  assert.equal(v, S + 2 * BLOCK, 'the lazy block range is not reused');
  k.vm_unmap_aliases();
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1);
  assert.ok(f[0]!.start <= S && f[0]!.end >= S + BLOCK, 'the purge flush covers the block');
  assertFault(() => m.onCpu(1, () => k.mem_read(runs[0]!, 1)), runs[0]!, 'gone after the purge');
  assert.deepEqual(unpurged(m), []);
  assert.equal(k.vmalloc(PAGE), S, 'the range is free again');
  assert.deepEqual(warns(m), []);
});

test('vm_unmap_aliases purges a fragmented block (no live run, free < BITS/4)', () => {
  const { m, k } = boot();
  const pages = scratch(k);
  const S = k.VMALLOC_START;
  const runs: number[] = [];
  for (let i = 0; i < 12; i++) runs.push(mapRam(k, pages, 64));
  runs.push(mapRam(k, pages, 1)); // 769 pages used: free = 255 < 256
  for (let i = 0; i < 12; i++) k.vm_unmap_ram(runs[i]!, 64);
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'a live run: stays');
  k.vm_unmap_aliases();
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'still a live run');
  assert.equal(mapRam(k, pages, 1), S + 769 * PAGE, 'and it still serves');
  k.vm_unmap_ram(runs[12]!, 1);
  k.vm_unmap_ram(S + 769 * PAGE, 1); // free 254, dirty 770: fragmented
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'not purged by vb_free');
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1, 'one flush');
  assert.deepEqual([f[0]!.start, f[0]!.end], [S, S + BLOCK], 'over the whole block');
  assert.deepEqual(vmallocinfo(m), [], 'the block is gone and already purged');
  assert.equal(mapRam(k, pages, 1), S, 'a new block reuses the range');
  checkVaSpace(Vmalloc.of(m).space);
});

test('a block with a quarter or more left is not purged by vm_unmap_aliases', () => {
  const { m, k } = boot();
  const pages = scratch(k);
  const S = k.VMALLOC_START;
  const runs: number[] = [];
  for (let i = 0; i < 12; i++) runs.push(mapRam(k, pages, 64)); // free = 256 = BITS / 4
  for (const r of runs) k.vm_unmap_ram(r, 64);
  const flushes = m.tlbFlushes().length;
  k.vm_unmap_aliases();
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1, 'its dirty range is flushed');
  assert.deepEqual([f[0]!.start, f[0]!.end], [S, S + 768 * PAGE]);
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'but the block stays');
  assert.equal(mapRam(k, pages, 64), S + 768 * PAGE, 'and keeps serving');
});

test('a failing allocation force-purges fragmented blocks, whatever is left in them', () => {
  const { m, k } = boot();
  const pages = scratch(k, 2);
  const S = k.VMALLOC_START;
  const r = mapRam(k, pages, 1);
  assert.equal(r, S);
  k.vm_unmap_ram(r, 1); // free 1023, dirty 1
  k.vm_unmap_aliases();
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`], 'not purged unforced');
  const flushes = m.tlbFlushes().length;
  // A window that only the block's range can serve: 4 MiB - 1 page + the guard page.
  const vm = k.__get_vm_area_caller(BLOCK - PAGE, k.VM_MAP, S, S + BLOCK, 'window');
  assert.ok(vm !== null, 'the retry after reclaim_and_purge_vmap_areas succeeds');
  assert.equal(vm.addr, S);
  const f = flushesSince(m, flushes);
  assert.equal(f.length, 1, 'one purge flush');
  assert.ok(f[0]!.start <= S && f[0]!.end >= S + BLOCK);
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} window vmap`]);
  assert.equal(mapRam(k, pages, 1), S + BLOCK, 'the next run needs a new block');
  assert.deepEqual(warns(m), []);
  assert.equal(logged(m, 'Address range restricted'), false);
});

test('a block with a live run survives the forced purge: the allocation fails', () => {
  const { m, k } = boot();
  const pages = scratch(k, 2);
  const S = k.VMALLOC_START;
  const r = mapRam(k, pages, 1);
  mapRam(k, pages, 1);
  k.vm_unmap_ram(r, 1);
  const vm = k.__get_vm_area_caller(BLOCK - PAGE, k.VM_MAP, S, S + BLOCK, 'window');
  assert.equal(vm, null);
  assert.ok(logged(m, 'Address range restricted'), 'the overflow warning');
  assert.deepEqual(vmallocinfo(m), [`${head(S, BLOCK)} vm_map_ram`]);
  assert.equal(k.vmalloc_to_page(S + PAGE)!.pfn, pages[0]!.pfn, 'the live run is intact');
});

// ── vfree of a vm_map_ram address ──────────────────────────────────────────────

test('vfree of a large vm_map_ram area: WARN "nonexistent vm area" and the area is leaked', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 65);
  const S = k.VMALLOC_START;
  const a = mapRam(k, pages, 65);
  assert.equal(a, S);
  k.vfree(a);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.message, `Trying to vfree() nonexistent vm area (${kaddr(a)})`);
  assert.deepEqual(vmallocinfo(m), [], 'unlinked: neither busy nor lazy');
  assert.equal(
    k.vmalloc_to_page(a)!.pfn,
    pages[0]!.pfn,
    'remove_vm_area returned before unmapping',
  );
  k.vm_unmap_aliases();
  const b = mapRam(k, pages, 65);
  assert.equal(b, S + 65 * PAGE, 'the leaked range never returns to the free tree');
  checkVaSpace(Vmalloc.of(m).space, { detached: 1 });
});

test('vfree of a small vm_map_ram address: the same WARN', () => {
  const { m, k } = boot();
  const pages = scratch(k, 1);
  const a = mapRam(k, pages, 1);
  k.vfree(a);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.message, `Trying to vfree() nonexistent vm area (${kaddr(a)})`);
  assert.equal(k.vmalloc_to_page(a)!.pfn, pages[0]!.pfn, 'the run is still mapped');
});

// ── model-based: vmap blocks against an oracle ────────────────────────────────

/** The oracle's view of one vmap block. */
interface OBlock {
  readonly start: number;
  readonly cpu: number;
  free: number;
  dirty: number;
  dirtyMin: number;
  dirtyMax: number;
}

/** One live mapping of the model. */
interface OMap {
  readonly addr: number;
  readonly count: number;
  readonly pages: Page[];
  readonly tag: number;
  /** The block of a small mapping, null for a large one. */
  readonly block: OBlock | null;
}

/** The bytes written at the start of page `i` of mapping `tag`. */
function tagBytes(tag: number, i: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, tag, true);
  dv.setUint32(4, i, true);
  dv.setUint32(8, (tag * 2654435761 + i) >>> 0, true);
  return b;
}

function runModel(seed: number, nrCpus: number, cpus: number, ops: number): void {
  const m = new Machine({ memory: '64M', cpus, nrCpus });
  const k = m.kernel;
  const v = Vmalloc.of(m);
  const bits = v.blocks.bits;
  const blockSize = bits * PAGE;
  const rng = new XorShift32(seed);
  const lists: OBlock[][] = Array.from({ length: cpus }, () => []);
  const blocks = new Map<number, OBlock>(); // by start
  const live: OMap[] = [];
  const lazy: Array<[number, number]> = []; // ranges freed and not yet purged
  let tag = 1;
  let smallMaps = 0;
  let largeMaps = 0;
  let blocksFreed = 0;
  let blocksPurged = 0;
  let aliasCalls = 0;
  let forcedCalls = 0;

  const overlaps = (s: number, e: number, a: number, b: number): boolean => s < b && a < e;
  const assertFresh = (s: number, e: number, what: string): void => {
    assert.ok(s >= k.VMALLOC_START && e <= k.VMALLOC_END + 1, `${what} inside the vmalloc range`);
    for (const b of blocks.values())
      assert.ok(!overlaps(s, e, b.start, b.start + blockSize), `${what} overlaps a live block`);
    for (const x of live)
      if (x.block === null)
        assert.ok(
          !overlaps(s, e, x.addr, x.addr + x.count * PAGE),
          `${what} overlaps a large area`,
        );
    for (const [a, b] of lazy)
      assert.ok(!overlaps(s, e, a, b), `${what} reuses the unpurged range ${kaddr(a)}`);
  };
  const dropBlock = (b: OBlock): void => {
    blocks.delete(b.start);
    const l = lists[b.cpu]!;
    const i = l.indexOf(b);
    if (i >= 0) l.splice(i, 1);
    lazy.push([b.start, b.start + blockSize]);
  };
  const compareBlocks = (step: number): void => {
    const real = v.blocks.all();
    assert.equal(real.length, blocks.size, `step ${step}: number of blocks`);
    for (const vb of real) {
      const o = blocks.get(vb.start);
      assert.ok(o !== undefined, `step ${step}: unexpected block ${kaddr(vb.start)}`);
      assert.deepEqual(
        [vb.free, vb.dirty, vb.cpu],
        [o.free, o.dirty, o.cpu],
        `step ${step}: free/dirty/cpu of block ${kaddr(vb.start)}`,
      );
    }
  };

  for (let step = 0; step < ops; step++) {
    const r = rng.below(100);
    if (r < 2) {
      // vm_unmap_aliases: fragmented blocks go, dirty ranges and lazy areas are flushed once.
      aliasCalls++;
      let lo = Number.MAX_VALUE;
      let hi = 0;
      for (const b of [...blocks.values()]) {
        if (b.free + b.dirty === bits && b.dirty !== bits && b.free < bits / 4) {
          dropBlock(b);
          blocksPurged++;
        } else if (b.dirtyMax !== 0 && b.dirty !== bits) {
          lo = Math.min(lo, b.start + b.dirtyMin * PAGE);
          hi = Math.max(hi, b.start + b.dirtyMax * PAGE);
          b.dirtyMin = bits;
          b.dirtyMax = 0;
        }
      }
      for (const [a, b] of lazy) {
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      const before = m.tlbFlushes().length;
      const cpu = rng.below(cpus);
      m.onCpu(cpu, () => k.vm_unmap_aliases());
      const f = flushesSince(m, before);
      if (hi === 0) assert.equal(f.length, 0, `step ${step}: nothing to flush`);
      else {
        assert.equal(f.length, 1, `step ${step}: one flush`);
        assert.deepEqual([f[0]!.start, f[0]!.end], [lo, hi], `step ${step}: the flush range`);
      }
      lazy.length = 0;
      assert.deepEqual(unpurged(m), [], `step ${step}: nothing lazy after vm_unmap_aliases`);
    } else if (r < 3) {
      // An allocation that cannot succeed: reclaim_and_purge_vmap_areas force-purges every
      // fragmented block and purges the lazy areas (one flush over them), then it fails.
      forcedCalls++;
      for (const b of [...blocks.values()]) {
        if (b.free + b.dirty === bits && b.dirty !== bits) {
          dropBlock(b);
          blocksPurged++;
        }
      }
      let lo = Number.MAX_VALUE;
      let hi = 0;
      for (const [a, b] of lazy) {
        lo = Math.min(lo, a);
        hi = Math.max(hi, b);
      }
      const before = m.tlbFlushes().length;
      const p = m.onCpu(rng.below(cpus), () =>
        k.__vmalloc_node_range(
          PAGE,
          1,
          k.VMALLOC_START,
          k.VMALLOC_START + PAGE,
          k.GFP_KERNEL | k.__GFP_NOWARN,
          k.PAGE_KERNEL,
          0,
          k.NUMA_NO_NODE,
          'no_room',
        ),
      );
      assert.equal(p, 0, `step ${step}: a page and its guard do not fit in one page`);
      const f = flushesSince(m, before);
      if (hi === 0) assert.equal(f.length, 0, `step ${step}: nothing lazy, no flush`);
      else {
        assert.equal(f.length, 1, `step ${step}: one purge flush`);
        assert.deepEqual([f[0]!.start, f[0]!.end], [lo, hi], `step ${step}: over the lazy areas`);
      }
      lazy.length = 0;
    } else if (live.length === 0 || (r < 55 && live.length < 40)) {
      const large = rng.below(10) === 0;
      const count = large ? 65 + rng.below(96) : 1 + rng.below(64);
      const cpu = rng.below(cpus);
      const pages = allocPages(k, count);
      const addr = m.onCpu(cpu, () => k.vm_map_ram(pages, count, k.NUMA_NO_NODE));
      assert.notEqual(addr, 0, `step ${step}: vm_map_ram(${count}) on CPU ${cpu}`);
      let block: OBlock | null = null;
      if (large) {
        largeMaps++;
        assertFresh(addr, addr + count * PAGE, `step ${step}: large area ${kaddr(addr)}`);
      } else {
        smallMaps++;
        const n = 2 ** Math.ceil(Math.log2(count));
        const l = lists[cpu]!;
        const b = l.find((x) => x.free >= n);
        if (b !== undefined) {
          assert.equal(
            addr,
            b.start + (bits - b.free) * PAGE,
            `step ${step}: vm_map_ram(${count}) on CPU ${cpu} bumps in block ${kaddr(b.start)}`,
          );
          b.free -= n;
          if (b.free === 0) l.splice(l.indexOf(b), 1);
          block = b;
        } else {
          assert.equal(addr % blockSize, 0, `step ${step}: a new block is aligned`);
          assertFresh(addr, addr + blockSize, `step ${step}: new block ${kaddr(addr)}`);
          block = { start: addr, cpu, free: bits - n, dirty: 0, dirtyMin: bits, dirtyMax: 0 };
          blocks.set(addr, block);
          if (block.free > 0) l.push(block);
        }
      }
      const t = tag++;
      const mp: OMap = { addr, count, pages, tag: t, block };
      m.onCpu(rng.below(cpus), () => {
        for (let i = 0; i < count; i++) k.mem_write(addr + i * PAGE, tagBytes(t, i));
      });
      live.push(mp);
    } else {
      const i = rng.below(live.length);
      const mp = live[i]!;
      live.splice(i, 1);
      m.onCpu(rng.below(cpus), () => {
        for (let j = 0; j < mp.count; j++) {
          assert.deepEqual(
            k.mem_read(mp.addr + j * PAGE, 12),
            tagBytes(mp.tag, j),
            `step ${step}: page ${j} of mapping ${mp.tag} at ${kaddr(mp.addr)} reads back`,
          );
        }
      });
      m.onCpu(rng.below(cpus), () => k.vm_unmap_ram(mp.addr, mp.count));
      for (let j = 0; j < mp.count; j++) assert.equal(k.vmalloc_to_page(mp.addr + j * PAGE), null);
      for (const p of mp.pages) k.__free_page(p);
      const b = mp.block;
      if (b === null) lazy.push([mp.addr, mp.addr + mp.count * PAGE]);
      else {
        const n = 2 ** Math.ceil(Math.log2(mp.count));
        const off = (mp.addr - b.start) / PAGE;
        b.dirty += n;
        b.dirtyMin = Math.min(b.dirtyMin, off);
        b.dirtyMax = Math.max(b.dirtyMax, off + n);
        if (b.dirty === bits) {
          dropBlock(b);
          blocksFreed++;
        }
      }
    }
    if (step % 50 === 0) {
      checkVaSpace(v.space, { detached: 0 });
      compareBlocks(step);
    }
  }
  // Everything still mapped reads back its own data, on every CPU.
  for (let cpu = 0; cpu < cpus; cpu++) {
    m.onCpu(cpu, () => {
      for (const mp of live)
        for (let j = 0; j < mp.count; j++)
          assert.deepEqual(k.mem_read(mp.addr + j * PAGE, 12), tagBytes(mp.tag, j));
    });
  }
  checkVaSpace(v.space, { detached: 0 });
  compareBlocks(ops);
  assert.deepEqual(warns(m), []);
  // The run must have exercised what it is about.
  assert.ok(smallMaps > ops / 4 && largeMaps > 10, `maps: ${smallMaps} small, ${largeMaps} large`);
  assert.ok(blocksFreed > 0, 'some block was fully dirtied and freed');
  assert.ok(aliasCalls > 10, 'vm_unmap_aliases ran');
  assert.ok(blocksPurged > 0, 'some fragmented block was purged');
  assert.ok(forcedCalls > 10, 'the forced purge ran');
}

test('model: vm_map_ram / vm_unmap_ram against an oracle (NR_CPUS 8192: 256-page blocks, 4 CPUs)', () => {
  runModel(0x5eed0004, 8192, 4, 5000);
});

test('model: vm_map_ram / vm_unmap_ram against an oracle (NR_CPUS 64: 1024-page blocks, 2 CPUs)', () => {
  runModel(0x13579bdf, 64, 2, 5000);
});
