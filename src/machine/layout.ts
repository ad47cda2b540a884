// SPDX-License-Identifier: GPL-2.0-only
/*
 * The address layout of the simulated machine: x86-64 with 4-level paging, with the 16
 * sign-extension bits dropped so that every kernel address is a 48-bit number that fits a
 * double exactly. Printing adds them back (`0xffff888000000000`).
 *
 * Kernel: arch/x86/include/asm/page_64_types.h (__PAGE_OFFSET), pgtable_64_types.h
 * (VMALLOC_START, VMALLOC_SIZE_TB), Documentation/arch/x86/x86_64/mm.rst; the zone limits
 * of mm/page_alloc.c (MAX_DMA_PFN 16 MiB, MAX_DMA32_PFN 4 GiB).
 *
 * Physical layout: RAM starts at 0; when there is more than 3 GiB of it, [3 GiB, 4 GiB) is
 * the PCI hole (where board devices such as on-chip SRAM sit) and RAM resumes at 4 GiB, as
 * on a PC. The first MiB is reserved (firmware), so physical address 0 is never handed out.
 */

import { PAGE_SIZE } from '../base/units.js';

/** Start of the direct map of all physical memory (0xffff888000000000 sign-extended). */
export const PAGE_OFFSET = 0x888000000000;
/** Start of the vmalloc/ioremap space (0xffffc90000000000 sign-extended). */
export const VMALLOC_START = 0xc90000000000;
/** Size of the vmalloc space: 32 TiB with 4-level paging. */
export const VMALLOC_SIZE = 32 * 2 ** 40;
/** Last byte of the vmalloc space, as the kernel defines it (inclusive). */
export const VMALLOC_END = VMALLOC_START + VMALLOC_SIZE - 1;
/** Highest user address + 1 (TASK_SIZE_MAX). */
export const TASK_SIZE_MAX = 0x7ffffffff000;
/** Bytes of virtual address space (48 bits). */
export const VA_SPACE = 2 ** 48;
/** First pfn past ZONE_DMA (16 MiB). */
export const MAX_DMA_PFN = (16 * 2 ** 20) / PAGE_SIZE;
/** First pfn past ZONE_DMA32 (4 GiB). */
export const MAX_DMA32_PFN = 2 ** 32 / PAGE_SIZE;
/** Start of the PCI hole on machines with more than 3 GiB of RAM. */
export const PCI_HOLE_START = 3 * 2 ** 30;
/** End of the PCI hole. */
export const PCI_HOLE_END = 2 ** 32;
/** Bytes reserved at the bottom of RAM (BIOS area): never given to the page allocator. */
export const RESERVED_LOW = 2 ** 20;
/** The most RAM a machine may have (sparse memory makes more cheap, but a limit keeps tables small). */
export const MAX_MEMORY = 2 ** 40;

/** Print a kernel virtual address the way the kernel does: sign-extended to 64 bits, 16 digits. */
export function kaddr(addr: number): string {
  if (addr >= 2 ** 47 && addr < VA_SPACE) {
    return `0xffff${addr.toString(16).padStart(12, '0')}`;
  }
  return `0x${addr.toString(16).padStart(16, '0')}`;
}

/** Parse a kernel address written sign-extended (`0xffffc90000000000`) or 48-bit; NaN when invalid. */
export function parseKaddr(text: string): number {
  const m = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(text.trim());
  if (m === null) return Number.NaN;
  const digits = (m[1] ?? '').padStart(16, '0');
  const high = digits.slice(0, 4).toLowerCase();
  if (high !== '0000' && high !== 'ffff') return Number.NaN;
  return Number.parseInt(digits.slice(4), 16);
}
