// SPDX-License-Identifier: GPL-2.0-only
/*
 * Areas registered before vmalloc_init, alloc_vm_area, and the congruent areas of the percpu
 * allocator (KERNEL-SPEC §3.5, §3.11, §3.12, §3.16; seed 004 vm_area_add_early,
 * vm_area_register_early, alloc_vm_area, pvm_find_next_prev, pvm_determine_end,
 * pcpu_get_vm_areas, pcpu_free_vm_areas): a machine made with `boot: false` has no vmalloc
 * yet; the early list is address-sorted, first-fit from ALIGN(VMALLOC_START, align), and
 * BUGs on overlap, on no room and after boot; m.boot() turns it into busy areas bound to the
 * very objects given. pcpu_get_vm_areas places all areas at one base, as high as possible
 * below VMALLOC_END rounded down to the alignment, without guard pages, fills holes on later
 * calls, BUGs on bad requests, WARNs when the range is too small and purges once and
 * retries when the lazy areas are in the way.
 *
 * Kernel: mm/vmalloc.c vm_area_add_early, vm_area_register_early, vmalloc_init,
 * vmap_init_free_space, alloc_vm_area (≤ 5.9), pvm_find_next_prev, pvm_determine_end
 * (≤ 5.1), pcpu_get_vm_areas, pvm_find_va_enclose_addr, pvm_determine_end_from_reverse,
 * pcpu_free_vm_areas, free_vm_area.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, type Kernel, type VmStruct } from '../../src/index.js';
import { checkVaSpace } from '../../src/vmalloc/check.js';
import { Vmalloc } from '../../src/vmalloc/vmalloc.js';
import type { VmapAreaView } from '../../src/vmalloc/pcpu.js';
import {
  allocPages,
  boot,
  head,
  logged,
  PAGE,
  unpurged,
  unpurgedLine,
  vmallocinfo,
  warns,
} from '../helpers/vmalloc.js';

const KiB = 1024;
const TiB = 2 ** 40;

/** A 64 MiB, 1-CPU machine that has not booted (vmalloc_init has not run). */
function early(): { m: Machine; k: Kernel } {
  const m = new Machine({ memory: '64M', cpus: 1, boot: false });
  return { m, k: m.kernel };
}

