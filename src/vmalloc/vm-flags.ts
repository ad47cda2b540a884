// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vm_struct flags, the vmap_area flags and the layout constants of vmalloc.
 *
 * Kernel: include/linux/vmalloc.h (VM_* flags, IOREMAP_MAX_ORDER), mm/vmalloc.c (VMAP_RAM,
 * VMAP_BLOCK, lazy_max_pages), arch/x86/include/asm/shmparam.h (SHMLBA).
 */

import { PAGE_SHIFT, PAGE_SIZE } from '../base/units.js';

/** ioremap areas. */
export const VM_IOREMAP = 0x1;
/** vmalloc() areas. */
export const VM_ALLOC = 0x2;
/** vmap() areas. */
export const VM_MAP = 0x4;
/** Suitable for remap_vmalloc_range (vmalloc_user). */
export const VM_USERMAP = 0x8;
/** dma_alloc_coherent remaps. */
export const VM_DMA_COHERENT = 0x10;
/** The area is not fully set up yet (hidden from /proc/vmallocinfo). */
export const VM_UNINITIALIZED = 0x20;
/** No guard page after the area. */
export const VM_NO_GUARD = 0x40;
export const VM_KASAN = 0x80;
/** Reset the direct map and flush on free. */
export const VM_FLUSH_RESET_PERMS = 0x100;
/** vfree() drops the page references and the array (vmap with ownership transfer). */
export const VM_MAP_PUT_PAGES = 0x200;
export const VM_ALLOW_HUGE_VMAP = 0x400;
export const VM_DEFER_KMEMLEAK = 0;
/** BPF arena areas. */
export const VM_SPARSE = 0x1000;

/** va->flags: a vm_map_ram area. */
export const VMAP_RAM = 0x1;
/** va->flags: a per-CPU vmap block. */
export const VMAP_BLOCK = 0x2;
export const VMAP_FLAGS_MASK = 0x3;

/** Largest ioremap alignment order (512 KiB with 4 KiB pages). */
export const IOREMAP_MAX_ORDER = 7 + PAGE_SHIFT;
/** x86 SHMLBA: the alignment of vmalloc_user. */
export const SHMLBA = PAGE_SIZE;
/** Pages in 32 MiB: lazy_max_pages() is fls(online CPUs) of these. */
export const LAZY_PAGES_PER_LOG = (32 * 1024 * 1024) / PAGE_SIZE;
