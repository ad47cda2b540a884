// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory access through the MMU (mem_read / mem_write / memset / memcpy through the
 * current CPU's TLB and the kernel page tables), the page faults of unmapped, user and
 * non-canonical addresses and of writes to read-only pages; the PageTable radix tree on its
 * own (4 KiB, 2 MiB and 1 GiB leaves, mapRange, unmap, unmapLeaf, translate); and the TLBs:
 * a PTE cleared without a flush stays reachable from the CPU that cached it, until
 * flush_tlb_kernel_range, which flushes everything above 33 pages.
 *
 * Kernel: arch/x86/mm/fault.c ("BUG: unable to handle page fault for address"),
 * arch/x86/include/asm/pgtable_types.h, arch/x86/mm/tlb.c (flush_tlb_kernel_range,
 * tlb_single_page_flush_ceiling = 33), arch/x86/mm/init_64.c (the direct map's huge leaves).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, PageFault } from '../../src/index.js';
import {
  _PAGE_PRESENT,
  _PAGE_PSE,
  _PAGE_RW,
  PAGE_KERNEL,
  PAGE_KERNEL_RO,
  PageTable,
} from '../../src/machine/page-table.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function fault(fn: () => unknown, address: number, write: boolean, why: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PageFault, `expected a PageFault, got ${String(e)}`);
    assert.equal(e.address, address);
    assert.equal(e.write, write);
    assert.match(e.message, /^BUG: unable to handle page fault for address: /);
    assert.match(e.message, why);
    return true;
  });
}

// ── Access through the direct map ───────────────────────────────────────────

test('mem_write / mem_read / memset / memcpy reach physical memory through the direct map', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const a = k.__get_free_pages(k.GFP_KERNEL, 1);
  // A write across the page boundary lands in both frames.
  k.mem_write(a + 4094, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(m.phys.read(k.virt_to_phys(a) + 4094, 4), new Uint8Array([1, 2, 3, 4]));
  assert.equal(k.memset(a, 0x5a, 100), a);
  assert.deepEqual(k.mem_read(a, 100), new Uint8Array(100).fill(0x5a));
  assert.equal(k.memcpy(a + 200, a + 4094, 4), a + 200);
  assert.deepEqual(k.mem_read(a + 200, 4), new Uint8Array([1, 2, 3, 4]));
  assert.equal(k.phys_to_virt(k.virt_to_phys(a)), a);
  // Memory nobody wrote reads as zero, even far up in RAM.
  assert.deepEqual(k.mem_read(k.PAGE_OFFSET + 60 * MiB, 8), new Uint8Array(8));
});

test('an address past the end of RAM or in the PCI hole faults (not-present page)', () => {
  const k = new Machine({ memory: '4G' }).kernel;
  const hole = k.PAGE_OFFSET + 3 * GiB + 0x1234;
  fault(
    () => k.mem_read(hole, 1),
    hole,
    false,
    /0xffff8880c0001234 \(read access in kernel mode, not-present page\)$/,
  );
  fault(() => k.memset(hole, 0, 1), hole, true, /write access/);
  const end = k.PAGE_OFFSET + 5 * GiB;
  fault(() => k.mem_read(end, 1), end, false, /not-present page/);
  assert.equal(k.mem_read(end - 1, 1).length, 1, 'the last byte of RAM is mapped');
});

test('vmalloc-range, user and non-canonical addresses fault', () => {
  const k = new Machine({ memory: '64M' }).kernel;
  fault(() => k.mem_read(k.VMALLOC_START, 1), k.VMALLOC_START, false, /0xffffc90000000000/);
  fault(() => k.mem_write(0x400000, new Uint8Array(1)), 0x400000, true, /0x0000000000400000/);
  fault(() => k.mem_read(0, 1), 0, false, /not-present page/);
  fault(() => k.mem_read(2 ** 48, 1), 2 ** 48, false, /not a canonical address/);
  fault(() => k.mem_read(-4096, 1), -4096, false, /not a canonical address/);
});

test('a write that crosses into an unmapped page faults after writing the mapped part', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const last = k.PAGE_OFFSET + 16 * MiB - 2;
  fault(() => k.mem_write(last, new Uint8Array([7, 7, 7, 7])), last + 2, true, /not-present/);
  assert.deepEqual(k.mem_read(last, 2), new Uint8Array([7, 7]));
});

test('a write to a read-only mapping faults (permissions violation); a read works', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const va = k.VMALLOC_START + 0x10000;
  assert.ok(m.kernelPageTable.mapPage(va, 0x800, PAGE_KERNEL_RO));
  m.phys.write(0x800 * 4096, new Uint8Array([9]));
  assert.deepEqual(k.mem_read(va, 1), new Uint8Array([9]));
  fault(() => k.mem_write(va, new Uint8Array([1])), va, true, /permissions violation/);
  assert.deepEqual(k.mem_read(va, 1), new Uint8Array([9]));
});

