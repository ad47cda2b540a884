// SPDX-License-Identifier: GPL-2.0-only
/*
 * TLBs: one per CPU, caching virtual-page → frame translations until they are flushed. A
 * page-table entry cleared without a flush stays reachable from every CPU that had cached
 * it: the stale-TLB behaviour lazy vmap purging relies on being flushed in time.
 *
 * Kernel: arch/x86/mm/tlb.c (flush_tlb_kernel_range: a range above
 * tlb_single_page_flush_ceiling = 33 pages flushes everything, otherwise page by page, on
 * every CPU; flush_tlb_all).
 *
 * Each CPU's entries (vpn → pfn * 2^16 + flags) are kept in an open-addressed hash table
 * in one typed array (linear probing, deletion by backward shift, grown ×2 past half full):
 * fully associative and never evicted, so that what a test sees depends only on flushes,
 * not on capacity. A slot's tag carries the epoch it was filled in, so a full flush is one
 * increment, and a CPU with no entries costs nothing to flush.
 */

import { PAGE_SIZE } from '../base/units.js';

/** tlb_single_page_flush_ceiling: ranges of more pages are flushed whole. */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

/** Initial slots of a CPU's table (a power of two). */
const INITIAL_SLOTS = 16;
/** Pages of one run of neighbouring slots (a power of two; 256 pages = 4 KiB of slots). */
const RUN_PAGES = 256;
/** Virtual page numbers of 48-bit addresses are below 2^36. */
const VPN_LIMIT = 2 ** 36;
/** The last epoch whose tags (epoch × 2^36 + vpn) stay below 2^53. */
const MAX_EPOCH = 2 ** 17 - 1;

/** One kernel TLB flush, as recorded for {@link Tlbs.flushes}. */
export interface TlbFlush {
  /** First address of the flushed range. */
  readonly start: number;
  /** End of the flushed range (exclusive); for a full flush, the range that was asked for. */
  readonly end: number;
  /** True when every entry was dropped (flush_tlb_all, or a range over the ceiling). */
  readonly full: boolean;
  /** The CPU that asked for it. */
  readonly cpu: number;
}

/**
 * The home slot of `vpn` in a table of `mask + 1` slots: the pages of one aligned run of
 * RUN_PAGES get neighbouring slots, so that pages touched one after the other share cache
 * lines and prefetches, and each run starts at a slot of its own (Fibonacci hashing of the
 * run number), so that the runs spread over the table.
 */
function home(vpn: number, mask: number, shift: number): number {
  const run = Math.floor(vpn / RUN_PAGES);
  const mix = Math.imul((run | 0) ^ ((run / 4294967296) | 0), 0x9e3779b1) >>> shift;
  return (mix + (vpn - run * RUN_PAGES)) & mask;
}

/**
 * One CPU's TLB: an open-addressed map from vpn (an integer in [0, 2^36): a 48-bit address's
 * page) to pfn * 2^16 + flags.
 *
 * Slot i is two doubles: the tag `epochBase + vpn` and the entry. `epochBase` is the epoch
 * times 2^36, so a slot is live exactly when its tag is at least `epochBase` (stale tags of
 * earlier epochs, and 0 for a slot never used or emptied, are below it): a full flush moves
 * to the next epoch without touching the slots. Tags stay below 2^53 for 2^17 - 1 epochs;
 * then the slots are zeroed and the epochs start again. Sixteen bytes a slot keep a table
 * of thousands of entries (test_vmalloc fills 4,096 between two purges) compact.
 */
class TlbTable {
  #slots = new Float64Array(INITIAL_SLOTS * 2);
  #epoch = 1;
  #epochBase = VPN_LIMIT;
  #mask = INITIAL_SLOTS - 1;
  #shift = 32 - Math.log2(INITIAL_SLOTS);
  /** Live entries. */
  count = 0;
  /**
   * The tag of the last lookup that missed and the empty slot its probe ended on, where a
   * fill of that vpn goes (the MMU fills right after a miss); forgotten when a delete,
   * flush or growth could move that slot. An insert of another key can only take the slot
   * itself (every slot before it on the probe run is full), which set() checks.
   */
  #missTag = -1;
  #missSlot = 0;

