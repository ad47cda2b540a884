// SPDX-License-Identifier: GPL-2.0-only
/*
 * Congruent areas for the percpu allocator: one base address shared by several areas at
 * fixed offsets, placed as high as possible below VMALLOC_END, carved straight out of the
 * free tree (no guard pages); and the two pre-5.2 helpers the seed documents, which did
 * the same search over the busy areas.
 *
 * Kernel: mm/vmalloc.c pcpu_get_vm_areas, pcpu_free_vm_areas, pvm_find_va_enclose_addr,
 * pvm_determine_end_from_reverse (5.2+), and pvm_find_next_prev, pvm_determine_end (≤5.1,
 * the seed's functions, kept working on today's busy tree).
 *
 * Control-plane code: it runs when the percpu allocator grows a chunk.
 */

import { KernelBug } from '../base/errors.js';
import { isPowerOfTwo, PAGE_SIZE } from '../base/units.js';
import { VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import { NIL } from './va-store.js';
import { BUSY_TREE, FREE_TREE } from './va-space.js';
import { VM_ALLOC } from './vm-flags.js';
import { VmStruct } from './vm-struct.js';
import type { Vmalloc } from './vmalloc.js';

const FILE = 'mm/vmalloc.c';

/** A struct vmap_area seen from the kernel API (a snapshot of one busy area). */
export interface VmapAreaView {
  readonly va_start: number;
  readonly va_end: number;
  readonly flags: number;
  readonly vm: VmStruct | null;
  /** The area's handle inside the VaSpace. */
  readonly index: number;
}

function view(v: Vmalloc, va: number): VmapAreaView | null {
  if (va === NIL) return null;
  const s = v.space.s;
  return {
    va_start: s.startOf(va),
    va_end: s.endOf(va),
    flags: s.flagsOf(va),
    vm: (s.vm[va] as VmStruct | null) ?? null,
    index: va,
  };
}

/** The busy area before `va` in address order, or NIL. */
function busyPrev(v: Vmalloc, va: number): number {
  return v.space.s.prevOf(va);
}

/**
 * pvm_find_next_prev(end, pnext, pprev): the busy areas whose ends enclose `end`
 * (pnext.va_end > end >= pprev.va_end).
 * @returns false when there is no busy area at all.
 */
export function pvmFindNextPrev(
  v: Vmalloc,
  end: number,
  pnext: { value: VmapAreaView | null },
  pprev: { value: VmapAreaView | null },
): boolean {
  const space = v.space;
  const s = space.s;
  let n = space.roots[BUSY_TREE]!;
  let va = NIL;
  while (n !== NIL) {
    va = n;
    if (end < s.endOf(n)) n = s.leftOf(n);
    else if (end > s.endOf(n)) n = s.rightOf(n);
    else break;
  }
  if (va === NIL) return false;
  if (s.endOf(va) > end) {
    pnext.value = view(v, va);
    pprev.value = view(v, busyPrev(v, va));
  } else {
    pprev.value = view(v, va);
    pnext.value = view(v, space.busyNext(va));
  }
  return true;
}

/**
 * pvm_determine_end(pnext, pprev, align): the highest `align`-aligned address below
 * VMALLOC_END and below pnext's start, moving pnext/pprev down until pprev ends below it.
 * @returns that address (which may fall inside *pnext: the caller checks).
 */
export function pvmDetermineEnd(
  v: Vmalloc,
  pnext: { value: VmapAreaView | null },
  pprev: { value: VmapAreaView | null },
  align: number,
): number {
  const vmallocEnd = Math.floor(VMALLOC_END / align) * align;
  let addr =
    pnext.value !== null
      ? Math.min(Math.floor(pnext.value.va_start / align) * align, vmallocEnd)
      : vmallocEnd;
  while (pprev.value !== null && pprev.value.va_end > addr) {
    pnext.value = pprev.value;
    pprev.value = view(v, busyPrev(v, pprev.value.index));
  }
  return addr;
}

/** pvm_find_va_enclose_addr: the free area containing `addr`, else the highest below it. */
function findEnclose(v: Vmalloc, addr: number): number {
  const s = v.space.s;
  let n = v.space.roots[FREE_TREE]!;
  let va = NIL;
  while (n !== NIL) {
    if (s.startOf(n) <= addr) {
      va = n;
      if (s.endOf(n) >= addr) break;
      n = s.rightOf(n);
    } else n = s.leftOf(n);
  }
  return va;
}

/**
 * pvm_determine_end_from_reverse: walking free areas downward from `va`, the first
 * aligned end (capped at the aligned VMALLOC_END) above that area's start.
 * @returns [that end or 0, the free area it belongs to or NIL]
 */
function endFromReverse(v: Vmalloc, va: number, align: number, out: Int32Array): number {
  const s = v.space.s;
  const vmallocEnd = Math.floor(VMALLOC_END / align) * align;
  for (; va !== NIL; va = s.prevOf(va)) {
    const addr = Math.min(Math.floor(s.endOf(va) / align) * align, vmallocEnd);
    if (s.startOf(va) < addr) {
      out[0] = va;
      return addr;
    }
  }
  out[0] = NIL;
  return 0;
}

/** BUG out of pcpu_get_vm_areas with the kernel's condition. */
function bug(v: Vmalloc, cond: string, detail: string): never {
  v.m.log.bug(FILE, 'pcpu_get_vm_areas', cond);
  throw new KernelBug(`pcpu_get_vm_areas: ${detail}`);
}

/**
 * pcpu_get_vm_areas(offsets, sizes, nr_vms, align): reserve `nr_vms` areas at
 * base + offsets[i] of sizes[i] bytes, one base for all, as high as possible.
 * @returns the vm_structs (VM_ALLOC, no guard page), or null when the range is too small
 *   (WARN) or no base fits even after purging the lazy areas.
 * @throws {KernelBug} for an alignment that is not a page-multiple power of two, an offset
 *   or size not aligned to it, or two overlapping requests.
 */
export function pcpuGetVmAreas(
  v: Vmalloc,
  offsets: readonly number[],
  sizes: readonly number[],
  nrVms: number,
  align: number,
): VmStruct[] | null {
  if (align % PAGE_SIZE !== 0 || !isPowerOfTwo(align))
    bug(v, 'BUG_ON(offset_in_page(align) || !is_power_of_2(align))', `bad alignment ${align}`);
  let lastArea = 0;
  for (let a = 0; a < nrVms; a++) {
    const start = offsets[a]!;
    const end = start + sizes[a]!;
    if (start % align !== 0)
      bug(
        v,
        'BUG_ON(!IS_ALIGNED(offsets[area], align))',
        `offset ${start} not aligned to ${align}`,
      );
    if (sizes[a]! % align !== 0)
      bug(v, 'BUG_ON(!IS_ALIGNED(sizes[area], align))', `size ${sizes[a]} not aligned to ${align}`);
    if (start > offsets[lastArea]!) lastArea = a;
    for (let b = a + 1; b < nrVms; b++) {
      const s2 = offsets[b]!;
      const e2 = s2 + sizes[b]!;
      if (s2 < end && start < e2)
        bug(v, 'BUG_ON(start2 < end && start < end2)', `areas ${a} and ${b} overlap`);
    }
  }
  const vmallocStart = Math.ceil(VMALLOC_START / align) * align;
  const vmallocEnd = Math.floor(VMALLOC_END / align) * align;
  const lastEnd = offsets[lastArea]! + sizes[lastArea]!;
  if (vmallocEnd - vmallocStart < lastEnd) {
    v.m.log.warn(FILE, 'pcpu_get_vm_areas', null, `last end ${lastEnd} beyond the vmalloc range`);
    return null;
  }
  let base = findBase(v, offsets, sizes, nrVms, align, lastArea, vmallocStart, lastEnd);
  if (base < 0) {
    v.reclaimAndPurge();
    base = findBase(v, offsets, sizes, nrVms, align, lastArea, vmallocStart, lastEnd);
    if (base < 0) return null;
  }
  const space = v.space;
  const vms: VmStruct[] = [];
  for (let a = 0; a < nrVms; a++) {
    const start = base + offsets[a]!;
    const fva = findEnclose(v, start);
    if (fva === NIL || !space.clipFree(fva, start, sizes[a]!)) {
      v.m.log.warn(FILE, 'pcpu_get_vm_areas', null, `cannot carve area ${a}`);
      return null;
    }
  }
  for (let a = 0; a < nrVms; a++) {
    const start = base + offsets[a]!;
    const va = space.insertBusy(start, sizes[a]!, 0);
    const vm = new VmStruct(VM_ALLOC, 'pcpu_get_vm_areas');
    vm.addr = start;
    vm.size = sizes[a]!;
    vm.flags |= 0;
    space.s.vm[va] = vm;
    vms.push(vm);
  }
  return vms;
}

/** The search loop of pcpu_get_vm_areas. @returns the base, or -1 on overflow. */
function findBase(
  v: Vmalloc,
  offsets: readonly number[],
  sizes: readonly number[],
  nrVms: number,
  align: number,
  lastArea: number,
  vmallocStart: number,
  lastEnd: number,
): number {
  const s = v.space.s;
  const out = new Int32Array(1);
  let area = lastArea;
  let termArea = lastArea;
  let start = offsets[area]!;
  let end = start + sizes[area]!;
  const vmallocEnd = Math.floor(VMALLOC_END / align) * align;
  let va = findEnclose(v, vmallocEnd);
  let base = endFromReverse(v, va, align, out) - end;
  va = out[0]!;
  for (;;) {
    if (base + lastEnd < vmallocStart + lastEnd) return -1; // base underflowed
    if (va === NIL) return -1;
    if (base + end > s.endOf(va)) {
      base = endFromReverse(v, va, align, out) - end;
      va = out[0]!;
      termArea = area;
      continue;
    }
    if (base + start < s.startOf(va)) {
      base = endFromReverse(v, s.prevOf(va), align, out) - end;
      va = out[0]!;
      termArea = area;
      continue;
    }
    area = (area + nrVms - 1) % nrVms;
    if (area === termArea) return base;
    start = offsets[area]!;
    end = start + sizes[area]!;
    va = findEnclose(v, base + end);
  }
}

/** pcpu_free_vm_areas(vms, nr_vms): free_vm_area on each. */
export function pcpuFreeVmAreas(v: Vmalloc, vms: readonly VmStruct[], nrVms: number): void {
  for (let i = 0; i < nrVms; i++) v.freeVmArea(vms[i]!);
}
