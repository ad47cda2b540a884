// SPDX-License-Identifier: GPL-2.0-only
/*
 * The buddy page allocator of one zone: power-of-two blocks of pages, split on allocation and
 * merged with their buddies on free, as a pure module (no machine, no log).
 *
 * Kernel: mm/page_alloc.c __rmqueue_smallest(), expand(), __free_one_page(),
 * __find_buddy_pfn(), __free_pages_ok(FPI_TO_TAIL) and mm/mm_init.c memblock_free_pages() /
 * mm/memblock.c __free_pages_memory() (boot), split_page(); Linux 6.8+ naming
 * (MAX_PAGE_ORDER = 10, NR_PAGE_ORDERS = 11).
 *
 * Data structure. A zone manages the pfns [startPfn, endPfn); every per-page array is indexed
 * by `idx = pfn - startPfn`, so pfns may be anywhere below 2^40 while indices stay small
 * integers (< MAX_ZONE_PAGES ≤ 2^30, safe for 32-bit operators). Block alignment is on the
 * ABSOLUTE pfn, as in the kernel, so it is computed with `%`, never with bit operators —
 * except in the merge loop's buddy search, which tests one bit of a pfn below 2^31 (`%` is a
 * division there) and falls back to `%` above.
 *
 *   tag[idx]   Int8Array   0        neither a free nor an allocated block head
 *                          k + 1    head of a FREE block of order k     (PageBuddy, order k)
 *                          -(k + 1) head of an ALLOCATED block of order k
 *   next[idx]  Int32Array  next head on the free list of its order, NIL (-1) at the tail
 *   prev[idx]  Int32Array  previous head, NIL at the head        (only valid when tag > 0)
 *   managed    Uint32Array bit idx set once the page was handed to the allocator (freeRange)
 *   head[k], tail[k], nrBlocks[k]   the free list of order k (free_area[k]) and its length
 *
 *   free list of order k:  head[k] ─► a ⇄ b ⇄ c ◄─ tail[k]      (idx values; NIL-terminated)
 *
 *   alloc(1) from an order-3 block at pfn 8 (expand keeps the lower half):
 *     [8 ········· 15]  →  [8 9] returned,  [10 11] → order-1 list,  [12 ·· 15] → order-2 list
 *
 * next/prev are only read at free heads, so they need no initialisation: zero-filled typed
 * arrays stay untouched (and, for large zones, not resident) until a page becomes a free head.
 *
 * Invariants (checkBuddyInvariants() throws InvariantError naming the id):
 *   B1  each free list is a NIL-terminated doubly linked list: prev[head[k]] = NIL,
 *       next[tail[k]] = NIL, prev[next[x]] = x, and its length is nrBlocks[k]
 *   B2  tag[x] = k + 1  ⇔  x is on the free list of order k
 *   B3  a free block of order k starts at a pfn ≡ 0 (mod 2^k) and [pfn, pfn + 2^k) ⊆ zone
 *   B4  merging is complete: no free block of order k < MAX_PAGE_ORDER has its buddy
 *       (pfn ± 2^k) inside the zone as a free block of order k
 *   B5  free and allocated blocks are disjoint, lie inside the zone, are aligned, and cover
 *       exactly the managed pages: every managed page is in exactly one block, and no
 *       unmanaged page is in any
 *   B6  nrFree = Σ_k 2^k · nrBlocks[k];  present = |managed| = nrFree + allocated pages
 *
 * DEVIATION: one zone with one migrate type: no per-cpu lists, no watermarks, no fallback
 * between migrate types, no free-list shuffling, no guard pages, no pageblock isolation.
 * DEVIATION: free() always puts the merged block at the HEAD of its list; the kernel's
 * __free_one_page() puts it at the tail when buddy_merge_likely() finds the block's parent
 * buddy free (orders < MAX_PAGE_ORDER - 1). Boot frees (freeRange) go to the tail, as
 * FPI_TO_TAIL does since 5.10.
 * DEVIATION: misuse is detected and refused with a BuddyError, state unchanged, where the
 * kernel reports bad_page() or silently corrupts its lists: free() accepts exactly the head
 * and order of a block alloc() returned (or an order-0 page of a block split()), and
 * freeRange() accepts only pages never handed to the allocator before.
 */

