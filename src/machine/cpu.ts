// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUs and execution contexts: which CPU the caller runs on, and whether it is in hardirq,
 * softirq or NMI context or has preemption disabled (atomic), as the preempt count of each
 * CPU says; and the "sleeping function called from invalid context" check.
 *
 * Kernel: include/linux/preempt.h (in_interrupt, in_irq, in_nmi, in_atomic, HARDIRQ_OFFSET
 * ...), kernel/sched/core.c __might_sleep / __might_resched (the complaint's wording),
 * include/linux/cpumask.h (online vs possible vs NR_CPUS).
 */

import type { KernelLog } from '../base/log.js';

/** Count units of the preempt count, as preempt.h lays them out. */
const PREEMPT_OFFSET = 1;
const SOFTIRQ_OFFSET = 1 << 8;
const HARDIRQ_OFFSET = 1 << 16;
const NMI_OFFSET = 1 << 20;
const SOFTIRQ_MASK = 0xff << 8;
const HARDIRQ_MASK = 0xf << 16;
const NMI_MASK = 0xf << 20;

/** The context kinds a caller may enter with {@link Cpus.enter}. */
export type ContextKind = 'hardirq' | 'softirq' | 'nmi' | 'atomic';

const OFFSET: Readonly<Record<ContextKind, number>> = {
  hardirq: HARDIRQ_OFFSET,
  softirq: SOFTIRQ_OFFSET,
  nmi: NMI_OFFSET + HARDIRQ_OFFSET,
  atomic: PREEMPT_OFFSET,
};

/** The CPUs of a machine and the context each one runs in. */
export class Cpus {
  /** Online CPUs (num_online_cpus()); CPUs 0..online-1 exist and run. */
  readonly online: number;
  /** Possible CPUs (num_possible_cpus()). */
  readonly possible: number;
  /** NR_CPUS, the compile-time maximum. */
  readonly nrCpus: number;
  readonly #preempt: Int32Array;
  readonly #log: KernelLog;
  #current = 0;
  /**
   * preempt_count() of the current CPU, kept in step with `#preempt` and `#current` by
   * onCpu() and enter() (their only writers). Read-only for everyone else: it is a plain
   * field so that hot paths (dma_pool_alloc's might_alloc check) read it in one load.
   */
  currentPreemptCount = 0;

  constructor(online: number, possible: number, nrCpus: number, log: KernelLog) {
    this.online = online;
    this.possible = possible;
    this.nrCpus = nrCpus;
    this.#preempt = new Int32Array(nrCpus);
    this.#log = log;
  }

  /** The CPU the caller runs on (smp_processor_id()). */
  get current(): number {
    return this.#current;
  }

  /** The current CPU's preempt count (preempt_count()). */
  get preemptCount(): number {
    return this.currentPreemptCount;
  }

  /** in_interrupt(): hardirq, softirq or NMI context. */
  inInterrupt(): boolean {
    return (this.preemptCount & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK)) !== 0;
  }

  /** in_nmi(). */
  inNmi(): boolean {
    return (this.preemptCount & NMI_MASK) !== 0;
  }

  /** in_hardirq() (formerly in_irq()). */
  inHardirq(): boolean {
    return (this.preemptCount & HARDIRQ_MASK) !== 0;
  }

  /** in_atomic(): any non-zero preempt count. */
  inAtomic(): boolean {
    return this.preemptCount !== 0;
  }

  /**
   * Run `fn` on CPU `cpu` and return its result; the previous CPU is current again after,
   * also when `fn` throws.
   * @throws {RangeError} when `cpu` is not an online CPU.
   */
  onCpu<T>(cpu: number, fn: () => T): T {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.online) {
      throw new RangeError(`onCpu: CPU ${cpu} is not online (online CPUs: 0-${this.online - 1})`);
    }
    const prev = this.#current;
    this.#current = cpu;
    this.currentPreemptCount = this.#preempt[cpu]!;
    try {
      return fn();
    } finally {
      this.#current = prev;
      this.currentPreemptCount = this.#preempt[prev]!;
    }
  }

  /** Run `fn` in context `kind` on the current CPU (irq_enter/irq_exit, preempt_disable...). */
  enter<T>(kind: ContextKind, fn: () => T): T {
    const cpu = this.#current;
    const off = OFFSET[kind];
    this.#preempt[cpu]! += off;
    this.currentPreemptCount = this.#preempt[cpu]!;
    try {
      return fn();
    } finally {
      this.#preempt[cpu]! -= off;
      this.currentPreemptCount = this.#preempt[cpu]!;
    }
  }

  /**
   * might_sleep(): when the caller may not sleep (atomic or interrupt context), log the
   * kernel's complaint naming `file:line` and `site`, then carry on as the kernel does.
   * @returns true when the context allowed sleeping.
   */
  mightSleep(file: string, line: number, site: string): boolean {
    if (!this.inAtomic()) return true;
    // Interrupts are off in hardirq and NMI handlers only; softirqs run with them on.
    const inIrq = this.inHardirq() ? 1 : 0;
    this.#log.err(site, `BUG: sleeping function called from invalid context at ${file}:${line}`);
    this.#log.err(
      site,
      `in_atomic(): 1, irqs_disabled(): ${inIrq}, non_block: 0, pid: 0, name: swapper/${this.#current}`,
    );
    return false;
  }
}
