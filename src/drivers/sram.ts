// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mmio-sram driver: turns a `compatible = "mmio-sram"` device-tree node into a
 * device-managed genpool over its memory (granularity 32 bytes), minus the reserved child
 * regions; a child region with the `pool` property becomes a pool of its own, named by its
 * `label` or else its full node name, so that of_gen_pool_get finds it as on a board.
 *
 * Kernel: drivers/misc/sram.c (sram_probe, sram_reserve_regions, sram_add_pool,
 * sram_remove; SRAM_GRANULARITY 32), kernel/resource.c (devm_request_mem_region: -EBUSY
 * when another driver holds the range).
 *
 * dev_err's %pOF prints a node's full path (/sram@fe000000/pool@1000); the default pool
 * name is of_node_full_name(), the node's own name@unit.
 *
 * DEVIATION: no clock, no `export` sysfs file (the `export` property only reserves the
 * region), no protect-exec/ARM-specific variants.
 */

import { EBUSY, EINVAL, ENOMEM } from '../base/errno.js';
import { devmGenPoolCreate, type DevmContext } from '../genalloc/devm.js';
import type { GenPool } from '../genalloc/gen-pool.js';
import type { Device, Driver } from '../machine/device.js';
import type { DeviceNode } from '../machine/devicetree/dts-parser.js';
import { Machine } from '../machine/machine.js';

/** SRAM_GRANULARITY: 32-byte granules (min_alloc_order 5). */
export const SRAM_GRANULARITY = 32;
const ORDER = 5;

interface Block {
  start: number;
  size: number;
  pool: boolean;
  label: string;
}

interface SramDev {
  readonly pool: GenPool;
  readonly partitions: GenPool[];
}

const drvdata = new WeakMap<Device, SramDev>();

/** The machine services the driver's pools need. */
function context(m: Machine): DevmContext {
  return {
    log: m.log,
    memory: { memset: (addr, c, n) => m.mmu.fill(addr, c, n) },
    allocFails: () => m.faults.shouldFail('kmalloc'),
    chunkAllocFails: () => m.faults.shouldFail('page'),
  };
}

function probe(dev: Device, m: Machine): number {
  const np = dev.of_node as DeviceNode;
  const regs = np.property('reg') === undefined ? [] : np.reg();
  if (regs.length === 0) {
    dev.err('sram_probe', 'found no memory resource');
    return -EINVAL;
  }
  const start = np.translateAddress(regs[0]!.address);
  const size = regs[0]!.size;
  if (start < 0 || !m.platform.requestMemRegion(dev, start, size)) {
    dev.err('sram_probe', 'could not request region for resource');
    return -EBUSY;
  }
  const virt = m.ioremap.create(start, size);
  if (virt === 0) return -ENOMEM;
  dev.devresAdd('devm_ioremap_release', virt, (v) => m.ioremap.unmap(v as number));
  const ctx = context(m);
  const pool = devmGenPoolCreate(dev, ORDER, -1, null, ctx);
  if (typeof pool === 'number') return pool;
  const sram: SramDev = { pool, partitions: [] };
  const ret = reserveRegions(dev, np, sram, start, size, virt, ctx);
  if (ret !== 0) return ret;
  drvdata.set(dev, sram);
  return 0;
}

function readBlocks(dev: Device, np: DeviceNode, start: number, size: number): Block[] | number {
  const blocks: Block[] = [];
  const children = np.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (!child.isAvailable()) continue;
    const regs = child.property('reg') === undefined ? [] : child.reg();
    const cstart = regs.length > 0 ? child.translateAddress(regs[0]!.address) : -1;
    if (cstart < 0) {
      dev.err('sram_reserve_regions', `could not get address for node ${child.path}`);
      return -EINVAL;
    }
    const csize = regs[0]!.size;
    if (cstart < start || cstart + csize > start + size) {
      dev.err('sram_reserve_regions', `reserved block ${child.path} outside the sram area`);
      return -EINVAL;
    }
    const pool = child.readBool('pool');
    let label = child.fullName;
    if (pool || child.readBool('export')) {
      const out = { value: '' };
      const r = child.readString('label', out);
      if (r === 0) label = out.value;
      else if (r !== -EINVAL) {
        dev.err('sram_reserve_regions', `${child.path} has invalid label name`);
        return r;
      }
    }
    blocks.push({ start: cstart - start, size: csize, pool, label });
  }
  blocks.push({ start: size, size: 0, pool: false, label: '' });
  return blocks.sort((a, b) => a.start - b.start); // control-plane: list_sort of a probe
}

function reserveRegions(
  dev: Device,
  np: DeviceNode,
  sram: SramDev,
  start: number,
  size: number,
  virt: number,
  ctx: DevmContext,
): number {
  const blocks = readBlocks(dev, np, start, size);
  if (typeof blocks === 'number') return blocks;
  let cur = 0;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.start < cur) {
      dev.err(
        'sram_reserve_regions',
        `block at 0x${b.start.toString(16)} starts after current offset 0x${cur.toString(16)}`,
      );
      return -EINVAL;
    }
    if (b.pool && b.size > 0) {
      const part = devmGenPoolCreate(dev, ORDER, -1, b.label, ctx);
      if (typeof part === 'number') return part;
      const r = part.addVirt(virt + b.start, start + b.start, b.size, -1);
      if (r < 0) {
        dev.err('sram_add_pool', `failed to register subpool: ${r}`);
        return r;
      }
      sram.partitions.push(part);
    }
    if (b.start === cur) {
      cur = b.start + b.size;
      continue;
    }
    const r = sram.pool.addVirt(virt + cur, start + cur, b.start - cur, -1);
    if (r < 0) return r;
    cur = b.start + b.size;
  }
  return 0;
}

function remove(dev: Device): void {
  const sram = drvdata.get(dev);
  if (sram === undefined) return;
  for (let i = sram.partitions.length - 1; i >= 0; i--) {
    const p = sram.partitions[i]!;
    if (p.avail() < p.size()) dev.err('sram_free_partitions', 'removed pool while SRAM allocated');
  }
  if (sram.pool.avail() < sram.pool.size()) dev.err('sram_remove', 'removed while SRAM allocated');
  drvdata.delete(dev);
}

/** The mmio-sram platform driver ("sram"). */
export const sramDriver: Driver = {
  name: 'sram',
  compatible: ['mmio-sram'],
  probe,
  remove,
};

Machine.registerBuiltinDriver(sramDriver);
