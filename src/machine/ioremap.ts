// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioremap: map device memory (physical addresses outside RAM, such as on-chip SRAM in the
 * PCI hole) into kernel virtual space so that drivers reach it with ordinary accesses.
 *
 * Kernel: arch/x86/mm/ioremap.c __ioremap_caller (refuses RAM: "ioremap on RAM at %pa -
 * %pa" WARN, returns NULL), iounmap; mm/vmalloc.c get_vm_area_caller(VM_IOREMAP).
 *
 * The virtual range comes from an IoremapSpace. Until the vmalloc layer registers its
 * vmap-area allocator as that space (so ioremap areas show in /proc/vmallocinfo), a bump
 * allocator at the top of the vmalloc range serves, one guard page after each area.
 */

import type { KernelLog } from '../base/log.js';
import { alignUp, PAGE_SIZE } from '../base/units.js';
import { VMALLOC_END } from './layout.js';
import type { Memmap } from './memmap.js';
import { PAGE_KERNEL, type PageTable } from './page-table.js';
import type { Tlbs } from './tlb.js';

/** Where ioremap gets virtual ranges from. */
export interface IoremapSpace {
  /** Reserve `size` bytes of kernel virtual space; 0 when none is left. */
  reserve(size: number, phys: number): number;
  /** Release a range returned by reserve. */
  release(addr: number, size: number): void;
}

/** The default space: a downward bump allocator below VMALLOC_END. */
class BumpSpace implements IoremapSpace {
  #next = Math.floor((VMALLOC_END + 1) / 2 ** 30) * 2 ** 30 - 2 ** 30;
  reserve(size: number): number {
    this.#next -= size + PAGE_SIZE;
    return this.#next;
  }
  release(): void {}
}

interface Mapping {
  readonly phys: number;
  readonly size: number;
}

/** The ioremap service of a machine. */
export class Ioremap {
  space: IoremapSpace = new BumpSpace();
  readonly #maps = new Map<number, Mapping>();
  readonly #pt: PageTable;
  readonly #tlbs: Tlbs;
  readonly #memmap: Memmap;
  readonly #log: KernelLog;
  readonly #cpu: () => number;

  constructor(pt: PageTable, tlbs: Tlbs, memmap: Memmap, log: KernelLog, cpu: () => number) {
    this.#pt = pt;
    this.#tlbs = tlbs;
    this.#memmap = memmap;
    this.#log = log;
    this.#cpu = cpu;
  }

  /**
   * ioremap(phys, size): map [phys, phys + size) at a fresh kernel virtual range.
   * @returns the virtual address of `phys`, or 0 (NULL) for size 0, a range that touches
   *   RAM (after the kernel's WARN), or no virtual space left.
   */
  create(phys: number, size: number): number {
    if (!Number.isSafeInteger(phys) || !Number.isSafeInteger(size) || phys < 0 || size <= 0)
      return 0;
    const first = Math.floor(phys / PAGE_SIZE);
    const last = Math.ceil((phys + size) / PAGE_SIZE);
    for (let pfn = first; pfn < last; pfn++) {
      if (this.#memmap.isRam(pfn)) {
        this.#log.warn(
          'arch/x86/mm/ioremap.c',
          '__ioremap_caller',
          `ioremap on RAM at ${pa(phys)} - ${pa(phys + size - 1)}`,
        );
        return 0;
      }
    }
    const len = (last - first) * PAGE_SIZE;
    const va = this.space.reserve(len, phys);
    if (va === 0) return 0;
    for (let i = 0; i < last - first; i++)
      this.#pt.mapPage(va + i * PAGE_SIZE, first + i, PAGE_KERNEL);
    this.#maps.set(va, { phys: first * PAGE_SIZE, size: len });
    return va + (phys % PAGE_SIZE);
  }

  /** iounmap(addr): unmap an ioremap'd range and flush it from the TLBs; others are ignored. */
  unmap(addr: number): void {
    const va = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    const m = this.#maps.get(va);
    if (m === undefined) return;
    this.#maps.delete(va);
    for (let off = 0; off < m.size; off += PAGE_SIZE) this.#pt.unmap(va + off);
    this.#tlbs.flushKernelRange(va, va + m.size, this.#cpu());
    this.space.release(va, alignUp(m.size, PAGE_SIZE));
  }

  /** The live mappings: virtual start → { phys, size }. */
  mappings(): ReadonlyMap<number, Mapping> {
    return this.#maps;
  }
}

/** %pa: a phys_addr_t as 0x and 16 zero-padded hex digits. */
function pa(phys: number): string {
  return `0x${phys.toString(16).padStart(16, '0')}`;
}
