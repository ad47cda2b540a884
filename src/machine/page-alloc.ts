// SPDX-License-Identifier: GPL-2.0-only
/*
 * The page allocator: a buddy allocator per zone (DMA, DMA32, Normal) per NUMA node, the
 * zonelist fallback of a GFP mask, reference counts, zeroing, the allocation-failure
 * warning, fault injection, and the bulk allocation of order-0 pages.
 *
 * Kernel: mm/page_alloc.c (__alloc_pages, get_page_from_freelist walking the zonelist,
 * warn_alloc's "page allocation failure" line, __free_pages with put_page_testzero,
 * alloc_pages_bulk_node: see allocPagesBulk's DEVIATION),
 * include/linux/gfp.h (gfp_zone; the node-ordered zonelist of build_zonelists: the
 * preferred node's zones from the highest allowed one down, then the other nodes').
 *
 * DEVIATION: no per-CPU page lists, migrate types, watermarks or reclaim — an allocation
 * takes the first zone in the zonelist that has a free block of the order. Freeing a page
 * whose count is already zero is a KernelBug (the kernel's VM_BUG_ON_PAGE under
 * CONFIG_DEBUG_VM); freeing with a different order than allocated logs "Bad page state"
 * and leaks the block, as the kernel's free_page_is_bad() does.
 *
 * An injected failure (should_fail_alloc_page in prepare_alloc_pages) returns NULL before
 * any zone is tried, so it gets no warn_alloc line; __GFP_NOWARN also silences its
 * FAULT_INJECTION line (FAULT_NOWARN). might_alloc() is an inline of
 * include/linux/sched/mm.h, so that is the file its complaint names.
 */

import { KernelBug } from '../base/errors.js';
import type { KernelLog } from '../base/log.js';
import { PAGE_SIZE } from '../base/units.js';
import { type BuddyZone, MAX_PAGE_ORDER } from './buddy.js';
import type { Cpus } from './cpu.js';
import type { FaultInjector } from './fault-inject.js';
import {
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_NOWARN,
  __GFP_THISNODE,
  __GFP_ZERO,
  formatGfp,
  gfpAllowsBlocking,
} from './gfp.js';
import { type Memmap, type Page, PageOwner, type PageOwnerTag } from './memmap.js';
import type { PhysMem } from './phys-mem.js';

/** NUMA_NO_NODE: no preference. */
export const NUMA_NO_NODE = -1;

/** One zone of one node. */
export interface Zone {
  readonly nid: number;
  /** 0 DMA, 1 DMA32, 2 Normal. */
  readonly zoneIdx: number;
  readonly buddy: BuddyZone;
  /** Pages given to the allocator at boot (managed pages). */
  readonly managed: number;
}

/** The machine's page allocator. */
export class PageAllocator {
  /** zones[nid][zoneIdx], null where a node has no memory in that zone. */
  readonly zones: (Zone | null)[][];
  readonly #memmap: Memmap;
  readonly #phys: PhysMem;
  readonly #log: KernelLog;
  readonly #cpus: Cpus;
  readonly #faults: FaultInjector;
  #warnedOrder = false;
  /** The zone zoneOf() found last. */
  #lastZone: Zone | null = null;
  #totalram = 0;
  /** init_on_alloc: zero every block handed out (set once by the machine at boot). */
  initOnAlloc = false;
  /** init_on_free: zero every block given back (set once by the machine at boot). */
  initOnFree = false;
  /** Pages handed out and not yet freed, per owner tag (for /proc/meminfo and reports). */
  readonly inUse = new Float64Array(8);

  constructor(
    zones: (Zone | null)[][],
    memmap: Memmap,
    phys: PhysMem,
    log: KernelLog,
    cpus: Cpus,
    faults: FaultInjector,
  ) {
    this.zones = zones;
    this.#memmap = memmap;
    this.#phys = phys;
    this.#log = log;
    this.#cpus = cpus;
    this.#faults = faults;
    for (let n = 0; n < zones.length; n++) {
      for (let z = 0; z < 3; z++) this.#totalram += zones[n]![z]?.managed ?? 0;
    }
  }

