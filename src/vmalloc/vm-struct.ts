// SPDX-License-Identifier: GPL-2.0-only
/*
 * VmStruct: struct vm_struct, the descriptor of one kernel virtual area (a vmalloc area, a
 * vmap mapping, an ioremap window, a reserved get_vm_area range).
 *
 * Kernel: include/linux/vmalloc.h struct vm_struct, get_vm_area_size().
 *
 * The fields carry the kernel's names so ported code reads `vm.addr`, `vm.size`,
 * `vm.nr_pages`. `size` includes the guard page unless VM_NO_GUARD.
 *
 * Lifetime: in the kernel vfree() kfree()s the area's vm_struct, so a pointer to it kept
 * past the vfree is a use-after-free. kmem reuses such an object (and its page array) for
 * a later area instead of leaving it to the garbage collector, so a reference kept past
 * vfree() may see another area's fields once that area is allocated. Structs handed back
 * by remove_vm_area() (and so free_vm_area() and vunmap()) are never reused.
 */

import { PAGE_SIZE } from '../base/units.js';
import type { Page } from '../machine/memmap.js';
import { VM_NO_GUARD } from './vm-flags.js';

/** struct vm_struct. */
export class VmStruct {
  /** Next entry of the early vmlist (vm_area_add_early), else null. */
  next: VmStruct | null = null;
  /** Start address. */
  addr = 0;
  /** Size in bytes, guard page included unless VM_NO_GUARD. */
  size = 0;
  /** VM_* flags. */
  flags = 0;
  /** The backing pages (vmalloc, vmap with VM_MAP_PUT_PAGES), or null. */
  pages: Page[] | null = null;
  /** Order of each page (0; 9 for huge vmalloc). */
  page_order = 0;
  /** Number of pages in `pages`. */
  nr_pages = 0;
  /** Physical address of an ioremap window, else 0. */
  phys_addr = 0;
  /** Who asked for the area (printed by /proc/vmallocinfo). */
  caller = '';
  /** The byte size the caller asked for. */
  requested_size = 0;
  /**
   * Where the page-pointer array lives in kernel memory: a kmalloc address, or a nested
   * vmalloc area when it exceeds a page (" vpages"); 0 when there is none.
   */
  pagesAddr = 0;
  /**
   * kmem: the struct was allocated by __get_vm_area_node (kzalloc in the kernel), so the
   * vfree that frees it may keep the object for a later area (see Vmalloc's VM_SPARE_MAX).
   * False for a caller's own struct (the early vmlist) and the percpu allocator's.
   */
  recyclable = false;

  constructor(flags = 0, caller = '') {
    this.flags = flags;
    this.caller = caller;
  }
}

/** get_vm_area_size: the usable size (the guard page excluded). */
export function getVmAreaSize(vm: VmStruct): number {
  return (vm.flags & VM_NO_GUARD) !== 0 ? vm.size : vm.size - PAGE_SIZE;
}
