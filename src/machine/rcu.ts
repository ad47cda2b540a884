// SPDX-License-Identifier: GPL-2.0-only
/*
 * RCU grace periods on the machine's work queue: call_rcu() callbacks are invoked only
 * after a grace period has elapsed, and a grace period elapses when the machine's deferred
 * work runs (the "rcu_gp" work item stands for the RCU grace-period kthread and the
 * RCU_SOFTIRQ/rcuc callback invocation), so that tests decide when memory handed to RCU is
 * really freed.
 *
 * Kernel: kernel/rcu/tree.c call_rcu, synchronize_rcu, rcu_barrier, rcu_do_batch (callbacks
 * of one CPU run in the order they were queued); include/linux/rcupdate.h.
 *
 * Data structure: one FIFO of waiting callbacks in three parallel arrays (function, argument,
 * the grace-period number it waits for), read from `#first`. `#gpSeq` counts completed grace
 * periods. A callback queued when `#gpSeq` is g waits for grace period g + 1: grace periods
 * are instantaneous here, so "a full grace period after the call" is simply the next one.
 * Targets never decrease along the FIFO, so the ready callbacks are always a prefix.
 *
 *   R1: #gps[i] <= #gps[i + 1] for #first <= i < length - 1   (targets are monotonic)
 *   R2: every callback with #gps[i] <= #gpSeq has been invoked when the rcu_gp work returns
 *   R3: pending === #fns.length - #first
 *
 * DEVIATION: one global callback list instead of per-CPU segmented lists; no read-side
 * critical sections (a single-threaded simulation has no concurrent readers, so
 * rcu_read_lock() would have nothing to wait for); the rcu_head is not written (call_rcu
 * keeps the callback in the machine, not in the object's memory); no callback batching
 * limits (blimit) — a grace period invokes every ready callback. synchronize_rcu() completes
 * a grace period but leaves the invocation of callbacks to the work item, as the kernel
 * leaves it to RCU_SOFTIRQ. The might_sleep() complaints name no line (0).
 */

import type { Machine } from './machine.js';
import type { WorkItem } from './workqueue.js';

/** An RCU callback: `func(head)` of call_rcu(head, func); `head` is the rcu_head's address. */
export type RcuCallback = (head: number) => void;

const instances = new WeakMap<Machine, Rcu>();

/** Above this many consumed entries the FIFO arrays are compacted (bounds the dead prefix). */
const COMPACT_MIN = 4096;

/** The RCU state of one machine. */
export class Rcu {
  readonly #m: Machine;
  readonly #work: WorkItem;
  readonly #fns: RcuCallback[] = [];
  readonly #heads: number[] = [];
  readonly #gps: number[] = [];
  #first = 0;
  #gpSeq = 0;
  #invoked = 0;

  /** The RCU state of `m` (created on first use). */
  static of(m: Machine): Rcu {
    let r = instances.get(m);
    if (r === undefined) {
      r = new Rcu(m);
      instances.set(m, r);
    }
    return r;
  }

  private constructor(m: Machine) {
    this.#m = m;
    this.#work = m.workItem('rcu_gp', () => this.#gracePeriod());
  }

  /** Grace periods completed so far (rcu_state.gp_seq, counted in whole grace periods). */
  get completed(): number {
    return this.#gpSeq;
  }

  /** Callbacks queued and not yet invoked. */
  get pending(): number {
    return this.#fns.length - this.#first;
  }

  /** Callbacks invoked so far. */
  get invoked(): number {
    return this.#invoked;
  }

  /**
   * Queue `func(head)` to run after the next full grace period, and make sure one is
   * scheduled (the rcu_gp work item).
   *
   * Kernel: kernel/rcu/tree.c call_rcu().
   * Context: data plane; never sleeps; amortised O(1).
   */
  callRcu(head: number, func: RcuCallback): void {
    this.#fns.push(func);
    this.#heads.push(head);
    this.#gps.push(this.#gpSeq + 1);
    this.#m.schedule(this.#work);
  }

  /**
   * Wait for a grace period: one completes while the caller sleeps. Callbacks that were
   * waiting for it become ready; they are invoked by the rcu_gp work item, as the kernel
   * invokes them from RCU_SOFTIRQ rather than from synchronize_rcu().
   *
   * Kernel: kernel/rcu/tree.c synchronize_rcu() (might_sleep()).
   */
  synchronize(): void {
    this.#m.cpus.mightSleep('kernel/rcu/tree.c', 0, 'synchronize_rcu');
    this.#gpSeq++;
  }

  /**
   * Wait until every callback queued so far has been invoked, completing as many grace
   * periods as that takes (callbacks that queue callbacks need more than one).
   *
   * Kernel: kernel/rcu/tree.c rcu_barrier().
   * @returns the number of callbacks invoked.
   */
  barrier(): number {
    this.#m.cpus.mightSleep('kernel/rcu/tree.c', 0, 'rcu_barrier');
    const before = this.#invoked;
    while (this.pending > 0) this.#complete();
    return this.#invoked - before;
  }

  /** The rcu_gp work: complete a grace period, invoke what it readied, re-arm if needed. */
  #gracePeriod(): void {
    this.#complete();
    if (this.pending > 0) this.#m.schedule(this.#work);
  }

  /** Complete one grace period and invoke every callback that waited for it (R2). */
  #complete(): void {
    const seq = ++this.#gpSeq;
    const fns = this.#fns;
    const heads = this.#heads;
    const gps = this.#gps;
    // Callbacks queued by callbacks land at the end with target seq + 1: the loop stops there.
    while (this.#first < fns.length && gps[this.#first]! <= seq) {
      const i = this.#first++;
      const fn = fns[i]!;
      this.#invoked++;
      fn(heads[i]!);
    }
    this.#compact();
  }

  /** Drop the consumed prefix: all of it when empty, else once it outgrows the live part. */
  #compact(): void {
    const first = this.#first;
    const len = this.#fns.length;
    if (first === len) {
      this.#fns.length = 0;
      this.#heads.length = 0;
      this.#gps.length = 0;
      this.#first = 0;
      return;
    }
    if (first < COMPACT_MIN || first < len - first) return;
    this.#fns.copyWithin(0, first);
    this.#heads.copyWithin(0, first);
    this.#gps.copyWithin(0, first);
    this.#fns.length = len - first;
    this.#heads.length = len - first;
    this.#gps.length = len - first;
    this.#first = 0;
  }
}