/** The early vmlist, in list order. */
function vmlist(m: Machine): VmStruct[] {
  const out: VmStruct[] = [];
  for (let vm = Vmalloc.of(m).vmlist; vm !== null; vm = vm.next) out.push(vm);
  return out;
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

/** VMALLOC_END & ~(align - 1): the top of pcpu_get_vm_areas's search. */
function topFor(k: Kernel, align: number): number {
  return Math.floor(k.VMALLOC_END / align) * align;
}

/** pcpu_get_vm_areas, which must succeed. */
function pcpu(k: Kernel, offsets: number[], sizes: number[], align: number): VmStruct[] {
  const vms = k.pcpu_get_vm_areas(offsets, sizes, offsets.length, align);
  assert.ok(vms !== null, `pcpu_get_vm_areas(${offsets}, ${sizes}, ${align})`);
  assert.equal(vms.length, offsets.length);
  return vms;
}

// ── before boot ────────────────────────────────────────────────────────────────

test('before boot vmalloc fails (alloc_vmap_area: -EBUSY) and nothing is listed', () => {
  const { m, k } = early();
  assert.equal(m.booted, false);
  assert.equal(k.vmalloc(PAGE), 0);
  assert.ok(logged(m, 'vmalloc error: size 4096, vm_struct allocation failed'));
  assert.equal(k.get_vm_area(PAGE, k.VM_IOREMAP), null);
  assert.equal(k.vm_map_ram(allocPages(k, 1), 1, k.NUMA_NO_NODE), 0, 'no vmap block either');
  assert.equal(m.readFile('/proc/vmallocinfo'), '');
  m.boot();
  assert.equal(m.booted, true);
  assert.equal(k.vmalloc(PAGE), k.VMALLOC_START, 'after vmalloc_init it works');
});

test('vm_area_add_early keeps the list sorted and BUGs on overlap, both ways', () => {
  const { m, k } = early();
  const S = k.VMALLOC_START;
  const x = { addr: S + 64 * KiB, size: 64 * KiB, flags: k.VM_IOREMAP };
  const y = { addr: S, size: 16 * KiB, flags: k.VM_ALLOC };
  const z = { addr: S + 128 * KiB, size: 8 * KiB, flags: k.VM_MAP };
  k.vm_area_add_early(x);
  k.vm_area_add_early(y);
  k.vm_area_add_early(z); // touches x: no overlap
  assert.deepEqual(
    vmlist(m).map((vm) => vm.addr),
    [S, S + 64 * KiB, S + 128 * KiB],
    'address-sorted',
  );
  assert.equal(vmlist(m)[0], y, 'the very object is linked');
  assertBug(
    m,
    () => k.vm_area_add_early({ addr: S + 60 * KiB, size: 8 * KiB }),
    'ends inside a later entry (tmp->addr < vm->addr + vm->size)',
  );
  assertBug(
    m,
    () => k.vm_area_add_early({ addr: S + 120 * KiB, size: 4 * KiB }),
    'starts inside an earlier entry (tmp->addr + tmp->size > vm->addr)',
  );
  assertBug(
    m,
    () => k.vm_area_add_early({ addr: S + 8 * KiB, size: 200 * KiB }),
    'covers several entries',
  );
  assert.equal(vmlist(m).length, 3, 'nothing was added by the failed calls');
  k.vm_area_add_early({ addr: S + 16 * KiB, size: 48 * KiB }); // exactly fills the gap
  assert.deepEqual(
    vmlist(m).map((vm) => vm.addr),
    [S, S + 16 * KiB, S + 64 * KiB, S + 128 * KiB],
  );
});

test('vm_area_register_early: first fit from ALIGN(VMALLOC_START, align), list stays sorted', () => {
  const { m, k } = early();
  const S = k.VMALLOC_START;
  k.vm_area_add_early({ addr: S + 64 * KiB, size: 64 * KiB });
  const a = { size: 16 * KiB, flags: k.VM_ALLOC };
  k.vm_area_register_early(a, PAGE);
  assert.equal((a as { addr?: number }).addr, S, 'the first gap holds it');
  const b = { size: 64 * KiB, flags: k.VM_ALLOC };
  k.vm_area_register_early(b, PAGE);
  assert.equal((b as { addr?: number }).addr, S + 128 * KiB, 'the 48 KiB gap is too small');
  const c = { size: 16 * KiB, flags: k.VM_ALLOC };
  k.vm_area_register_early(c, 32 * KiB);
  assert.equal((c as { addr?: number }).addr, S + 32 * KiB, 'ALIGN(S + 16K, 32K), before x');
  const d = { size: 8 * KiB, flags: k.VM_ALLOC };
  k.vm_area_register_early(d, PAGE);
  assert.equal((d as { addr?: number }).addr, S + 16 * KiB, 'the 16 KiB gap after a');
  assert.deepEqual(
    vmlist(m).map((vm) => [vm.addr - S, vm.size / KiB]),
    [
      [0, 16],
      [16 * KiB, 8],
      [32 * KiB, 16],
      [64 * KiB, 64],
      [128 * KiB, 64],
    ],
  );
});

test('vm_area_register_early starts at ALIGN(VMALLOC_START, align) and BUGs when no room is left', () => {
  const { m, k } = early();
  const S = k.VMALLOC_START;
  assert.equal(S % TiB, 0, 'VMALLOC_START is 1 TiB-aligned');
  const big = { size: 31 * TiB - PAGE, flags: k.VM_ALLOC };
  k.vm_area_register_early(big, 2 * TiB);
  assert.equal((big as { addr?: number }).addr, S + TiB, 'ALIGN(S, 2 TiB) = S + 1 TiB');
  assert.ok(S + TiB <= k.VMALLOC_END - big.size, 'the largest size that still fits');

  const m2 = new Machine({ memory: '64M', cpus: 1, boot: false });
  const k2 = m2.kernel;
  assertBug(
    m2,
    () => k2.vm_area_register_early({ size: 31 * TiB, flags: 0 }, 2 * TiB),
    'addr > VMALLOC_END - size',
  );
  assertBug(m2, () => k2.vm_area_register_early({ size: 32 * TiB, flags: 0 }, PAGE), 'too big');
  k2.vm_area_add_early({ addr: S, size: 16 * TiB });
  assertBug(
    m2,
    () => k2.vm_area_register_early({ size: 16 * TiB, flags: 0 }, PAGE),
    'what is left after an entry is one byte short',
  );
  k2.vm_area_register_early({ size: 16 * TiB - PAGE, flags: 0 }, PAGE);
  assert.deepEqual(
    vmlist(m2).map((vm) => vm.addr),
    [S, S + 16 * TiB],
  );
  assert.equal(vmlist(m).length, 1);
});

test('m.boot() turns the early entries into busy areas bound to the same objects', () => {
  const { m, k } = early();
  const S = k.VMALLOC_START;
  const x = { addr: S + 64 * KiB, size: 64 * KiB, flags: k.VM_IOREMAP, caller: 'early_ioremap' };
  k.vm_area_add_early(x);
  const a = { size: 16 * KiB, flags: k.VM_ALLOC, caller: 'pcpu_embed_first_chunk' };
  const b = { size: 64 * KiB, flags: k.VM_ALLOC, caller: 'pcpu_embed_first_chunk' };
  const c = { size: 16 * KiB, flags: k.VM_MAP, caller: 'early_c' };
  const d = { size: 8 * KiB, flags: 0 };
  k.vm_area_register_early(a, PAGE);
  k.vm_area_register_early(b, PAGE);
  k.vm_area_register_early(c, 32 * KiB);
  k.vm_area_register_early(d, PAGE);
  m.boot();
  for (const vm of [x, a, b, c, d]) {
    const addr = (vm as unknown as VmStruct).addr;
    assert.equal(k.find_vm_area(addr), vm, `find_vm_area(${addr - S}) is the object given`);
    assert.equal(k.find_vm_area(addr + vm.size - 1), vm, 'by containment');
  }
  assert.deepEqual(vmallocinfo(m), [
    `${head(S, 16 * KiB)} pcpu_embed_first_chunk vmalloc`,
    `${head(S + 16 * KiB, 8 * KiB)}`,
    `${head(S + 32 * KiB, 16 * KiB)} early_c vmap`,
    `${head(S + 64 * KiB, 64 * KiB)} early_ioremap ioremap`,
    `${head(S + 128 * KiB, 64 * KiB)} pcpu_embed_first_chunk vmalloc`,
  ]);
  // The gaps are the free space: [24K, 32K), [48K, 64K), [192K, ...).
  assert.equal(k.vmalloc(PAGE), S + 24 * KiB, 'one page + guard fits the 8 KiB gap');
  assert.equal(k.vmalloc(2 * PAGE), S + 48 * KiB, '3 pages go to the 16 KiB gap');
  assert.equal(k.vmalloc(2 * PAGE), S + 192 * KiB, 'the 4 KiB left is too small');
  checkVaSpace(Vmalloc.of(m).space);
  // An early area can be released like any other.
  k.free_vm_area(x as unknown as VmStruct);
  assert.equal(k.find_vm_area(x.addr), null);
  assert.deepEqual(unpurged(m), [unpurgedLine(x.addr, x.size)]);
  assert.deepEqual(warns(m), []);
});

test('after boot the early functions BUG, and m.boot() cannot run twice', () => {
  const { m, k } = boot();
  const S = k.VMALLOC_START;
  assertBug(m, () => k.vm_area_add_early({ addr: S + TiB, size: PAGE }), 'vm_area_add_early');
  assertBug(m, () => k.vm_area_register_early({ size: PAGE, flags: 0 }, PAGE), 'register_early');
  assert.throws(() => m.boot(), RangeError);
  const e = early();
  e.m.boot();
  assert.throws(() => e.m.boot(), RangeError);
  assertBug(e.m, () => e.k.vm_area_add_early({ addr: S, size: PAGE }), 'after m.boot()');
  assert.equal(vmallocinfo(m).length, 0, 'nothing was registered');
});

// ── alloc_vm_area ──────────────────────────────────────────────────────────────

test('alloc_vm_area reserves an area, builds its page tables and maps nothing', () => {
  const { m, k } = boot();
  const S = k.VMALLOC_START;
  const tables = m.kernelPageTable.tables;
  const ptes: number[] = [];
  const vm = k.alloc_vm_area(3 * PAGE, ptes);
  assert.ok(vm !== null);
  assert.equal(vm.addr, S);
  assert.equal(vm.size, 4 * PAGE, 'plus the guard page');
  assert.equal(vm.flags & k.VM_IOREMAP, k.VM_IOREMAP);
  assert.equal(vm.nr_pages, 0);
  assert.equal(k.find_vm_area(S + PAGE), vm);
  assert.deepEqual(ptes, [S, S + PAGE, S + 2 * PAGE], 'one PTE handle per page');
  for (let i = 0; i < 4; i++) assert.equal(k.vmalloc_to_page(S + i * PAGE), null, 'nothing mapped');
  assert.ok(m.kernelPageTable.tables > tables, 'the page tables were built');
  assert.deepEqual(vmallocinfo(m), [`${head(S, 4 * PAGE)} alloc_vm_area ioremap`]);

  const built = m.kernelPageTable.tables;
  const pages = allocPages(k, 3);
  assert.equal(k.map_kernel_range_noflush(vm.addr, 3 * PAGE, k.PAGE_KERNEL, pages), 3);
  assert.equal(m.kernelPageTable.tables, built, 'mapping needs no new table');
  k.memset(vm.addr, 0x3c, 3 * PAGE);
  assert.deepEqual(k.mem_read(k.page_address(pages[2]!), 2), Uint8Array.of(0x3c, 0x3c));

  // VM_IOREMAP alignment: 5 pages → 32 KiB.
  const vm2 = k.alloc_vm_area(5 * PAGE, null);
  assert.ok(vm2 !== null);
  assert.equal(vm2.addr, S + 32 * KiB);
  k.free_vm_area(vm);
  assert.equal(k.vmalloc_to_page(S), null, 'free_vm_area unmaps');
  m.failNth('vmap_area');
  const none: number[] = [];
  assert.equal(k.alloc_vm_area(PAGE, none), null, 'NULL on failure');
  assert.deepEqual(none, []);
  assert.deepEqual(warns(m), []);
});

// ── pcpu_get_vm_areas ──────────────────────────────────────────────────────────

test('pcpu_get_vm_areas: congruent areas, as high as possible below VMALLOC_END, no guard pages', () => {
  const { m, k } = boot();
  const A = 64 * KiB;
  const offsets = [0, 2 * A, 5 * A];
  const sizes = [A, 2 * A, A];
  const vms = pcpu(k, offsets, sizes, A);
  const base = topFor(k, A) - 6 * A; // (VMALLOC_END & ~(align - 1)) - end of the last area
  assert.equal(topFor(k, A), k.VMALLOC_START + 32 * TiB - A);
  for (let i = 0; i < 3; i++) {
    const vm = vms[i]!;
    assert.equal(vm.addr, base + offsets[i]!, `area ${i} at base + offset`);
    assert.equal(vm.size, sizes[i], 'exactly the size asked: no guard page');
    assert.equal(vm.flags, k.VM_ALLOC);
    assert.equal(vm.caller, 'pcpu_get_vm_areas');
    assert.equal(vm.nr_pages, 0);
    assert.equal(k.find_vm_area(vm.addr + vm.size - 1), vm);
    assert.equal(k.vmalloc_to_page(vm.addr), null, 'nothing is mapped');
  }
  assert.deepEqual(
    vmallocinfo(m),
    vms.map((vm) => `${head(vm.addr, vm.size)} pcpu_get_vm_areas vmalloc`),
  );
  assert.equal(k.vmalloc(PAGE), k.VMALLOC_START, 'ordinary allocations stay at the bottom');
  checkVaSpace(Vmalloc.of(m).space);
  assert.deepEqual(warns(m), []);
});

test('pcpu_get_vm_areas with page alignment ends one page below VMALLOC_END + 1', () => {
  const { k } = boot();
  const vms = pcpu(k, [0, 3 * PAGE], [PAGE, 2 * PAGE], PAGE);
  const top = topFor(k, PAGE);
  assert.equal(
    top,
    k.VMALLOC_START + 32 * TiB - PAGE,
    'VMALLOC_END is inclusive: its page is lost',
  );
  assert.equal(vms[1]!.addr + vms[1]!.size, top);
  assert.equal(vms[0]!.addr, top - 5 * PAGE);
});

test('later calls fill the holes between and below earlier areas when they fit', () => {
  const { m, k } = boot();
  const A = 64 * KiB;
  const first = pcpu(k, [0, 4 * A], [A, A], A);
  const b1 = topFor(k, A) - 5 * A;
  assert.deepEqual(
    first.map((vm) => vm.addr),
    [b1, b1 + 4 * A],
  );
  const second = pcpu(k, [0, 4 * A], [A, A], A);
  assert.deepEqual(
    second.map((vm) => vm.addr),
    [b1 - A, b1 + 3 * A],
    'one base lower: the second area drops into the hole, the first just below',
  );
  const third = pcpu(k, [0], [2 * A], A);
  assert.deepEqual(
    third.map((vm) => vm.addr),
    [b1 + A],
    'exactly the rest of the hole',
  );
  const fourth = pcpu(k, [0], [A], A);
  assert.deepEqual(
    fourth.map((vm) => vm.addr),
    [b1 - 2 * A],
    'no hole left: below everything',
  );
  checkVaSpace(Vmalloc.of(m).space);
});

test('pcpu_get_vm_areas pulls the base down below busy areas at the top', () => {
  const { k } = boot();
  const top = topFor(k, PAGE);
  const p = k.__vmalloc_node_range(
    PAGE,
    1,
    top - 4 * PAGE,
    k.VMALLOC_END,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'top',
  );
  assert.equal(p, top - 4 * PAGE, '[top - 4P, top - 2P) is busy');
  const one = pcpu(k, [0], [PAGE], PAGE);
  assert.equal(one[0]!.addr, top - PAGE, 'the highest page still free');
  const two = pcpu(k, [0], [2 * PAGE], PAGE);
  assert.equal(two[0]!.addr, top - 6 * PAGE, 'the one-page hole is too small: below the area');
  const three = pcpu(k, [0, 2 * PAGE], [PAGE, PAGE], PAGE);
  assert.deepEqual(
    three.map((vm) => vm.addr),
    [top - 9 * PAGE, top - 7 * PAGE],
    'both pages must be free at one base: the highest such base is 9 pages down',
  );
});

test('pcpu_get_vm_areas BUGs on a bad alignment, misaligned offsets or sizes, overlapping requests', () => {
  const { m, k } = boot();
  const P = PAGE;
  assertBug(m, () => k.pcpu_get_vm_areas([0], [3 * P], 1, 3 * P), 'align not a power of two');
  assertBug(m, () => k.pcpu_get_vm_areas([0], [P], 1, P / 2), 'align below a page');
  assertBug(m, () => k.pcpu_get_vm_areas([0, P], [2 * P, 2 * P], 2, 2 * P), 'offset misaligned');
  assertBug(m, () => k.pcpu_get_vm_areas([0, 4 * P], [P, 2 * P], 2, 2 * P), 'size misaligned');
  assertBug(m, () => k.pcpu_get_vm_areas([0, P], [2 * P, P], 2, P), 'overlapping');
  assertBug(m, () => k.pcpu_get_vm_areas([4 * P, 0], [P, 8 * P], 2, P), 'overlapping, unsorted');
  assert.deepEqual(vmallocinfo(m), [], 'nothing was reserved');
  const ok = pcpu(k, [P, 0], [P, P], P);
  assert.equal(ok[0]!.addr, ok[1]!.addr + P, 'touching requests are fine, in any order');
});

test('pcpu_get_vm_areas WARNs and returns NULL when the last end exceeds the range', () => {
  const { m, k } = boot();
  assert.equal(k.pcpu_get_vm_areas([0], [32 * TiB], 1, PAGE), null);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.message, null, 'WARN_ON: no message line');
  assert.equal(
    k.pcpu_get_vm_areas([0, 16 * TiB], [PAGE, 16 * TiB], 2, PAGE),
    null,
    'the end of the highest area counts',
  );
  assert.equal(warns(m).length, 2);
  const all = pcpu(k, [0], [32 * TiB - PAGE], PAGE);
  assert.equal(all[0]!.addr, k.VMALLOC_START, 'the whole aligned range fits exactly');
  assert.equal(warns(m).length, 2);
});