// ── PageTable ───────────────────────────────────────────────────────────────

test('PageTable.mapPage maps a 4 KiB page once; translate gives the pfn and flags', () => {
  const pt = new PageTable();
  const va = 0x7f0000123000;
  assert.equal(pt.translate(va), -1);
  assert.equal(pt.tables, 1, 'only the PGD');
  assert.ok(pt.mapPage(va, 0x42, PAGE_KERNEL));
  assert.equal(pt.tables, 4, 'a PUD, PMD and PTE table were built');
  assert.equal(pt.translate(va + 0xfff), 0x42);
  assert.equal(pt.lastFlags, PAGE_KERNEL);
  assert.equal(pt.translate(va + 0x1000), -1, 'the next page is not mapped');
  assert.equal(pt.mapPage(va, 0x99, PAGE_KERNEL), false, 'already present');
  assert.equal(pt.translate(va), 0x42, 'unchanged');
  assert.ok(pt.mapPage(va + 0x1000, 0x43, PAGE_KERNEL));
  assert.equal(pt.tables, 4, 'the neighbour shares the tables');
});

test('PageTable huge leaves: 2 MiB and 1 GiB map contiguous frames and block 4 KiB maps', () => {
  const pt = new PageTable();
  const pmd = 0x400000; // 2 MiB aligned
  assert.ok(pt.mapPage(pmd + 0x1234, 0x1000, PAGE_KERNEL, 1), 'aligned down to the leaf');
  assert.equal(pt.translate(pmd), 0x1000);
  assert.equal(pt.translate(pmd + 0x1fffff), 0x1000 + 511);
  assert.equal(pt.lastFlags & _PAGE_PSE, _PAGE_PSE);
  assert.equal(pt.mapPage(pmd + 0x5000, 0x7, PAGE_KERNEL), false, 'inside a huge leaf');
  assert.throws(() => pt.unmap(pmd + 0x5000), RangeError);
  const pud = 0x40000000; // 1 GiB
  assert.ok(pt.mapPage(pud, 0x80000, PAGE_KERNEL, 2));
  assert.equal(pt.translate(pud + 0x3ffff000), 0x80000 + 0x3ffff);
  // A huge leaf cannot replace a table.
  assert.ok(pt.mapPage(0x80000000, 0x5, PAGE_KERNEL));
  assert.equal(pt.mapPage(0x80000000, 0x200, PAGE_KERNEL, 1), false);
  assert.equal(pt.mapPage(0x80000000, 0x40000, PAGE_KERNEL, 2), false);
});

test('PageTable.unmap clears a PTE; unmapLeaf clears a leaf of its own level only', () => {
  const pt = new PageTable();
  assert.ok(pt.mapPage(0x1000, 0x10, PAGE_KERNEL));
  assert.equal(pt.unmap(0x1000), 0x10);
  assert.equal(pt.translate(0x1000), -1);
  assert.equal(pt.unmap(0x1000), -1, 'nothing left to clear');
  assert.equal(pt.unmap(0x123456789000), -1, 'no tables there at all');
  assert.ok(pt.mapPage(0x1000, 0x11, PAGE_KERNEL), 'the slot can be mapped again');
  assert.ok(pt.mapPage(0x200000, 0x400, PAGE_KERNEL, 1));
  assert.equal(pt.unmapLeaf(0x200000, 2), -1, 'not a 1 GiB leaf');
  assert.equal(pt.unmapLeaf(0x0, 1), -1, 'a table, not a 2 MiB leaf');
  assert.equal(pt.unmapLeaf(0x200000, 1), 0x400);
  assert.equal(pt.translate(0x200000), -1);
  assert.equal(pt.unmapLeaf(0x1000, 0), 0x11, 'level 0 is unmap');
});

