// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dynamic per-CPU memory: __alloc_percpu() hands out one copy of an object per possible
 * CPU, zeroed, and per_cpu_ptr() finds a CPU's copy. A documented simplified model of
 * mm/percpu.c: the argument checks, the WARN and the failure warning are the kernel's,
 * the memory comes from kmalloc.
 *
 * Kernel: mm/percpu.c pcpu_alloc (PCPU_MIN_ALLOC_SIZE rounding, the "illegal size (%zu) or
 * align (%zu) for percpu allocation" WARN, the rate-limited "percpu: allocation failed"
 * warning with its limit of 10), __alloc_percpu, __alloc_percpu_gfp, free_percpu;
 * include/linux/percpu.h (PCPU_MIN_UNIT_SIZE = 32 KiB), include/linux/percpu-defs.h
 * per_cpu_ptr.
 *
 * Data structure: every allocation is one kmalloc area holding the copies of all possible
 * CPUs side by side, `stride` bytes apart; the per-CPU pointer is CPU 0's copy:
 *
 *   ptr = base         base + stride                 base + (n - 1) * stride
 *   | CPU 0 copy | pad | CPU 1 copy | pad |   ...   | CPU n-1 copy | pad |
 *   \____________ stride = ALIGN(ALIGN(size, 4), align) ____________/     n = num_possible_cpus()
 *
 * The kmalloc request is n * stride bytes, rounded up to a power of two while it is served
 * by a kmalloc cache (the kmalloc-96/192 caches are not aligned to their size), so that
 * kmalloc's natural alignment (a power-of-two cache aligns objects to its size; a large
 * kmalloc is page-aligned) gives the base `align` alignment (align <= PAGE_SIZE).
 *
 *   P1: every live pointer is a key of #stride; its area is kmalloc'd and `align`-aligned
 *   P2: per_cpu_ptr(ptr, cpu) = ptr + cpu * stride(ptr), for 0 <= cpu < num_possible_cpus()
 *   P3: nrAllocs = #stride.size; bytesInUse = sum of the kmalloc requests of live areas
 *
 * DEVIATION (what differs from mm/percpu.c): no chunks, no allocation bitmap, no unit
 * layout shared by all allocations, no first/reserved chunk, no populated-page tracking
 * and no balance work; the memory is slab memory (it shows as Slab in /proc/meminfo, not
 * as Percpu); per_cpu_ptr() accepts only a pointer returned by __alloc_percpu (not one
 * offset into the object) and returns 0 for anything else, where the kernel would compute
 * a wild address; free_percpu() of a pointer that is not live gets a kmem-only WARN where
 * the kernel would corrupt its chunk. The per-CPU pointer is directly dereferenceable
 * (it is CPU 0's copy), whereas the kernel's __percpu pointers are offsets.
 */

import { isPowerOfTwo, PAGE_SIZE } from '../base/units.js';
import { __GFP_NOWARN, __GFP_ZERO, gfpAllowsBlocking } from './gfp.js';
import { kaddr } from './layout.js';
import type { Machine } from './machine.js';
import { KMALLOC_MAX_CACHE_SIZE } from './slab.js';

/** PCPU_MIN_ALLOC_SIZE: the allocation granule (and minimum alignment), in bytes. */
export const PCPU_MIN_ALLOC_SIZE = 4;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU object, in bytes (32 KiB). */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;

const FILE = 'mm/percpu.c';

const instances = new WeakMap<Machine, Percpu>();

/** The per-CPU allocator of one machine. */
export class Percpu {
  readonly #m: Machine;
  /** Live per-CPU pointer → stride between CPU copies. */
  readonly #stride = new Map<number, number>();
  /** Live per-CPU pointer → bytes of its kmalloc area. */
  readonly #bytes = new Map<number, number>();
  #bytesInUse = 0;
  /** pcpu_alloc's static warn_limit: failure warnings left. */
  #warnLimit = 10;

  /** The per-CPU allocator of `m` (created on first use). */
  static of(m: Machine): Percpu {
    let p = instances.get(m);
    if (p === undefined) {
      p = new Percpu(m);
      instances.set(m, p);
    }
    return p;
  }

  private constructor(m: Machine) {
    this.#m = m;
  }

  /** Live allocations. */
  get nrAllocs(): number {
    return this.#stride.size;
  }

  /** Bytes of kmalloc memory held by live allocations (all CPUs' copies and padding). */
  get bytesInUse(): number {
    return this.#bytesInUse;
  }

  /**
   * Allocate a zeroed object of `size` bytes aligned to `align` for every possible CPU.
   *
   * `align` below PCPU_MIN_ALLOC_SIZE is raised to it and `size` rounded up to a multiple
   * of it, as the kernel does, before the checks.
   *
   * Kernel: mm/percpu.c pcpu_alloc(size, align, false, gfp).
   * Context: may sleep unless `gfp` forbids it (kmalloc's might_sleep check).
   *
   * @returns the per-CPU pointer (CPU 0's copy), or 0 (NULL): after the kernel's WARN
   *   "illegal size (%zu) or align (%zu) for percpu allocation" when the rounded size is 0
   *   or above PCPU_MIN_UNIT_SIZE, or `align` is above PAGE_SIZE or not a power of two;
   *   after "percpu: allocation failed, ..." (at most 10 times) when memory is short.
   *   __GFP_NOWARN silences both.
   */
  alloc(size: number, align: number, gfp: number): number {
    const m = this.#m;
    const doWarn = (gfp & __GFP_NOWARN) === 0;
    if (align < PCPU_MIN_ALLOC_SIZE) align = PCPU_MIN_ALLOC_SIZE;
    size = Math.ceil(size / PCPU_MIN_ALLOC_SIZE) * PCPU_MIN_ALLOC_SIZE;
    if (!(size > 0) || size > PCPU_MIN_UNIT_SIZE || align > PAGE_SIZE || !isPowerOfTwo(align)) {
      if (doWarn) {
        m.log.warn(
          FILE,
          'pcpu_alloc',
          `illegal size (${size}) or align (${align}) for percpu allocation`,
        );
      }
      return 0;
    }
    const stride = Math.ceil(size / align) * align;
    let bytes = stride * m.cpus.possible;
    if (bytes <= KMALLOC_MAX_CACHE_SIZE) bytes = roundupPowOfTwo(bytes);
    const ptr = m.kmalloc.alloc(bytes, gfp | __GFP_ZERO | __GFP_NOWARN, -1);
    if (ptr === 0) {
      this.#failed(size, align, gfp, doWarn);
      return 0;
    }
    this.#stride.set(ptr, stride);
    this.#bytes.set(ptr, bytes);
    this.#bytesInUse += bytes;
    return ptr;
  }

  /** The failure path of pcpu_alloc: the rate-limited warning (cold). */
  #failed(size: number, align: number, gfp: number, doWarn: boolean): void {
    if (!doWarn || this.#warnLimit === 0) return;
    const atomic = gfpAllowsBlocking(gfp) ? 0 : 1;
    const log = this.#m.log;
    log.prWarn(
      'pcpu_alloc',
      `percpu: allocation failed, size=${size} align=${align} atomic=${atomic}, failed to allocate new chunk`,
    );
    if (--this.#warnLimit === 0) log.info('pcpu_alloc', 'percpu: limit reached, disable warning');
  }

  /**
   * Free every CPU's copy of `ptr`. NULL (0) is ignored.
   *
   * Kernel: mm/percpu.c free_percpu().
   * @returns nothing; a pointer that is not a live per-CPU allocation gets a kmem-only WARN
   *   and is ignored (see DEVIATION).
   */
  free(ptr: number): void {
    if (ptr === 0) return;
    const bytes = this.#bytes.get(ptr);
    if (bytes === undefined) {
      this.#m.log.warn(
        FILE,
        'free_percpu',
        `free_percpu(${kaddr(ptr)}): not a live percpu allocation`,
      );
      return;
    }
    this.#stride.delete(ptr);
    this.#bytes.delete(ptr);
    this.#bytesInUse -= bytes;
    this.#m.kmalloc.free(ptr);
  }

  /**
   * The address of `cpu`'s copy of the per-CPU object `ptr`.
   *
   * Kernel: include/linux/percpu-defs.h per_cpu_ptr().
   * @returns the address, or 0 when `ptr` is not a live per-CPU allocation or `cpu` is not
   *   a possible CPU (see DEVIATION).
   */
  ptr(ptr: number, cpu: number): number {
    const stride = this.#stride.get(ptr);
    if (stride === undefined || !(cpu >= 0 && cpu < this.#m.cpus.possible)) return 0;
    return ptr + cpu * stride;
  }
}

/** roundup_pow_of_two(n) for 1 <= n <= 2^31. */
function roundupPowOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** (32 - Math.clz32(n - 1));
}
