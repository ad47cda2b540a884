// SPDX-License-Identifier: GPL-2.0-only
/*
 * vread / vwrite with the seed's (≤ 6.3 / ≤ 5.12) semantics (KERNEL-SPEC §3.9): vread copies
 * live areas, zero-fills holes (guard pages, gaps, unmapped pages) and ioremap areas, and
 * returns count — or 0, leaving the buffer untouched, when the range meets no live area;
 * vwrite writes live non-ioremap areas only and returns count, or 0 when nothing was
 * written. Also is_vmalloc_addr, vmalloc_to_page / vmalloc_to_pfn, and
 * map_kernel_range_noflush / unmap_kernel_range(_noflush) on a get_vm_area area.
 *
 * Kernel: mm/vmalloc.c vread, vwrite, aligned_vread, aligned_vwrite (5.x), is_vmalloc_addr,
 * vmalloc_to_page, vmalloc_to_pfn, map_kernel_range_noflush, unmap_kernel_range_noflush,
 * unmap_kernel_range (seed 004).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocPages,
  assertFault,
  boot,
  GiB,
  MiB,
  PAGE,
  pattern,
  VMALLOC_WARNING,
  vmOf,
  warns,
} from '../helpers/vmalloc.js';

const IO_PHYS = 0xfe000000; // in the PCI hole: not RAM

// ── vread ───────────────────────────────────────────────────────────────────

test('vread of a whole area returns count and its bytes', () => {
  const { k } = boot();
  const p = k.vmalloc(2 * PAGE);
  const data = pattern(2 * PAGE);
  k.mem_write(p, data);
  const buf = new Uint8Array(2 * PAGE);
  assert.equal(k.vread(buf, p, 2 * PAGE), 2 * PAGE);
  assert.deepEqual(buf, data);
  const part = new Uint8Array(100);
  assert.equal(k.vread(part, p + PAGE - 50, 100), 100, 'a range inside the area');
  assert.deepEqual(part, data.subarray(PAGE - 50, PAGE + 50));
});

test('vread over an area and the guard page after it zero-fills the hole and returns count', () => {
  const { k } = boot();
  const p = k.vmalloc(2 * PAGE);
  k.mem_write(p, pattern(2 * PAGE));
  const buf = new Uint8Array(2 * PAGE).fill(0xff);
  assert.equal(k.vread(buf, p + PAGE, 2 * PAGE), 2 * PAGE);
  assert.deepEqual(buf.subarray(0, PAGE), pattern(2 * PAGE).subarray(PAGE));
  assert.deepEqual(buf.subarray(PAGE), new Uint8Array(PAGE), 'the guard page reads as zeros');
});

test('vread over a gap then an area zero-fills the gap and copies the area', () => {
  const { k } = boot();
  const a = k.vmalloc(PAGE);
  const b = k.vmalloc(PAGE);
  assert.equal(b, a + 2 * PAGE);
  k.vfree(a);
  k.vm_unmap_aliases(); // a's range is now a gap before b
  k.memset(b, 0x3c, PAGE);
  const buf = new Uint8Array(3 * PAGE).fill(0xff);
  assert.equal(k.vread(buf, a, 3 * PAGE), 3 * PAGE);
  assert.deepEqual(buf.subarray(0, 2 * PAGE), new Uint8Array(2 * PAGE));
  assert.deepEqual(buf.subarray(2 * PAGE), new Uint8Array(PAGE).fill(0x3c));
});

test('vread of a range that meets no live area returns 0 and leaves the buffer untouched', () => {
  const { k } = boot();
  const p = k.vmalloc(PAGE);
  const far = k.__vmalloc_node_range(
    PAGE,
    1,
    k.VMALLOC_START + GiB,
    k.VMALLOC_END,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'far',
  );
  assert.equal(far, k.VMALLOC_START + GiB);
  const untouched = new Uint8Array(PAGE).fill(0xee);
  const buf = untouched.slice();
  // Between the two areas, ending before the second one.
  assert.equal(k.vread(buf, p + 512 * MiB, PAGE), 0);
  assert.deepEqual(buf, untouched);
  // Above every area.
  assert.equal(k.vread(buf, far + GiB, PAGE), 0);
  assert.deepEqual(buf, untouched);
  // A lazily freed area is not live (a live area follows it, but the range ends before).
  const gone = k.vmalloc(PAGE);
  k.memset(gone, 0x77, PAGE);
  const after = k.vmalloc(PAGE);
  assert.equal(after, gone + 2 * PAGE);
  k.vfree(gone);
  assert.equal(k.vread(buf, gone, PAGE), 0, 'unpurged areas are not alive');
  assert.deepEqual(buf, untouched);
});

test('vread treats an ioremap area as a hole: zeros, never the device bytes', () => {
  const { k } = boot();
  const p = k.vmalloc(PAGE);
  const io = k.ioremap(IO_PHYS, PAGE);
  assert.notEqual(io, 0);
  assert.ok(k.is_vmalloc_addr(io), 'ioremap areas are vmap areas');
  assert.ok(Math.abs(io - p) < 64 * MiB, `ioremap area near the others (${io - p})`);
  k.memset(io, 0x99, PAGE);
  k.memset(p, 0x42, PAGE);
  assert.deepEqual(k.mem_read(io, 4), new Uint8Array(4).fill(0x99), 'the device has bytes');
  assert.equal(vmOf(k, io).flags & k.VM_IOREMAP, k.VM_IOREMAP);

  // The ioremap area alone: a live area, read as a hole.
  const alone = new Uint8Array(PAGE).fill(0xff);
  assert.equal(k.vread(alone, io, PAGE), PAGE);
  assert.deepEqual(alone, new Uint8Array(PAGE));

  // Together with the vmalloc area.
  const lo = Math.min(p, io);
  const hi = Math.max(p, io) + PAGE;
  const buf = new Uint8Array(hi - lo).fill(0xff);
  assert.equal(k.vread(buf, lo, hi - lo), hi - lo);
  const want = new Uint8Array(hi - lo);
  want.fill(0x42, p - lo, p - lo + PAGE);
  assert.deepEqual(buf, want);
});

test('vread zero-fills pages of a reserved area that are not mapped', () => {
  const { k } = boot();
  const vm = k.get_vm_area(2 * PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  const pages = allocPages(k, 1);
  assert.equal(k.map_kernel_range_noflush(vm.addr, PAGE, k.PAGE_KERNEL, pages), 1);
  k.memset(vm.addr, 0x21, PAGE);
  const buf = new Uint8Array(2 * PAGE).fill(0xff);
  assert.equal(k.vread(buf, vm.addr, 2 * PAGE), 2 * PAGE);
  assert.deepEqual(buf.subarray(0, PAGE), new Uint8Array(PAGE).fill(0x21));
  assert.deepEqual(buf.subarray(PAGE), new Uint8Array(PAGE), 'the unmapped page reads as zeros');
});

test('vread reads vmap areas too', () => {
  const { k } = boot();
  const pages = allocPages(k, 2);
  k.memset(k.page_address(pages[0]!), 0x0a, PAGE);
  k.memset(k.page_address(pages[1]!), 0x0b, PAGE);
  const q = k.vmap(pages, 2, k.VM_MAP, k.PAGE_KERNEL);
  const buf = new Uint8Array(2 * PAGE);
  assert.equal(k.vread(buf, q, 2 * PAGE), 2 * PAGE);
  assert.equal(buf[0], 0x0a);
  assert.equal(buf[2 * PAGE - 1], 0x0b);
});

// ── vwrite ──────────────────────────────────────────────────────────────────

test('vwrite writes the live areas, skips the guard page between them, returns count', () => {
  const { k } = boot();
  const a = k.vmalloc(PAGE);
  const b = k.vmalloc(PAGE);
  assert.equal(b, a + 2 * PAGE);
  const data = pattern(3 * PAGE, 9);
  assert.equal(k.vwrite(data, a, 3 * PAGE), 3 * PAGE);
  assert.deepEqual(k.mem_read(a, PAGE), data.subarray(0, PAGE));
  assert.deepEqual(k.mem_read(b, PAGE), data.subarray(2 * PAGE), 'buf advances over the hole');
  assert.equal(k.vmalloc_to_page(a + PAGE), null, 'the hole got no page');
  // A partial range.
  assert.equal(k.vwrite(new Uint8Array([9, 8, 7]), a + 10, 3), 3);
  assert.deepEqual(k.mem_read(a + 10, 3), new Uint8Array([9, 8, 7]));
});

test('vwrite returns 0 when the range meets no live area', () => {
  const { k } = boot();
  const p = k.vmalloc(PAGE);
  assert.equal(k.vwrite(new Uint8Array(PAGE).fill(1), p + GiB, PAGE), 0);
  k.vfree(p);
  assert.equal(k.vwrite(new Uint8Array(PAGE).fill(1), p, PAGE), 0, 'a freed area is not live');
});

test('vwrite skips ioremap areas: nothing written, 0 when nothing else was met', () => {
  const { k } = boot();
  const io = k.ioremap(IO_PHYS, PAGE);
  assert.notEqual(io, 0);
  k.memset(io, 0x99, PAGE);
  assert.equal(k.vwrite(new Uint8Array(PAGE).fill(1), io, PAGE), 0);
  assert.deepEqual(k.mem_read(io, PAGE), new Uint8Array(PAGE).fill(0x99), 'device untouched');
  const p = k.vmalloc(PAGE);
  const lo = Math.min(p, io);
  const hi = Math.max(p, io) + PAGE;
  assert.equal(k.vwrite(new Uint8Array(hi - lo).fill(5), lo, hi - lo), hi - lo);
  assert.deepEqual(k.mem_read(p, PAGE), new Uint8Array(PAGE).fill(5));
  assert.deepEqual(k.mem_read(io, PAGE), new Uint8Array(PAGE).fill(0x99), 'still untouched');
});

// ── Address helpers ────────────────────────────────────────────────────────

test('is_vmalloc_addr is true exactly on [VMALLOC_START, VMALLOC_END)', () => {
  const { k } = boot();
  assert.equal(k.VMALLOC_START, 0xc90000000000);
  assert.equal(k.VMALLOC_END, 0xc90000000000 + 32 * 2 ** 40 - 1);
  assert.equal(k.is_vmalloc_addr(k.VMALLOC_START), true);
  assert.equal(k.is_vmalloc_addr(k.VMALLOC_START - 1), false);
  assert.equal(k.is_vmalloc_addr(k.VMALLOC_END - 1), true);
  assert.equal(k.is_vmalloc_addr(k.VMALLOC_END), false);
  assert.equal(k.is_vmalloc_addr(k.PAGE_OFFSET), false, 'the direct map');
  assert.equal(k.is_vmalloc_addr(0), false);
  assert.equal(k.is_vmalloc_addr(k.vmalloc(PAGE) + 5), true);
});

test('vmalloc_to_page / vmalloc_to_pfn find the frame of a mapped address, null when unmapped', () => {
  const { k } = boot();
  const p = k.vmalloc(2 * PAGE);
  const vm = vmOf(k, p);
  for (let i = 0; i < 2; i++) {
    const pg = k.vmalloc_to_page(p + i * PAGE + 123);
    assert.equal(pg, vm.pages?.[i], 'an interior address finds its page');
    assert.ok(pg !== null);
    assert.equal(k.vmalloc_to_pfn(p + i * PAGE), k.page_to_pfn(pg));
  }
  k.mem_write(p + PAGE + 5, new Uint8Array([0xab]));
  const pg1 = k.vmalloc_to_page(p + PAGE);
  assert.ok(pg1 !== null);
  assert.equal(k.mem_read(k.page_address(pg1) + 5, 1)[0], 0xab, 'the same frame');
  assert.equal(k.vmalloc_to_page(p + 2 * PAGE), null, 'the guard page');
  assert.equal(k.vmalloc_to_page(k.VMALLOC_START + GiB), null, 'nothing there');
  k.vfree(p);
  assert.equal(k.vmalloc_to_page(p), null, 'unmapped at vfree');
});

// ── map_kernel_range_noflush / unmap_kernel_range ──────────────────────────

test('map_kernel_range_noflush maps pages into a get_vm_area area; unmap_kernel_range flushes that range', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(2 * PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  const pages = allocPages(k, 2);
  const flushes = m.tlbFlushes().length;
  assert.equal(k.map_kernel_range_noflush(vm.addr, 2 * PAGE, k.PAGE_KERNEL, pages), 2);
  assert.equal(m.tlbFlushes().length, flushes, 'mapping flushes nothing');
  assert.equal(k.vmalloc_to_page(vm.addr), pages[0]);
  assert.equal(k.vmalloc_to_page(vm.addr + PAGE), pages[1]);
  const data = pattern(2 * PAGE, 3);
  k.mem_write(vm.addr, data);
  assert.deepEqual(k.mem_read(k.page_address(pages[1]!), PAGE), data.subarray(PAGE));
  assert.deepEqual(k.mem_read(vm.addr, 2 * PAGE), data);

  k.unmap_kernel_range(vm.addr, 2 * PAGE);
  const f = m.tlbFlushes().slice(flushes);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.start, vm.addr);
  assert.equal(f[0]!.end, vm.addr + 2 * PAGE);
  assert.equal(k.vmalloc_to_page(vm.addr), null);
  assertFault(() => k.mem_read(vm.addr, 1), vm.addr, 'the cached translation was flushed');
  for (const pg of pages) assert.equal(pg._refcount, 1, 'the pages stay with the caller');
  assert.equal(vmOf(k, vm.addr), vm, 'the area itself stays reserved');
  assert.deepEqual(warns(m), []);
});

test('unmap_kernel_range_noflush clears the PTEs but flushes nothing: the TLB entry survives', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  assert.equal(k.map_kernel_range_noflush(vm.addr, PAGE, k.PAGE_KERNEL, allocPages(k, 1)), 1);
  k.memset(vm.addr, 0x66, 8); // caches the translation
  const flushes = m.tlbFlushes().length;
  k.unmap_kernel_range_noflush(vm.addr, PAGE);
  assert.equal(m.tlbFlushes().length, flushes);
  assert.equal(k.vmalloc_to_page(vm.addr), null);
  assert.deepEqual(k.mem_read(vm.addr, 8), new Uint8Array(8).fill(0x66), 'stale but reachable');
});

test('map_kernel_range_noflush over a present PTE fails with -EBUSY and a WARN', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  const pages = allocPages(k, 2);
  assert.equal(k.map_kernel_range_noflush(vm.addr, PAGE, k.PAGE_KERNEL, pages.slice(0, 1)), 1);
  assert.equal(k.map_kernel_range_noflush(vm.addr, PAGE, k.PAGE_KERNEL, pages.slice(1)), -k.EBUSY);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.where, VMALLOC_WARNING());
  assert.equal(k.vmalloc_to_page(vm.addr), pages[0], 'the first mapping stands');
});

test('map_kernel_range_noflush with a NULL page fails with -ENOMEM and a WARN', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(2 * PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  const [pg] = allocPages(k, 1);
  assert.equal(
    k.map_kernel_range_noflush(vm.addr, 2 * PAGE, k.PAGE_KERNEL, [pg!, null]),
    -k.ENOMEM,
  );
  assert.equal(warns(m).length, 1);
  assert.equal(k.vmalloc_to_page(vm.addr + PAGE), null);
});