test('lazy areas at the top make the search fail; it purges once and retries', () => {
  const { m, k } = boot();
  const top = topFor(k, PAGE);
  const p = k.__vmalloc_node_range(
    PAGE,
    1,
    top - 2 * PAGE,
    k.VMALLOC_END,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'top',
  );
  assert.equal(p, top - 2 * PAGE);
  k.vfree(p);
  assert.deepEqual(unpurged(m), [unpurgedLine(p, 2 * PAGE)]);
  const flushes = m.tlbFlushes().length;
  const vms = pcpu(k, [0], [32 * TiB - PAGE], PAGE);
  assert.equal(vms[0]!.addr, k.VMALLOC_START, 'found after the purge');
  const f = m.tlbFlushes().slice(flushes);
  assert.equal(f.length, 1, 'the purge flushed once');
  assert.ok(f[0]!.start <= p && f[0]!.end >= p + 2 * PAGE, 'over the lazy area');
  assert.deepEqual(unpurged(m), []);
  assert.equal(Vmalloc.of(m).lazyPages, 0);
  assert.deepEqual(warns(m), []);
});

test('when even the purge does not make room, pcpu_get_vm_areas returns NULL quietly', () => {
  const { m, k } = boot();
  const v = k.vmalloc(PAGE);
  assert.equal(v, k.VMALLOC_START);
  assert.equal(k.pcpu_get_vm_areas([0], [32 * TiB - PAGE], 1, PAGE), null);
  assert.deepEqual(warns(m), []);
  assert.equal(vmallocinfo(m).length, 1, 'nothing reserved');
  checkVaSpace(Vmalloc.of(m).space);
});

