// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user-mapping part of the kernel API: remap_vmalloc_range_partial,
 * remap_vmalloc_range and vm_insert_page under their kernel names and argument order, and
 * the VM_* vma flags and PROT_* protections they work with, bound to one machine. User
 * address spaces themselves come from `machine.createMm()`.
 *
 * Kernel: mm/vmalloc.c remap_vmalloc_range_partial, remap_vmalloc_range; mm/memory.c
 * vm_insert_page; include/linux/mm.h (VM_*); include/uapi/asm-generic/mman-common.h
 * (PROT_*).
 *
 * remap_vmalloc_range_partial has the seed's signature (vma, uaddr, kaddr, size): it maps
 * from `kaddr` itself. Since 5.7 (Jann Horn's "vmalloc: fix remap_vmalloc_range() bounds
 * checks", which added the overflow checks) the kernel's takes (vma, uaddr, kaddr, pgoff,
 * size); this one is that function with pgoff 0, and src/vmalloc/remap.ts implements the
 * pgoff form. The seed's function also keeps its own bound, `kaddr + size > area->addr +
 * get_vm_area_size(area)` → -EINVAL, so an interior `kaddr` cannot run into the guard page.
 */

import type { Machine } from '../machine/machine.js';
import type { Page } from '../machine/memmap.js';
import * as mm from '../machine/user-mm.js';
import { remapVmallocRange, remapVmallocRangePartial } from '../vmalloc/remap.js';
import { Vmalloc } from '../vmalloc/vmalloc.js';
import { getVmAreaSize } from '../vmalloc/vm-struct.js';
import { PAGE_SIZE } from '../base/units.js';
import { EINVAL } from '../base/errno.js';

/** The VM_* vma flags of include/linux/mm.h and the PROT_* bits of mmap(2). */
export const vmaConstants = {
  VM_NONE: mm.VM_NONE,
  VM_READ: mm.VM_READ,
  VM_WRITE: mm.VM_WRITE,
  VM_EXEC: mm.VM_EXEC,
  VM_SHARED: mm.VM_SHARED,
  VM_MAYREAD: mm.VM_MAYREAD,
  VM_MAYWRITE: mm.VM_MAYWRITE,
  VM_MAYEXEC: mm.VM_MAYEXEC,
  VM_MAYSHARE: mm.VM_MAYSHARE,
  VM_PFNMAP: mm.VM_PFNMAP,
  VM_IO: mm.VM_IO,
  VM_DONTEXPAND: mm.VM_DONTEXPAND,
  VM_DONTDUMP: mm.VM_DONTDUMP,
  VM_MIXEDMAP: mm.VM_MIXEDMAP,
  PROT_NONE: mm.PROT_NONE,
  PROT_READ: mm.PROT_READ,
  PROT_WRITE: mm.PROT_WRITE,
  PROT_EXEC: mm.PROT_EXEC,
} as const;

/** Build the user-mapping functions of the kernel API of `m`. */
export function vmallocUserApi(m: Machine) {
  const v = Vmalloc.of(m);
  return {
    /**
     * remap_vmalloc_range_partial(vma, uaddr, kaddr, size) — the seed's signature, without
     * the pgoff of 5.7+: map `size` bytes (page-rounded) of the vmalloc_user area at
     * `kaddr` at `uaddr` in `vma`.
     * @returns 0, or -EINVAL (unaligned `uaddr`/`kaddr`, no area, not VM_USERMAP or
     *   VM_DMA_COHERENT, too large for the area), or vm_insert_page's -EFAULT/-EBUSY/-EINVAL
     *   after partially mapping.
     */
    remap_vmalloc_range_partial(
      vma: mm.VmAreaStruct,
      uaddr: number,
      kaddr: number,
      size: number,
    ): number {
      // The seed-era bound: the mapping must end inside the area, from kaddr itself.
      const area = v.findVmArea(kaddr);
      if (
        area !== null &&
        kaddr + Math.ceil(size / PAGE_SIZE) * PAGE_SIZE > area.addr + getVmAreaSize(area)
      )
        return -EINVAL;
      return remapVmallocRangePartial(v, vma, uaddr, kaddr, 0, size);
    },
    /**
     * remap_vmalloc_range(vma, addr, pgoff): map the whole vma with the vmalloc_user area at
     * `addr`, starting `pgoff` pages in.
     * @returns 0, or -EINVAL (see remap_vmalloc_range_partial) or vm_insert_page's error.
     */
    remap_vmalloc_range(vma: mm.VmAreaStruct, addr: number, pgoff: number): number {
      return remapVmallocRange(v, vma, addr, pgoff);
    },
    /**
     * vm_insert_page(vma, addr, page): map one page into a user vma, taking a reference.
     * @returns 0, or -EFAULT (outside the vma), -EINVAL (unusable page), -EBUSY (already
     *   mapped).
     * @throws {KernelBug} for a NULL page or a VM_PFNMAP vma.
     */
    vm_insert_page(vma: mm.VmAreaStruct, addr: number, page: Page | null): number {
      return mm.vmInsertPage(vma, addr, page);
    },
    ...vmaConstants,
  };
}
