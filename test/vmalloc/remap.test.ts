// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping vmalloc memory into user space (KERNEL-SPEC §3.10, §3.16): a vmalloc_user area
 * shared with a simulated process through remap_vmalloc_range / remap_vmalloc_range_partial
 * (the seed's signature, without pgoff), every -EINVAL case, partial and offset mappings,
 * vm_insert_page's own errors, the vma flags set on success, the page references the user
 * mapping holds (so vfree of a still-mapped area frees nothing twice), and the simulated
 * user address space itself (mmap placement, access checks, munmap).
 *
 * Kernel: mm/vmalloc.c remap_vmalloc_range_partial, remap_vmalloc_range; mm/memory.c
 * vm_insert_page; mm/mmap.c (top-down placement); arch/x86/mm/fault.c (user faults).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EBUSY,
  EFAULT,
  EINVAL,
  KernelBug,
  Mm,
  PageFault,
  PageOwner,
  type Kernel,
  type Machine,
  type VmAreaStruct,
} from '../../src/index.js';
import { MMAP_BASE, MMAP_MIN_ADDR } from '../../src/machine/user-mm.js';
import { remapVmallocRangePartial } from '../../src/vmalloc/remap.js';
import { Vmalloc } from '../../src/vmalloc/vmalloc.js';
import {
  allocPages,
  assertFault,
  boot,
  PAGE,
  pagesAt,
  pattern,
  vmallocinfo,
  vmOf,
} from '../helpers/vmalloc.js';

/** A booted machine, a process and a vmalloc_user area of `pages` pages. */
function setup(pages = 4): { m: Machine; k: Kernel; mm: Mm; p: number } {
  const { m, k } = boot();
  const mm = m.createMm();
  const p = k.vmalloc_user(pages * PAGE);
  assert.notEqual(p, 0, 'vmalloc_user');
  return { m, k, mm, p };
}

/** mmap of `pages` pages, which must succeed. */
function mmap(mm: Mm, pages: number, prot?: number, pgoff?: number): VmAreaStruct {
  const vma = mm.mmap(pages * PAGE, prot, pgoff);
  assert.ok(vma !== null, 'mmap');
  return vma;
}

/** The pfn the user page table maps at `uaddr`, or -1. */
const userPfn = (mm: Mm, uaddr: number): number => mm.pgd.translate(uaddr);

/** Assert that nothing is mapped in [vma.vm_start, vma.vm_end). */
function assertUnmapped(mm: Mm, vma: VmAreaStruct): void {
  for (let a = vma.vm_start; a < vma.vm_end; a += PAGE) assert.equal(userPfn(mm, a), -1);
}

// ── sharing ─────────────────────────────────────────────────────────────────

test('remap_vmalloc_range shares vmalloc_user pages with user space, both ways', () => {
  const { k, mm, p } = setup(4);
  const vma = mmap(mm, 4);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  const pages = pagesAt(k, p, 4);
  for (let i = 0; i < 4; i++) {
    assert.equal(userPfn(mm, vma.vm_start + i * PAGE), pages[i]!.pfn, `page ${i}: same frame`);
  }
  assert.deepEqual(
    mm.read(vma.vm_start, 4 * PAGE),
    new Uint8Array(4 * PAGE),
    'vmalloc_user zeroes',
  );
  const data = pattern(4 * PAGE);
  k.mem_write(p, data);
  assert.deepEqual(mm.read(vma.vm_start, 4 * PAGE), data, 'kernel writes, user reads');
  const user = pattern(300, 9);
  mm.write(vma.vm_start + PAGE - 100, user);
  assert.deepEqual(
    k.mem_read(p + PAGE - 100, 300),
    user,
    'user writes across a page, kernel reads',
  );
});

test('the vma gets VM_MIXEDMAP, VM_DONTEXPAND and VM_DONTDUMP; the area shows " user"', () => {
  const { m, k, mm, p } = setup(2);
  const vma = mmap(mm, 2);
  const before = vma.vm_flags;
  assert.equal(before & (k.VM_MIXEDMAP | k.VM_DONTEXPAND | k.VM_DONTDUMP), 0);
  assert.equal(
    before & (k.VM_READ | k.VM_WRITE | k.VM_SHARED),
    k.VM_READ | k.VM_WRITE | k.VM_SHARED,
  );
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  assert.equal(vma.vm_flags, before | k.VM_MIXEDMAP | k.VM_DONTEXPAND | k.VM_DONTDUMP);
  assert.equal(k.VM_DONTEXPAND, 0x40000);
  assert.equal(k.VM_DONTDUMP, 0x4000000);
  assert.equal(k.VM_MIXEDMAP, 0x10000000);
  assert.ok(
    vmallocinfo(m).some((l) => l.includes(' vmalloc_user ') && / vmalloc user( |$)/.test(l)),
  );
});