import { KernelBug, InvariantError } from '../base/errors.js';

// ── Limits ───────────────────────────────────────────────────────────────────

/** The largest order the allocator hands out: 2^10 pages (4 MiB). Kernel: MAX_PAGE_ORDER. */
export const MAX_PAGE_ORDER = 10;
/** Number of free lists per zone (orders 0..MAX_PAGE_ORDER). Kernel: NR_PAGE_ORDERS. */
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
/** Pfns of the simulated machine are below 2^40 (52-bit physical addresses, 4 KiB pages). */
export const MAX_PFN = 1099511627776;
/** The largest zone, in pages (4 TiB): keeps every index in the SMI / 32-bit range. */
export const MAX_ZONE_PAGES = 1073741824;

const NIL = -1;

// ── Errors ───────────────────────────────────────────────────────────────────

/**
 * Misuse of a {@link BuddyZone}: freeing a pfn outside the zone, misaligned to its order,
 * already free, not the head of an allocated block of that order, or handing the allocator
 * pages it already manages. The zone is left exactly as it was.
 *
 * A KernelBug (the simulated oops), so callers that treat BUG()s alike need no extra case.
 */
export class BuddyError extends KernelBug {
  /** The pfn of the refused operation. */
  readonly pfn: number;
  /** The order of the refused operation (for freeRange: -1). */
  readonly order: number;

  constructor(pfn: number, order: number, message: string) {
    super(message);
    this.name = 'BuddyError';
    this.pfn = pfn;
    this.order = order;
  }
}

function hex(pfn: number): string {
  return Number.isInteger(pfn) && pfn >= 0 ? `0x${pfn.toString(16)}` : String(pfn);
}

function checkOrder(order: number, what: string): void {
  if (!(order >= 0 && order <= MAX_PAGE_ORDER) || !Number.isInteger(order)) {
    throw new RangeError(`${what}: order ${order} is not an integer in [0, ${MAX_PAGE_ORDER}]`);
  }
}

// ── Raw state (shared with the invariant checker) ──────────────────────────────

/**
 * The raw arrays of a {@link BuddyZone}, as {@link checkBuddyInvariants} reads them. See the
 * file header for the meaning of each field.
 */
export interface BuddyRawState {
  readonly startPfn: number;
  readonly endPfn: number;
  readonly tag: Int8Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly managed: Uint32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly nrBlocks: Float64Array;
  readonly nrFree: number;
  readonly present: number;
}

/** A snapshot of a {@link BuddyZone} for tests and reports (copies; mutating it is harmless). */
export interface BuddyDebugState {
  /** For each order 0..MAX_PAGE_ORDER, the pfns of its free blocks in list order (head first). */
  readonly freeLists: number[][];
  /** Copies of the raw arrays. */
  readonly raw: BuddyRawState;
}

// ── The zone ─────────────────────────────────────────────────────────────────

/**
 * The buddy allocator of one zone spanning the pfns [startPfn, endPfn). Initially no page is
 * free: the machine hands RAM over with {@link BuddyZone.freeRange}.
 *
 * Kernel: struct zone's free_area[] and the functions named in the file header.
 * Context: alloc() and free() allocate nothing and run in O(MAX_PAGE_ORDER).
 */
export class BuddyZone {
  readonly #start: number;
  readonly #end: number;
  readonly #tag: Int8Array;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #managed: Uint32Array;
  readonly #head: Int32Array;
  readonly #tail: Int32Array;
  readonly #nrBlocks: Float64Array;
  #nrFree: number;
  #present: number;