test('pcpu_free_vm_areas frees every area lazily', () => {
  const { m, k } = boot();
  const A = 16 * KiB;
  const vms = pcpu(k, [0, 2 * A], [A, A], A);
  k.pcpu_free_vm_areas(vms, vms.length);
  for (const vm of vms) assert.equal(k.find_vm_area(vm.addr), null);
  assert.deepEqual(
    unpurged(m),
    vms.map((vm) => unpurgedLine(vm.addr, vm.size)),
  );
  const again = pcpu(k, [0, 2 * A], [A, A], A);
  assert.deepEqual(
    again.map((vm) => vm.addr),
    [vms[0]!.addr - A, vms[0]!.addr + A],
    'the lazy ranges are not reused yet: area 1 drops into the hole between them',
  );
  k.pcpu_free_vm_areas(again, again.length);
  k.vm_unmap_aliases();
  assert.deepEqual(vmallocinfo(m), []);
  const third = pcpu(k, [0, 2 * A], [A, A], A);
  assert.equal(third[0]!.addr, vms[0]!.addr, 'after the purge the top is free again');
  assert.deepEqual(warns(m), []);
});

// ── pvm_find_next_prev / pvm_determine_end (≤ 5.1) ─────────────────────────────

type Ref = { value: VmapAreaView | null };
const ref = (): Ref => ({ value: null });
const span = (r: Ref): [number, number] | null =>
  r.value === null ? null : [r.value.va_start, r.value.va_end];