test('a VM_DMA_COHERENT area may be remapped too', () => {
  const { m, k: kk } = boot();
  const mm = m.createMm();
  const p = kk.__vmalloc_node_range(
    2 * PAGE,
    1,
    kk.VMALLOC_START,
    kk.VMALLOC_END,
    kk.GFP_KERNEL,
    kk.PAGE_KERNEL,
    kk.VM_DMA_COHERENT,
    -1,
    'dma_common_contiguous_remap',
  );
  assert.notEqual(p, 0);
  const vma = mmap(mm, 2);
  assert.equal(kk.remap_vmalloc_range(vma, p, 0), 0);
  kk.mem_write(p + PAGE, new Uint8Array([7, 8, 9]));
  assert.deepEqual(mm.read(vma.vm_start + PAGE, 3), new Uint8Array([7, 8, 9]));
});

// ── -EINVAL, in the kernel's order ──────────────────────────────────────────

test('plain vmalloc (and vmap) memory is refused with -EINVAL, nothing mapped', () => {
  const { m, k: kk } = boot();
  const mm = m.createMm();
  const vma = mmap(mm, 2);
  const flags = vma.vm_flags;
  const plain = kk.vmalloc(2 * PAGE);
  assert.equal(kk.remap_vmalloc_range(vma, plain, 0), -EINVAL);
  assert.equal(kk.remap_vmalloc_range_partial(vma, vma.vm_start, plain, PAGE), -EINVAL);
  const pages = allocPages(kk, 2);
  const mapped = kk.vmap(pages, 2, kk.VM_MAP, kk.PAGE_KERNEL);
  assert.equal(kk.remap_vmalloc_range(vma, mapped, 0), -EINVAL);
  assert.equal(vma.vm_flags, flags, 'vma flags untouched');
  assertUnmapped(mm, vma);
  assert.equal(pagesAt(kk, plain, 1)[0]!._refcount, 1, 'no reference taken');
  assertFault(() => mm.read(vma.vm_start, 1), vma.vm_start, 'nothing mapped: SIGBUS');
});

test('every other -EINVAL case of remap_vmalloc_range_partial', () => {
  const { m, k, mm, p } = setup(4);
  const vma = mmap(mm, 8);
  const s = vma.vm_start;
  const flags = vma.vm_flags;
  // uaddr or kaddr not page-aligned
  assert.equal(k.remap_vmalloc_range_partial(vma, s + 1, p, PAGE), -EINVAL, 'uaddr');
  assert.equal(k.remap_vmalloc_range_partial(vma, s, p + 8, PAGE), -EINVAL, 'kaddr');
  // no vm_struct for kaddr: NULL, the direct map, an unused vmalloc address, a freed area
  assert.equal(k.remap_vmalloc_range_partial(vma, s, 0, PAGE), -EINVAL, 'NULL');
  assert.equal(k.remap_vmalloc_range_partial(vma, s, k.PAGE_OFFSET + 2 ** 24, PAGE), -EINVAL);
  assert.equal(k.remap_vmalloc_range_partial(vma, s, k.VMALLOC_END + 1 - 2 * PAGE, PAGE), -EINVAL);
  const gone = k.vmalloc_user(PAGE);
  k.vfree(gone);
  assert.equal(k.remap_vmalloc_range_partial(vma, s, gone, PAGE), -EINVAL, 'freed area');
  // size (page-aligned first) beyond get_vm_area_size: 4 pages, the guard page excluded
  assert.equal(k.remap_vmalloc_range_partial(vma, s, p, 4 * PAGE + 1), -EINVAL, 'PAGE_ALIGN(size)');
  assert.equal(k.remap_vmalloc_range_partial(vma, s, p, 5 * PAGE), -EINVAL, 'the guard page');
  assert.equal(vmOf(k, p).size, 5 * PAGE, 'vm->size includes the guard page');
  // the TS-face pgoff form: pgoff << PAGE_SHIFT overflow, and size + off overflow / bound
  const v = Vmalloc.of(m);
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 2 ** 52, PAGE), -EINVAL, 'shl overflow');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 2 ** 52 - 1, PAGE), -EINVAL, 'add overflow');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 1, 4 * PAGE), -EINVAL, 'off + size');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 4, PAGE), -EINVAL, 'off at the guard');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, -1, PAGE), -EINVAL, 'negative pgoff');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 0.5, PAGE), -EINVAL, 'fractional pgoff');
  assert.equal(remapVmallocRangePartial(v, vma, s, p, 0, -PAGE), -EINVAL, 'negative size');
  // remap_vmalloc_range: the vma is larger than the area, or pgoff pushes it past the end
  assert.equal(k.remap_vmalloc_range(vma, p, 0), -EINVAL, 'vma of 8 pages, area of 4');
  const small = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range(small, p, 3), -EINVAL, 'pages 3..4 of a 4-page area');
  assert.equal(k.remap_vmalloc_range(small, p, 2 ** 52), -EINVAL, 'pgoff << PAGE_SHIFT overflow');
  assert.equal(vma.vm_flags, flags, 'no check failure touches the vma');
  assertUnmapped(mm, vma);
  assertUnmapped(mm, small);
  for (const page of pagesAt(k, p, 4)) assert.equal(page._refcount, 1);
});

