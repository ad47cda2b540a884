// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc family: reserve an area, allocate its pages from the page allocator (the bulk
 * allocator in batches of at most 100, then single pages for what it missed; any zone and
 * node the GFP mask and node allow), record them in a page array, map them, and account
 * them as VmallocUsed.
 *
 * Kernel: mm/vmalloc.c __vmalloc_node_range_noprof, __vmalloc_area_node,
 * vm_area_alloc_pages, __vmalloc_node_noprof, and the wrappers vmalloc, vzalloc,
 * vmalloc_user, vmalloc_node, vzalloc_node, vmalloc_exec (removed in 5.8), vmalloc_32,
 * vmalloc_32_user, __vmalloc.
 *
 * Failures print the kernel's "vmalloc error: size %lu, ..." lines through warn_alloc and
 * leave nothing behind: a partly populated area is vfree()d (its pages return to the
 * allocator, its range goes lazy like any freed range).
 */

import { PAGE_SIZE } from '../base/units.js';
import {
  __GFP_HIGHMEM,
  __GFP_NOFAIL,
  __GFP_NOWARN,
  __GFP_ZERO,
  GFP_DMA32,
  GFP_KERNEL,
} from '../machine/gfp.js';
import { VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import { PageOwner, type Page } from '../machine/memmap.js';
import { NUMA_NO_NODE } from '../machine/page-alloc.js';
import { PAGE_KERNEL, PAGE_KERNEL_EXEC } from '../machine/page-table.js';
import { SHMLBA, VM_ALLOC, VM_UNINITIALIZED, VM_USERMAP } from './vm-flags.js';
import type { Vmalloc } from './vmalloc.js';
import type { VmStruct } from './vm-struct.js';

/** The reclaim bits of a GFP mask (GFP_RECLAIM_MASK, simplified to what kmem models). */
const GFP_RECLAIM_MASK = ~(__GFP_ZERO | __GFP_HIGHMEM | GFP_DMA32 | 0x01);

/** GFP_VMALLOC32 on x86-64 (CONFIG_ZONE_DMA32). */
export const GFP_VMALLOC32 = GFP_DMA32 | GFP_KERNEL;

const FILE = 'mm/vmalloc.c';
const SITE = '__vmalloc_node_range_noprof';

/**
 * __vmalloc_node_range: allocate `size` bytes of virtually contiguous memory in
 * [start, end), aligned to `align`, pages from `gfp` on `node`, mapped with `prot`.
 * @returns the address, or 0 (NULL): size 0 (WARN_ON_ONCE), more pages than RAM, no
 *   virtual space or a bad alignment ("vm_struct allocation failed"), no page array,
 *   not enough pages, or a mapping failure — each with the kernel's warning.
 */
export function vmallocNodeRange(
  v: Vmalloc,
  size: number,
  align: number,
  start: number,
  end: number,
  gfp: number,
  prot: number,
  vmFlags: number,
  node: number,
  caller: string,
): number {
  const m = v.m;
  if (!(size > 0)) {
    if (!warnedZero.has(m)) {
      warnedZero.add(m);
      m.log.warn(FILE, SITE, null, `vmalloc size ${size}`);
    }
    return 0;
  }
  const pages = Math.ceil(size / PAGE_SIZE);
  if (pages > m.pages.totalramPages) {
    v.warnAlloc(gfp, `vmalloc error: size ${size}, exceeds total pages`);
    return 0;
  }
  for (;;) {
    const area = v.getVmArea(
      size,
      align,
      VM_ALLOC | VM_UNINITIALIZED | vmFlags,
      start,
      end,
      node,
      gfp,
      caller,
    );
    // the address is read here, not returned by populate: a double returned by a call that
    // is not inlined is boxed
    if (area !== null) return populate(v, area, size, gfp, prot, node, caller) ? area.addr : 0;
    const nofail = (gfp & __GFP_NOFAIL) !== 0;
    v.warnAlloc(
      gfp,
      `vmalloc error: size ${size}, vm_struct allocation failed${nofail ? '. Retrying.' : ''}`,
    );
    if (!nofail) return 0;
    v.reclaimAndPurge(); // schedule_timeout_uninterruptible(1): let lazy frees drain
  }
}

const warnedZero = new WeakSet<object>();

/**
 * __vmalloc_area_node: page array, pages, mapping, accounting.
 * @returns true, or false when it failed (warned, and the area is already vfree()d).
 */
function populate(
  v: Vmalloc,
  area: VmStruct,
  size: number,
  gfp: number,
  prot: number,
  node: number,
  caller: string,
): boolean {
  const m = v.m;
  const nrPages = (area.size - PAGE_SIZE) / PAGE_SIZE;
  const arraySize = nrPages * 8;
  const nestedGfp = (gfp & GFP_RECLAIM_MASK) | __GFP_ZERO;
  const arrayAddr =
    arraySize > PAGE_SIZE
      ? vmallocNodeRange(
          v,
          arraySize,
          1,
          VMALLOC_START,
          VMALLOC_END,
          nestedGfp,
          PAGE_KERNEL,
          0,
          node,
          caller,
        )
      : m.kmalloc.alloc(arraySize, nestedGfp, node);
  if (arrayAddr === 0) {
    v.warnAlloc(
      gfp,
      `vmalloc error: size ${size}, failed to allocated page array size ${arraySize}`,
    );
    v.freeVmArea(area);
    return false;
  }
  area.pagesAddr = arrayAddr;
  const list = v.pageArray(nrPages);
  area.pages = list;
  const pageGfp = gfp | __GFP_NOWARN;
  // vm_area_alloc_pages: the bulk allocator first, then single pages for what it missed
  let n = allocBulk(v, list, nrPages, pageGfp, node);
  if (n < nrPages) n = allocRun(v, list, n, nrPages, pageGfp, node);
  area.nr_pages = n;
  m.vmallocPages += n;
  if (n < nrPages) {
    list.length = n;
    v.warnAlloc(gfp, `vmalloc error: size ${n * PAGE_SIZE}, failed to allocate pages`);
    v.vfree(area.addr);
    return false;
  }
  if (v.mapArea(area, list, nrPages, prot) < 0) {
    v.warnAlloc(gfp, `vmalloc error: size ${size}, failed to map pages`);
    v.vfree(area.addr);
    return false;
  }
  area.flags &= ~VM_UNINITIALIZED;
  return true;
}

/** Pages per alloc_pages_bulk call of vm_area_alloc_pages (a bound on preemption-off time). */
const BULK_BATCH = 100;

/**
 * The bulk part of vm_area_alloc_pages: alloc_pages_bulk in batches of at most 100 pages
 * into list[0..nrPages), until a batch comes back short. @returns the pages allocated.
 */
function allocBulk(v: Vmalloc, list: Page[], nrPages: number, gfp: number, node: number): number {
  const pages = v.m.pages;
  let n = 0;
  while (n < nrPages) {
    const want = Math.min(BULK_BATCH, nrPages - n);
    const got = pages.allocPagesBulk(gfp, node, PageOwner.vmalloc, want, list, n);
    n += got;
    if (got !== want) break;
  }
  return n;
}

/** Allocate order-0 pages into list[from..to) until one fails. @returns the index reached. */
function allocRun(
  v: Vmalloc,
  list: Page[],
  from: number,
  to: number,
  gfp: number,
  node: number,
): number {
  const m = v.m;
  let n = from;
  for (; n < to; n++) {
    const pfn = m.pages.allocPages(gfp, 0, node, PageOwner.vmalloc);
    if (pfn < 0) break;
    list[n] = m.memmap.page(pfn)!;
  }
  return n;
}

/** __vmalloc_node(size, align, gfp, prot, node, caller) over the whole vmalloc range. */
export function vmallocNode(
  v: Vmalloc,
  size: number,
  align: number,
  gfp: number,
  prot: number,
  node: number,
  caller: string,
): number {
  return vmallocNodeRange(v, size, align, VMALLOC_START, VMALLOC_END, gfp, prot, 0, node, caller);
}

/** The wrappers of the family: (align, gfp, vm_flags, prot) per function. */
export const VMALLOC_WRAPPERS = {
  vmalloc: [1, GFP_KERNEL, 0, PAGE_KERNEL],
  vzalloc: [1, GFP_KERNEL | __GFP_ZERO, 0, PAGE_KERNEL],
  vmalloc_user: [SHMLBA, GFP_KERNEL | __GFP_ZERO, VM_USERMAP, PAGE_KERNEL],
  vmalloc_exec: [1, GFP_KERNEL, 0, PAGE_KERNEL_EXEC],
  vmalloc_32: [1, GFP_VMALLOC32, 0, PAGE_KERNEL],
  vmalloc_32_user: [SHMLBA, GFP_VMALLOC32 | __GFP_ZERO, VM_USERMAP, PAGE_KERNEL],
} as const;

/** One wrapper of the family by name, on `node` (NUMA_NO_NODE for any). */
export function vmallocWrapper(
  v: Vmalloc,
  name: keyof typeof VMALLOC_WRAPPERS,
  size: number,
  node: number = NUMA_NO_NODE,
  caller: string = name,
): number {
  const w = VMALLOC_WRAPPERS[name];
  return vmallocNodeRange(
    v,
    size,
    w[0],
    VMALLOC_START,
    VMALLOC_END,
    w[1],
    w[3],
    w[2],
    node,
    caller,
  );
}