  /**
   * Create an empty zone.
   *
   * @param startPfn - first pfn of the zone (any integer alignment).
   * @param endPfn - pfn after the last one; `startPfn ≤ endPfn ≤ MAX_PFN`, and the zone holds
   *   at most MAX_ZONE_PAGES pages.
   * @throws {RangeError} when the bounds are not integers in that range.
   */
  constructor(startPfn: number, endPfn: number) {
    if (
      !Number.isInteger(startPfn) ||
      !Number.isInteger(endPfn) ||
      startPfn < 0 ||
      endPfn < startPfn ||
      endPfn > MAX_PFN ||
      endPfn - startPfn > MAX_ZONE_PAGES
    ) {
      throw new RangeError(
        `BuddyZone: bad pfn range [${hex(startPfn)}, ${hex(endPfn)}) ` +
          `(need integers 0 ≤ start ≤ end ≤ 2^40, at most 2^30 pages)`,
      );
    }
    const n = endPfn - startPfn;
    this.#start = startPfn;
    this.#end = endPfn;
    this.#tag = new Int8Array(n);
    this.#next = new Int32Array(n);
    this.#prev = new Int32Array(n);
    this.#managed = new Uint32Array(Math.ceil(n / 32));
    this.#head = new Int32Array(NR_PAGE_ORDERS).fill(NIL);
    this.#tail = new Int32Array(NR_PAGE_ORDERS).fill(NIL);
    this.#nrBlocks = new Float64Array(NR_PAGE_ORDERS);
    this.#nrFree = 0;
    this.#present = 0;
  }

  /** The first pfn of the zone (zone_start_pfn). */
  get startPfn(): number {
    return this.#start;
  }

  /** The pfn after the last one of the zone (zone_end_pfn()). */
  get endPfn(): number {
    return this.#end;
  }

  /** Pages the zone spans, endPfn - startPfn (spanned_pages); never fails. */
  get spanned(): number {
    return this.#end - this.#start;
  }

  /**
   * Pages ever handed to the allocator with {@link BuddyZone.freeRange}: the free ones plus
   * the allocated ones (the kernel's managed_pages; holes and reserved pages are not counted).
   */
  get present(): number {
    return this.#present;
  }

  /** Free pages in the zone (NR_FREE_PAGES); 0 when nothing is free. */
  get nrFree(): number {
    return this.#nrFree;
  }

  /**
   * Return the number of free BLOCKS of `order` (free_area[order].nr_free, not pages).
   * @returns a count ≥ 0.
   * @throws {RangeError} when `order` is not an integer in [0, MAX_PAGE_ORDER].
   */
  nrFreeOfOrder(order: number): number {
    checkOrder(order, 'nrFreeOfOrder');
    return this.#nrBlocks[order]!;
  }

  /**
   * Return the highest order with a free block.
   * @returns an order in [0, MAX_PAGE_ORDER], or -1 when no page is free.
   */
  largestFreeOrder(): number {
    const head = this.#head;
    for (let k = MAX_PAGE_ORDER; k >= 0; k--) if (head[k] !== NIL) return k;
    return -1;
  }

  /**
   * Return true when `pfn` lies inside some free block. O(MAX_PAGE_ORDER).
   * @returns false for allocated, reserved and out-of-zone pfns.
   */
  isFree(pfn: number): boolean {
    return this.#freeHeadOf(pfn) !== -1;
  }