test('the pgoff overflow is checked before anything else (a NULL kaddr still gives -EINVAL)', () => {
  const { m, mm } = setup(1);
  const vma = mmap(mm, 1);
  assert.equal(
    remapVmallocRangePartial(Vmalloc.of(m), vma, vma.vm_start + 1, 1, 2 ** 53, 0),
    -EINVAL,
  );
});

// ── partial and offset mappings ─────────────────────────────────────────────

test('remap_vmalloc_range with pgoff maps the area from that page on', () => {
  const { k, mm, p } = setup(4);
  const data = pattern(4 * PAGE, 3);
  k.mem_write(p, data);
  const vma = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range(vma, p, 2), 0);
  assert.deepEqual(mm.read(vma.vm_start, 2 * PAGE), data.subarray(2 * PAGE));
  assert.equal(userPfn(mm, vma.vm_start), k.vmalloc_to_pfn(p + 2 * PAGE));
});

test('remap_vmalloc_range_partial (seed signature) maps part of a vma from an interior page', () => {
  const { k, mm, p } = setup(4);
  const data = pattern(4 * PAGE, 5);
  k.mem_write(p, data);
  const vma = mmap(mm, 4);
  // user pages 1..2 <- kernel pages 1..2; a size of 1.5 pages is rounded up to 2
  assert.equal(
    k.remap_vmalloc_range_partial(vma, vma.vm_start + PAGE, p + PAGE, PAGE + PAGE / 2),
    0,
  );
  assert.deepEqual(mm.read(vma.vm_start + PAGE, 2 * PAGE), data.subarray(PAGE, 3 * PAGE));
  assertFault(() => mm.read(vma.vm_start, 1), vma.vm_start, 'user page 0 holds no page');
  assertFault(() => mm.read(vma.vm_start + 3 * PAGE, 1), vma.vm_start + 3 * PAGE, 'nor page 3');
  assert.ok((vma.vm_flags & k.VM_DONTEXPAND) !== 0);
});

test('the seed bound: an interior kaddr may not run past the area (-EINVAL, nothing mapped)', () => {
  const { k, mm, p } = setup(4);
  const vma = mmap(mm, 4);
  // 2 pages left after p + 2 pages: 4 pages would reach the guard page
  assert.equal(k.remap_vmalloc_range_partial(vma, vma.vm_start, p + 2 * PAGE, 4 * PAGE), -EINVAL);
  assert.equal(userPfn(mm, vma.vm_start), -1, 'nothing mapped');
  // exactly the 2 pages left are fine
  assert.equal(k.remap_vmalloc_range_partial(vma, vma.vm_start, p + 2 * PAGE, 2 * PAGE), 0);
  assert.equal(userPfn(mm, vma.vm_start), k.vmalloc_to_pfn(p + 2 * PAGE));
  assert.equal(userPfn(mm, vma.vm_start + PAGE), k.vmalloc_to_pfn(p + 3 * PAGE));
  mm.munmap(vma);
  for (const page of pagesAt(k, p, 4)) assert.equal(page._refcount, 1, 'references dropped');
});

