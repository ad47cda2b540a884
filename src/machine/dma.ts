// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coherent DMA memory: dma_alloc_coherent/dma_free_coherent for a device, through the
 * direct mapping (no IOMMU): whole page blocks from the page allocator, aligned to their
 * order, from the zone the device's coherent mask can reach, zeroed, with the bus address
 * = physical address + the device's DMA offset.
 *
 * Kernel: kernel/dma/mapping.c (dma_alloc_attrs: WARN when the device has no coherent
 * mask; the zone modifiers of the caller are dropped), kernel/dma/direct.c
 * (dma_direct_alloc, __dma_direct_alloc_pages: zone from the mask, retry in ZONE_DMA32 then
 * ZONE_DMA when the pages are not addressable, get_order(size) pages — get_order(0) is
 * out of range, so a zero size fails in the page allocator), kernel/dma/debug.c
 * (check_unmap: the buffer is looked up by device and DMA address; err_printk is a WARN
 * whose line reads "DMA-API: <driver> <device>: ..." for frees of memory the device did
 * not allocate, or with another size or CPU address).
 *
 * DEVIATION: after a DMA-API report the memory is left alone (the kernel reports and then
 * frees whatever the arguments point at), and every report is shown (dma-debug shows the
 * first one unless show_all_errors is set).
 */

import type { KernelLog } from '../base/log.js';
import { PAGE_SIZE } from '../base/units.js';
import type { Device } from './device.js';
import type { FaultInjector } from './fault-inject.js';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_ZERO } from './gfp.js';
import { PAGE_OFFSET } from './layout.js';
import { PageOwner } from './memmap.js';
import type { PageAllocator } from './page-alloc.js';
import type { PhysMem } from './phys-mem.js';

/** A live coherent buffer. */
export interface CoherentBuffer {
  readonly vaddr: number;
  readonly dma: number;
  readonly size: number;
  readonly pfn: number;
  readonly order: number;
}

/** get_order(size): the smallest order whose block holds `size` bytes; 52 for size 0. */
export function getOrder(size: number): number {
  if (size === 0) return 52;
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** The coherent DMA allocator of a machine. */
export class DmaCoherent {
  /** Per device, its live buffers by DMA address (dma-debug's hash key). */
  readonly #buffers = new WeakMap<Device, Map<number, CoherentBuffer>>();
  readonly #pages: PageAllocator;
  readonly #phys: PhysMem;
  readonly #log: KernelLog;
  readonly #faults: FaultInjector;
  /** The bus address of the last successful {@link alloc} (the `dma_handle` out-parameter). */
  lastDma = 0;
  /** Bytes of coherent memory handed out and not freed, machine-wide. */
  bytesInUse = 0;

  constructor(pages: PageAllocator, phys: PhysMem, log: KernelLog, faults: FaultInjector) {
    this.#pages = pages;
    this.#phys = phys;
    this.#log = log;
    this.#faults = faults;
  }

  /**
   * dma_alloc_coherent(dev, size, &dma, gfp).
   * @returns the CPU (direct-map) address, with the bus address in {@link lastDma}; 0 (NULL)
   *   when the device has no coherent mask (after a WARN), memory is short, the mask
   *   cannot be met, or a fault was injected.
   */
  alloc(dev: Device, size: number, gfp: number): number {
    if (dev.coherent_dma_mask === 0) {
      this.#log.warn(
        'kernel/dma/mapping.c',
        'dma_alloc_attrs',
        null,
        `${dev.name} has no coherent DMA mask`,
      );
      return 0;
    }
    if (!Number.isSafeInteger(size) || size < 0) return 0;
    if (this.#faults.shouldFail('dma')) return 0;
    const order = getOrder(size);
    const base = gfp & ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_ZERO);
    const mask = dev.coherent_dma_mask === -1 ? Number.MAX_SAFE_INTEGER : dev.coherent_dma_mask;
    // The zone the mask calls for, then the lower ones when the pages fall out of reach.
    let zone = mask <= 2 ** 24 - 1 ? __GFP_DMA : mask <= 0xffffffff ? __GFP_DMA32 : 0;
    for (;;) {
      const pfn = this.#pages.allocPages(base | zone, order, dev.numa_node, PageOwner.dma);
      if (pfn < 0) return 0;
      const phys = pfn * PAGE_SIZE;
      const dma = phys + dev.dmaOffset;
      if (dma + Math.max(size, 1) - 1 <= mask) {
        this.#phys.fill(phys, 0, PAGE_SIZE * 2 ** order);
        const vaddr = PAGE_OFFSET + phys;
        this.#record(dev).set(dma, { vaddr, dma, size, pfn, order });
        this.bytesInUse += PAGE_SIZE * 2 ** order;
        this.lastDma = dma;
        return vaddr;
      }
      this.#pages.freePages(pfn, order);
      if (zone === 0 && mask < Number.MAX_SAFE_INTEGER) zone = __GFP_DMA32;
      else if (zone !== __GFP_DMA) zone = __GFP_DMA;
      else return 0;
    }
  }

  /**
   * dma_free_coherent(dev, size, vaddr, dma). A NULL `vaddr` is ignored. A free of a DMA
   * address the device did not allocate, or with another size or CPU address, is reported
   * with the DMA-API debug WARNs and the memory is left alone.
   */
  free(dev: Device, size: number, vaddr: number, dma: number): void {
    if (vaddr === 0) return;
    const buffers = this.#record(dev);
    const b = buffers.get(dma);
    if (b === undefined) {
      this.#report(
        dev,
        `device driver tries to free DMA memory it has not allocated [device address=${pad(dma)}] [size=${size} bytes]`,
      );
      return;
    }
    let bad = false;
    if (b.size !== size) {
      this.#report(
        dev,
        `device driver frees DMA memory with different size [device address=${pad(dma)}] [map size=${b.size} bytes] [unmap size=${size} bytes]`,
      );
      bad = true;
    }
    if (b.vaddr !== vaddr) {
      // "0x%pa": the kernel's format prints the 0x of %pa after its own.
      this.#report(
        dev,
        `device driver frees DMA memory with different CPU address [device address=${pad(dma)}] [size=${size} bytes] [cpu alloc address=0x${pad(b.vaddr - PAGE_OFFSET)}] [cpu free address=0x${pad(vaddr - PAGE_OFFSET)}]`,
      );
      bad = true;
    }
    if (bad) return;
    buffers.delete(dma);
    this.bytesInUse -= PAGE_SIZE * 2 ** b.order;
    this.#pages.freePages(b.pfn, b.order);
  }

  /** err_printk: a WARN whose line names the driver (or bus) and the device. */
  #report(dev: Device, text: string): void {
    const drv = dev.driver?.name ?? dev.bus;
    this.#log.warn('kernel/dma/debug.c', 'check_unmap', `DMA-API: ${drv} ${dev.name}: ${text}`);
  }

  /** The device's live coherent buffers, in allocation order. */
  buffers(dev: Device): CoherentBuffer[] {
    return [...this.#record(dev).values()]; // control-plane: listing for reports and tests
  }

  #record(dev: Device): Map<number, CoherentBuffer> {
    let m = this.#buffers.get(dev);
    if (m === undefined) {
      m = new Map();
      this.#buffers.set(dev, m);
    }
    return m;
  }
}

/** %pad: 0x + 16 hex digits. */
export function pad(dma: number): string {
  return `0x${dma.toString(16).padStart(16, '0')}`;
}