  /**
   * Return the order of the allocated block whose head is `pfn` (the order to pass to free()).
   * @returns the order, or -1 when `pfn` is not the head of an allocated block.
   */
  allocatedOrder(pfn: number): number {
    if (!(pfn >= this.#start && pfn < this.#end) || !Number.isInteger(pfn)) return -1;
    const t = this.#tag[pfn - this.#start]!;
    return t < 0 ? -t - 1 : -1;
  }

  // ── Data plane ─────────────────────────────────────────────────────────────

  /**
   * Allocate a naturally aligned block of 2^order pages: take the head of the smallest
   * non-empty free list of order ≥ `order` and split it, keeping the lower half and putting
   * each upper half at the head of its order's list.
   *
   * Kernel: mm/page_alloc.c __rmqueue_smallest() + expand().
   * Context: data plane; allocation-free; O(MAX_PAGE_ORDER).
   *
   * @param order - log2 of the number of pages.
   * @returns the first pfn of the block, or -1 when no free block is large enough.
   * @throws {RangeError} when `order` is not an integer in [0, MAX_PAGE_ORDER].
   */
  alloc(order: number): number {
    if (!(order >= 0 && order <= MAX_PAGE_ORDER) || !Number.isInteger(order)) {
      checkOrder(order, 'alloc');
    }
    const head = this.#head;
    const tag = this.#tag;
    let k = order;
    while (k <= MAX_PAGE_ORDER && head[k] === NIL) k++;
    if (k > MAX_PAGE_ORDER) return -1;
    const idx = head[k]!;
    this.#unlink(idx, k);
    let size = 1 << k;
    // expand(): the orders between `order` and k - 1 are empty here (k is the smallest
    // non-empty one), so head or tail makes no difference; the kernel uses the head.
    while (k > order) {
      k--;
      size >>= 1;
      tag[idx + size] = k + 1;
      this.#pushHead(idx + size, k);
    }
    tag[idx] = -(order + 1);
    this.#nrFree -= size;
    return this.#start + idx;
  }

  /**
   * Free a block alloc() returned: merge it with its buddy (pfn ± 2^order, on absolute pfns)
   * while the buddy lies inside the zone and is a free block of the same order, then put the
   * result at the head of its order's list.
   *
   * Kernel: mm/page_alloc.c __free_one_page() (see the DEVIATIONs in the file header).
   * Context: data plane; allocation-free on success; O(MAX_PAGE_ORDER).
   *
   * @param pfn - the pfn alloc() returned (or a page of a block split()).
   * @param order - the order it was allocated with (0 after split()).
   * @throws {RangeError} when `order` is not an integer in [0, MAX_PAGE_ORDER].
   * @throws {BuddyError} when `pfn` is outside the zone, misaligned to `order`, already free,
   *   or not the head of an allocated block of exactly `order`; nothing is changed.
   */
  free(pfn: number, order: number): void {
    if (!(order >= 0 && order <= MAX_PAGE_ORDER) || !Number.isInteger(order)) {
      checkOrder(order, 'free');
    }
    const start = this.#start;
    if (!(pfn >= start && pfn < this.#end) || this.#tag[pfn - start] !== -(order + 1)) {
      throw this.#freeError(pfn, order);
    }
    this.#tag[pfn - start] = 0;
    this.#nrFree += 1 << order;
    this.#merge(pfn, order, false);
  }

  /**
   * Turn an allocated block of 2^order pages into 2^order allocated order-0 pages, each of
   * which is then freed with free(pfn, 0).
   *
   * Kernel: mm/page_alloc.c split_page() (used by alloc_pages_exact and vmalloc's huge path).
   * Context: O(2^order), like the kernel's per-page loop; allocation-free.
   *
   * @throws {RangeError} when `order` is not an integer in [0, MAX_PAGE_ORDER].
   * @throws {BuddyError} when `pfn` is not the head of an allocated block of `order`.
   */
  split(pfn: number, order: number): void {
    checkOrder(order, 'split');
    if (this.allocatedOrder(pfn) !== order) {
      throw new BuddyError(
        pfn,
        order,
        `buddy: split of pfn ${hex(pfn)} order ${order}: not an allocated block of that order`,
      );
    }
    const tag = this.#tag;
    const idx = pfn - this.#start;
    const last = idx + (1 << order);
    for (let i = idx; i < last; i++) tag[i] = -1;
  }

  // ── Boot ─────────────────────────────────────────────────────────────────────

  /**
   * Hand the pages [startPfn, endPfn) to the allocator, as boot does with memblock's free
   * ranges (and free_reserved_area later): in the largest naturally aligned blocks
   * (≤ MAX_PAGE_ORDER) going upwards, each merged with free buddies and put at the TAIL of
   * its list, so that a fresh range is allocated from its lowest pfn upwards.
   *
   * Kernel: mm/memblock.c __free_pages_memory() → memblock_free_pages() → __free_pages_core()
   * → __free_one_page(FPI_TO_TAIL).
   * Context: control plane; O(pages / 32 + blocks × MAX_PAGE_ORDER). An empty range is a no-op.
   *
   * @throws {BuddyError} when the range is not integers inside the zone or any of its pages
   *   was handed over before (free or allocated); nothing is changed.
   */
  freeRange(startPfn: number, endPfn: number): void {
    const start = this.#start;
    if (
      !Number.isInteger(startPfn) ||
      !Number.isInteger(endPfn) ||
      startPfn < start ||
      endPfn > this.#end ||
      endPfn < startPfn
    ) {
      throw new BuddyError(
        startPfn,
        -1,
        `buddy: freeRange [${hex(startPfn)}, ${hex(endPfn)}) is not inside the zone ` +
          `[${hex(start)}, ${hex(this.#end)})`,
      );
    }
    const managedAt = this.#findManaged(startPfn - start, endPfn - start);
    if (managedAt !== -1) {
      throw new BuddyError(
        start + managedAt,
        -1,
        `buddy: freeRange [${hex(startPfn)}, ${hex(endPfn)}): pfn ${hex(start + managedAt)} ` +
          `was already handed to the allocator`,
      );
    }
    this.#setManaged(startPfn - start, endPfn - start);
    this.#present += endPfn - startPfn;
    this.#nrFree += endPfn - startPfn;
    let pfn = startPfn;
    while (pfn < endPfn) {
      let order = MAX_PAGE_ORDER;
      while (order > 0 && pfn % (1 << order) !== 0) order--;
      while (pfn + (1 << order) > endPfn) order--;
      this.#merge(pfn, order, true);
      pfn += 1 << order;
    }
  }

  // ── Checks and snapshots ─────────────────────────────────────────────────────

  /**
   * Recompute every invariant (B1..B6 of the file header) from scratch. O(spanned pages).
   * @throws {InvariantError} naming the invariant and the pfn when the state is inconsistent.
   */
  checkInvariants(): void {
    checkBuddyInvariants(this.#raw());
  }

  /**
   * Return a snapshot of the free lists and copies of the raw arrays (tests and reports).
   * @internal
   */
  // control-plane: debug snapshot, allocates freely
  debugState(): BuddyDebugState {
    const freeLists: number[][] = [];
    for (let k = 0; k < NR_PAGE_ORDERS; k++) {
      const list: number[] = [];
      const limit = this.#nrBlocks[k]!;
      for (let x = this.#head[k]!; x !== NIL && list.length <= limit; x = this.#next[x]!) {
        list.push(this.#start + x);
      }
      freeLists.push(list);
    }
    const raw: BuddyRawState = {
      startPfn: this.#start,
      endPfn: this.#end,
      tag: this.#tag.slice(),
      next: this.#next.slice(),
      prev: this.#prev.slice(),
      managed: this.#managed.slice(),
      head: this.#head.slice(),
      tail: this.#tail.slice(),
      nrBlocks: this.#nrBlocks.slice(),
      nrFree: this.#nrFree,
      present: this.#present,
    };
    return { freeLists, raw };
  }

  // ── Internals ────────────────────────────────────────────────────────────────

  /** __free_one_page(): merge the free block at `pfn` upwards, then list it. */
  #merge(pfn: number, order: number, toTail: boolean): void {
    const start = this.#start;
    const end = this.#end;
    const tag = this.#tag;
    let k = order;
    while (k < MAX_PAGE_ORDER) {
      const size = 1 << k;
      // pfn is aligned to size, so its buddy is the other half of the 2·size block; below
      // 2^31 one bit tells which (`%` is a division, and a runtime call above 2^31).
      const lower = pfn < 2147483648 ? (pfn & size) === 0 : pfn % (size * 2) === 0;
      const buddy = lower ? pfn + size : pfn - size;
      if (buddy < start || buddy >= end) break;
      const b = buddy - start;
      if (tag[b] !== k + 1) break;
      this.#unlink(b, k);
      tag[b] = 0;
      if (buddy < pfn) pfn = buddy;
      k++;
    }
    const idx = pfn - start;
    tag[idx] = k + 1;
    if (toTail) this.#pushTail(idx, k);
    else this.#pushHead(idx, k);
  }

  #pushHead(idx: number, k: number): void {
    const head = this.#head;
    const first = head[k]!;
    this.#prev[idx] = NIL;
    this.#next[idx] = first;
    if (first === NIL) this.#tail[k] = idx;
    else this.#prev[first] = idx;
    head[k] = idx;
    this.#nrBlocks[k]++;
  }

  #pushTail(idx: number, k: number): void {
    const tail = this.#tail;
    const last = tail[k]!;
    this.#next[idx] = NIL;
    this.#prev[idx] = last;
    if (last === NIL) this.#head[k] = idx;
    else this.#next[last] = idx;
    tail[k] = idx;
    this.#nrBlocks[k]++;
  }

  #unlink(idx: number, k: number): void {
    const next = this.#next;
    const prev = this.#prev;
    const n = next[idx]!;
    const p = prev[idx]!;
    if (p === NIL) this.#head[k] = n;
    else next[p] = n;
    if (n === NIL) this.#tail[k] = p;
    else prev[n] = p;
    this.#nrBlocks[k]--;
  }

  /** The head pfn of the free block containing `pfn`, or -1. */
  #freeHeadOf(pfn: number): number {
    const start = this.#start;
    if (!(pfn >= start && pfn < this.#end) || !Number.isInteger(pfn)) return -1;
    const tag = this.#tag;
    for (let k = 0; k <= MAX_PAGE_ORDER; k++) {
      const head = pfn - (pfn % (1 << k));
      if (head < start) return -1; // heads of higher orders lie lower still
      if (tag[head - start] === k + 1) return head;
    }
    return -1;
  }

  /** Cold path of free(): work out why it was refused. */
  #freeError(pfn: number, order: number): BuddyError {
    const what = `buddy: free of pfn ${hex(pfn)} order ${order}`;
    if (!(pfn >= this.#start && pfn < this.#end) || !Number.isInteger(pfn)) {
      const zone = `[${hex(this.#start)}, ${hex(this.#end)})`;
      return new BuddyError(pfn, order, `${what}: outside the zone ${zone}`);
    }
    if (pfn % (1 << order) !== 0) {
      return new BuddyError(pfn, order, `${what}: misaligned to its order`);
    }
    const freeHead = this.#freeHeadOf(pfn);
    if (freeHead !== -1) {
      const k = this.#tag[freeHead - this.#start]! - 1;
      const where = freeHead === pfn ? '' : ` (inside the free block at pfn ${hex(freeHead)})`;
      return new BuddyError(pfn, order, `${what}: already free, order ${k}${where}`);
    }
    const allocated = this.allocatedOrder(pfn);
    if (allocated !== -1) {
      return new BuddyError(pfn, order, `${what}: the block was allocated with order ${allocated}`);
    }
    const idx = pfn - this.#start;
    const isManaged = (this.#managed[idx >>> 5]! >>> (idx & 31)) & 1;
    const why = isManaged === 0 ? 'never handed to the allocator' : 'not an allocated block head';
    return new BuddyError(pfn, order, `${what}: ${why}`);
  }

  /** The first managed idx in [from, to), or -1. */
  #findManaged(from: number, to: number): number {
    const managed = this.#managed;
    for (let i = from; i < to;) {
      const word = managed[i >>> 5]!;
      if (word === 0 && (i & 31) === 0 && i + 32 <= to) {
        i += 32;
        continue;
      }
      if (((word >>> (i & 31)) & 1) !== 0) return i;
      i++;
    }
    return -1;
  }

  #setManaged(from: number, to: number): void {
    const managed = this.#managed;
    for (let i = from; i < to;) {
      if ((i & 31) === 0 && i + 32 <= to) {
        managed[i >>> 5] = 0xffffffff;
        i += 32;
      } else {
        managed[i >>> 5] |= 1 << (i & 31);
        i++;
      }
    }
  }

  #raw(): BuddyRawState {
    return {
      startPfn: this.#start,
      endPfn: this.#end,
      tag: this.#tag,
      next: this.#next,
      prev: this.#prev,
      managed: this.#managed,
      head: this.#head,
      tail: this.#tail,
      nrBlocks: this.#nrBlocks,
      nrFree: this.#nrFree,
      present: this.#present,
    };
  }
}

