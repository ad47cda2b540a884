// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-managed dmapools: dmam_pool_create registers the pool with the device's managed
 * resources, so it is destroyed when the driver detaches; dmam_pool_destroy releases that
 * resource now, and WARNs when the pool has none.
 *
 * Kernel: mm/dmapool.c dmam_pool_create (devres_alloc failure → NULL; the last parameter
 * is the boundary despite its name), dmam_pool_release, dmam_pool_match,
 * dmam_pool_destroy (WARN_ON(devres_release(...))).
 */

import type { Device } from '../machine/device.js';
import type { Machine } from '../machine/machine.js';
import { DmaPool } from './dma-pool.js';

const RELEASE = 'dmam_pool_release';

/**
 * dmam_pool_create(name, dev, size, align, allocation).
 * @returns the pool, or null as dma_pool_create, or when the devres cannot be allocated.
 */
export function dmamPoolCreate(
  m: Machine,
  name: string,
  dev: Device | null,
  size: number,
  align: number,
  boundary: number,
): DmaPool | null {
  if (dev === null) return null;
  if (m.faults.shouldFail('kmalloc')) return null; // devres_alloc
  const pool = DmaPool.create(m, name, dev, size, align, boundary);
  if (pool !== null) dev.devresAdd(RELEASE, pool, (p) => (p as DmaPool).destroy());
  return pool;
}

/**
 * dmam_pool_destroy(pool): destroy a managed pool now. A pool that is not managed gets the
 * kernel's WARN and is left alone.
 */
export function dmamPoolDestroy(m: Machine, pool: DmaPool): void {
  const r = pool.dev.devresRelease(RELEASE, (p) => p === pool);
  if (r !== 0) {
    m.log.warn(
      'mm/dmapool.c',
      'dmam_pool_destroy',
      null,
      `pool '${pool.name}' is not device-managed`,
    );
  }
}