  /** totalram_pages(): pages managed by the allocator. */
  get totalramPages(): number {
    return this.#totalram;
  }

  /** nr_free_pages(). */
  get nrFreePages(): number {
    let n = 0;
    for (let nid = 0; nid < this.zones.length; nid++) {
      for (let z = 0; z < 3; z++) n += this.zones[nid]![z]?.buddy.nrFree ?? 0;
    }
    return n;
  }

  /** Number of nodes. */
  get nrNodes(): number {
    return this.zones.length;
  }

  /**
   * Allocate 2^order contiguous frames (alloc_pages_node / __alloc_pages), owned by `owner`.
   * @returns the first pfn, or -1 on failure (order too large, no memory, injected fault),
   *   after the kernel's warning unless `__GFP_NOWARN`.
   */
  allocPages(gfp: number, order: number, nid: number, owner: PageOwnerTag): number {
    if (!Number.isInteger(order) || order < 0 || order > MAX_PAGE_ORDER) {
      if ((gfp & __GFP_NOWARN) === 0 && !this.#warnedOrder) {
        this.#warnedOrder = true;
        this.#log.warn(
          'mm/page_alloc.c',
          '__alloc_pages_noprof',
          null,
          `order ${order} > MAX_PAGE_ORDER ${MAX_PAGE_ORDER}`,
        );
      }
      return -1;
    }
    if (gfpAllowsBlocking(gfp))
      this.#cpus.mightSleep('include/linux/sched/mm.h', 337, 'prepare_alloc_pages');
    if ((gfp & __GFP_DMA) !== 0 && (gfp & __GFP_DMA32) !== 0) {
      throw new KernelBug(
        `alloc_pages: GFP mask ${formatGfp(gfp)} asks for both ZONE_DMA and ZONE_DMA32`,
      );
    }
    if (this.#faults.shouldFail('page', (gfp & __GFP_NOWARN) !== 0)) return -1;
    const pfn = this.#rmqueue(gfp, order, nid);
    if (pfn < 0) {
      if ((gfp & __GFP_NOWARN) === 0) this.#warnAlloc(gfp, order);
      return -1;
    }
    this.#memmap.refcount[pfn] = 1;
    this.#memmap.order[pfn] = order;
    const n = 2 ** order;
    this.#memmap.owner.fill(owner, pfn, pfn + n);
    this.inUse[owner]! += n;
    if ((gfp & __GFP_ZERO) !== 0 || this.initOnAlloc)
      this.#phys.fill(pfn * PAGE_SIZE, 0, n * PAGE_SIZE);
    return pfn;
  }

