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
 * Entries are kept in a Map per CPU (vpn → pfn * 2^16 + flags): fully associative and
 * never evicted, so that what a test sees depends only on flushes, not on capacity.
 */

import { PAGE_SIZE } from '../base/units.js';

/** tlb_single_page_flush_ceiling: ranges of more pages are flushed whole. */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

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

/** The TLBs of every CPU. */
export class Tlbs {
  readonly #entries: Map<number, number>[] = [];
  readonly #flushes: TlbFlush[] = [];
  #hits = 0;
  #misses = 0;

  constructor(cpus: number) {
    for (let i = 0; i < cpus; i++) this.#entries.push(new Map());
  }

  /** Look up `vpn` in `cpu`'s TLB: pfn * 65536 + flags, or -1 on a miss. */
  lookup(cpu: number, vpn: number): number {
    const e = this.#entries[cpu]!.get(vpn);
    if (e === undefined) {
      this.#misses++;
      return -1;
    }
    this.#hits++;
    return e;
  }

  /** Cache a translation in `cpu`'s TLB. */
  fill(cpu: number, vpn: number, pfn: number, flags: number): void {
    this.#entries[cpu]!.set(vpn, pfn * 65536 + flags);
  }

  /** Drop `cpu`'s entry for `vpn` (a local invlpg, e.g. after a fault). */
  invalidate(cpu: number, vpn: number): void {
    this.#entries[cpu]!.delete(vpn);
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
    for (let c = 0; c < this.#entries.length; c++) {
      const m = this.#entries[c]!;
      if (full) m.clear();
      else for (let v = first; v < last; v++) m.delete(v);
    }
    this.#flushes.push({ start, end, full, cpu });
  }

  /** flush_tlb_all() on every CPU, recorded in {@link flushes}. */
  flushAll(cpu: number): void {
    for (let c = 0; c < this.#entries.length; c++) this.#entries[c]!.clear();
    this.#flushes.push({ start: 0, end: 2 ** 48, full: true, cpu });
  }

  /** Every kernel flush so far, oldest first. */
  flushes(): readonly TlbFlush[] {
    return this.#flushes;
  }

  /** Number of entries cached by `cpu`. */
  size(cpu: number): number {
    return this.#entries[cpu]!.size;
  }

  /** TLB hits and misses so far (all CPUs). */
  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}
