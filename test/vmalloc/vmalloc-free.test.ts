// SPDX-License-Identifier: GPL-2.0-only
/*
 * Freeing and mapping pages through the kernel API (KERNEL-SPEC §3.5, §3.7, §3.16): vfree of
 * NULL, of a bad, unknown, interior or already freed address; vfree in interrupt context and
 * vfree_atomic, both deferred to a work item; vmap / vunmap (who owns the pages,
 * VM_MAP_PUT_PAGES, VM_NO_GUARD, VM_FLUSH_RESET_PERMS, count above RAM, non-executable
 * mappings); get_vm_area, find_vm_area, remove_vm_area and free_vm_area; and two mappings of
 * the same pages showing the same bytes.
 *
 * Kernel: mm/vmalloc.c vfree, vfree_atomic, vunmap, vmap, remove_vm_area, free_vm_area,
 * find_vm_area, __get_vm_area_node.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug } from '../../src/index.js';
import {
  allocPages,
  assertFault,
  boot,
  GiB,
  head,
  PAGE,
  pagesAt,
  pattern,
  unpurged,
  unpurgedLine,
  VMALLOC_WARNING,
  vmallocinfo,
  vmallocUsedKb,
  vmOf,
  warns,
} from '../helpers/vmalloc.js';

// ── vfree ───────────────────────────────────────────────────────────────────

test('vfree(NULL) and vfree_atomic(NULL) do nothing', () => {
  const { m, k } = boot();
  const p = k.vmalloc(PAGE);
  k.vfree(0);
  k.vfree_atomic(0);
  assert.equal(m.work.pending, 0, 'no work queued');
  assert.deepEqual(m.dmesg(), []);
  assert.equal(vmOf(k, p).addr, p);
  assert.deepEqual(unpurged(m), []);
});

test('vfree of an unaligned address WARNs "bad address" then "nonexistent vm area" and frees nothing', () => {
  const { m, k } = boot();
  const p = k.vmalloc(2 * PAGE);
  k.memset(p, 0x11, 2 * PAGE);
  const free = k.nr_free_pages();
  k.vfree(p + 16);
  const w = warns(m);
  assert.equal(w.length, 2, m.dmesg().join('\n'));
  assert.match(w[0]!.message ?? '', /^Trying to vfree\(\) bad address \(.+\)$/);
  assert.match(w[0]!.where, VMALLOC_WARNING());
  assert.match(w[1]!.message ?? '', /^Trying to vfree\(\) nonexistent vm area \(.+\)$/);
  assert.match(w[1]!.where, VMALLOC_WARNING());
  assert.equal(vmOf(k, p).addr, p, 'the area is still live');
  assert.deepEqual(k.mem_read(p, 2 * PAGE), new Uint8Array(2 * PAGE).fill(0x11));
  assert.equal(k.nr_free_pages(), free, 'no page freed');
  assert.deepEqual(unpurged(m), []);
});

test('vfree of an address no area contains WARNs "nonexistent vm area"; so does a second vfree', () => {
  const { m, k } = boot();
  k.vfree(k.VMALLOC_START + GiB);
  let w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.message ?? '', /^Trying to vfree\(\) nonexistent vm area \(.+\)$/);
  const p = k.vmalloc(PAGE);
  k.vfree(p);
  assert.equal(warns(m).length, 1, 'the first vfree is silent');
  k.vfree(p);
  w = warns(m);
  assert.equal(w.length, 2, 'a double vfree finds nothing: the area is lazy, not busy');
  assert.match(w[1]!.message ?? '', /^Trying to vfree\(\) nonexistent vm area \(.+\)$/);
  assert.deepEqual(unpurged(m), [unpurgedLine(p, 2 * PAGE)], 'freed once');
});

test('vfree of a page-aligned interior address frees the whole area', () => {
  const { m, k } = boot();
  const p = k.vmalloc(4 * PAGE);
  assert.equal(vmallocUsedKb(m), 16);
  const free0 = k.nr_free_pages() + 4; // measured after kmalloc got its slab pages
  k.vfree(p + 2 * PAGE);
  assert.deepEqual(warns(m), []);
  assert.equal(k.find_vm_area(p), null);
  assert.equal(k.nr_free_pages(), free0, 'all four pages freed at once');
  assert.equal(vmallocUsedKb(m), 0);
  assert.deepEqual(unpurged(m), [unpurgedLine(p, 5 * PAGE)]);
  for (let i = 0; i < 4; i++) assert.equal(k.vmalloc_to_page(p + i * PAGE), null);
});

test('vfree in interrupt context is deferred to a work item', () => {
  const { m, k } = boot();
  const p = k.vmalloc(3 * PAGE);
  const free0 = k.nr_free_pages() + 3;
  m.inInterrupt(() => k.vfree(p));
  assert.equal(vmOf(k, p).addr, p, 'still there until the work runs');
  assert.equal(k.nr_free_pages(), free0 - 3, 'no page freed yet');
  assert.ok(m.work.pending >= 1, 'a work item is queued');
  m.runPendingWork();
  assert.equal(k.find_vm_area(p), null);
  assert.equal(k.nr_free_pages(), free0);
  assert.deepEqual(unpurged(m), [unpurgedLine(p, 4 * PAGE)]);
  assert.deepEqual(warns(m), []);
});

test('vfree_atomic defers the free to a work item', () => {
  const { m, k } = boot();
  const p = k.vmalloc(2 * PAGE);
  const q = k.vmalloc(PAGE);
  const free0 = k.nr_free_pages() + 3;
  k.vfree_atomic(p);
  m.inInterrupt(() => k.vfree_atomic(q));
  assert.ok(k.find_vm_area(p) !== null && k.find_vm_area(q) !== null, 'both still there');
  assert.ok(m.work.pending >= 1);
  m.runPendingWork();
  assert.equal(k.find_vm_area(p), null);
  assert.equal(k.find_vm_area(q), null);
  assert.equal(k.nr_free_pages(), free0);
  assert.deepEqual(warns(m), []);
});

// ── vmap / vunmap ───────────────────────────────────────────────────────────

test('vunmap of a vmap area removes the mapping and leaves the pages to the caller', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 3);
  const q = k.vmap(pages, 3, k.VM_MAP, k.PAGE_KERNEL);
  assert.notEqual(q, 0);
  assert.equal(q % PAGE, 0);
  assert.ok(k.is_vmalloc_addr(q));
  const vm = vmOf(k, q);
  assert.equal(vm.size, 4 * PAGE, 'three pages and a guard');
  assert.equal(vm.flags, k.VM_MAP);
  assert.equal(vm.nr_pages, 0, 'without VM_MAP_PUT_PAGES the area does not own the pages');
  assert.deepEqual(pagesAt(k, q, 3), pages);
  assertFault(() => k.mem_read(q + 3 * PAGE, 1), q + 3 * PAGE, 'guard page of a vmap');
  k.mem_write(q, pattern(3 * PAGE));
  assert.equal(vmallocUsedKb(m), 0, 'vmap pages are not vmalloc pages');

  const free = k.nr_free_pages();
  k.vunmap(q);
  assert.equal(k.find_vm_area(q), null);
  assert.equal(k.vmalloc_to_page(q), null);
  assert.equal(k.nr_free_pages(), free, 'no page freed');
  for (const pg of pages) assert.equal(pg._refcount, 1, 'still owned by the caller');
  const bytes = new Uint8Array(3 * PAGE);
  for (let i = 0; i < 3; i++) bytes.set(k.mem_read(k.page_address(pages[i]!), PAGE), i * PAGE);
  assert.deepEqual(bytes, pattern(3 * PAGE), 'the data is still in the pages');
  assert.deepEqual(unpurged(m), [unpurgedLine(q, 4 * PAGE)]);
  for (const pg of pages) k.__free_page(pg);
  assert.equal(k.nr_free_pages(), free + 3);
  assert.deepEqual(warns(m), []);
});

test('vfree of a plain vmap area frees no page; with VM_MAP_PUT_PAGES it drops the references', () => {
  const { m, k } = boot();
  const plain = allocPages(k, 2);
  const q = k.vmap(plain, 2, k.VM_MAP, k.PAGE_KERNEL);
  const free = k.nr_free_pages();
  k.vfree(q);
  assert.equal(k.find_vm_area(q), null);
  assert.equal(k.nr_free_pages(), free, 'vm->nr_pages is 0: nothing to free');
  for (const pg of plain) assert.equal(pg._refcount, 1);

  const owned = allocPages(k, 2);
  const r = k.vmap(owned, 2, k.VM_MAP | k.VM_MAP_PUT_PAGES, k.PAGE_KERNEL);
  assert.notEqual(r, 0);
  const vm = vmOf(k, r);
  assert.equal(vm.nr_pages, 2);
  assert.deepEqual(vm.pages, owned);
  assert.equal(vmallocUsedKb(m), 0, 'VM_MAP_PUT_PAGES pages are not counted as vmalloc pages');
  const before = k.nr_free_pages();
  k.vfree(r);
  assert.equal(k.nr_free_pages(), before + 2, 'vfree put the pages');
  for (const pg of owned) assert.equal(pg._refcount, 0);
  assert.equal(vmallocUsedKb(m), 0);
  assert.deepEqual(warns(m), []);
});

test('vmap with VM_NO_GUARD WARNs and keeps the guard page', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 2);
  const q = k.vmap(pages, 1, k.VM_MAP | k.VM_NO_GUARD, k.PAGE_KERNEL);
  assert.notEqual(q, 0);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.where, VMALLOC_WARNING());
  const vm = vmOf(k, q);
  assert.equal(vm.size, 2 * PAGE, 'guard page kept');
  assert.equal(vm.flags & k.VM_NO_GUARD, 0, 'flag cleared');
  assertFault(() => k.mem_read(q + PAGE, 1), q + PAGE);
  const r = k.vmap(pages.slice(1), 1, k.VM_MAP, k.PAGE_KERNEL);
  assert.equal(r, q + 2 * PAGE, 'the next area starts after the guard');
});

test('vmap with VM_FLUSH_RESET_PERMS WARNs and returns NULL', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 1);
  assert.equal(k.vmap(pages, 1, k.VM_MAP | k.VM_FLUSH_RESET_PERMS, k.PAGE_KERNEL), 0);
  assert.equal(warns(m).length, 1);
  assert.deepEqual(vmallocinfo(m), []);
});

test('vmap of more pages than RAM returns NULL', () => {
  const { m, k } = boot();
  const pages = allocPages(k, 1);
  assert.equal(k.vmap(pages, k.totalram_pages() + 1, k.VM_MAP, k.PAGE_KERNEL), 0);
  assert.deepEqual(vmallocinfo(m), []);
  assert.notEqual(k.vmap(pages, 1, k.VM_MAP, k.PAGE_KERNEL), 0, 'one page is fine');
});

test('vmap with a NULL page WARNs, unmaps what it mapped and returns NULL', () => {
  const { m, k } = boot();
  const [pg] = allocPages(k, 1);
  const q = k.vmap([pg!, null], 2, k.VM_MAP, k.PAGE_KERNEL);
  assert.equal(q, 0);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.where, VMALLOC_WARNING());
  assert.equal(k.vmalloc_to_page(k.VMALLOC_START), null, 'the first page was unmapped again');
  assert.deepEqual(unpurged(m), [unpurgedLine(k.VMALLOC_START, 3 * PAGE)], 'vunmap: lazy');
  assert.equal(pg!._refcount, 1, 'the page stays with the caller');
});

test('vmap maps its pages non-executable even with PAGE_KERNEL_EXEC', () => {
  const { m, k } = boot();
  const q = k.vmap(allocPages(k, 2), 2, k.VM_MAP, k.PAGE_KERNEL_EXEC);
  for (let i = 0; i < 2; i++) {
    assert.ok(m.kernelPageTable.translate(q + i * PAGE) >= 0);
    assert.notEqual(m.kernelPageTable.lastFlags & k._PAGE_NX, 0);
  }
});

test('vunmap(NULL) does nothing; vunmap of an unknown address WARNs; vunmap in interrupt is a BUG', () => {
  const { m, k } = boot();
  k.vunmap(0);
  assert.deepEqual(m.dmesg(), []);
  k.vunmap(k.VMALLOC_START + GiB);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.message ?? '', /^Trying to vunmap\(\) nonexistent vm area \(.+\)$/);
  const q = k.vmap(allocPages(k, 1), 1, k.VM_MAP, k.PAGE_KERNEL);
  assert.throws(() => m.inInterrupt(() => k.vunmap(q)), KernelBug);
});

// ── get_vm_area / find_vm_area / remove_vm_area ────────────────────────────

test('get_vm_area reserves a page-rounded area plus guard and maps nothing', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(5000, k.VM_ALLOC);
  assert.ok(vm !== null);
  assert.equal(vm.addr % PAGE, 0);
  assert.ok(k.is_vmalloc_addr(vm.addr));
  assert.equal(vm.size, 3 * PAGE, '5000 bytes → two pages, plus the guard');
  assert.equal(vm.flags, k.VM_ALLOC);
  assert.equal(vm.nr_pages, 0);
  assert.equal(k.find_vm_area(vm.addr), vm);
  for (let i = 0; i < 3; i++) assert.equal(k.vmalloc_to_page(vm.addr + i * PAGE), null);
  assertFault(() => k.mem_read(vm.addr, 1), vm.addr, 'nothing mapped');
  const p = k.vmalloc(PAGE);
  assert.ok(p >= vm.addr + vm.size, 'the reservation is respected');
  assert.equal(vmallocUsedKb(m), 4);
  k.free_vm_area(vm);
  assert.equal(k.find_vm_area(vm.addr), null);
  assert.deepEqual(unpurged(m), [unpurgedLine(vm.addr, 3 * PAGE)]);
});

test('get_vm_area(0) returns NULL', () => {
  const { m, k } = boot();
  assert.equal(k.get_vm_area(0, k.VM_ALLOC), null);
  assert.deepEqual(vmallocinfo(m), []);
});

test('find_vm_area finds an area from any address inside it, the guard page included', () => {
  const { k } = boot();
  const p = k.vmalloc(3 * PAGE);
  const vm = vmOf(k, p);
  assert.equal(k.find_vm_area(p + PAGE + 123), vm);
  assert.equal(k.find_vm_area(p + 3 * PAGE - 1), vm);
  assert.equal(k.find_vm_area(p + 3 * PAGE), vm, 'the guard page belongs to the vmap_area');
  assert.equal(k.find_vm_area(p + 4 * PAGE), null, 'past the guard');
  assert.equal(k.find_vm_area(p - 1), null);
  assert.equal(k.find_vm_area(k.VMALLOC_START + GiB), null);
  assert.equal(k.find_vm_area(0), null);
});

test('remove_vm_area unlinks the area, returns its vm_struct, and the range goes lazy', () => {
  const { m, k } = boot();
  const p = k.vmalloc(2 * PAGE);
  const vm = vmOf(k, p);
  const flushes = m.tlbFlushes().length;
  const r = k.remove_vm_area(p);
  assert.equal(r, vm, 'the same vm_struct');
  assert.equal(r.addr, p);
  assert.equal(r.size, 3 * PAGE);
  assert.equal(k.find_vm_area(p), null);
  assert.equal(k.vmalloc_to_page(p), null, 'unmapped');
  assert.equal(m.tlbFlushes().length, flushes, 'without a TLB flush');
  assert.deepEqual(unpurged(m), [unpurgedLine(p, 3 * PAGE)]);
  assert.equal(k.remove_vm_area(p), null, 'a second remove finds nothing');
  assert.deepEqual(warns(m), []);
  const q = k.vmalloc(PAGE);
  assert.equal(k.remove_vm_area(q + 8), null);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.match(w[0]!.message ?? '', /^Trying to vfree\(\) bad address \(.+\)$/);
  assert.equal(vmOf(k, q).addr, q, 'an unaligned remove leaves the area alone');
});

test('a vm_struct reused after vfree starts clean: no field of the freed area leaks into the next', () => {
  // kmem keeps vmalloc's own vm_structs and page arrays after vfree (vm-struct.ts,
  // "Lifetime"); the next area must look exactly like one built from scratch.
  const { m, k } = boot();
  const a = k.vmalloc_user(5 * PAGE); // VM_USERMAP, 5 pages
  const old = vmOf(k, a);
  assert.notEqual(old.flags & k.VM_USERMAP, 0);
  k.vfree(a);
  const b = k.vmalloc(2 * PAGE);
  const vm = vmOf(k, b);
  const fresh = boot();
  const fb = fresh.k.vmalloc(2 * PAGE);
  const ref = vmOf(fresh.k, fb);
  for (const f of [
    'flags',
    'size',
    'requested_size',
    'nr_pages',
    'page_order',
    'phys_addr',
    'caller',
  ] as const) {
    assert.equal(vm[f], ref[f], `${f} of the reused struct`);
  }
  assert.equal(vm.addr, b);
  assert.equal(vm.next, null);
  assert.equal(vm.pages!.length, 2);
  vm.pages!.forEach((pg, i) => assert.equal(pg, k.vmalloc_to_page(b + i * PAGE), `page ${i}`));
  assert.equal(vm.flags & k.VM_USERMAP, 0, 'no VM_USERMAP left over');
  const line = vmallocinfo(m).find((l) => l.startsWith(head(b, 3 * PAGE)));
  const refLine = vmallocinfo(fresh.m).find((l) => l.startsWith(head(fb, 3 * PAGE)));
  assert.ok(line !== undefined && refLine !== undefined);
  assert.equal(line.slice(head(b, 3 * PAGE).length), refLine.slice(head(fb, 3 * PAGE).length));
  k.vfree(b);
});

test("a vm_struct returned by remove_vm_area is the caller's: a later vmalloc never reuses it", () => {
  const { k } = boot();
  const p = k.vmalloc(PAGE);
  const vm = k.remove_vm_area(p);
  assert.ok(vm !== null);
  const snapshot = { addr: vm.addr, size: vm.size, flags: vm.flags };
  for (let i = 0; i < 4; i++) {
    const q = k.vmalloc(PAGE);
    assert.notEqual(vmOf(k, q), vm);
    k.vfree(q);
  }
  assert.deepEqual({ addr: vm.addr, size: vm.size, flags: vm.flags }, snapshot);
});

// ── Two mappings of the same pages ─────────────────────────────────────────

test('bytes written through vmalloc read back through a vmap of the same pages, and back', () => {
  const { m, k } = boot();
  const n = 3;
  const p = k.vmalloc(n * PAGE);
  const data = pattern(n * PAGE, 5);
  k.mem_write(p, data);
  const pages = pagesAt(k, p, n);
  const q = k.vmap(pages, n, k.VM_MAP, k.PAGE_KERNEL);
  assert.notEqual(q, 0);
  assert.notEqual(q, p);
  assert.deepEqual(k.mem_read(q, n * PAGE), data, 'same bytes through the second mapping');
  k.mem_write(q + PAGE + 10, new Uint8Array([1, 2, 3]));
  assert.deepEqual(k.mem_read(p + PAGE + 10, 3), new Uint8Array([1, 2, 3]), 'and back');
  assert.equal(k.vmalloc_to_pfn(q + 2 * PAGE), k.vmalloc_to_pfn(p + 2 * PAGE));
  k.vunmap(q);
  assert.equal(k.mem_read(p + PAGE + 11, 1)[0], 2, 'the vmalloc mapping survives the vunmap');
  k.vfree(p);
  assert.deepEqual(warns(m), []);
});
