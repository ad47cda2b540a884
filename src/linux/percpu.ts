// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-CPU part of the kernel API: __alloc_percpu, __alloc_percpu_gfp, free_percpu and
 * per_cpu_ptr under their kernel names and argument order, bound to one machine. No logic
 * beyond the C conventions; the simplified allocator model (one kmalloc area per
 * allocation holding every possible CPU's copy) is documented in src/machine/percpu.ts.
 *
 * Kernel: include/linux/percpu.h, mm/percpu.c, include/linux/percpu-defs.h.
 */

import { GFP_KERNEL } from '../machine/gfp.js';
import type { Machine } from '../machine/machine.js';
import { PCPU_MIN_ALLOC_SIZE, PCPU_MIN_UNIT_SIZE, Percpu } from '../machine/percpu.js';

/** Build the per-CPU functions of the kernel API of `m`. */
export function percpuApi(m: Machine) {
  const p = Percpu.of(m);
  return {
    /**
     * __alloc_percpu(size, align): a zeroed copy per possible CPU.
     * @returns the per-CPU pointer, or 0 (NULL) after the kernel's WARN for an illegal size
     *   (0 or above PCPU_MIN_UNIT_SIZE) or align (above PAGE_SIZE or not a power of two),
     *   or after "percpu: allocation failed" when memory is short.
     */
    __alloc_percpu(size: number, align: number): number {
      return p.alloc(size, align, GFP_KERNEL);
    },
    /**
     * __alloc_percpu_gfp(size, align, gfp).
     * @returns the per-CPU pointer, or 0 (NULL) as {@link __alloc_percpu}; __GFP_NOWARN
     *   silences the warnings.
     */
    __alloc_percpu_gfp(size: number, align: number, gfp: number): number {
      return p.alloc(size, align, gfp);
    },
    /** free_percpu(ptr); NULL is ignored, a pointer that is not live gets a WARN. */
    free_percpu(ptr: number): void {
      p.free(ptr);
    },
    /**
     * per_cpu_ptr(ptr, cpu): the address of `cpu`'s copy.
     * @returns the address, or 0 when `ptr` is not a live per-CPU pointer or `cpu` is not
     *   a possible CPU.
     */
    per_cpu_ptr(ptr: number, cpu: number): number {
      return p.ptr(ptr, cpu);
    },
    PCPU_MIN_ALLOC_SIZE,
    PCPU_MIN_UNIT_SIZE,
  };
}