test('size 0 is not "nothing": the do/while maps until vm_insert_page fails at the vma end', () => {
  const { k, mm, p } = setup(4);
  const vma = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range_partial(vma, vma.vm_start, p, 0), -EFAULT);
  assert.equal(userPfn(mm, vma.vm_start), k.vmalloc_to_pfn(p));
  assert.equal(userPfn(mm, vma.vm_start + PAGE), k.vmalloc_to_pfn(p + PAGE));
  assert.equal(vma.vm_flags & (k.VM_DONTEXPAND | k.VM_DONTDUMP), 0);
});

test('a partial remap whose user range runs past the vma end fails with -EFAULT, partly mapped', () => {
  const { k, mm, p } = setup(4);
  const vma = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range_partial(vma, vma.vm_start + PAGE, p, 2 * PAGE), -EFAULT);
  assert.equal(userPfn(mm, vma.vm_start + PAGE), k.vmalloc_to_pfn(p));
  assert.equal(pagesAt(k, p, 2)[1]!._refcount, 1, 'the second page was not taken');
});

test('an area with nothing mapped (get_vm_area VM_USERMAP) dereferences a NULL page', () => {
  const { m, k } = boot();
  const mm = m.createMm();
  const vm = k.get_vm_area(2 * PAGE, k.VM_USERMAP);
  assert.ok(vm !== null);
  const vma = mmap(mm, 2);
  assert.throws(() => k.remap_vmalloc_range(vma, vm.addr, 0), KernelBug);
  assert.ok((vma.vm_flags & k.VM_MIXEDMAP) !== 0, 'vm_insert_page set VM_MIXEDMAP first');
});

// ── mapping twice: -EBUSY ───────────────────────────────────────────────────

test('remapping onto mapped user pages fails with -EBUSY from vm_insert_page', () => {
  const { k, mm, p } = setup(2);
  const vma = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  const pages = pagesAt(k, p, 2);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), -EBUSY);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [2, 2],
    'no extra reference',
  );
});

test('-EBUSY part way leaves the earlier pages mapped and the vma without VM_DONTEXPAND', () => {
  const { k, mm, p } = setup(3);
  const vma = mmap(mm, 3);
  const other = allocPages(k, 1)[0]!;
  assert.equal(k.vm_insert_page(vma, vma.vm_start + PAGE, other), 0);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), -EBUSY);
  assert.equal(userPfn(mm, vma.vm_start), k.vmalloc_to_pfn(p), 'page 0 mapped before the error');
  assert.equal(userPfn(mm, vma.vm_start + PAGE), other.pfn, 'page 1 still the other page');
  assert.equal(userPfn(mm, vma.vm_start + 2 * PAGE), -1, 'page 2 never reached');
  assert.equal(vma.vm_flags & (k.VM_DONTEXPAND | k.VM_DONTDUMP), 0);
  assert.ok((vma.vm_flags & k.VM_MIXEDMAP) !== 0);
  mm.munmap(vma);
  assert.equal(other._refcount, 1);
  k.__free_page(other);
  assert.equal(other._refcount, 0);
});

// ── page references and vfree ───────────────────────────────────────────────

test('each mapped page holds a reference; munmap drops it', () => {
  const { k, mm, p } = setup(3);
  const pages = pagesAt(k, p, 3);
  const vma = mmap(mm, 3);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [1, 1, 1],
  );
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [2, 2, 2],
  );
  mm.munmap(vma);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [1, 1, 1],
  );
  assert.equal(mm.vmas.length, 0);
  assertFault(() => mm.read(vma.vm_start, 1), vma.vm_start, 'unmapped');
  mm.munmap(vma); // a second munmap of the same range is a no-op
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [1, 1, 1],
  );
  k.vfree(p);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [0, 0, 0],
    'vfree frees them',
  );
});

test('vfree while still mapped in user space: the pages live on until munmap, freed once', () => {
  const { m, k, mm, p } = setup(4);
  const freeBefore = k.nr_free_pages();
  const pages = pagesAt(k, p, 4);
  const vma = mmap(mm, 4);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  const data = pattern(4 * PAGE, 11);
  k.mem_write(p, data);
  const usedBefore = k.vmalloc_nr_pages();
  k.vfree(p);
  assert.equal(k.vmalloc_nr_pages(), usedBefore - 4, 'VmallocUsed drops at vfree');
  k.vm_unmap_aliases();
  assertFault(() => k.mem_read(p, 1), p, 'the kernel mapping is gone');
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [1, 1, 1, 1],
    'the user references remain',
  );
  assert.ok(
    pages.every((pg) => pg.owner === PageOwner.vmalloc),
    'not back in the allocator',
  );
  assert.deepEqual(mm.read(vma.vm_start, 4 * PAGE), data, 'user space still sees the data');
  mm.write(vma.vm_start, new Uint8Array([42]));
  assert.equal(mm.read(vma.vm_start, 1)[0], 42);
  mm.munmap(vma);
  assert.deepEqual(
    pages.map((pg) => pg._refcount),
    [0, 0, 0, 0],
  );
  assert.ok(
    pages.every((pg) => pg.owner === PageOwner.free),
    'freed at munmap',
  );
  assert.ok(k.nr_free_pages() >= freeBefore + 4, 'the four pages are back');
  assert.ok(!m.dmesg().some((l) => l.includes('Bad page state')), 'no bad page');
  m.pages.checkInvariants();
});

