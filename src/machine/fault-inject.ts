// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection: make the n-th next page allocation, kmalloc, VA allocation or DMA
 * allocation fail, so that the kernel's failure paths run on demand.
 *
 * Kernel: lib/fault-inject.c, mm/fail_page_alloc.c, mm/failslab.c (should_fail() prints
 * "FAULT_INJECTION: forcing a failure." when verbose).
 */

import type { KernelLog } from '../base/log.js';

/** The allocation sites a fault can be injected into. */
export type FaultSite = 'page' | 'kmalloc' | 'vmap_area' | 'dma';

const SITES: readonly FaultSite[] = ['page', 'kmalloc', 'vmap_area', 'dma'];

/** Pending injected failures per site. */
export class FaultInjector {
  readonly #countdown = new Map<FaultSite, number>();
  readonly #times = new Map<FaultSite, number>();
  readonly #log: KernelLog;
  #injected = 0;

  constructor(log: KernelLog) {
    this.#log = log;
  }

  /**
   * Make the `nth` next attempt at `site` fail (1 = the very next), and the `times - 1`
   * attempts after it too.
   * @throws {RangeError} for an unknown site or a count that is not a positive integer.
   */
  failNth(site: FaultSite, nth = 1, times = 1): void {
    if (!SITES.includes(site)) throw new RangeError(`unknown fault site '${String(site)}'`);
    if (!Number.isInteger(nth) || nth < 1 || !Number.isInteger(times) || times < 1) {
      throw new RangeError(`failNth: nth and times must be positive integers (${nth}, ${times})`);
    }
    this.#countdown.set(site, nth);
    this.#times.set(site, times);
  }

  /** Forget every pending injection. */
  clear(): void {
    this.#countdown.clear();
    this.#times.clear();
  }

  /** Number of failures injected so far. */
  get injected(): number {
    return this.#injected;
  }

  /**
   * Called by an allocation site: true when this attempt must fail. `quiet` is the
   * kernel's FAULT_NOWARN (the caller passed __GFP_NOWARN): the failure is injected
   * without the "FAULT_INJECTION: forcing a failure." line.
   */
  shouldFail(site: FaultSite, quiet = false): boolean {
    if (this.#countdown.size === 0) return false;
    const left = this.#countdown.get(site);
    if (left === undefined) return false;
    if (left > 1) {
      this.#countdown.set(site, left - 1);
      return false;
    }
    const times = this.#times.get(site)! - 1;
    if (times > 0) this.#times.set(site, times);
    else {
      this.#countdown.delete(site);
      this.#times.delete(site);
    }
    this.#injected++;
    if (!quiet) this.#log.info('should_fail', 'FAULT_INJECTION: forcing a failure.');
    return true;
  }
}