test('pvm_find_next_prev: the areas whose ends enclose end (next.va_end > end >= prev.va_end)', () => {
  const { k } = boot();
  const S = k.VMALLOC_START;
  const next = ref();
  const prev = ref();
  assert.equal(k.pvm_find_next_prev(S, next, prev), false, 'no vmap_area at all');
  const a = k.vmalloc(PAGE); // [S, S + 2P)
  const b = k.vmalloc(PAGE); // [S + 2P, S + 4P)
  const c = k.vmalloc(PAGE); // [S + 4P, S + 6P)
  assert.deepEqual([a, b, c], [S, S + 2 * PAGE, S + 4 * PAGE]);
  const cases: Array<[end: number, next: number | null, prev: number | null]> = [
    [S + 3 * PAGE, b, a],
    [S + 2 * PAGE, b, a], // prev.va_end == end
    [S + 2 * PAGE - 1, a, null],
    [S, a, null],
    [S + 4 * PAGE, c, b],
    [S + 6 * PAGE, null, c],
    [S + 100 * PAGE, null, c],
  ];
  for (const [end, n, p] of cases) {
    const nx = ref();
    const pv = ref();
    assert.equal(k.pvm_find_next_prev(end, nx, pv), true, `end = S + ${(end - S) / PAGE}P`);
    assert.deepEqual(span(nx), n === null ? null : [n, n + 2 * PAGE], `next for S + ${end - S}`);
    assert.deepEqual(span(pv), p === null ? null : [p, p + 2 * PAGE], `prev for S + ${end - S}`);
    if (nx.value !== null) assert.equal(nx.value.vm, k.find_vm_area(nx.value.va_start));
  }
});

