// SPDX-License-Identifier: GPL-2.0-only
/*
 * Layout, GFP and page-protection constants of the kernel API (they need no machine, so
 * they are also named exports of kmem/linux).
 *
 * Kernel: include/linux/gfp_types.h, arch/x86/include/asm/page_64_types.h,
 * pgtable_64_types.h, pgtable_types.h, include/linux/mmzone.h (MAX_PAGE_ORDER),
 * include/linux/slab.h (ZERO_SIZE_PTR), include/linux/dma-mapping.h (DMA_BIT_MASK).
 */

export * from '../machine/gfp.js';
export { PAGE_SIZE, PAGE_SHIFT } from '../base/units.js';
export { PAGE_OFFSET, VMALLOC_START, VMALLOC_END, TASK_SIZE_MAX } from '../machine/layout.js';
export {
  PAGE_KERNEL,
  PAGE_KERNEL_RO,
  PAGE_KERNEL_EXEC,
  PAGE_SHARED,
  _PAGE_PRESENT,
  _PAGE_RW,
  _PAGE_USER,
  _PAGE_NX,
  _PAGE_GLOBAL,
  _PAGE_PSE,
} from '../machine/page-table.js';
export { MAX_PAGE_ORDER } from '../machine/buddy.js';
export { ZERO_SIZE_PTR, KMALLOC_MAX_CACHE_SIZE } from '../machine/slab.js';

/** DMA_BIT_MASK(n): the mask of an n-bit bus; DMA_BIT_MASK(64) is all ones (-1). */
export function DMA_BIT_MASK(n: number): number {
  return n >= 64 ? -1 : 2 ** n - 1;
}

/** ZERO_OR_NULL_PTR(p): NULL or the ZERO_SIZE_PTR of kmalloc(0). */
export function ZERO_OR_NULL_PTR(p: number): boolean {
  return p <= 16;
}