  /**
   * alloc_pages_bulk_node: allocate up to `nr` order-0 pages owned by `owner` and store their
   * struct pages in `out[from]`, `out[from + 1]`, ..., stopping at the first failure.
   *
   * The pages, the allocator's state, the log lines and the fault-injection counts are those
   * of `nr` allocPages(gfp, 0, nid, owner) calls in a row that stop at the first -1: each
   * page gets its might_sleep check and its fault-injection attempt, and the failing one
   * its warning unless __GFP_NOWARN. What the batch saves is the per-call work: the
   * zonelist is walked once per zone that runs dry, not once per page.
   * DEVIATION: the kernel's __alloc_pages_bulk checks might_alloc and fault injection once
   * per call and takes its pages from the first zone with room only, leaving the rest to the
   * single-page allocator; here each page is checked, and the batch goes on in the next zone.
   *
   * @returns the number of pages allocated (out[from .. from + n) are set).
   */
  allocPagesBulk(
    gfp: number,
    nid: number,
    owner: PageOwnerTag,
    nr: number,
    out: Page[],
    from: number,
  ): number {
    if ((gfp & __GFP_DMA) !== 0 && (gfp & __GFP_DMA32) !== 0) {
      // the KernelBug (after the might_sleep check) of the single-page path
      const pfn = nr > 0 ? this.allocPages(gfp, 0, nid, owner) : -1;
      if (pfn < 0) return 0;
      out[from] = this.#memmap.page(pfn)!;
      return 1;
    }
    const map = this.#memmap;
    const blocking = gfpAllowsBlocking(gfp);
    const quiet = (gfp & __GFP_NOWARN) !== 0;
    const zero = (gfp & __GFP_ZERO) !== 0 || this.initOnAlloc;
    let zone: BuddyZone | null = null;
    let n = 0;
    for (; n < nr; n++) {
      if (blocking) this.#cpus.mightSleep('include/linux/sched/mm.h', 337, 'prepare_alloc_pages');
      if (this.#faults.shouldFail('page', quiet)) break;
      let pfn = zone === null ? -1 : zone.alloc(0);
      if (pfn < 0) {
        zone = this.#firstZoneWithFree(gfp, nid);
        if (zone === null) {
          if (!quiet) this.#warnAlloc(gfp, 0);
          break;
        }
        pfn = zone.alloc(0);
      }
      map.refcount[pfn] = 1;
      map.order[pfn] = 0;
      map.owner[pfn] = owner;
      this.inUse[owner]! += 1;
      if (zero) this.#phys.fill(pfn * PAGE_SIZE, 0, PAGE_SIZE);
      out[from + n] = map.page(pfn)!;
    }
    return n;
  }

  /** The zone #rmqueue would take an order-0 page from: the first with a free page. */
  #firstZoneWithFree(gfp: number, nid: number): BuddyZone | null {
    const high = (gfp & __GFP_DMA) !== 0 ? 0 : (gfp & __GFP_DMA32) !== 0 ? 1 : 2;
    const nodes = this.zones.length;
    const first = nid >= 0 && nid < nodes ? nid : nodes === 1 ? 0 : this.#cpuNode();
    const span = (gfp & __GFP_THISNODE) !== 0 ? 1 : nodes;
    for (let i = 0; i < span; i++) {
      const zs = this.zones[(first + i) % nodes]!;
      for (let z = high; z >= 0; z--) {
        const zone = zs[z];
        if (zone === null || zone === undefined) continue;
        if (zone.buddy.nrFree > 0) return zone.buddy;
      }
    }
    return null;
  }