test('exit() unmaps every vma and drops every reference', () => {
  const { k, mm, p } = setup(4);
  const a = mmap(mm, 2);
  const b = mmap(mm, 2);
  assert.equal(k.remap_vmalloc_range(a, p, 0), 0);
  assert.equal(k.remap_vmalloc_range(b, p, 2), 0);
  k.vfree(p);
  const pages = [a, b]
    .flatMap((v) => [v.vm_start, v.vm_start + PAGE])
    .map((u) => mm.pgd.translate(u));
  mm.exit();
  assert.equal(mm.vmas.length, 0);
  for (const pfn of pages) assert.equal(k.pfn_to_page(pfn)!._refcount, 0);
});

test("two processes map the same area and see each other's writes", () => {
  const { m, k, mm, p } = setup(1);
  const mm2 = m.createMm();
  const a = mmap(mm, 1);
  const b = mmap(mm2, 1);
  assert.equal(k.remap_vmalloc_range(a, p, 0), 0);
  assert.equal(k.remap_vmalloc_range(b, p, 0), 0);
  assert.equal(pagesAt(k, p, 1)[0]!._refcount, 3);
  mm.write(a.vm_start + 5, new Uint8Array([1, 2, 3]));
  assert.deepEqual(mm2.read(b.vm_start + 5, 3), new Uint8Array([1, 2, 3]));
  mm.exit();
  mm2.exit();
  assert.equal(pagesAt(k, p, 1)[0]!._refcount, 1);
});

// ── vm_insert_page ──────────────────────────────────────────────────────────

test('vm_insert_page: -EFAULT outside the vma or for an unmapped vma', () => {
  const { k, mm } = setup(1);
  const vma = mmap(mm, 2);
  const page = allocPages(k, 1)[0]!;
  assert.equal(k.vm_insert_page(vma, vma.vm_end, page), -EFAULT);
  assert.equal(k.vm_insert_page(vma, vma.vm_start - PAGE, page), -EFAULT);
  assert.equal(vma.vm_flags & k.VM_MIXEDMAP, 0, 'the range check comes first');
  mm.munmap(vma);
  assert.equal(k.vm_insert_page(vma, vma.vm_start, page), -EFAULT, 'after munmap');
  assert.equal(page._refcount, 1);
});

test('vm_insert_page: -EINVAL for a free page or a slab page, -EBUSY when mapped', () => {
  const { k, mm } = setup(1);
  const vma = mmap(mm, 2);
  const [a, freed] = allocPages(k, 2);
  k.__free_page(freed!);
  assert.equal(k.vm_insert_page(vma, vma.vm_start, freed!), -EINVAL, 'count 0');
  assert.ok((vma.vm_flags & k.VM_MIXEDMAP) !== 0, 'VM_MIXEDMAP set before the page is checked');
  const obj = k.kmalloc(64, k.GFP_KERNEL);
  const slab = k.virt_to_page(obj)!;
  assert.equal(k.vm_insert_page(vma, vma.vm_start, slab), -EINVAL, 'slab page');
  assert.equal(k.vm_insert_page(vma, vma.vm_start + 10, a!), 0, 'an unaligned addr maps its page');
  assert.equal(userPfn(mm, vma.vm_start), a!.pfn);
  assert.equal(a!._refcount, 2);
  assert.equal(k.vm_insert_page(vma, vma.vm_start, a!), -EBUSY);
  assert.equal(a!._refcount, 2);
  assert.throws(() => k.vm_insert_page(vma, vma.vm_start + PAGE, null), KernelBug);
  mm.munmap(vma);
  assert.equal(a!._refcount, 1);
});

