// SPDX-License-Identifier: GPL-2.0-only
/*
 * The memory map: per-page-frame state (reference count, allocation order of a block head,
 * who owns the frame) in typed arrays, and the `struct page` objects handed to kernel API
 * callers, created on first use and then always the same object for the same frame.
 *
 * Kernel: include/linux/mm_types.h (struct page: _refcount, private), include/linux/mm.h
 * (page_to_pfn, pfn_to_page, page_to_nid, page_zonenum), the flat/sparse memmap of
 * mm/sparse.c.
 */

import { PAGE_SIZE } from '../base/units.js';

/** Frames per chunk of the Page-object table. */
const PAGES_PER_CHUNK = 4096;

/** Who holds a page frame (shown in reports; checked when a frame is freed). */
export const PageOwner = {
  free: 0,
  reserved: 1,
  pages: 2,
  slab: 3,
  dma: 4,
  vmalloc: 5,
  pagetable: 6,
} as const;
/** A {@link PageOwner} value. */
export type PageOwnerTag = (typeof PageOwner)[keyof typeof PageOwner];

/** The zone names, indexed by zone number (ZONE_DMA = 0, ZONE_DMA32 = 1, ZONE_NORMAL = 2). */
export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal'] as const;

/** A page frame (struct page): a handle on the memory map's state of one frame. */
export class Page {
  /** The page frame number. */
  readonly pfn: number;
  readonly #map: Memmap;

  constructor(map: Memmap, pfn: number) {
    this.#map = map;
    this.pfn = pfn;
  }

  /** The reference count (page_ref_count). */
  get _refcount(): number {
    return this.#map.refcount[this.pfn]!;
  }

  /** The order of the block this page heads, or -1 (page->private of a buddy head). */
  get order(): number {
    return this.#map.order[this.pfn]!;
  }

  /** The NUMA node of the frame. */
  get nid(): number {
    return this.#map.nidOf(this.pfn);
  }

  /** The zone number of the frame (0 DMA, 1 DMA32, 2 Normal). */
  get zone(): number {
    return this.#map.zoneOf(this.pfn);
  }

  /** Physical address of the frame. */
  get phys(): number {
    return this.pfn * PAGE_SIZE;
  }

  /** Who holds the frame ({@link PageOwner}). */
  get owner(): PageOwnerTag {
    return this.#map.owner[this.pfn] as PageOwnerTag;
  }
}

/** Per-frame state for frames [0, maxPfn). */
export class Memmap {
  readonly maxPfn: number;
  readonly refcount: Int32Array;
  readonly order: Int8Array;
  readonly owner: Uint8Array;
  /** Node of each frame's node span start, sorted: nodeStart[i] is the first pfn of node i. */
  readonly #nodeStart: number[];
  /** The Page objects made so far, in chunks of PAGES_PER_CHUNK frames (pfn_to_page). */
  readonly #chunks: (Page[] | undefined)[];
  readonly #isRam: (pfn: number) => boolean;

  constructor(maxPfn: number, nodeStart: number[], isRam: (pfn: number) => boolean) {
    this.maxPfn = maxPfn;
    this.refcount = new Int32Array(maxPfn);
    this.order = new Int8Array(maxPfn).fill(-1);
    this.owner = new Uint8Array(maxPfn).fill(PageOwner.reserved);
    this.#nodeStart = nodeStart;
    this.#isRam = isRam;
    // one array sized once, filled so that V8 keeps it packed
    this.#chunks = new Array<Page[] | undefined>(Math.ceil(maxPfn / PAGES_PER_CHUNK)).fill(
      undefined,
    );
  }

  /** True when `pfn` is a RAM frame (pfn_valid for RAM). */
  isRam(pfn: number): boolean {
    // A frame with a Page object is RAM: page() makes them for RAM frames only.
    if (pfn >= 0 && pfn < this.maxPfn) {
      const c = Math.floor(pfn / PAGES_PER_CHUNK);
      const chunk = this.#chunks[c];
      if (chunk !== undefined && chunk[pfn - c * PAGES_PER_CHUNK] !== undefined) return true;
    }
    return Number.isInteger(pfn) && pfn >= 0 && pfn < this.maxPfn && this.#isRam(pfn);
  }

  /** The struct page of `pfn`, the same object every time; null when `pfn` is not RAM. */
  page(pfn: number): Page | null {
    if (!(pfn >= 0 && pfn < this.maxPfn) || !Number.isInteger(pfn)) return null;
    const c = Math.floor(pfn / PAGES_PER_CHUNK);
    const i = pfn - c * PAGES_PER_CHUNK;
    let chunk = this.#chunks[c];
    if (chunk === undefined) {
      // once per 4096 frames, the first time one of them is asked for
      chunk = new Array<Page>(PAGES_PER_CHUNK);
      this.#chunks[c] = chunk;
    }
    let p = chunk[i];
    if (p === undefined) {
      if (!this.#isRam(pfn)) return null;
      p = new Page(this, pfn);
      chunk[i] = p;
    }
    return p;
  }

  /** The NUMA node holding `pfn`. */
  nidOf(pfn: number): number {
    const s = this.#nodeStart;
    let nid = 0;
    while (nid + 1 < s.length && pfn >= s[nid + 1]!) nid++;
    return nid;
  }

  /** The zone number holding `pfn` (0 DMA, 1 DMA32, 2 Normal). */
  zoneOf(pfn: number): number {
    if (pfn < (16 * 2 ** 20) / PAGE_SIZE) return 0;
    if (pfn < 2 ** 32 / PAGE_SIZE) return 1;
    return 2;
  }
}