// ── Invariant checker ──────────────────────────────────────────────────────────

function fail(id: string, message: string): never {
  throw new InvariantError(`${id}: ${message}`);
}

/**
 * Check invariants B1..B6 (file header) of a zone's raw state, recomputing everything from
 * scratch. {@link BuddyZone.checkInvariants} runs it on the live arrays; tests run it on
 * corrupted copies from {@link BuddyZone.debugState}.
 *
 * Context: control plane; O(spanned pages).
 * @throws {InvariantError} whose message starts with the invariant id (`B4: ...`).
 */
export function checkBuddyInvariants(s: BuddyRawState): void {
  const n = s.endPfn - s.startPfn;
  let listed = 0;
  let freePages = 0;
  for (let k = 0; k < NR_PAGE_ORDERS; k++) {
    listed += checkList(s, k);
    freePages += s.nrBlocks[k]! * 2 ** k;
  }
  let freeHeads = 0;
  let allocatedPages = 0;
  let managedPages = 0;
  for (let i = 0; i < n;) {
    const isManaged = ((s.managed[i >>> 5]! >>> (i & 31)) & 1) === 1;
    const t = s.tag[i]!;
    if (t === 0) {
      if (isManaged)
        fail('B5', `pfn 0x${(s.startPfn + i).toString(16)} is managed but in no block`);
      i++;
      continue;
    }
    const size = 2 ** (Math.abs(t) - 1);
    checkBlock(s, i, size, t > 0 ? 'free' : 'allocated');
    if (t > 0) freeHeads++;
    else allocatedPages += size;
    managedPages += size;
    i += size;
  }
  if (freeHeads !== listed)
    fail('B2', `${freeHeads} pages are tagged free heads, ${listed} listed`);
  if (freePages !== s.nrFree) fail('B6', `nrFree ${s.nrFree}, lists hold ${freePages} pages`);
  if (managedPages !== s.present) {
    fail('B6', `present ${s.present}, but ${managedPages} managed pages are in blocks`);
  }
  if (s.nrFree + allocatedPages !== s.present) {
    fail('B6', `nrFree ${s.nrFree} + allocated ${allocatedPages} != present ${s.present}`);
  }
}