test('PageTable.mapRange uses the largest leaves alignment allows and refuses overlaps', () => {
  const pt = new PageTable();
  // From 2M - 8K: two PTEs, 2 MiB leaves up to 1G, a 1 GiB leaf, 2 MiB leaves, PTEs.
  const va = 2 * MiB - 8192;
  const size = 2 * GiB + 4 * MiB;
  assert.ok(pt.mapRange(va, va / 4096, size, PAGE_KERNEL));
  for (const off of [0, 8191, 8192, 2 * MiB, GiB, 2 * GiB, size - 1]) {
    assert.equal(pt.translate(va + off), Math.floor((va + off) / 4096), `offset ${off}`);
  }
  assert.equal(pt.translate(va + size), -1);
  assert.equal(pt.unmapLeaf(2 * MiB, 1), 512, 'a 2 MiB leaf where both are aligned');
  assert.equal(pt.unmapLeaf(GiB, 2), GiB / 4096, 'a 1 GiB leaf at 1 GiB');
  assert.equal(pt.unmap(va), va / 4096, 'PTEs before the first 2 MiB boundary');
  assert.equal(pt.mapRange(va + 4096, 1, 4096, PAGE_KERNEL), false, 'already mapped');
  // Misaligned physical frames force 4 KiB leaves.
  const pt2 = new PageTable();
  assert.ok(pt2.mapRange(4 * MiB, 1, 2 * MiB, PAGE_KERNEL));
  assert.equal(pt2.unmapLeaf(4 * MiB, 1), -1);
  assert.equal(pt2.unmap(4 * MiB + 4096), 2);
});

test('the boot direct map is built from huge leaves, present and writable', () => {
  const m = new Machine({ memory: '4G' });
  const pt = m.kernelPageTable;
  assert.equal(pt.translate(m.kernel.PAGE_OFFSET + 5 * GiB - 4096), (5 * GiB) / 4096 - 1);
  assert.equal(
    pt.lastFlags & (_PAGE_PRESENT | _PAGE_RW | _PAGE_PSE),
    _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE,
  );
  assert.ok(pt.tables < 16, `${pt.tables} tables for 4 GiB: 1 GiB leaves`);
});

// ── TLBs ────────────────────────────────────────────────────────────────────

test('a PTE cleared without a TLB flush stays reachable from the CPU that cached it', () => {
  const m = new Machine({ memory: '64M', cpus: 2 });
  const k = m.kernel;
  const page = k.alloc_page(k.GFP_KERNEL)!;
  k.mem_write(k.page_address(page), new Uint8Array([0xde, 0xad]));
  const va = k.VMALLOC_START + 0x200000;
  assert.ok(m.kernelPageTable.mapPage(va, page.pfn, PAGE_KERNEL));
  assert.deepEqual(k.mem_read(va, 2), new Uint8Array([0xde, 0xad]), 'CPU 0 fills its TLB');
  assert.equal(m.kernelPageTable.unmap(va), page.pfn);
  assert.deepEqual(k.mem_read(va, 2), new Uint8Array([0xde, 0xad]), 'stale entry on CPU 0');
  k.mem_write(va, new Uint8Array([0xbe]));
  assert.deepEqual(k.mem_read(k.page_address(page), 1), new Uint8Array([0xbe]), 'writes too');
  fault(() => m.onCpu(1, () => k.mem_read(va, 1)), va, false, /not-present page/);
  const before = m.tlbFlushes().length;
  m.tlbs.flushKernelRange(va, va + 4096, 0);
  fault(() => k.mem_read(va, 1), va, false, /not-present page/);
  fault(() => m.onCpu(1, () => k.mem_read(va, 1)), va, false, /not-present page/);
  assert.deepEqual(m.tlbFlushes().slice(before), [
    { start: va, end: va + 4096, full: false, cpu: 0 },
  ]);
});

test('flush_tlb_kernel_range above 33 pages is a full flush; up to 33 it is page by page', () => {
  const m = new Machine({ memory: '64M', cpus: 2 });
  const k = m.kernel;
  const direct = k.PAGE_OFFSET + 32 * MiB;
  k.mem_read(direct, 1); // caches a direct-map translation on CPU 0
  const va = k.VMALLOC_START;
  m.tlbs.flushKernelRange(va, va + 33 * 4096, 0);
  assert.ok(m.tlbs.size(0) > 0, 'a 33-page range leaves other entries alone');
  m.onCpu(1, () => m.tlbs.flushKernelRange(va, va + 34 * 4096, 1));
  assert.equal(m.tlbs.size(0), 0, 'a 34-page range flushes every entry of every CPU');
  const flushes = m.tlbFlushes();
  assert.deepEqual(flushes.slice(-2), [
    { start: va, end: va + 33 * 4096, full: false, cpu: 0 },
    { start: va, end: va + 34 * 4096, full: true, cpu: 1 },
  ]);
  // The ceiling is on the bytes asked for (end - start > 33 << PAGE_SHIFT), as on x86.
  m.tlbs.flushKernelRange(va + 1, va + 1 + 33 * 4096, 0);
  assert.equal(m.tlbFlushes().at(-1)!.full, false);
  m.tlbs.flushAll(0);
  assert.deepEqual(m.tlbFlushes().at(-1), { start: 0, end: 2 ** 48, full: true, cpu: 0 });
});