test('vm_insert_page on a VM_PFNMAP vma is a BUG', () => {
  const { k, mm } = setup(1);
  const vma = mmap(mm, 1);
  vma.vm_flags |= k.VM_PFNMAP;
  assert.throws(() => k.vm_insert_page(vma, vma.vm_start, allocPages(k, 1)[0]!), KernelBug);
});

// ── the user address space ──────────────────────────────────────────────────

test('mmap places vmas top-down below mmap_base, page-aligned, without overlap', () => {
  const { m } = boot();
  const mm = m.createMm();
  assert.equal(MMAP_BASE, 0x7ffff7fff000);
  const a = mmap(mm, 1);
  assert.deepEqual([a.vm_start, a.vm_end], [MMAP_BASE - PAGE, MMAP_BASE]);
  const b = mm.mmap(3 * PAGE - 5, m.kernel.PROT_READ, 7)!;
  assert.deepEqual([b.vm_start, b.vm_end, b.vm_pgoff], [a.vm_start - 3 * PAGE, a.vm_start, 7]);
  assert.equal(b.vm_mm, mm);
  const c = mmap(mm, 2);
  assert.equal(c.vm_end, b.vm_start);
  assert.deepEqual(mm.vmas, [c, b, a], 'sorted by address');
  mm.munmap(b);
  const d = mmap(mm, 2);
  assert.equal(d.vm_end, a.vm_start, 'the hole left by munmap is reused, highest first');
  const e = mmap(mm, 2);
  assert.equal(e.vm_end, c.vm_start, 'a hole too small is skipped');
  assert.ok(mm.vmas.every((v) => v.vm_start % PAGE === 0 && v.vm_end <= MMAP_BASE));
  assert.equal(mm.mmap(MMAP_BASE, m.kernel.PROT_READ), null, 'no room: -ENOMEM');
  assert.ok(
    mm.mmap(MMAP_BASE - MMAP_MIN_ADDR - 16 * PAGE) !== null,
    'the rest fits down to mmap_min_addr',
  );
  assert.throws(() => mm.mmap(0), RangeError);
  assert.throws(() => mm.mmap(PAGE, 8), RangeError);
});

test('user accesses: SIGSEGV outside vmas and on a read-only write, SIGBUS on a hole', () => {
  const { k, mm, p } = setup(1);
  const ro = mmap(mm, 1, k.PROT_READ);
  assert.equal(ro.vm_flags & (k.VM_READ | k.VM_WRITE), k.VM_READ);
  assert.equal(k.remap_vmalloc_range(ro, p, 0), 0);
  k.mem_write(p, new Uint8Array([5]));
  assert.equal(mm.read(ro.vm_start, 1)[0], 5);
  assert.throws(
    () => mm.write(ro.vm_start, new Uint8Array([1])),
    (e: unknown) =>
      e instanceof PageFault && e.write && /^segfault at 7ffff7ffe000 error 7 /.test(e.message),
  );
  const none = mmap(mm, 1, k.PROT_NONE);
  assert.throws(() => mm.read(none.vm_start, 1), /segfault .* error 4 .*does not allow/);
  const hole = mmap(mm, 1);
  assert.throws(
    () => mm.read(hole.vm_start, 1),
    /PageFault: bus error at 7ffff7ffc000 \(read access in user mode, no page in the vma\)$/,
  );
  assert.throws(() => mm.read(MMAP_BASE, 1), /segfault .*no vma/);
  assert.throws(() => mm.read(k.PAGE_OFFSET, 1), /outside the user address space/);
  assertFault(() => mm.read(ro.vm_start + PAGE - 2, 4), ro.vm_start + PAGE, 'runs off the end');
  assert.ok(mm instanceof Mm);
});

test('user page tables are separate from the kernel page tables', () => {
  const { m, k, mm, p } = setup(1);
  const vma = mmap(mm, 1);
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0);
  assert.equal(m.kernelPageTable.translate(vma.vm_start), -1, 'not in init_mm');
  assertFault(() => k.mem_read(vma.vm_start, 1), vma.vm_start, 'the kernel cannot touch it');
  assert.equal(m.createMm().pgd.translate(vma.vm_start), -1, 'nor another process');
  assert.equal(mm.pgd.translate(vma.vm_start), k.vmalloc_to_pfn(p));
  assert.equal(
    mm.pgd.lastFlags & (k._PAGE_USER | k._PAGE_RW | k._PAGE_NX),
    k._PAGE_USER | k._PAGE_RW | k._PAGE_NX,
  );
});