/** B1-B4 for the free list of order k; returns its length. */
function checkList(s: BuddyRawState, k: number): number {
  const n = s.endPfn - s.startPfn;
  const size = 2 ** k;
  let count = 0;
  let prev = NIL;
  for (let x = s.head[k]!; x !== NIL; x = s.next[x]!) {
    if (!(x >= 0 && x < n)) fail('B1', `order ${k} list holds index ${x}, outside the zone`);
    if (count >= s.nrBlocks[k]!) fail('B1', `order ${k} list is longer than ${s.nrBlocks[k]}`);
    const pfn = s.startPfn + x;
    const at = `free block 0x${pfn.toString(16)} of order ${k}`;
    if (s.prev[x] !== prev) fail('B1', `${at}: prev ${s.prev[x]}, expected ${prev}`);
    if (s.tag[x] !== k + 1) fail('B2', `${at}: tag ${s.tag[x]}, expected ${k + 1}`);
    if (pfn % size !== 0) fail('B3', `${at} is misaligned`);
    if (pfn + size > s.endPfn) fail('B3', `${at} ends beyond the zone`);
    if (k < MAX_PAGE_ORDER) {
      const buddy = pfn % (2 * size) === 0 ? pfn + size : pfn - size;
      if (buddy >= s.startPfn && buddy < s.endPfn && s.tag[buddy - s.startPfn] === k + 1) {
        fail('B4', `${at} and its buddy 0x${buddy.toString(16)} are both free`);
      }
    }
    prev = x;
    count++;
  }
  if (s.tail[k] !== prev) fail('B1', `order ${k} tail is ${s.tail[k]}, the list ends at ${prev}`);
  if (count !== s.nrBlocks[k])
    fail('B1', `order ${k} has ${count} blocks, nrBlocks ${s.nrBlocks[k]}`);
  return count;
}

/** B3/B5 for one block found by the page sweep. */
function checkBlock(s: BuddyRawState, i: number, size: number, kind: string): void {
  const n = s.endPfn - s.startPfn;
  const pfn = s.startPfn + i;
  const at = `${kind} block 0x${pfn.toString(16)} of ${size} pages`;
  if (pfn % size !== 0) fail('B5', `${at} is misaligned`);
  if (i + size > n) fail('B5', `${at} ends beyond the zone`);
  for (let j = i; j < i + size; j++) {
    if (j > i && s.tag[j] !== 0) {
      fail(
        'B5',
        `${at} overlaps the block tagged ${s.tag[j]} at 0x${(s.startPfn + j).toString(16)}`,
      );
    }
    if (((s.managed[j >>> 5]! >>> (j & 31)) & 1) === 0) {
      fail('B5', `${at} holds the unmanaged pfn 0x${(s.startPfn + j).toString(16)}`);
    }
  }
}
