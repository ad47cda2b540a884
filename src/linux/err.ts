// SPDX-License-Identifier: GPL-2.0-only
/*
 * Error pointers and constants of the kernel API.
 *
 * Kernel: include/linux/err.h (ERR_PTR, PTR_ERR, IS_ERR, IS_ERR_OR_NULL, MAX_ERRNO),
 * include/linux/numa.h (NUMA_NO_NODE).
 *
 * An ERR_PTR(-E) is the negative number -E; a real pointer is an object or a non-negative
 * address, NULL is null or 0.
 */

/** The largest errno an error pointer carries. */
export const MAX_ERRNO = 4095;
/** "Any node". */
export const NUMA_NO_NODE = -1;

/** Return true when `p` is an error pointer (a number in [-MAX_ERRNO, -1]). Kernel: IS_ERR(). */
export function IS_ERR(p: unknown): p is number {
  return typeof p === 'number' && p < 0 && p >= -MAX_ERRNO;
}

/** Return true when `p` is NULL (null, undefined or 0) or an error pointer. */
export function IS_ERR_OR_NULL(p: unknown): boolean {
  return p === null || p === undefined || p === 0 || IS_ERR(p);
}

/** Return the errno of an error pointer (a negative number). Kernel: PTR_ERR(). */
export function PTR_ERR(p: unknown): number {
  return typeof p === 'number' ? p : 0;
}

/** Return the error pointer for -errno `e`. Kernel: ERR_PTR(). */
export function ERR_PTR(e: number): number {
  return e;
}