  /** The entry of `vpn`, or -1. */
  get(vpn: number): number {
    if (!(vpn >= 0 && vpn < VPN_LIMIT)) return -1;
    const slots = this.#slots;
    const base = this.#epochBase;
    const tag = base + vpn;
    const mask = this.#mask;
    for (let i = home(vpn, mask, this.#shift); ; i = (i + 1) & mask) {
      const t = slots[2 * i]!;
      if (t === tag) return slots[2 * i + 1]!;
      if (t < base) {
        this.#missTag = tag;
        this.#missSlot = i;
        return -1;
      }
    }
  }

  /** Set the entry of `vpn` (a new one or a replacement). */
  set(vpn: number, entry: number): void {
    if (!(vpn >= 0 && vpn < VPN_LIMIT) || !Number.isInteger(vpn)) {
      throw new RangeError(`TLB fill: vpn ${vpn} is not the page of a 48-bit address`);
    }
    if ((this.count + 1) * 2 > this.#mask + 1) this.#grow();
    const slots = this.#slots;
    const base = this.#epochBase;
    const tag = base + vpn;
    let i = this.#missSlot;
    if (tag === this.#missTag && slots[2 * i]! < base) {
      slots[2 * i] = tag;
      slots[2 * i + 1] = entry;
      this.count++;
      return;
    }
    const mask = this.#mask;
    i = home(vpn, mask, this.#shift);
    for (let t = slots[2 * i]!; t >= base; t = slots[2 * i]!) {
      if (t === tag) {
        slots[2 * i + 1] = entry;
        return;
      }
      i = (i + 1) & mask;
    }
    slots[2 * i] = tag;
    slots[2 * i + 1] = entry;
    this.count++;
  }

  /** Drop the entry of `vpn`, if any. */
  delete(vpn: number): void {
    if (!(vpn >= 0 && vpn < VPN_LIMIT)) return;
    const slots = this.#slots;
    const base = this.#epochBase;
    const tag = base + vpn;
    const mask = this.#mask;
    let i = home(vpn, mask, this.#shift);
    for (; ; i = (i + 1) & mask) {
      const t = slots[2 * i]!;
      if (t === tag) break;
      if (t < base) return;
    }
    this.count--;
    this.#missTag = -1;
    // Backward shift: move later members of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, j].
    let hole = i;
    for (let j = (i + 1) & mask; slots[2 * j]! >= base; j = (j + 1) & mask) {
      const h = home(slots[2 * j]! - base, mask, this.#shift);
      const stays = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (stays) continue;
      slots[2 * hole] = slots[2 * j]!;
      slots[2 * hole + 1] = slots[2 * j + 1]!;
      hole = j;
    }
    slots[2 * hole] = 0;
  }

  /** Drop every entry. */
  clear(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.#missTag = -1;
    if (this.#epoch === MAX_EPOCH) {
      this.#slots.fill(0);
      this.#epoch = 1;
    } else this.#epoch++;
    this.#epochBase = this.#epoch * VPN_LIMIT;
  }

  #grow(): void {
    this.#missTag = -1;
    const old = this.#slots;
    const base = this.#epochBase;
    const slots = (this.#mask + 1) * 2;
    this.#slots = new Float64Array(slots * 2);
    this.#mask = slots - 1;
    this.#shift--;
    this.count = 0;
    for (let o = 0; o < old.length; o += 2) {
      if (old[o]! >= base) this.set(old[o]! - base, old[o + 1]!);
    }
  }
}

/** The TLBs of every CPU. */
export class Tlbs {
  readonly #tables: TlbTable[] = [];
  readonly #flushes: TlbFlush[] = [];
  #hits = 0;
  #misses = 0;

  constructor(cpus: number) {
    for (let i = 0; i < cpus; i++) this.#tables.push(new TlbTable());
  }

  /** Look up `vpn` in `cpu`'s TLB: pfn * 65536 + flags, or -1 on a miss. */
  lookup(cpu: number, vpn: number): number {
    const e = this.#tables[cpu]!.get(vpn);
    if (e < 0) {
      this.#misses++;
      return -1;
    }
    this.#hits++;
    return e;
  }

  /**
   * Cache a translation in `cpu`'s TLB.
   * @throws {RangeError} when `vpn` is not an integer in [0, 2^36) (the MMU never asks).
   */
  fill(cpu: number, vpn: number, pfn: number, flags: number): void {
    this.#tables[cpu]!.set(vpn, pfn * 65536 + flags);
  }

  /** Drop `cpu`'s entry for `vpn` (a local invlpg, e.g. after a fault). */
  invalidate(cpu: number, vpn: number): void {
    this.#tables[cpu]!.delete(vpn);
  }

  /**
   * flush_tlb_kernel_range(start, end) on every CPU, recorded in {@link flushes}.
   * Over {@link TLB_SINGLE_PAGE_FLUSH_CEILING} pages it flushes everything, as x86 does.
   */
  flushKernelRange(start: number, end: number, cpu: number): void {
    const first = Math.floor(start / PAGE_SIZE);
    const last = Math.ceil(end / PAGE_SIZE);
    // x86 compares the bytes asked for: (end - start) > ceiling << PAGE_SHIFT.
    const full = end - start > TLB_SINGLE_PAGE_FLUSH_CEILING * PAGE_SIZE;
    for (let c = 0; c < this.#tables.length; c++) {
      const t = this.#tables[c]!;
      if (t.count === 0) continue;
      if (full) t.clear();
      else for (let v = first; v < last; v++) t.delete(v);
    }
    this.#flushes.push({ start, end, full, cpu });
  }

  /** flush_tlb_all() on every CPU, recorded in {@link flushes}. */
  flushAll(cpu: number): void {
    for (let c = 0; c < this.#tables.length; c++) this.#tables[c]!.clear();
    this.#flushes.push({ start: 0, end: 2 ** 48, full: true, cpu });
  }

  /** Every kernel flush so far, oldest first. */
  flushes(): readonly TlbFlush[] {
    return this.#flushes;
  }

  /** Number of entries cached by `cpu`. */
  size(cpu: number): number {
    return this.#tables[cpu]!.count;
  }

  /** TLB hits and misses so far (all CPUs). */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}
