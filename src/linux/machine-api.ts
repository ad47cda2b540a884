// SPDX-License-Identifier: GPL-2.0-only
/*
 * The machine part of the kernel API: pages, kmalloc, memory access, contexts, deferred
 * work, devices, coherent DMA, ioremap, the device tree (of_*), and the device-managed
 * genpools — under the kernel's names and argument order, bound to one machine.
 *
 * Kernel: include/linux/gfp.h, mm.h, slab.h, preempt.h, smp.h, device.h,
 * dma-mapping.h, io.h, of.h, genalloc.h (devm_gen_pool_create, gen_pool_get,
 * of_gen_pool_get).
 */

import { KernelBug } from '../base/errors.js';
import { EIO } from '../base/errno.js';
import { PAGE_SIZE } from '../base/units.js';
import { devmGenPoolCreate, genPoolGet, ofGenPoolGet } from '../genalloc/devm.js';
import type { Out } from '../base/out.js';
import type { GenPool } from '../genalloc/gen-pool.js';
import type { Device } from '../machine/device.js';
import type { DeviceNode } from '../machine/devicetree/device-node.js';
import { getOrder } from '../machine/dma.js';
import { kaddr, PAGE_OFFSET } from '../machine/layout.js';
import type { Machine } from '../machine/machine.js';
import { type Page, PageOwner } from '../machine/memmap.js';
import type { WorkItem } from '../machine/workqueue.js';
import { __GFP_ZERO } from '../machine/gfp.js';

