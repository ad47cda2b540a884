// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vmalloc: the vmalloc subsystem of one machine — vmap areas bound to vm_structs, mapping
 * and unmapping pages in the kernel page tables, lazy freeing with batched TLB flushes,
 * vfree/vunmap/vmap, and the hooks ioremap and /proc use.
 *
 * Kernel: mm/vmalloc.c alloc_vmap_area (node pool, purge-and-retry, the "Address range
 * restricted" warning), __get_vm_area_node, get_vm_area(_caller), find_vm_area,
 * remove_vm_area, free_vm_area, free_unmap_vmap_area, free_vmap_area_noflush,
 * lazy_max_pages, drain_vmap_area_work, reclaim_and_purge_vmap_areas, vm_unmap_aliases,
 * vfree, vfree_atomic (delayed_vfree_work), vunmap, vmap, vmap_pages_range,
 * vunmap_range_noflush, vmalloc_to_page, is_vmalloc_addr.
 *
 * The address-space search lives in VaSpace; this file owns the policy around it (logs,
 * retries, page tables, TLBs, deferred work). The vmalloc family is in vmalloc-alloc.ts,
 * vread/vwrite in vread.ts, /proc/vmallocinfo in vmallocinfo.ts.
 */

import * as errno from '../base/errno.js';
import { KernelBug } from '../base/errors.js';
import { fls, isPowerOfTwo, PAGE_SHIFT, PAGE_SIZE } from '../base/units.js';
import { __GFP_NOWARN, __GFP_ZERO, formatGfp, GFP_KERNEL } from '../machine/gfp.js';
import { kaddr, PAGE_OFFSET, VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import { Machine } from '../machine/machine.js';
import type { Page } from '../machine/memmap.js';
import {
  _PAGE_NX,
  PAGE_KERNEL,
  PTE_TABLE_HUGE,
  PTE_TABLE_NONE,
  PTRS_PER_TABLE,
} from '../machine/page-table.js';
import type { WorkItem } from '../machine/workqueue.js';
import { NIL } from './va-store.js';
import { VA_CEILING, VaSpace } from './va-space.js';
import {
  IOREMAP_MAX_ORDER,
  LAZY_PAGES_PER_LOG,
  VM_FLUSH_RESET_PERMS,
  VM_IOREMAP,
  VM_MAP_PUT_PAGES,
  VM_NO_GUARD,
} from './vm-flags.js';
import { VmStruct } from './vm-struct.js';
import { formatVmallocinfo } from './vmallocinfo.js';
import { VmapBlocks } from './vmap-block.js';
import { vmallocNodeRange } from './vmalloc-alloc.js';

const FILE = 'mm/vmalloc.c';

/** %#lx: an unsigned long in hex; kernel addresses print sign-extended. */
export function lx(x: number): string {
  return x >= 2 ** 47 ? kaddr(x) : `0x${x.toString(16)}`;
}

const instances = new WeakMap<Machine, Vmalloc>();

/**
 * vm_structs freed by vfree() and kept for reuse, at most (a vfree/vmalloc loop needs one;
 * more only pins memory). See VmStruct's "Lifetime".
 */
const VM_SPARE_MAX = 64;
/** Page arrays of freed areas are kept for reuse up to this many pages, one per length. */
const PAGE_ARRAY_SPARE_MAX = 128;

/** Options of {@link Vmalloc.alloc}. */
export interface VmallocOptions {
  /** Zero the memory (vzalloc). @defaultValue false */
  readonly zero?: boolean;
  /** Alignment, a power of two. @defaultValue 1 */
  readonly align?: number;
  /** NUMA node of the pages. @defaultValue any (NUMA_NO_NODE) */
  readonly node?: number;
  /** Window of the address space. @defaultValue [VMALLOC_START, VMALLOC_END) */
  readonly start?: number;
  readonly end?: number;
  /** Page protection. @defaultValue PAGE_KERNEL */
  readonly prot?: number;
  /** Extra VM_* flags (VM_USERMAP, VM_NO_GUARD, ...). @defaultValue 0 */
  readonly flags?: number;
  /** Caller text for /proc/vmallocinfo. @defaultValue '' */
  readonly caller?: string;
}

/** The vmalloc subsystem of a machine. */
export class Vmalloc {
  readonly m: Machine;
  /** The vmap-area allocator (free tree, busy areas, lazy areas, node pools). */
  readonly space: VaSpace;
  /** nr_vmap_nodes = clamp(num_possible_cpus(), 1, 128). */
  readonly nrVmapNodes: number;
  /** The per-CPU vmap blocks of vm_map_ram. */
  readonly blocks: VmapBlocks;
  /** Purges performed (each is one TLB flush). */
  purges = 0;
  readonly #drainWork: WorkItem;
  readonly #freeWork: WorkItem[] = [];
  /** Per-CPU vfree_atomic lists (the kernel threads them through the freed memory). */
  readonly #deferred: number[][] = [];
  readonly #flush: (start: number, end: number) => void;
  #warnedRange = 0;
  /**
   * vm_structs freed by vfree, ready for reuse: a stack of #spareTop entries in a fixed
   * array (push/pop on a JS array would trim and regrow its backing store).
   */
  // control-plane: one array sized once, filled so that V8 keeps it packed
  readonly #spareVms: (VmStruct | null)[] = new Array<VmStruct | null>(VM_SPARE_MAX).fill(null);
  #spareTop = 0;
  /** Page arrays of freed areas by length (0 .. PAGE_ARRAY_SPARE_MAX), null when none. */
  // control-plane: one array sized once, filled so that V8 keeps it packed
  readonly #spareArrays: (Page[] | null)[] = new Array<Page[] | null>(
    PAGE_ARRAY_SPARE_MAX + 1,
  ).fill(null);

  /** The vmalloc subsystem of `m` (vmalloc_init ran when the machine booted). */
  static of(m: Machine): Vmalloc {
    let v = instances.get(m);
    if (v === undefined) {
      v = new Vmalloc(m);
      instances.set(m, v);
    }
    return v;
  }

  private constructor(m: Machine) {
    this.m = m;
    this.nrVmapNodes = Math.min(128, Math.max(1, m.cpus.possible));
    this.space = new VaSpace({
      nodes: this.nrVmapNodes,
      poolStart: VMALLOC_START,
      poolEnd: VMALLOC_END,
      lo: 1,
      hi: 1, // empty until vmalloc_init
      onOverlap: (s, e, os, oe) =>
        m.log.warn(
          FILE,
          'find_va_links',
          `vmalloc bug: ${lx(s)}-${lx(e)} overlaps with ${lx(os)}-${lx(oe)}`,
        ),
    });
    this.blocks = new VmapBlocks(this);
    this.#flush = (start, end) => m.tlbs.flushKernelRange(start, end, m.cpus.current);
    this.#drainWork = m.workItem('drain_vmap_area_work', () => this.#drain());
    for (let c = 0; c < m.cpus.nrCpus; c++) {
      this.#deferred.push([]);
      const cpu = c;
      this.#freeWork.push(m.workItem('delayed_vfree_work', () => this.#delayedFree(cpu)));
    }
    m.files.register('/proc/vmallocinfo', () => formatVmallocinfo(this));
    m.ioremap.space = {
      reserve: (size, phys) => {
        const vm = this.getVmArea(
          size,
          1,
          VM_IOREMAP,
          VMALLOC_START,
          VMALLOC_END,
          -1,
          0,
          'ioremap',
        );
        if (vm === null) return 0;
        vm.phys_addr = phys;
        return vm.addr;
      },
      release: (addr) => {
        this.removeVmArea(addr);
      },
    };
  }

  // ── boot ─────────────────────────────────────────────────────────────────────

  /** vmap_initialized: vmalloc_init has run. */
  get initialized(): boolean {
    return this.#initialized;
  }
  #initialized = false;
  /** The early vmlist (vm_area_add_early / vm_area_register_early), address-sorted. */
  vmlist: VmStruct | null = null;

  /**
   * vmalloc_init: every early vmlist entry becomes a busy area bound to its vm_struct, and
   * the gaps of [1, VA_CEILING) become the free space (vmap_init_free_space).
   */
  init(): void {
    if (this.#initialized) return;
    const space = this.space;
    let prevEnd = 1;
    for (let vm = this.vmlist; vm !== null; vm = vm.next) {
      const va = space.insertBusy(vm.addr, vm.size, 0);
      if (va !== NIL) space.s.vm[va] = vm;
      if (vm.addr > prevEnd) space.insertFreeRange(prevEnd, vm.addr);
      prevEnd = Math.max(prevEnd, vm.addr + vm.size);
    }
    if (VA_CEILING > prevEnd) space.insertFreeRange(prevEnd, VA_CEILING);
    this.#initialized = true;
  }

  // ── the vmap-area layer ──────────────────────────────────────────────────────

  /** lazy_max_pages(): fls(num_online_cpus()) × 32 MiB of pages. */
  lazyMaxPages(): number {
    return fls(this.m.cpus.online) * LAZY_PAGES_PER_LOG;
  }

  /**
   * alloc_vmap_area: reserve [addr, addr + size) inside [vstart, vend), aligned to `align`.
   * @returns the busy area's index, or -EINVAL (size 0 or not page-aligned, align not a
   *   power of two), -ENOMEM (the area object could not be allocated), -EBUSY (no room,
   *   after the purge-and-retry and the kernel's warning unless __GFP_NOWARN).
   */
  allocVmapArea(
    size: number,
    align: number,
    vstart: number,
    vend: number,
    gfp: number,
    vaFlags: number,
  ): number {
    if (size <= 0 || size % PAGE_SIZE !== 0 || !isPowerOfTwo(align)) return -errno.EINVAL;
    if (!this.#initialized) return -errno.EBUSY;
    if (this.m.faults.shouldFail('vmap_area')) return -errno.ENOMEM;
    const space = this.space;
    let addr = -1;
    let vnId = 0;
    if (space.poolsServe(vstart, vend)) {
      const node = this.m.cpus.current % this.nrVmapNodes;
      addr = space.poolTake(node, size, align);
      vnId = VaSpace.encodeNode(node);
    }
    if (addr < 0) addr = space.allocRange(size, align, vstart, vend);
    if (addr < 0) addr = this.#overflow(size, align, vstart, vend, gfp);
    if (addr < 0) return -errno.EBUSY;
    const va = space.insertBusy(addr, size, vaFlags | vnId);
    if (va === NIL) return -errno.EBUSY;
    return va;
  }

  /** The overflow path: purge everything once and retry, then warn. */
  #overflow(size: number, align: number, vstart: number, vend: number, gfp: number): number {
    this.reclaimAndPurge();
    const addr = this.space.allocRange(size, align, vstart, vend);
    if (addr >= 0) return addr;
    // vmap_notify_list: no notifier frees anything here.
    if ((gfp & __GFP_NOWARN) === 0 && this.#warnedRange < 10) {
      this.#warnedRange++; // printk_ratelimited: a burst of 10
      this.m.log.prWarn(
        'alloc_vmap_area',
        `vmalloc_node_range for size ${size} failed: Address range restricted to ${lx(vstart)} - ${lx(vend)}`,
      );
    }
    return -1;
  }

  /**
   * __get_vm_area_node: reserve an area (plus a guard page unless VM_NO_GUARD) and bind a
   * new vm_struct to it. Nothing is mapped.
   * @returns the vm_struct, or null (size 0, or the address space refused).
   * @throws {KernelBug} in interrupt context.
   */
  getVmArea(
    size: number,
    align: number,
    flags: number,
    start: number,
    end: number,
    node: number,
    gfp: number,
    caller: string,
    shift = PAGE_SHIFT,
  ): VmStruct | null {
    if (this.m.cpus.inInterrupt()) {
      this.m.log.bug(FILE, '__get_vm_area_node', 'BUG_ON(in_interrupt())');
      throw new KernelBug('__get_vm_area_node called in interrupt context');
    }
    if ((flags & VM_IOREMAP) !== 0) {
      const order = size <= 1 ? 0 : fls(Math.ceil(size) - 1);
      align = 2 ** Math.min(IOREMAP_MAX_ORDER, Math.max(PAGE_SHIFT, order));
    }
    // A constant unit keeps the sizes small integers (2 ** shift would make them doubles,
    // and every field and typed array they reach after that pays for it).
    const unit = shift === PAGE_SHIFT ? PAGE_SIZE : 2 ** shift;
    const requested = size;
    size = Math.ceil(size / unit) * unit;
    if (!(size > 0)) return null;
    if ((flags & VM_NO_GUARD) === 0) size += PAGE_SIZE;
    void node;
    const va = this.allocVmapArea(size, align, start, end, gfp, 0);
    if (va < 0) return null;
    let vm: VmStruct | null = null;
    if (this.#spareTop > 0) {
      vm = this.#spareVms[--this.#spareTop]!;
      this.#spareVms[this.#spareTop] = null;
    } else vm = newVm();
    vm.flags = flags;
    vm.caller = caller;
    vm.addr = this.space.s.startOf(va);
    vm.size = size;
    vm.requested_size = requested;
    this.space.s.vm[va] = vm;
    return vm;
  }

  /** find_vm_area: the vm_struct of the busy area containing `addr`, or null. */
  findVmArea(addr: number): VmStruct | null {
    const va = this.space.findBusy(addr);
    if (va === NIL) return null;
    return (this.space.s.vm[va] as VmStruct | null) ?? null;
  }

  /**
   * remove_vm_area: unlink the area containing `addr`, clear its PTEs without a flush and
   * free its range lazily.
   * @returns its vm_struct, or null (after the "bad address" WARN when `addr` is not
   *   page-aligned; silently when no area contains it or the area has no vm_struct, in
   *   which case the kernel has already unlinked and leaks the area).
   */
  removeVmArea(addr: number): VmStruct | null {
    if (addr - Math.floor(addr / PAGE_SIZE) * PAGE_SIZE !== 0) {
      this.m.log.warn(FILE, 'remove_vm_area', `Trying to vfree() bad address (${kaddr(addr)})`);
      return null;
    }
    const space = this.space;
    const va = space.findBusy(addr);
    if (va === NIL) return null;
    space.unlinkBusy(va);
    const vm = space.s.vm[va] as VmStruct | null;
    if (vm === null || vm === undefined) return null;
    space.s.vm[va] = null;
    this.#unmapArea(va);
    this.freeLazy(va);
    return vm;
  }

  /** free_vmap_area_noflush: the range goes lazy; the drain is queued past the threshold. */
  freeLazy(va: number): void {
    const lazy = this.space.addLazy(va);
    if (lazy > this.lazyMaxPages()) this.m.schedule(this.#drainWork);
  }

  /**
   * vunmap_range_noflush over busy-or-detached area `va` (its addresses read here, not
   * passed: a double crossing a call that is not inlined is boxed).
   */
  #unmapArea(va: number): void {
    const s = this.space.s;
    const start = s.startOf(va);
    const vpn = Math.floor(start / PAGE_SIZE);
    if (start >= 0 && start === vpn * PAGE_SIZE) {
      const region = Math.floor(vpn / PTRS_PER_TABLE);
      const pages = Math.ceil((s.endOf(va) - start) / PAGE_SIZE);
      this.m.kernelPageTable.unmapPages(region, vpn - region * PTRS_PER_TABLE, pages);
    } else this.#unmapRange(start, s.endOf(va));
  }

  /** vunmap_range_noflush: clear the PTEs of [start, end); the TLBs keep their entries. */
  #unmapRange(start: number, end: number): void {
    const pt = this.m.kernelPageTable;
    const vpn = Math.floor(start / PAGE_SIZE);
    if (start >= 0 && end <= 2 ** 53 && start === vpn * PAGE_SIZE) {
      // a page-aligned range (every vmap area): in region numbers, as vunmap_pte_range walks
      const region = Math.floor(vpn / PTRS_PER_TABLE);
      pt.unmapPages(region, vpn - region * PTRS_PER_TABLE, Math.ceil((end - start) / PAGE_SIZE));
    } else pt.unmapRange(start, end);
  }

  /**
   * __purge_vmap_area_lazy(start, end, full decay): one TLB flush over the union of
   * [start, end) and every lazy area, then the areas go back to the pools or the free tree.
   * @returns whether anything was purged.
   */
  purgeLazy(start: number, end: number, fullDecay: boolean): boolean {
    const done = this.space.purge(start, end, fullDecay, this.#flush);
    if (done) this.purges++;
    return done;
  }

  /**
   * reclaim_and_purge_vmap_areas: force-retire fragmented vmap blocks on every CPU, then
   * purge every lazy area with full pool decay.
   */
  reclaimAndPurge(): void {
    this.blocks.purgeFragmentedAll();
    this.purgeLazy(Number.MAX_VALUE, 0, true);
  }

  #drain(): void {
    do {
      this.purgeLazy(Number.MAX_VALUE, 0, false);
    } while (this.space.lazyPages > this.lazyMaxPages());
  }

  /**
   * vm_unmap_aliases: retire fragmented vmap blocks, then purge the lazy areas and the
   * blocks' dirty ranges with one flush, so no stale alias of a freed mapping survives in
   * any TLB.
   */
  vmUnmapAliases(): void {
    const r = this.blocks.collectAliases(Number.MAX_VALUE, 0);
    if (!this.purgeLazy(r.start, r.end, false) && r.flush)
      this.m.tlbs.flushKernelRange(r.start, r.end, this.m.cpus.current);
  }

  // ── freeing ──────────────────────────────────────────────────────────────────

  /**
   * vfree: release a vmalloc area and its pages; deferred to a work item in interrupt
   * context. NULL (0) is a no-op; a bad or unknown address gets the kernel's WARN(s).
   */
  vfree(addr: number): void {
    if (this.m.cpus.inInterrupt()) {
      this.vfreeAtomic(addr);
      return;
    }
    if (addr === 0) return;
    this.m.cpus.mightSleep(FILE, 3342, 'vfree');
    const vm = this.removeVmArea(addr);
    if (vm === null) {
      this.m.log.warn(FILE, 'vfree', `Trying to vfree() nonexistent vm area (${kaddr(addr)})`);
      return;
    }
    if ((vm.flags & VM_FLUSH_RESET_PERMS) !== 0) this.#resetPerms(vm);
    this.#releasePages(vm);
    if (vm.recyclable) this.#recycle(vm);
  }

  /**
   * kfree(vm) at the end of vfree: keep the struct (reset) and its page array for later
   * areas instead of dropping them (VmStruct's "Lifetime").
   */
  #recycle(vm: VmStruct): void {
    const pages = vm.pages;
    if (pages !== null && pages.length <= PAGE_ARRAY_SPARE_MAX)
      this.#spareArrays[pages.length] = pages;
    vm.next = null;
    vm.addr = 0;
    vm.size = 0;
    vm.flags = 0;
    vm.pages = null;
    vm.page_order = 0;
    vm.nr_pages = 0;
    vm.phys_addr = 0;
    vm.caller = '';
    vm.requested_size = 0;
    vm.pagesAddr = 0;
    if (this.#spareTop < VM_SPARE_MAX) this.#spareVms[this.#spareTop++] = vm;
  }

  /**
   * The page-pointer array of __vmalloc_area_node, `n` entries long: a freed area's when
   * one of that length is kept, else a new array. Every entry is to be overwritten.
   */
  pageArray(n: number): Page[] {
    if (n <= PAGE_ARRAY_SPARE_MAX) {
      const a = this.#spareArrays[n];
      if (a !== null && a !== undefined) {
        this.#spareArrays[n] = null;
        return a;
      }
    }
    return new Array<Page>(n);
  }

  /**
   * vm_reset_perms: before the pages go back, flush every alias — the lazy vmalloc ranges
   * and the direct-map range spanned by the pages — in one go (_vm_unmap_aliases).
   */
  #resetPerms(vm: VmStruct): void {
    const pages = vm.pages;
    let start = Number.MAX_VALUE;
    let end = 0;
    if (pages !== null) {
      for (let i = 0; i < vm.nr_pages; i++) {
        const a = PAGE_OFFSET + pages[i]!.pfn * PAGE_SIZE;
        if (a < start) start = a;
        if (a + PAGE_SIZE > end) end = a + PAGE_SIZE;
      }
    }
    if (!this.purgeLazy(start, end, false) && end > 0)
      this.m.tlbs.flushKernelRange(start, end, this.m.cpus.current);
  }

  #releasePages(vm: VmStruct): void {
    const pages = vm.pages;
    const m = this.m;
    if (pages !== null) {
      m.pages.freePagesBulk(pages, 0, vm.nr_pages);
      if ((vm.flags & VM_MAP_PUT_PAGES) === 0) m.vmallocPages -= vm.nr_pages;
    }
    if (vm.pagesAddr !== 0) {
      if (this.isVmallocAddr(vm.pagesAddr)) this.vfree(vm.pagesAddr);
      else m.kmalloc.free(vm.pagesAddr);
      vm.pagesAddr = 0;
    }
  }

  /**
   * vfree_atomic: queue `addr` for a later vfree. As in the kernel the first 8 bytes of the
   * area become the list link (llist_add writes through the freed memory).
   */
  vfreeAtomic(addr: number): void {
    if (addr === 0) return;
    const cpu = this.m.cpus.current;
    const list = this.#deferred[cpu]!;
    const head = list.length > 0 ? list[list.length - 1]! : 0;
    const link = new Uint8Array(8); // control-plane: deferred path
    const dv = new DataView(link.buffer);
    dv.setUint32(0, head % 2 ** 32, true);
    dv.setUint32(4, Math.floor(head / 2 ** 32), true);
    this.m.mmu.write(addr, link);
    list.push(addr); // control-plane: deferred path
    if (list.length === 1) this.m.schedule(this.#freeWork[cpu]!);
  }

  #delayedFree(cpu: number): void {
    const list = this.#deferred[cpu]!;
    const todo = list.splice(0, list.length); // control-plane: deferred path
    for (let i = todo.length - 1; i >= 0; i--) this.vfree(todo[i]!);
  }

  /**
   * vunmap: release a vmap()ed mapping and its vm_struct only; the pages stay the caller's,
   * even with VM_MAP_PUT_PAGES (only vfree drops those references, as in the kernel).
   * @throws {KernelBug} in interrupt context.
   */
  vunmap(addr: number): void {
    if (this.m.cpus.inInterrupt()) {
      this.m.log.bug(FILE, 'vunmap', 'BUG_ON(in_interrupt())');
      throw new KernelBug('vunmap called in interrupt context');
    }
    this.m.cpus.mightSleep(FILE, 3420, 'vunmap');
    if (addr === 0) return;
    const vm = this.removeVmArea(addr);
    if (vm === null)
      this.m.log.warn(FILE, 'vunmap', `Trying to vunmap() nonexistent vm area (${kaddr(addr)})`);
  }

  /** free_vm_area: remove_vm_area(area.addr) and drop the struct. @throws {KernelBug} on mismatch. */
  freeVmArea(area: VmStruct): void {
    const ret = this.removeVmArea(area.addr);
    if (ret !== area) {
      this.m.log.bug(FILE, 'free_vm_area', 'BUG_ON(ret != area)');
      throw new KernelBug(`free_vm_area: ${kaddr(area.addr)} is not the area's own mapping`);
    }
  }

  // ── mapping ──────────────────────────────────────────────────────────────────

  /**
   * vmap_pages_range_noflush: map `count` pages at `addr` with `prot`.
   * @returns 0, or -EBUSY (a PTE already present), -ENOMEM (a NULL page), -EINVAL (an
   *   invalid pfn), each after the kernel's WARN; pages before the failure stay mapped.
   */
  mapPages(addr: number, pages: readonly (Page | null)[], count: number, prot: number): number {
    if (!(addr >= 0 && addr + count * PAGE_SIZE < 2 ** 53) || !Number.isInteger(addr)) {
      return this.#mapPagesEach(addr, pages, count, prot);
    }
    const vpn0 = Math.floor(addr / PAGE_SIZE);
    const region = Math.floor(vpn0 / PTRS_PER_TABLE);
    return this.#mapRun(
      region,
      vpn0 - region * PTRS_PER_TABLE,
      addr - vpn0 * PAGE_SIZE,
      pages,
      count,
      prot,
    );
  }

  /**
   * {@link mapPages} at `vm.addr` (__vmalloc_area_node's vmap_pages_range): the address is
   * read here rather than passed by the caller, as a double crossing a call that is not
   * inlined is boxed (mapPages itself is small enough to be inlined into this one).
   */
  mapArea(vm: VmStruct, pages: readonly (Page | null)[], count: number, prot: number): number {
    return this.mapPages(vm.addr, pages, count, prot); // small enough to be inlined here
  }

  /**
   * vmap_pte_range from page `idx` of 2 MiB region `region` (`off` bytes into that page,
   * for the WARNs' addresses): one walk down to each PTE table, then its entries in a row,
   * all in small integers; `base` is the table's first entry (PTE_TABLE_NONE until a
   * mapping needs the table built, or PTE_TABLE_HUGE).
   */
  #mapRun(
    region: number,
    idx: number,
    off: number,
    pages: readonly (Page | null)[],
    count: number,
    prot: number,
  ): number {
    const m = this.m;
    const pt = m.kernelPageTable;
    const addr = (region * PTRS_PER_TABLE + idx) * PAGE_SIZE + off;
    let base = count > 0 ? pt.findPteTableAt(region) : PTE_TABLE_NONE;
    for (let i = 0; i < count; i++) {
      if (idx === PTRS_PER_TABLE) {
        region++;
        idx = 0;
        base = pt.findPteTableAt(region);
      }
      const page = pages[i];
      if (base === PTE_TABLE_HUGE || (base >= 0 && pt.pteMapped(base + idx))) {
        const va = addr + i * PAGE_SIZE;
        pt.translate(va); // what the check read: lastFlags are the present leaf's
        m.log.warn(FILE, 'vmap_pte_range', null, `PTE already present at ${kaddr(va)}`);
        return -errno.EBUSY;
      }
      if (page === null || page === undefined) {
        const va = addr + i * PAGE_SIZE;
        m.log.warn(FILE, 'vmap_pte_range', null, `NULL page ${i} for ${kaddr(va)}`);
        return -errno.ENOMEM;
      }
      const pfn = page.pfn;
      if (!m.memmap.isRam(pfn)) {
        const va = addr + i * PAGE_SIZE;
        m.log.warn(FILE, 'vmap_pte_range', null, `invalid pfn ${pfn} for ${kaddr(va)}`);
        return -errno.EINVAL;
      }
      if (base === PTE_TABLE_NONE) base = pt.buildPteTableAt(region, prot);
      pt.setPte(base + idx, pfn, prot);
      idx++;
    }
    return 0;
  }

  /** {@link mapPages} for odd addresses (negative, fractional, near 2^53): page by page. */
  #mapPagesEach(
    addr: number,
    pages: readonly (Page | null)[],
    count: number,
    prot: number,
  ): number {
    const m = this.m;
    const pt = m.kernelPageTable;
    for (let i = 0; i < count; i++) {
      const page = pages[i];
      const va = addr + i * PAGE_SIZE;
      if (pt.translate(va) >= 0) {
        m.log.warn(FILE, 'vmap_pte_range', null, `PTE already present at ${kaddr(va)}`);
        return -errno.EBUSY;
      }
      if (page === null || page === undefined) {
        m.log.warn(FILE, 'vmap_pte_range', null, `NULL page ${i} for ${kaddr(va)}`);
        return -errno.ENOMEM;
      }
      if (!m.memmap.isRam(page.pfn)) {
        m.log.warn(FILE, 'vmap_pte_range', null, `invalid pfn ${page.pfn} for ${kaddr(va)}`);
        return -errno.EINVAL;
      }
      pt.mapPage(va, page.pfn, prot);
    }
    return 0;
  }

  /** vunmap_range_noflush (unmap_kernel_range_noflush). */
  unmapNoflush(addr: number, size: number): void {
    this.#unmapRange(addr, addr + size);
  }

  /** vunmap_range (unmap_kernel_range): clear the PTEs and flush the TLBs over the range. */
  unmapFlush(addr: number, size: number): void {
    this.#unmapRange(addr, addr + size);
    this.m.tlbs.flushKernelRange(addr, addr + size, this.m.cpus.current);
  }

  /**
   * vmap: map `count` pages into a fresh area (plus guard page) with `flags` and `prot`.
   * @returns the address, or 0: VM_FLUSH_RESET_PERMS (WARN), count beyond RAM, no space,
   *   or a mapping error (the area is released). VM_NO_GUARD is refused with a WARN and
   *   ignored.
   */
  vmap(
    pages: readonly (Page | null)[],
    count: number,
    flags: number,
    prot: number,
    caller: string,
  ): number {
    const m = this.m;
    m.cpus.mightSleep('mm/vmalloc.c', 3475, 'vmap');
    if ((flags & VM_FLUSH_RESET_PERMS) !== 0) {
      m.log.warn(FILE, 'vmap', null, 'VM_FLUSH_RESET_PERMS is not allowed with vmap');
      return 0;
    }
    if ((flags & VM_NO_GUARD) !== 0) {
      m.log.warn(FILE, 'vmap', null, "VM_NO_GUARD: your top guard is someone else's bottom guard");
      flags &= ~VM_NO_GUARD;
    }
    if (!(count >= 0) || count > m.pages.totalramPages) return 0;
    const vm = this.getVmArea(
      count * PAGE_SIZE,
      1,
      flags,
      VMALLOC_START,
      VMALLOC_END,
      -1,
      0,
      caller,
    );
    if (vm === null) return 0;
    // vmap maps non-executable whatever the caller asked: pgprot_nx(prot)
    if (this.mapPages(vm.addr, pages, count, prot | _PAGE_NX) < 0) {
      this.vunmap(vm.addr);
      return 0;
    }
    if ((flags & VM_MAP_PUT_PAGES) !== 0) {
      vm.pages = pages.slice(0, count) as Page[]; // control-plane: one array per vmap
      vm.nr_pages = count;
    }
    return vm.addr;
  }

  /** vmalloc_to_page: walk the page tables. @returns the page, or null when unmapped. */
  toPage(addr: number): Page | null {
    const pfn = this.m.kernelPageTable.translate(addr);
    return pfn < 0 ? null : this.m.memmap.page(pfn);
  }

  /** is_vmalloc_addr. */
  isVmallocAddr(addr: number): boolean {
    return addr >= VMALLOC_START && addr < VMALLOC_END;
  }

  // ── the TypeScript face ──────────────────────────────────────────────────────

  /**
   * Allocate `size` bytes of virtually contiguous memory (vmalloc, or vzalloc with
   * `zero`), optionally on `node`, aligned to `align`, inside [start, end).
   * @returns the address, or 0 on failure (the reason is in the kernel log).
   */
  alloc(size: number, options: VmallocOptions = {}): number {
    const gfp = (options.zero === true ? __GFP_ZERO : 0) | GFP_KERNEL;
    return vmallocNodeRange(
      this,
      size,
      options.align ?? 1,
      options.start ?? VMALLOC_START,
      options.end ?? VMALLOC_END,
      gfp,
      options.prot ?? PAGE_KERNEL,
      options.flags ?? 0,
      options.node ?? -1,
      options.caller ?? '',
    );
  }

  /** Free an area from {@link alloc} (vfree). 0 is a no-op. */
  free(addr: number): void {
    this.vfree(addr);
  }

  /** Purge every lazily freed area now (one TLB flush). @returns whether any was purged. */
  purge(): boolean {
    return this.purgeLazy(Number.MAX_VALUE, 0, false);
  }

  /** The text of /proc/vmallocinfo. */
  info(): string {
    return formatVmallocinfo(this);
  }

  /** Pages backing vmalloc areas (VmallocUsed / 4 KiB). */
  get usedPages(): number {
    return this.m.vmallocPages;
  }

  /** Pages freed lazily and not yet purged (vmap_lazy_nr). */
  get lazyPages(): number {
    return this.space.lazyPages;
  }

  /** The kernel's warn_alloc line for vmalloc errors. */
  warnAlloc(gfp: number, text: string): void {
    if ((gfp & __GFP_NOWARN) !== 0) return;
    this.m.log.prWarn(
      'warn_alloc',
      `swapper/${this.m.cpus.current}: ${text}, mode:${formatGfp(gfp)}, nodemask=(null)`,
    );
  }
}

/** A vm_struct of __get_vm_area_node's own (kzalloc in the kernel): vfree may reuse it. */
function newVm(): VmStruct {
  const vm = new VmStruct();
  vm.recyclable = true;
  return vm;
}

Machine.registerBootHook((m) => {
  Vmalloc.of(m).init();
});
