// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmalloc/kfree: the kmalloc size classes (kmalloc-8 ... kmalloc-8k) as slab caches whose
 * slabs are pages from the page allocator, cut into equal objects; larger requests go
 * straight to the page allocator (kmalloc_large). Enough of SLUB to be real: objects live
 * in simulated memory, slabs come and go with the page allocator, and misuse is caught.
 *
 * Kernel: mm/slab_common.c (kmalloc_caches, kmalloc_size_index, ZERO_SIZE_PTR,
 * KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE, kmalloc_large), mm/slub.c (kfree, ksize,
 * free_large_kmalloc's WARN for a pointer that is not a slab object or a large kmalloc).
 *
 * DEVIATION: no per-CPU slabs or object freelists in memory (free objects are a stack in
 * the slab's record); a slab is returned to the page allocator as soon as it is empty
 * unless it is its cache's only slab. A double kfree is a KernelBug (SLUB catches it only
 * with debugging on), as is kfree of an address inside an object.
 *
 * failslab (the 'kmalloc' fault site) is consulted only for cache allocations, as
 * should_failslab is in slab_alloc_node: a large kmalloc fails through the page allocator's
 * site instead. __GFP_NOWARN silences its FAULT_INJECTION line (FAULT_NOWARN).
 */

import { KernelBug } from '../base/errors.js';
import type { KernelLog } from '../base/log.js';
import { PAGE_SIZE } from '../base/units.js';
import type { Cpus } from './cpu.js';
import type { FaultInjector } from './fault-inject.js';
import { __GFP_NOWARN, __GFP_ZERO, gfpAllowsBlocking } from './gfp.js';
import { kaddr, PAGE_OFFSET } from './layout.js';
import { type Memmap, PageOwner } from './memmap.js';
import type { PageAllocator } from './page-alloc.js';
import { BLOCK_SIZE, type PhysMem } from './phys-mem.js';

/**
 * Objects of at most this many bytes are zeroed word by word ({@link Kmalloc}'s #zero): a
 * multiple of 4 dividing BLOCK_SIZE, so that a small object is whole words in one block.
 */
const SMALL_ZERO = 64;

/** kmalloc(0) returns this distinct non-NULL pointer, which must not be dereferenced. */
export const ZERO_SIZE_PTR = 16;
/** The largest size served by a kmalloc cache (KMALLOC_MAX_CACHE_SIZE). */
export const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;
/** The kmalloc cache sizes. */
export const KMALLOC_SIZES: readonly number[] = [
  8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
];

interface Slab {
  readonly pfn: number;
  /** Frames of the slab (2^order of its cache). */
  readonly frames: number;
  readonly cache: KmallocCache;
  /** Stack of free object indexes; `nfree` valid entries. */
  readonly free: Int32Array;
  nfree: number;
  /** 1 for an allocated object. */
  readonly used: Uint8Array;
}

/** One kmalloc cache (kmalloc-64 ...). */
export interface KmallocCache {
  readonly name: string;
  readonly size: number;
  readonly order: number;
  readonly perSlab: number;
  /** Slabs with at least one free object. */
  readonly partial: Slab[];
  slabs: number;
  active: number;
}

/** The kmalloc allocator of a machine. */
export class Kmalloc {
  readonly caches: KmallocCache[];
  readonly #slabOfPfn = new Map<number, Slab>();
  readonly #pages: PageAllocator;
  readonly #memmap: Memmap;
  readonly #phys: PhysMem;
  readonly #log: KernelLog;
  readonly #faults: FaultInjector;
  readonly #cpus: Cpus;
  /**
   * The slab of the last kmalloc or kfree, or null: kfree of an object just kmalloc'd
   * (vmalloc's page array, freed by vfree) finds it without the map lookup.
   */
  #lastSlab: Slab | null = null;
  /** Pages held by large kmallocs. */
  largePages = 0;
  /** init_on_alloc: zero every object handed out (set once by the machine at boot). */
  initOnAlloc = false;
  /** init_on_free: zero every object given back (set once by the machine at boot). */
  initOnFree = false;

  constructor(
    pages: PageAllocator,
    memmap: Memmap,
    phys: PhysMem,
    log: KernelLog,
    faults: FaultInjector,
    cpus: Cpus,
  ) {
    this.#cpus = cpus;
    this.#pages = pages;
    this.#memmap = memmap;
    this.#phys = phys;
    this.#log = log;
    this.#faults = faults;
    this.caches = [];
    for (let i = 0; i < KMALLOC_SIZES.length; i++) {
      const size = KMALLOC_SIZES[i]!;
      const order = size >= 4096 ? 3 : 0;
      this.caches.push({
        name: `kmalloc-${size >= 1024 ? `${size / 1024}k` : size}`,
        size,
        order,
        // kmalloc-96 and kmalloc-192 do not divide a page: 42 and 21 objects, as in SLUB.
        perSlab: Math.floor((PAGE_SIZE * 2 ** order) / size),
        partial: [],
        slabs: 0,
        active: 0,
      });
    }
  }

  /** Pages held by slabs. */
  get slabPages(): number {
    let n = 0;
    for (let i = 0; i < this.caches.length; i++) {
      const c = this.caches[i]!;
      n += c.slabs * 2 ** c.order;
    }
    return n;
  }

  /**
   * kmalloc_node(size, gfp, nid).
   * @returns the object's direct-map address, ZERO_SIZE_PTR for size 0, or 0 (NULL) when
   *   memory is short or a fault was injected.
   */
  alloc(size: number, gfp: number, nid: number): number {
    if (!Number.isSafeInteger(size) || size < 0) return 0;
    if (gfpAllowsBlocking(gfp))
      this.#cpus.mightSleep('include/linux/sched/mm.h', 337, 'might_alloc');
    if (size === 0) return ZERO_SIZE_PTR;
    if (size > KMALLOC_MAX_CACHE_SIZE) return this.#allocLarge(size, gfp, nid);
    if (this.#faults.shouldFail('kmalloc', (gfp & __GFP_NOWARN) !== 0)) return 0;
    const cache = this.#cacheFor(size);
    let slab = cache.partial.length > 0 ? cache.partial[cache.partial.length - 1]! : null;
    if (slab === null) {
      slab = this.#newSlab(cache, gfp, nid);
      if (slab === null) return 0;
    }
    this.#lastSlab = slab;
    const idx = slab.free[--slab.nfree]!;
    slab.used[idx] = 1;
    cache.active++;
    if (slab.nfree === 0) cache.partial.pop();
    const pa = slab.pfn * PAGE_SIZE + idx * cache.size;
    if ((gfp & __GFP_ZERO) !== 0 || this.initOnAlloc) this.#zero(pa, cache.size);
    return PAGE_OFFSET + pa;
  }

  /**
   * Zero the object of `size` bytes at physical `pa` (PhysMem.fill's result). Small
   * objects (a few words, inside one storage block: every object of kmalloc-8 .. -64) are
   * stored word by word, which costs less than a typed-array fill call.
   */
  #zero(pa: number, size: number): void {
    if (size > SMALL_ZERO) {
      this.#phys.fill(pa, 0, size);
      return;
    }
    const w = this.#phys.words(pa, false);
    if (w === undefined) return; // an untouched block reads as zeros already
    const i = (pa - Math.floor(pa / BLOCK_SIZE) * BLOCK_SIZE) >>> 2;
    for (let k = 0; k < size >>> 2; k++) w[i + k] = 0;
  }

  #allocLarge(size: number, gfp: number, nid: number): number {
    let order = 0;
    while (PAGE_SIZE * 2 ** order < size) order++;
    const pfn = this.#pages.allocPages(gfp, order, nid, PageOwner.pages);
    if (pfn < 0) return 0;
    this.#memmap.owner[pfn] = PageOwner.slab; // the head marks a large kmalloc
    this.largePages += 2 ** order;
    return PAGE_OFFSET + pfn * PAGE_SIZE;
  }

  #cacheFor(size: number): KmallocCache {
    let i = 0;
    while (this.caches[i]!.size < size) i++;
    return this.caches[i]!;
  }

  #newSlab(cache: KmallocCache, gfp: number, nid: number): Slab | null {
    const pfn = this.#pages.allocPages(gfp & ~__GFP_ZERO, cache.order, nid, PageOwner.slab);
    if (pfn < 0) return null;
    const free = new Int32Array(cache.perSlab);
    for (let i = 0; i < cache.perSlab; i++) free[i] = cache.perSlab - 1 - i;
    const slab: Slab = {
      pfn,
      frames: 2 ** cache.order,
      cache,
      free,
      nfree: cache.perSlab,
      used: new Uint8Array(cache.perSlab),
    };
    for (let i = 0; i < 2 ** cache.order; i++) this.#slabOfPfn.set(pfn + i, slab);
    cache.partial.push(slab);
    cache.slabs++;
    return slab;
  }

  /** The usable size of the object at `addr` (ksize), or 0 when it is not a kmalloc object. */
  ksize(addr: number): number {
    const slab = this.#slabOfPfn.get(Math.floor((addr - PAGE_OFFSET) / PAGE_SIZE));
    if (slab !== undefined) return slab.cache.size;
    const pfn = (addr - PAGE_OFFSET) / PAGE_SIZE;
    if (this.#memmap.isRam(pfn) && this.#memmap.owner[pfn] === PageOwner.slab) {
      return PAGE_SIZE * 2 ** this.#memmap.order[pfn]!;
    }
    return 0;
  }

  /**
   * kfree(addr). NULL and ZERO_SIZE_PTR are ignored.
   * @throws {KernelBug} on a double free or a pointer into the middle of an object; a
   *   pointer that is no kmalloc memory at all gets the kernel's WARN and is ignored.
   */
  free(addr: number): void {
    if (addr <= ZERO_SIZE_PTR) return;
    const pfn = Math.floor((addr - PAGE_OFFSET) / PAGE_SIZE);
    const last = this.#lastSlab;
    if (last !== null && pfn >= last.pfn && pfn < last.pfn + last.frames) {
      this.#freeObject(last, addr);
      return;
    }
    const slab = addr >= PAGE_OFFSET ? this.#slabOfPfn.get(pfn) : undefined;
    if (slab !== undefined) {
      this.#lastSlab = slab;
      this.#freeObject(slab, addr);
      return;
    }
    const map = this.#memmap;
    if (
      addr >= PAGE_OFFSET &&
      map.isRam(pfn) &&
      (addr - PAGE_OFFSET) % PAGE_SIZE === 0 &&
      map.owner[pfn] === PageOwner.slab &&
      map.refcount[pfn]! > 0
    ) {
      const order = map.order[pfn]!;
      map.owner[pfn] = PageOwner.pages;
      this.largePages -= 2 ** order;
      this.#pages.freePages(pfn, order);
      return;
    }
    this.#log.warn(
      'mm/slub.c',
      'free_large_kmalloc',
      null,
      `kfree(${kaddr(addr)}): not kmalloc memory`,
    );
    this.#log.prWarn('free_large_kmalloc', `object pointer: ${kaddr(addr)}`);
  }

  #freeObject(slab: Slab, addr: number): void {
    const cache = slab.cache;
    const off = addr - PAGE_OFFSET - slab.pfn * PAGE_SIZE;
    const idx = Math.floor(off / cache.size);
    if (off % cache.size !== 0) {
      throw new KernelBug(`kfree(${kaddr(addr)}): not the start of an object of ${cache.name}`);
    }
    if (slab.used[idx] === 0) {
      throw new KernelBug(`kfree(${kaddr(addr)}): double free of an object of ${cache.name}`);
    }
    slab.used[idx] = 0;
    if (this.initOnFree) this.#phys.fill(addr - PAGE_OFFSET, 0, cache.size);
    if (slab.nfree === 0) cache.partial.push(slab);
    slab.free[slab.nfree++] = idx;
    cache.active--;
    if (slab.nfree === cache.perSlab && cache.slabs > 1) {
      const i = cache.partial.indexOf(slab);
      cache.partial.splice(i, 1); // control-plane: an emptied slab goes back to the page allocator
      cache.slabs--;
      if (this.#lastSlab === slab) this.#lastSlab = null;
      for (let p = 0; p < 2 ** cache.order; p++) this.#slabOfPfn.delete(slab.pfn + p);
      this.#pages.freePages(slab.pfn, cache.order);
    }
  }
}