/** Build the machine functions of the kernel API of `m`. */
export function machineApi(m: Machine) {
  const pageOf = (pfn: number): Page | null => (pfn < 0 ? null : m.memmap.page(pfn));
  const directPfn = (addr: number): number => Math.floor((addr - PAGE_OFFSET) / PAGE_SIZE);
  const needPage = (page: Page | null, site: string): Page => {
    if (page === null) throw new KernelBug(`${site}: NULL struct page`);
    return page;
  };
  const poolCtx = {
    log: m.log,
    memory: { memset: (addr: number, c: number, n: number) => m.mmu.fill(addr, c, n) },
    allocFails: () => m.faults.shouldFail('kmalloc'),
    chunkAllocFails: () => m.faults.shouldFail('page'),
  };
  const tree = () => m.platform.tree;
  return {
    // ── Pages (include/linux/gfp.h, mm.h) ─────────────────────────────────────
    /** alloc_pages(gfp, order). @returns the first page, or null. */
    alloc_pages(gfp: number, order: number): Page | null {
      return pageOf(m.pages.allocPages(gfp, order, -1, PageOwner.pages));
    },
    /** alloc_pages_node(nid, gfp, order). @returns the first page, or null. */
    alloc_pages_node(nid: number, gfp: number, order: number): Page | null {
      return pageOf(m.pages.allocPages(gfp, order, nid, PageOwner.pages));
    },
    /** alloc_page(gfp). @returns the page, or null. */
    alloc_page(gfp: number): Page | null {
      return pageOf(m.pages.allocPages(gfp, 0, -1, PageOwner.pages));
    },
    /** __free_pages(page, order). @throws {KernelBug} for NULL or a double free. */
    __free_pages(page: Page | null, order: number): void {
      m.pages.freePages(needPage(page, '__free_pages').pfn, order);
    },
    /** __free_page(page). @throws {KernelBug} for NULL or a double free. */
    __free_page(page: Page | null): void {
      m.pages.freePages(needPage(page, '__free_page').pfn, 0);
    },
    /** __get_free_pages(gfp, order). @returns the direct-map address, or 0. */
    __get_free_pages(gfp: number, order: number): number {
      const pfn = m.pages.allocPages(gfp, order, -1, PageOwner.pages);
      return pfn < 0 ? 0 : PAGE_OFFSET + pfn * PAGE_SIZE;
    },
    /** get_zeroed_page(gfp). @returns the direct-map address, or 0. */
    get_zeroed_page(gfp: number): number {
      const pfn = m.pages.allocPages(gfp | __GFP_ZERO, 0, -1, PageOwner.pages);
      return pfn < 0 ? 0 : PAGE_OFFSET + pfn * PAGE_SIZE;
    },
    /** free_pages(addr, order); 0 is ignored. @throws {KernelBug} for a non-direct-map address. */
    free_pages(addr: number, order: number): void {
      if (addr === 0) return;
      if (addr < PAGE_OFFSET || (addr - PAGE_OFFSET) % PAGE_SIZE !== 0) {
        throw new KernelBug(`free_pages: ${kaddr(addr)} is not a page in the direct map`);
      }
      m.pages.freePages(directPfn(addr), order);
    },
    /** free_page(addr). */
    free_page(addr: number): void {
      this.free_pages(addr, 0);
    },
    /** get_page(page): take a reference. */
    get_page(page: Page): void {
      m.pages.getPage(page.pfn);
    },
    /** put_page(page): drop a reference of an order-0 page, freeing it at zero. */
    put_page(page: Page): void {
      m.pages.freePages(page.pfn, page.order < 0 ? 0 : page.order);
    },
    /** page_address(page): its direct-map address. */
    page_address(page: Page): number {
      return PAGE_OFFSET + page.pfn * PAGE_SIZE;
    },
    /** virt_to_page(addr) for a direct-map address. @returns the page, or null. */
    virt_to_page(addr: number): Page | null {
      return addr < PAGE_OFFSET ? null : m.memmap.page(directPfn(addr));
    },
    /** virt_to_phys(addr) / __pa for a direct-map address. */
    virt_to_phys(addr: number): number {
      return addr - PAGE_OFFSET;
    },
    /** phys_to_virt(phys) / __va. */
    phys_to_virt(phys: number): number {
      return phys + PAGE_OFFSET;
    },
    page_to_phys(page: Page): number {
      return page.pfn * PAGE_SIZE;
    },
    page_to_pfn(page: Page): number {
      return page.pfn;
    },
    /** pfn_to_page(pfn). @returns the page, or null when pfn is not RAM. */
    pfn_to_page(pfn: number): Page | null {
      return m.memmap.page(pfn);
    },
    page_to_nid(page: Page): number {
      return page.nid;
    },
    /** pfn_valid(pfn). */
    pfn_valid(pfn: number): boolean {
      return m.memmap.isRam(pfn);
    },
    totalram_pages(): number {
      return m.pages.totalramPages;
    },
    nr_free_pages(): number {
      return m.pages.nrFreePages;
    },
    get_order: getOrder,

    // ── kmalloc (include/linux/slab.h) ───────────────────────────────────────
    /** kmalloc(size, gfp). @returns the address, ZERO_SIZE_PTR for 0, or 0 (NULL). */
    kmalloc(size: number, gfp: number): number {
      return m.kmalloc.alloc(size, gfp, -1);
    },
    kzalloc(size: number, gfp: number): number {
      return m.kmalloc.alloc(size, gfp | __GFP_ZERO, -1);
    },
    kmalloc_node(size: number, gfp: number, node: number): number {
      return m.kmalloc.alloc(size, gfp, node);
    },
    kzalloc_node(size: number, gfp: number, node: number): number {
      return m.kmalloc.alloc(size, gfp | __GFP_ZERO, node);
    },
    /** kmalloc_array(n, size, gfp): 0 (NULL) when n * size overflows size_t. */
    kmalloc_array(n: number, size: number, gfp: number): number {
      const bytes = n * size;
      return Number.isSafeInteger(bytes) ? m.kmalloc.alloc(bytes, gfp, -1) : 0;
    },
    kcalloc(n: number, size: number, gfp: number): number {
      const bytes = n * size;
      return Number.isSafeInteger(bytes) ? m.kmalloc.alloc(bytes, gfp | __GFP_ZERO, -1) : 0;
    },
    /** kfree(addr). @throws {KernelBug} on a double free. */
    kfree(addr: number): void {
      m.kmalloc.free(addr);
    },
    ksize(addr: number): number {
      return m.kmalloc.ksize(addr);
    },

    // ── Memory access through the MMU ──────────────────────────────────────────
    /** Read `len` bytes at `addr`. @throws {PageFault} on an unmapped byte. */
    mem_read(addr: number, len: number): Uint8Array {
      return m.mmu.read(addr, len);
    },
    /** Write `bytes` at `addr`. @throws {PageFault} on an unmapped or read-only byte. */
    mem_write(addr: number, bytes: Uint8Array): void {
      m.mmu.write(addr, bytes);
    },
    /** memset(addr, c, n). @returns addr. @throws {PageFault}. */
    memset(addr: number, c: number, n: number): number {
      m.mmu.fill(addr, c, n);
      return addr;
    },
    /** memcpy(dst, src, n). @returns dst. @throws {PageFault}. */
    memcpy(dst: number, src: number, n: number): number {
      m.mmu.write(dst, m.mmu.read(src, n));
      return dst;
    },

    // ── CPUs and contexts ────────────────────────────────────────────────────
    in_interrupt(): boolean {
      return m.cpus.inInterrupt();
    },
    in_irq(): boolean {
      return m.cpus.inHardirq();
    },
    in_hardirq(): boolean {
      return m.cpus.inHardirq();
    },
    in_nmi(): boolean {
      return m.cpus.inNmi();
    },
    in_atomic(): boolean {
      return m.cpus.inAtomic();
    },
    smp_processor_id(): number {
      return m.cpus.current;
    },
    num_online_cpus(): number {
      return m.cpus.online;
    },
    num_possible_cpus(): number {
      return m.cpus.possible;
    },
    get NR_CPUS(): number {
      return m.cpus.nrCpus;
    },
    /** might_sleep(): complain (in the log) when called where sleeping is not allowed. */
    might_sleep(): void {
      m.cpus.mightSleep('include/linux/kernel.h', 0, 'might_sleep');
    },
    /** schedule_work(work). @returns false when it was already pending. */
    schedule_work(work: WorkItem): boolean {
      return m.work.schedule(work);
    },
    /** flush_scheduled_work(): run every pending work item. */
    flush_scheduled_work(): void {
      m.work.runAll();
    },

    // ── Devices, DMA, ioremap ──────────────────────────────────────────────────
    dev_name(dev: Device): string {
      return dev.name;
    },
    dev_to_node(dev: Device): number {
      return dev.numa_node;
    },
    /** device_unregister(dev): release the driver and every managed resource, remove the device. */
    device_unregister(dev: Device): void {
      m.platform.unregister(dev);
    },
    /** device_release_driver(dev): detach the driver (managed resources released, newest first). */
    device_release_driver(dev: Device): void {
      m.platform.releaseDriver(dev);
    },
    /** dma_set_mask(dev, mask). @returns 0, or -EIO when the mask cannot reach ZONE_DMA. */
    dma_set_mask(dev: Device, mask: number): number {
      if (mask !== -1 && mask < 2 ** 24 - 1) return -EIO;
      dev.dma_mask = mask;
      return 0;
    },
    /** dma_set_coherent_mask(dev, mask). @returns 0 or -EIO. */
    dma_set_coherent_mask(dev: Device, mask: number): number {
      if (mask !== -1 && mask < 2 ** 24 - 1) return -EIO;
      dev.coherent_dma_mask = mask;
      return 0;
    },
    /** dma_set_mask_and_coherent(dev, mask). @returns 0 or -EIO. */
    dma_set_mask_and_coherent(dev: Device, mask: number): number {
      const r = this.dma_set_mask(dev, mask);
      return r === 0 ? this.dma_set_coherent_mask(dev, mask) : r;
    },
    /**
     * dma_alloc_coherent(dev, size, dma_handle, gfp).
     * @returns the CPU address (and the bus address in `dma_handle.value`), or 0 (NULL).
     */
    dma_alloc_coherent(dev: Device, size: number, dma_handle: Out<number>, gfp: number): number {
      const vaddr = m.dma.alloc(dev, size, gfp);
      if (vaddr !== 0) dma_handle.value = m.dma.lastDma;
      return vaddr;
    },
    /** dma_free_coherent(dev, size, vaddr, dma_handle). */
    dma_free_coherent(dev: Device, size: number, vaddr: number, dma_handle: number): void {
      m.dma.free(dev, size, vaddr, dma_handle);
    },
    /** ioremap(phys, size). @returns the virtual address, or 0 (NULL). */
    ioremap(phys: number, size: number): number {
      return m.ioremap.create(phys, size);
    },
    iounmap(addr: number): void {
      m.ioremap.unmap(addr);
    },
    /** devm_kzalloc(dev, size, gfp): zeroed kmalloc memory freed with the device. @returns the address or 0. */
    devm_kzalloc(dev: Device, size: number, gfp: number): number {
      const p = m.kmalloc.alloc(size, gfp | __GFP_ZERO, dev.numa_node);
      if (p !== 0) dev.devresAdd('devm_kmalloc_release', p, (a) => m.kmalloc.free(a as number));
      return p;
    },

    // ── Device tree (include/linux/of.h) ───────────────────────────────────────
    /** of_find_node_by_path(path). @returns the node, or null. */
    of_find_node_by_path(path: string): DeviceNode | null {
      return tree()?.findNodeByPath(path) ?? null;
    },
    /** of_parse_phandle(np, phandle_name, index). @returns the node, or null. */
    of_parse_phandle(np: DeviceNode, phandle_name: string, index: number): DeviceNode | null {
      return tree()?.parsePhandle(np, phandle_name, index) ?? null;
    },
    /** of_property_read_u32(np, propname, out). @returns 0, -EINVAL, -ENODATA or -EOVERFLOW. */
    of_property_read_u32(np: DeviceNode, propname: string, out_value: Out<number>): number {
      return np.readU32(propname, out_value);
    },
    /** of_property_read_string(np, propname, out). @returns 0, -EINVAL, -ENODATA or -EILSEQ. */
    of_property_read_string(np: DeviceNode, propname: string, out_string: Out<string>): number {
      return np.readString(propname, out_string);
    },
    of_property_read_bool(np: DeviceNode, propname: string): boolean {
      return np.readBool(propname);
    },
    /** of_device_is_compatible(np, compat): 1 when it matches, else 0. */
    of_device_is_compatible(np: DeviceNode, compat: string): number {
      return np.isCompatible(compat) ? 1 : 0;
    },
    of_device_is_available(np: DeviceNode): boolean {
      return np.isAvailable();
    },
    of_get_parent(np: DeviceNode): DeviceNode | null {
      return np.parent;
    },
    of_node_full_name(np: DeviceNode): string {
      return np.fullName;
    },
    /** of_find_device_by_node(np). @returns the platform device, or null. */
    of_find_device_by_node(np: DeviceNode): Device | null {
      return m.platform.deviceOfNode(np);
    },

    // ── Device-managed genpools (lib/genalloc.c) ───────────────────────────────
    /**
     * devm_gen_pool_create(dev, min_alloc_order, nid, name).
     * @returns the pool, or ERR_PTR(-EINVAL) (name taken) / ERR_PTR(-ENOMEM).
     */
    devm_gen_pool_create(
      dev: Device,
      min_alloc_order: number,
      nid: number,
      name: string | null,
    ): GenPool | number {
      return devmGenPoolCreate(dev, min_alloc_order, nid, name, poolCtx);
    },
    /** gen_pool_get(dev, name). @returns the pool, or null. */
    gen_pool_get(dev: Device, name: string | null): GenPool | null {
      return genPoolGet(dev, name);
    },
    /** of_gen_pool_get(np, propname, index). @returns the pool, or null. */
    of_gen_pool_get(np: DeviceNode, propname: string, index: number): GenPool | null {
      const t = tree();
      if (t === null) return null;
      return ofGenPoolGet(np, propname, index, {
        parsePhandle: (n, p, i) => t.parsePhandle(n, p, i),
        deviceOfNode: (n) => m.platform.deviceOfNode(n),
        parentOf: (n) => n.parent,
        poolName: (n) => {
          const out = { value: '' };
          return n.readString('label', out) === 0 ? out.value : n.fullName;
        },
      });
    },
  };
}