test('pvm_determine_end: the highest aligned address below next, moving next/prev down', () => {
  const { k } = boot();
  const S = k.VMALLOC_START;
  const x = k.vmalloc(PAGE); // [S, S + 2P)
  const a = k.vmalloc(7 * PAGE); // [S + 2P, S + 10P)
  const b = k.vmalloc(PAGE); // [S + 10P, S + 12P)
  assert.deepEqual([x, a, b], [S, S + 2 * PAGE, S + 10 * PAGE]);
  const find = (end: number): [Ref, Ref] => {
    const nx = ref();
    const pv = ref();
    k.pvm_find_next_prev(end, nx, pv);
    return [nx, pv];
  };

  let [nx, pv] = find(S + 11 * PAGE); // next = b, prev = a
  assert.equal(k.pvm_determine_end(nx, pv, PAGE), b, 'page alignment: next.va_start');
  assert.deepEqual(
    [span(nx), span(pv)],
    [
      [b, b + 2 * PAGE],
      [a, a + 8 * PAGE],
    ],
    'unchanged',
  );

  [nx, pv] = find(S + 11 * PAGE);
  const end = k.pvm_determine_end(nx, pv, 8 * PAGE);
  assert.equal(end, S + 8 * PAGE, 'next.va_start rounded down to 32 KiB');
  assert.deepEqual(span(nx), [a, a + 8 * PAGE], 'prev ended above it: it became next');
  assert.deepEqual(span(pv), [x, x + 2 * PAGE]);
  assert.ok(end > nx.value!.va_start && end < nx.value!.va_end, 'the result falls inside *pnext');

  [nx, pv] = find(S + 11 * PAGE);
  assert.equal(k.pvm_determine_end(nx, pv, 16 * PAGE), S, 'rounded down to 64 KiB');
  assert.deepEqual([span(nx), span(pv)], [[x, x + 2 * PAGE], null], 'walked down to the first');

  [nx, pv] = find(S + 100 * PAGE); // next = null, prev = b
  assert.equal(k.pvm_determine_end(nx, pv, PAGE), topFor(k, PAGE), 'no next: VMALLOC_END aligned');
  assert.deepEqual([span(nx), span(pv)], [null, [b, b + 2 * PAGE]]);
  [nx, pv] = find(S + 100 * PAGE);
  assert.equal(k.pvm_determine_end(nx, pv, 2 * TiB), topFor(k, 2 * TiB));
  assert.equal(topFor(k, 2 * TiB), S + TiB + 30 * TiB, 'VMALLOC_END rounded down to 2 TiB');
});
