// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mapping vmalloc memory into user space: remap_vmalloc_range_partial and
 * remap_vmalloc_range insert the pages behind a VM_USERMAP (vmalloc_user) or
 * VM_DMA_COHERENT area into a user vma with vm_insert_page, so that the kernel mapping and
 * the user mapping share the same physical pages.
 *
 * Kernel: mm/vmalloc.c remap_vmalloc_range_partial, remap_vmalloc_range (KERNEL-SPEC
 * §3.10), with today's signature that takes `pgoff`; the seed's older
 * remap_vmalloc_range_partial(vma, uaddr, kaddr, size) is this with pgoff 0 (see
 * src/linux/vmalloc-user.ts).
 *
 * Faithful quirks: the size bound is checked against the whole area as if `kaddr` were its
 * start, so a `kaddr` inside the area can run past its last page into the guard page,
 * whose NULL page the kernel then dereferences (a KernelBug here); and a `size` of 0 does
 * not map nothing: the C do/while inserts a page before testing the (unsigned, wrapped)
 * remaining size, so it goes on until vm_insert_page fails — normally -EFAULT at the
 * vma's end. On any error the pages inserted so far stay mapped and the vma flags are not
 * updated.
 */

import { EINVAL } from '../base/errno.js';
import { PAGE_SIZE } from '../base/units.js';
import { VM_DONTDUMP, VM_DONTEXPAND, type VmAreaStruct } from '../machine/user-mm.js';
import { VM_DMA_COHERENT, VM_USERMAP } from './vm-flags.js';
import { getVmAreaSize } from './vm-struct.js';
import type { Vmalloc } from './vmalloc.js';

/** pgoff values from here on overflow `pgoff << PAGE_SHIFT` in a 64-bit unsigned long. */
const PGOFF_LIMIT = 2 ** 52;
/** ULONG_MAX + 1: a sum reaching it wraps. */
const ULONG_WRAP = 2 ** 64;

/**
 * remap_vmalloc_range_partial(vma, uaddr, kaddr, pgoff, size): map `size` bytes (rounded up
 * to pages) of the vmalloc area at `kaddr`, starting `pgoff` pages in, at `uaddr` in `vma`,
 * then set VM_DONTEXPAND | VM_DONTDUMP on the vma.
 * @returns 0, or -EINVAL — in the kernel's order: `pgoff << PAGE_SHIFT` overflows; `uaddr`
 *   or `kaddr` is not page-aligned; no vm_struct contains `kaddr`; the area has neither
 *   VM_USERMAP nor VM_DMA_COHERENT; `size + (pgoff << PAGE_SHIFT)` overflows or exceeds
 *   get_vm_area_size(area) — or the error of vm_insert_page (-EFAULT past the vma's end,
 *   -EBUSY where a page is already mapped, -EINVAL for an unusable page), with the pages
 *   before it left mapped. A negative or fractional `pgoff` or `size` (impossible for an
 *   unsigned long) is -EINVAL.
 * @throws {KernelBug} when a page to insert is not mapped in the kernel (vm_insert_page
 *   dereferences the NULL page), which only a `kaddr` inside the area or a `size` of 0 can
 *   reach.
 */
export function remapVmallocRangePartial(
  v: Vmalloc,
  vma: VmAreaStruct,
  uaddr: number,
  kaddr: number,
  pgoff: number,
  size: number,
): number {
  // check_shl_overflow(pgoff, PAGE_SHIFT, &off)
  if (!Number.isInteger(pgoff) || pgoff < 0 || pgoff >= PGOFF_LIMIT) return -EINVAL;
  const off = pgoff * PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0) return -EINVAL;
  size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE; // PAGE_ALIGN
  if (uaddr % PAGE_SIZE !== 0 || kaddr % PAGE_SIZE !== 0) return -EINVAL;
  const area = v.findVmArea(kaddr);
  if (area === null) return -EINVAL;
  if ((area.flags & (VM_USERMAP | VM_DMA_COHERENT)) === 0) return -EINVAL;
  // check_add_overflow(size, off, &end_index) || end_index > get_vm_area_size(area)
  const endIndex = size + off;
  if (endIndex >= ULONG_WRAP || endIndex > getVmAreaSize(area)) return -EINVAL;
  let k = kaddr + off;
  let u = uaddr;
  let left = size;
  const mm = vma.vm_mm;
  do {
    const ret = mm.insertPage(vma, u, v.toPage(k));
    if (ret !== 0) return ret;
    u += PAGE_SIZE;
    k += PAGE_SIZE;
    left -= PAGE_SIZE; // from 0 this goes negative: the wrapped unsigned size never ends
  } while (left !== 0);
  vma.vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
  return 0;
}

/**
 * remap_vmalloc_range(vma, addr, pgoff): map the whole vma with the vmalloc area at `addr`,
 * starting `pgoff` pages into it (remap_vmalloc_range_partial with uaddr = vm_start and
 * size = vm_end - vm_start).
 * @returns 0, or a negative errno as {@link remapVmallocRangePartial} (-EINVAL when the
 *   area is not a vmalloc_user/dma-coherent area or is too small for the vma).
 */
export function remapVmallocRange(
  v: Vmalloc,
  vma: VmAreaStruct,
  addr: number,
  pgoff: number,
): number {
  return remapVmallocRangePartial(v, vma, vma.vm_start, addr, pgoff, vma.vm_end - vma.vm_start);
}
