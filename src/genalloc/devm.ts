// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-managed genpools: a pool that belongs to a device's managed resources (destroyed
 * when the driver detaches or the device goes away), found again by device and name.
 * The only genalloc file that knows about machine devices.
 *
 * Kernel: lib/genalloc.c devm_gen_pool_create (ERR_PTR(-EINVAL) when gen_pool_get already
 * finds a pool of that name, ERR_PTR(-ENOMEM) when the pool or its devres cannot be
 * allocated), devm_gen_pool_release, devm_gen_pool_match (a NULL name matches only an
 * unnamed pool), gen_pool_get.
 */

import { EINVAL, ENOMEM } from '../base/errno.js';
import type { KernelLog } from '../base/log.js';
import type { Device } from '../machine/device.js';
import { GenPool, type PoolMemory } from './gen-pool.js';

/** The devres release function's name; the kernel matches pools by it. */
const RELEASE = 'devm_gen_pool_release';

function matchName(name: string | null): (data: unknown) => boolean {
  return (data) => {
    const pool = data as GenPool;
    if (name === null || pool.name === null) return name === null && pool.name === null;
    return pool.name === name;
  };
}

/**
 * gen_pool_get(dev, name): the device's managed pool named `name` (null: the unnamed one).
 * @returns the pool, or null when none matches.
 */
export function genPoolGet(dev: Device, name: string | null): GenPool | null {
  const found = dev.devresFind(RELEASE, matchName(name));
  return found === undefined ? null : (found as GenPool);
}

/** What devm_gen_pool_create needs from the machine besides the device. */
export interface DevmContext {
  readonly log: KernelLog;
  readonly memory: PoolMemory;
  /** The machine's kmalloc fault check: true when the pool's allocation must fail. */
  readonly allocFails: () => boolean;
  /** The machine's page fault check, asked before each chunk (gen_pool_add's vzalloc). */
  readonly chunkAllocFails: () => boolean;
}

/**
 * devm_gen_pool_create(dev, min_alloc_order, nid, name).
 * @returns the pool; -EINVAL (an error pointer) when the device already has a pool of that
 *   name; -ENOMEM when its allocation fails or min_alloc_order is outside 0..40 (the
 *   gen_pool_create failure, which the kernel reports as -ENOMEM).
 */
export function devmGenPoolCreate(
  dev: Device,
  min_alloc_order: number,
  nid: number,
  name: string | null,
  ctx: DevmContext,
): GenPool | number {
  if (genPoolGet(dev, name) !== null) return -EINVAL;
  if (ctx.allocFails()) return -ENOMEM;
  if (!Number.isInteger(min_alloc_order) || min_alloc_order < 0 || min_alloc_order > 40) {
    return -ENOMEM; // gen_pool_create's failure is reported as -ENOMEM by devm_gen_pool_create
  }
  const pool = new GenPool(min_alloc_order, {
    nid,
    name,
    log: ctx.log,
    memory: ctx.memory,
    chunkAllocFails: ctx.chunkAllocFails,
  });
  dev.devresAdd(RELEASE, pool, (data) => (data as GenPool).destroy());
  return pool;
}

/** What of_gen_pool_get needs from the device tree and the platform bus. */
export interface OfLookup<N> {
  /** of_parse_phandle(np, propname, index). */
  parsePhandle(np: N, propname: string, index: number): N | null;
  /** of_find_device_by_node(np). */
  deviceOfNode(np: N): Device | null;
  /** The node's parent, or null. */
  parentOf(np: N): N | null;
  /** The node's `label` property, or null; else its full name. */
  poolName(np: N): string;
}

/**
 * of_gen_pool_get(np, propname, index): the pool the phandle `propname[index]` of `np`
 * points at — the unnamed pool of that node's own device, or else the pool of its parent's
 * device named by the node's label (or full name).
 * @returns the pool, or null when any step finds nothing.
 */
export function ofGenPoolGet<N>(
  np: N,
  propname: string,
  index: number,
  of: OfLookup<N>,
): GenPool | null {
  const npPool = of.parsePhandle(np, propname, index);
  if (npPool === null) return null;
  let name: string | null = null;
  let pdev = of.deviceOfNode(npPool);
  if (pdev === null) {
    const parent = of.parentOf(npPool);
    pdev = parent === null ? null : of.deviceOfNode(parent);
    name = of.poolName(npPool);
  }
  return pdev === null ? null : genPoolGet(pdev, name);
}
