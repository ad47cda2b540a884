// SPDX-License-Identifier: GPL-2.0-only
/*
 * Collecting the vmalloc space for the report: every busy vmap area with what it is
 * (vmalloc, vmap, ioremap, vm_map_ram, a per-CPU vmap block, percpu, other), its guard
 * page and mapped pages; the lazily freed areas awaiting purge; the vmap blocks of
 * vm_map_ram with their used, free and dirty pages; the areas kept in the vmap nodes'
 * size-class pools; and the free extents of [VMALLOC_START, VMALLOC_END] — all read from
 * the allocator's own structures. Busy, lazy, pooled and free together tile the range.
 *
 * Kernel: mm/vmalloc.c (vmap_area_root/list and the busy tree, the per-node lazy trees
 * of 6.9+, free_vmap_area_list, struct vmap_block { free, dirty, dirty_min, dirty_max,
 * used_map }, VMAP_RAM / VMAP_BLOCK va flags, vm_struct flags, vmalloc_info_show).
 *
 * Areas purged into a vmap node's size-class pool (6.9+, more than one node) are neither
 * busy nor in the free tree, and /proc/vmallocinfo does not show them; the model lists them
 * as `pooled` (read with VaSpace.poolFirst / next, every node and size class).
 */

import { PAGE_SIZE } from '../../base/units.js';
import { VMALLOC_END, VMALLOC_START } from '../../machine/layout.js';
import type { Machine } from '../../machine/machine.js';
import { MAX_VA_SIZE_PAGES } from '../../vmalloc/va-space.js';
import { NIL } from '../../vmalloc/va-store.js';
import {
  VM_ALLOC,
  VM_IOREMAP,
  VM_MAP,
  VM_NO_GUARD,
  VMAP_BLOCK,
  VMAP_RAM,
} from '../../vmalloc/vm-flags.js';
import type { VmStruct } from '../../vmalloc/vm-struct.js';
import { Vmalloc } from '../../vmalloc/vmalloc.js';
import type { VmapBlock } from '../../vmalloc/vmap-block.js';
import type {
  LazyAreaModel,
  VmallocModel,
  VmAreaKind,
  VmAreaModel,
  VmapBlockModel,
} from '../model.js';

/** What a vm_struct's flags (or its caller) say the area is. */
function kindOf(vm: VmStruct): VmAreaKind {
  if ((vm.flags & VM_IOREMAP) !== 0) return 'ioremap';
  if ((vm.flags & VM_ALLOC) !== 0) return 'vmalloc';
  if ((vm.flags & VM_MAP) !== 0) return 'vmap';
  if (vm.caller.startsWith('pcpu_')) return 'percpu';
  return 'other';
}

function usedPages(vb: VmapBlock): number {
  let n = 0;
  for (let i = 0; i < vb.used_map.length; i++) n += vb.used_map[i]!;
  return n;
}

function areaModel(v: Vmalloc, va: number): VmAreaModel {
  const s = v.space.s;
  const start = s.startOf(va);
  const size = s.endOf(va) - start;
  const vm = s.vm[va] as VmStruct | null | undefined;
  if (vm !== null && vm !== undefined) {
    return {
      start,
      size,
      kind: kindOf(vm),
      guard: (vm.flags & VM_NO_GUARD) === 0,
      pages: vm.nr_pages,
      caller: vm.caller,
    };
  }
  const flags = s.flagsOf(va);
  if ((flags & VMAP_BLOCK) !== 0) {
    const vb = v.blocks.blockAt(start);
    return {
      start,
      size,
      kind: 'vmap_block',
      guard: false,
      pages: vb === undefined ? 0 : usedPages(vb),
      caller: '',
    };
  }
  const ram = (flags & VMAP_RAM) !== 0;
  return {
    start,
    size,
    kind: ram ? 'vm_map_ram' : 'other',
    guard: false,
    pages: ram ? size / PAGE_SIZE : 0,
    caller: ram ? 'vm_map_ram' : '',
  };
}

function blockModel(v: Vmalloc, vb: VmapBlock): VmapBlockModel {
  const dirty = vb.dirty_max > vb.dirty_min;
  return {
    start: vb.start,
    size: v.blocks.blockSize,
    cpu: vb.cpu,
    usedPages: usedPages(vb),
    freePages: vb.free,
    dirtyMin: dirty ? vb.dirty_min : 0,
    dirtyMax: dirty ? vb.dirty_max : 0,
  };
}

/** The lazily freed areas of every vmap node, in address order. */
function lazyAreas(v: Vmalloc): LazyAreaModel[] {
  const space = v.space;
  const s = space.s;
  const out: LazyAreaModel[] = [];
  for (let node = 0; node < space.nrNodes; node++) {
    for (let va = space.lazyFirst(node); va !== NIL; va = space.next(va)) {
      out.push({ start: s.startOf(va), size: s.endOf(va) - s.startOf(va) });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The areas of every vmap node's size-class pools, in address order. */
function pooledAreas(v: Vmalloc): { start: number; size: number }[] {
  const space = v.space;
  const s = space.s;
  const out: { start: number; size: number }[] = [];
  if (space.poolLen.length === 0) return out;
  for (let node = 0; node < space.nrNodes; node++) {
    for (let c = 0; c < MAX_VA_SIZE_PAGES; c++) {
      for (let va = space.poolFirst(node, c); va !== NIL; va = space.next(va)) {
        out.push({ start: s.startOf(va), size: s.endOf(va) - s.startOf(va) });
      }
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The free extents of the free list, clipped to the vmalloc range. */
function freeExtents(v: Vmalloc): { start: number; size: number }[] {
  const space = v.space;
  const s = space.s;
  const end = VMALLOC_END + 1;
  const out: { start: number; size: number }[] = [];
  for (let va = space.freeFirst(); va !== NIL; va = space.next(va)) {
    const a = Math.max(s.startOf(va), VMALLOC_START);
    const b = Math.min(s.endOf(va), end);
    if (a < b) out.push({ start: a, size: b - a });
  }
  return out;
}

/**
 * The report's model of a machine's vmalloc space.
 * @returns the model (every list in address order; blocks in xarray walk order).
 */
export function collectVmalloc(m: Machine): VmallocModel {
  const v = Vmalloc.of(m);
  const areas: VmAreaModel[] = [];
  for (let va = v.space.busyFirst(); va !== NIL; va = v.space.busyNext(va))
    areas.push(areaModel(v, va));
  return {
    start: VMALLOC_START,
    end: VMALLOC_END + 1,
    areas,
    lazy: lazyAreas(v),
    blocks: v.blocks.all().map((vb) => blockModel(v, vb)),
    free: freeExtents(v),
    pooled: pooledAreas(v),
  };
}
