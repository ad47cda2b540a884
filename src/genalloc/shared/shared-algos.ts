// SPDX-License-Identifier: GPL-2.0-only
/*
 * The algorithms a shared genpool can run, by the ids stored in its header: a function
 * cannot cross threads, so gen_pool_set_algo() on a shared pool stores an id and the
 * algorithm's data as one number (the alignment, or the fixed offset), and every attached
 * copy maps them back.
 *
 * Kernel: lib/genalloc.c gen_pool_set_algo() and the five built-in genpool_algo_t.
 *
 *   id 0  gen_pool_first_fit               this thread's fit-tree replica (change-log.ts)
 *   id 1  gen_pool_first_fit_align         the kernel's scan of the shared bitmap
 *   id 2  gen_pool_fixed_alloc             the kernel's scan
 *   id 3  gen_pool_first_fit_order_align   the kernel's scan
 *   id 4  gen_pool_best_fit                the kernel's scan
 *
 * Data structure: none (a mapping). Invariants: none.
 *
 * DEVIATION: gen_pool_set_algo() with a custom function is refused (RangeError).
 *
 * All five are lock-free on a shared pool as they are in the kernel: each reads the bitmap
 * without a lock, and the claim verifies. A custom algorithm can be passed per call
 * (allocAlgo), not set pool-wide.
 */

import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo,
  type GenPoolDataAlign,
  type GenPoolDataFixed,
} from '../algos.js';
import {
  ALGO_BEST_FIT,
  ALGO_FIRST_FIT,
  ALGO_FIRST_FIT_ALIGN,
  ALGO_FIXED,
  ALGO_ORDER_ALIGN,
} from './layout.js';

/**
 * The header id of a built-in algorithm.
 * @returns the id, or -1 for any other function.
 */
export function algoIdOf(algo: GenPoolAlgo): number {
  if (algo === gen_pool_first_fit) return ALGO_FIRST_FIT;
  if (algo === gen_pool_first_fit_align) return ALGO_FIRST_FIT_ALIGN;
  if (algo === gen_pool_fixed_alloc) return ALGO_FIXED;
  if (algo === gen_pool_first_fit_order_align) return ALGO_ORDER_ALIGN;
  if (algo === gen_pool_best_fit) return ALGO_BEST_FIT;
  return -1;
}

/** The algorithm of a header id (an unknown id is first fit). */
export function algoById(id: number): GenPoolAlgo {
  switch (id) {
    case ALGO_FIRST_FIT_ALIGN:
      return gen_pool_first_fit_align;
    case ALGO_FIXED:
      return gen_pool_fixed_alloc;
    case ALGO_ORDER_ALIGN:
      return gen_pool_first_fit_order_align;
    case ALGO_BEST_FIT:
      return gen_pool_best_fit;
    default:
      return gen_pool_first_fit;
  }
}

/**
 * The number stored for an algorithm's data: `align` for first_fit_align, `offset` for
 * fixed_alloc, else 0.
 * @returns the number; NaN when the algorithm needs data and `data` is not an object (the
 *   algorithm then BUGs as in the kernel, which dereferences NULL).
 */
export function algoDataNumber(id: number, data: unknown): number {
  if (id !== ALGO_FIRST_FIT_ALIGN && id !== ALGO_FIXED) return 0;
  if (data === null || typeof data !== 'object') return NaN;
  if (id === ALGO_FIRST_FIT_ALIGN) return (data as GenPoolDataAlign).align | 0;
  return Number((data as GenPoolDataFixed).offset);
}
