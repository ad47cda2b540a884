// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc part of the kernel API: mm/vmalloc.c and include/linux/vmalloc.h under their
 * kernel names and argument order (the seed's signatures, e.g. __vmalloc_node with prot),
 * bound to one machine. No logic beyond the C conventions.
 *
 * Kernel: include/linux/vmalloc.h, mm/vmalloc.c.
 *
 * `caller` (a return address in C) is a string here, printed by /proc/vmallocinfo; the
 * wrappers record their own name.
 */

import type { Machine } from '../machine/machine.js';
import type { Page } from '../machine/memmap.js';
import { PAGE_KERNEL } from '../machine/page-table.js';
import { NUMA_NO_NODE } from '../machine/page-alloc.js';
import { VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import { PAGE_SIZE } from '../base/units.js';
import * as flags from '../vmalloc/vm-flags.js';
import type { VmStruct } from '../vmalloc/vm-struct.js';
import { Vmalloc } from '../vmalloc/vmalloc.js';
import { vmallocNode, vmallocNodeRange, vmallocWrapper } from '../vmalloc/vmalloc-alloc.js';
import { vread, vwrite } from '../vmalloc/vread.js';
import { VMAP_MAX_ALLOC } from '../vmalloc/vmap-block.js';
import {
  pcpuFreeVmAreas,
  pcpuGetVmAreas,
  pvmDetermineEnd,
  pvmFindNextPrev,
  type VmapAreaView,
} from '../vmalloc/pcpu.js';
import {
  allocVmArea,
  type EarlyVm,
  vmAreaAddEarly,
  vmAreaRegisterEarly,
} from '../vmalloc/early.js';

/** The VM_* flags and vmalloc constants of include/linux/vmalloc.h. */
export const vmallocConstants = {
  VM_IOREMAP: flags.VM_IOREMAP,
  VM_ALLOC: flags.VM_ALLOC,
  VM_MAP: flags.VM_MAP,
  VM_USERMAP: flags.VM_USERMAP,
  VM_DMA_COHERENT: flags.VM_DMA_COHERENT,
  VM_UNINITIALIZED: flags.VM_UNINITIALIZED,
  VM_NO_GUARD: flags.VM_NO_GUARD,
  VM_KASAN: flags.VM_KASAN,
  VM_FLUSH_RESET_PERMS: flags.VM_FLUSH_RESET_PERMS,
  VM_MAP_PUT_PAGES: flags.VM_MAP_PUT_PAGES,
  VM_ALLOW_HUGE_VMAP: flags.VM_ALLOW_HUGE_VMAP,
  VM_DEFER_KMEMLEAK: flags.VM_DEFER_KMEMLEAK,
  VM_SPARSE: flags.VM_SPARSE,
  IOREMAP_MAX_ORDER: flags.IOREMAP_MAX_ORDER,
  VMAP_RAM: flags.VMAP_RAM,
  VMAP_BLOCK: flags.VMAP_BLOCK,
  VMAP_MAX_ALLOC,
  SHMLBA: flags.SHMLBA,
} as const;

/** Build the vmalloc functions of the kernel API of `m`. */
export function vmallocApi(m: Machine) {
  const v = Vmalloc.of(m);
  return {
    /** vmalloc(size). @returns the address, or 0. */
    vmalloc(size: number): number {
      return vmallocWrapper(v, 'vmalloc', size);
    },
    /** vzalloc(size): zeroed. @returns the address, or 0. */
    vzalloc(size: number): number {
      return vmallocWrapper(v, 'vzalloc', size);
    },
    /** vmalloc_user(size): zeroed, VM_USERMAP, SHMLBA-aligned. @returns the address, or 0. */
    vmalloc_user(size: number): number {
      return vmallocWrapper(v, 'vmalloc_user', size);
    },
    /** vmalloc_node(size, node). @returns the address, or 0. */
    vmalloc_node(size: number, node: number): number {
      return vmallocWrapper(v, 'vmalloc', size, node, 'vmalloc_node');
    },
    /** vzalloc_node(size, node). @returns the address, or 0. */
    vzalloc_node(size: number, node: number): number {
      return vmallocWrapper(v, 'vzalloc', size, node, 'vzalloc_node');
    },
    /** vmalloc_exec(size): executable mapping (PAGE_KERNEL_EXEC). @returns the address, or 0. */
    vmalloc_exec(size: number): number {
      return vmallocWrapper(v, 'vmalloc_exec', size);
    },
    /** vmalloc_32(size): pages below 4 GiB. @returns the address, or 0. */
    vmalloc_32(size: number): number {
      return vmallocWrapper(v, 'vmalloc_32', size);
    },
    /** vmalloc_32_user(size): zeroed, below 4 GiB, VM_USERMAP. @returns the address, or 0. */
    vmalloc_32_user(size: number): number {
      return vmallocWrapper(v, 'vmalloc_32_user', size);
    },
    /** __vmalloc(size, gfp_mask). @returns the address, or 0. */
    __vmalloc(size: number, gfp_mask: number): number {
      return vmallocNode(v, size, 1, gfp_mask, PAGE_KERNEL, NUMA_NO_NODE, '__vmalloc');
    },
    /** __vmalloc_node(size, align, gfp_mask, prot, node, caller). @returns the address, or 0. */
    __vmalloc_node(
      size: number,
      align: number,
      gfp_mask: number,
      prot: number,
      node: number,
      caller: string,
    ): number {
      return vmallocNode(v, size, align, gfp_mask, prot, node, caller);
    },
    /**
     * __vmalloc_node_range(size, align, start, end, gfp_mask, prot, vm_flags, node, caller).
     * @returns the address, or 0.
     */
    __vmalloc_node_range(
      size: number,
      align: number,
      start: number,
      end: number,
      gfp_mask: number,
      prot: number,
      vm_flags: number,
      node: number,
      caller: string,
    ): number {
      return vmallocNodeRange(v, size, align, start, end, gfp_mask, prot, vm_flags, node, caller);
    },
    /** vfree(addr): deferred in interrupt context; WARNs on a bad or unknown address. */
    vfree(addr: number): void {
      v.vfree(addr);
    },
    /** vfree_atomic(addr): vfree from a work item. */
    vfree_atomic(addr: number): void {
      v.vfreeAtomic(addr);
    },
    /** vmap(pages, count, flags, prot). @returns the address, or 0. */
    vmap(pages: readonly (Page | null)[], count: number, flags: number, prot: number): number {
      return v.vmap(pages, count, flags, prot, 'vmap');
    },
    /** vunmap(addr). @throws {KernelBug} in interrupt context. */
    vunmap(addr: number): void {
      v.vunmap(addr);
    },
    /** get_vm_area(size, flags): reserve without mapping. @returns the vm_struct, or null. */
    get_vm_area(size: number, flags: number): VmStruct | null {
      return v.getVmArea(
        size,
        1,
        flags,
        VMALLOC_START,
        VMALLOC_END,
        NUMA_NO_NODE,
        0,
        'get_vm_area',
      );
    },
    /** get_vm_area_caller(size, flags, caller). @returns the vm_struct, or null. */
    get_vm_area_caller(size: number, flags: number, caller: string): VmStruct | null {
      return v.getVmArea(size, 1, flags, VMALLOC_START, VMALLOC_END, NUMA_NO_NODE, 0, caller);
    },
    /** __get_vm_area_caller(size, flags, start, end, caller). @returns the vm_struct, or null. */
    __get_vm_area_caller(
      size: number,
      flags: number,
      start: number,
      end: number,
      caller: string,
    ): VmStruct | null {
      return v.getVmArea(size, 1, flags, start, end, NUMA_NO_NODE, 0, caller);
    },
    /** find_vm_area(addr): by containment. @returns the vm_struct, or null. */
    find_vm_area(addr: number): VmStruct | null {
      return v.findVmArea(addr);
    },
    /** remove_vm_area(addr). @returns the vm_struct, or null. */
    remove_vm_area(addr: number): VmStruct | null {
      return v.removeVmArea(addr);
    },
    /** free_vm_area(area). @throws {KernelBug} when the area is not found as itself. */
    free_vm_area(area: VmStruct): void {
      v.freeVmArea(area);
    },
    /**
     * map_kernel_range_noflush(addr, size, prot, pages).
     * @returns the number of pages mapped, or a negative errno.
     */
    map_kernel_range_noflush(
      addr: number,
      size: number,
      prot: number,
      pages: readonly (Page | null)[],
    ): number {
      const count = Math.ceil(size / PAGE_SIZE);
      const err = v.mapPages(addr, pages, count, prot);
      return err < 0 ? err : count;
    },
    /** unmap_kernel_range_noflush(addr, size): clear PTEs, no TLB flush. */
    unmap_kernel_range_noflush(addr: number, size: number): void {
      v.unmapNoflush(addr, size);
    },
    /** unmap_kernel_range(addr, size): clear PTEs and flush the TLBs over the range. */
    unmap_kernel_range(addr: number, size: number): void {
      v.unmapFlush(addr, size);
    },
    /** vmalloc_to_page(addr). @returns the page, or null when unmapped. */
    vmalloc_to_page(addr: number): Page | null {
      return v.toPage(addr);
    },
    /** vmalloc_to_pfn(addr). @returns the pfn, or 0 when unmapped. */
    vmalloc_to_pfn(addr: number): number {
      const page = v.toPage(addr);
      return page === null ? 0 : page.pfn;
    },
    /** is_vmalloc_addr(addr). */
    is_vmalloc_addr(addr: number): boolean {
      return v.isVmallocAddr(addr);
    },
    /** vread(buf, addr, count). @returns count, or 0 when no live area intersects. */
    vread(buf: Uint8Array, addr: number, count: number): number {
      return vread(v, buf, addr, count);
    },
    /** vwrite(buf, addr, count). @returns count, or 0 when nothing was written. */
    vwrite(buf: Uint8Array, addr: number, count: number): number {
      return vwrite(v, buf, addr, count);
    },
    /** vm_area_add_early(vm). @throws {KernelBug} after boot or on overlap. */
    vm_area_add_early(vm: EarlyVm): void {
      vmAreaAddEarly(v, vm);
    },
    /** vm_area_register_early(vm, align). @throws {KernelBug} after boot or when full. */
    vm_area_register_early(vm: EarlyVm, align: number): void {
      vmAreaRegisterEarly(v, vm, align);
    },
    /** alloc_vm_area(size, ptes): area with page tables, nothing mapped. @returns it, or null. */
    alloc_vm_area(size: number, ptes: number[] | null): VmStruct | null {
      return allocVmArea(v, size, ptes);
    },
    /**
     * pcpu_get_vm_areas(offsets, sizes, nr_vms, align): congruent areas, one base, top-down.
     * @returns the vm_structs, or null. @throws {KernelBug} for bad alignment or overlaps.
     */
    pcpu_get_vm_areas(
      offsets: readonly number[],
      sizes: readonly number[],
      nr_vms: number,
      align: number,
    ): VmStruct[] | null {
      return pcpuGetVmAreas(v, offsets, sizes, nr_vms, align);
    },
    /** pcpu_free_vm_areas(vms, nr_vms). */
    pcpu_free_vm_areas(vms: readonly VmStruct[], nr_vms: number): void {
      pcpuFreeVmAreas(v, vms, nr_vms);
    },
    /** pvm_find_next_prev(end, pnext, pprev). @returns false when no busy area exists. */
    pvm_find_next_prev(
      end: number,
      pnext: { value: VmapAreaView | null },
      pprev: { value: VmapAreaView | null },
    ): boolean {
      return pvmFindNextPrev(v, end, pnext, pprev);
    },
    /** pvm_determine_end(pnext, pprev, align). @returns the highest aligned end found. */
    pvm_determine_end(
      pnext: { value: VmapAreaView | null },
      pprev: { value: VmapAreaView | null },
      align: number,
    ): number {
      return pvmDetermineEnd(v, pnext, pprev, align);
    },
    /** vm_map_ram(pages, count, node, prot). @returns the address, or 0. */
    vm_map_ram(
      pages: readonly (Page | null)[],
      count: number,
      node: number,
      prot: number = PAGE_KERNEL,
    ): number {
      return v.blocks.mapRam(pages, count, node, prot);
    },
    /** vm_unmap_ram(mem, count). @throws {KernelBug} for NULL, out-of-range or unaligned mem. */
    vm_unmap_ram(mem: number, count: number): void {
      v.blocks.unmapRam(mem, count);
    },
    /** new_vmap_block(order, gfp_mask). @returns the block's first pages' address, or -errno. */
    new_vmap_block(order: number, gfp_mask: number): number {
      return v.blocks.newBlock(order, gfp_mask);
    },
    /** vm_unmap_aliases(): purge lazy areas and vmap-block dirt so no stale TLB alias survives. */
    vm_unmap_aliases(): void {
      v.vmUnmapAliases();
    },
    /** vmalloc_nr_pages(): pages backing vmalloc areas (VmallocUsed). */
    vmalloc_nr_pages(): number {
      return m.vmallocPages;
    },
    ...vmallocConstants,
  };
}
