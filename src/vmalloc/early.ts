// SPDX-License-Identifier: GPL-2.0-only
/*
 * Early vm areas (registered before vmalloc_init, e.g. by the percpu first chunk or arch
 * setup code) and alloc_vm_area, the 5.9-and-older way to reserve an area with its page
 * tables built but nothing mapped.
 *
 * Kernel: mm/vmalloc.c vm_area_add_early, vm_area_register_early (the first-fit walk of
 * vmlist), alloc_vm_area (removed in 5.10 by commit 301fa9f2ddf7; the seed documents it).
 *
 * The early functions take a plain object with the vm_struct field names (`addr`, `size`,
 * `flags`, ...); missing fields are filled in with the kernel's zero values, and that very
 * object is what find_vm_area returns after boot.
 */

import { KernelBug } from '../base/errors.js';
import { PAGE_SIZE } from '../base/units.js';
import { kaddr, VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import { VM_IOREMAP } from './vm-flags.js';
import { VmStruct } from './vm-struct.js';
import type { Vmalloc } from './vmalloc.js';

const FILE = 'mm/vmalloc.c';

/** The vm_struct fields an early caller may give. */
export type EarlyVm = Partial<VmStruct> & { size: number };

function bug(v: Vmalloc, site: string, cond: string, detail: string): never {
  v.m.log.bug(FILE, site, cond);
  throw new KernelBug(`${site}: ${detail}`);
}

/** Fill in the zero values of the fields the caller left out; returns the same object. */
function asVmStruct(vm: EarlyVm): VmStruct {
  const blank = new VmStruct();
  const o = vm as Record<string, unknown>;
  for (const key of Object.keys(blank))
    if (o[key] === undefined) o[key] = (blank as unknown as Record<string, unknown>)[key];
  return vm as VmStruct;
}

/**
 * vm_area_add_early(vm): insert `vm` (its addr and size set) into the address-sorted early
 * list. @throws {KernelBug} after vmalloc_init, or when it overlaps an earlier entry.
 */
export function vmAreaAddEarly(v: Vmalloc, vmIn: EarlyVm): void {
  if (v.initialized)
    bug(v, 'vm_area_add_early', 'BUG_ON(vmap_initialized)', 'called after vmalloc_init');
  const vm = asVmStruct(vmIn);
  let prev: VmStruct | null = null;
  let cur = v.vmlist;
  for (; cur !== null; prev = cur, cur = cur.next) {
    if (cur.addr >= vm.addr) {
      if (cur.addr < vm.addr + vm.size)
        bug(
          v,
          'vm_area_add_early',
          'BUG_ON(tmp->addr < vm->addr + vm->size)',
          `${kaddr(vm.addr)}+${vm.size} overlaps ${kaddr(cur.addr)}`,
        );
      break;
    }
    if (cur.addr + cur.size > vm.addr)
      bug(
        v,
        'vm_area_add_early',
        'BUG_ON(tmp->addr + tmp->size > vm->addr)',
        `${kaddr(vm.addr)} overlaps ${kaddr(cur.addr)}+${cur.size}`,
      );
  }
  vm.next = cur;
  if (prev === null) v.vmlist = vm;
  else prev.next = vm;
}

/**
 * vm_area_register_early(vm, align): place `vm` at the first gap of the early list from
 * ALIGN(VMALLOC_START, align) that holds vm.size, set vm.addr and insert it.
 * @throws {KernelBug} after vmalloc_init, or when no room is left below VMALLOC_END.
 */
export function vmAreaRegisterEarly(v: Vmalloc, vmIn: EarlyVm, align: number): void {
  if (v.initialized)
    bug(v, 'vm_area_register_early', 'BUG_ON(vmap_initialized)', 'called after vmalloc_init');
  const vm = asVmStruct(vmIn);
  let addr = Math.ceil(VMALLOC_START / align) * align;
  let prev: VmStruct | null = null;
  let cur = v.vmlist;
  for (; cur !== null; prev = cur, cur = cur.next) {
    const gap = cur.addr - addr; // unsigned in C: an entry below addr counts as a huge gap
    if (gap < 0 || gap >= vm.size) break;
    addr = Math.ceil((cur.addr + cur.size) / align) * align;
  }
  if (addr > VMALLOC_END - vm.size)
    bug(
      v,
      'vm_area_register_early',
      'BUG_ON(addr > VMALLOC_END - vm->size)',
      `no room for ${vm.size} bytes`,
    );
  vm.addr = addr;
  vm.next = cur;
  if (prev === null) v.vmlist = vm;
  else prev.next = vm;
}

/**
 * alloc_vm_area(size, ptes): reserve a VM_IOREMAP area and build its page tables without
 * mapping anything. When `ptes` is given it receives, per page, the address its PTE maps
 * (kmem's handle for a pte_t *).
 * @returns the vm_struct, or null when no area could be reserved.
 */
export function allocVmArea(v: Vmalloc, size: number, ptes: number[] | null): VmStruct | null {
  const area = v.getVmArea(size, 1, VM_IOREMAP, VMALLOC_START, VMALLOC_END, -1, 0, 'alloc_vm_area');
  if (area === null) return null;
  const pt = v.m.kernelPageTable;
  for (let off = 0; off < size; off += PAGE_SIZE) {
    pt.buildTables(area.addr + off);
    if (ptes !== null) ptes.push(area.addr + off);
  }
  return area;
}
