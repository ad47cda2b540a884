// SPDX-License-Identifier: GPL-2.0-only
/*
 * Out-parameters: the kernel's `T *p` arguments (`dma_addr_t *handle`, `void **owner`) as a
 * caller-owned `{ value }` object, shared by every allocator's both faces.
 */

/** A caller-owned out-parameter, the kernel's `T *p` (`dma_addr_t *dma`, `void **owner`). */
export interface Out<T> {
  value: T;
}