  #rmqueue(gfp: number, order: number, nid: number): number {
    const high = (gfp & __GFP_DMA) !== 0 ? 0 : (gfp & __GFP_DMA32) !== 0 ? 1 : 2;
    const nodes = this.zones.length;
    const first = nid >= 0 && nid < nodes ? nid : nodes === 1 ? 0 : this.#cpuNode();
    const span = (gfp & __GFP_THISNODE) !== 0 ? 1 : nodes;
    for (let i = 0; i < span; i++) {
      const zs = this.zones[(first + i) % nodes]!;
      for (let z = high; z >= 0; z--) {
        const zone = zs[z];
        if (zone === null || zone === undefined) continue;
        const pfn = zone.buddy.alloc(order);
        if (pfn >= 0) return pfn;
      }
    }
    return -1;
  }

  /** The node of the current CPU: CPUs are spread over nodes in equal consecutive groups. */
  #cpuNode(): number {
    const per = Math.max(1, Math.ceil(this.#cpus.online / this.zones.length));
    return Math.min(this.zones.length - 1, Math.floor(this.#cpus.current / per));
  }

  #warnAlloc(gfp: number, order: number): void {
    this.#log.prWarn(
      'warn_alloc',
      `swapper/${this.#cpus.current}: page allocation failure: order:${order}, mode:${formatGfp(gfp)}, nodemask=(null)`,
    );
  }

  /**
   * Drop a reference to the block at `pfn` and free it when the count reaches zero
   * (__free_pages).
   * @throws {KernelBug} when `pfn` is not RAM or its count is already zero (double free).
   */
  freePages(pfn: number, order: number): void {
    const map = this.#memmap;
    if (!map.isRam(pfn)) {
      throw new KernelBug(`__free_pages: pfn 0x${hexPfn(pfn)} is not a RAM page frame`);
    }
    const ref = map.refcount[pfn]!;
    if (ref <= 0) {
      throw new KernelBug(
        `__free_pages: page pfn:${hexPfn(pfn)} order ${order} freed with refcount ${ref} (double free?)`,
      );
    }
    if (ref > 1) {
      map.refcount[pfn] = ref - 1;
      return;
    }
    if (map.order[pfn] !== order) {
      map.refcount[pfn] = 0;
      this.#log.err(
        '__free_pages',
        `BUG: Bad page state in process swapper/${this.#cpus.current}  pfn:${hexPfn(pfn)}`,
      );
      this.#log.err(
        '__free_pages',
        `page dumped because: freed with order ${order}, allocated with order ${map.order[pfn]}`,
      );
      return;
    }
    const n = order === 0 ? 1 : 2 ** order;
    const owner = map.owner[pfn]!;
    this.inUse[owner]! -= n;
    map.refcount[pfn] = 0;
    map.order[pfn] = -1;
    if (n === 1) map.owner[pfn] = PageOwner.free;
    else map.owner.fill(PageOwner.free, pfn, pfn + n);
    if (this.initOnFree) this.#phys.fill(pfn * PAGE_SIZE, 0, n * PAGE_SIZE);
    this.zoneOf(pfn).buddy.free(pfn, order);
  }

  /**
   * freePages(page.pfn, 0) for pages[from], pages[from + 1], ... pages[to - 1], in that
   * order (vfree's loop over an area's pages): the same checks, effects and failures as
   * those calls. The common case — a RAM page holding its only reference, allocated at
   * order 0 — is done here without the call; anything else goes through freePages.
   */
  freePagesBulk(pages: readonly Page[], from: number, to: number): void {
    const map = this.#memmap;
    const refcount = map.refcount;
    const orders = map.order;
    const owners = map.owner;
    const inUse = this.inUse;
    for (let i = from; i < to; i++) {
      const pfn = pages[i]!.pfn;
      if (refcount[pfn] !== 1 || orders[pfn] !== 0 || !map.isRam(pfn)) {
        this.freePages(pfn, 0);
        continue;
      }
      inUse[owners[pfn]!]! -= 1;
      refcount[pfn] = 0;
      orders[pfn] = -1;
      owners[pfn] = PageOwner.free;
      if (this.initOnFree) this.#phys.fill(pfn * PAGE_SIZE, 0, PAGE_SIZE);
      this.zoneOf(pfn).buddy.free(pfn, 0);
    }
  }

  /** Take another reference on the block at `pfn` (get_page). */
  getPage(pfn: number): void {
    this.#memmap.refcount[pfn]!++;
  }

  /** The zone holding `pfn`. @throws {RangeError} when no zone holds it. */
  zoneOf(pfn: number): Zone {
    // The zone of the previous call, when its span holds pfn (a zone's span is exactly the
    // pfns of its node and zone limits, so the answer is the same).
    const last = this.#lastZone;
    if (last !== null && pfn >= last.buddy.startPfn && pfn < last.buddy.endPfn) return last;
    const zs = this.zones[this.#memmap.nidOf(pfn)]!;
    const zone = zs[this.#memmap.zoneOf(pfn)];
    if (zone === null || zone === undefined) throw new RangeError(`pfn ${pfn} is in no zone`);
    this.#lastZone = zone;
    return zone;
  }

  /** Check every zone's buddy invariants. @throws when one is broken. */
  checkInvariants(): void {
    for (let n = 0; n < this.zones.length; n++) {
      for (let z = 0; z < 3; z++) this.zones[n]![z]?.buddy.checkInvariants();
    }
  }
}

/** Format a pfn as the kernel's %05lx. */
export function hexPfn(pfn: number): string {
  return Number.isFinite(pfn) && pfn >= 0 ? pfn.toString(16).padStart(5, '0') : String(pfn);
}
