// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machine: the simulated computer kmem's kernel runs on, and the home of its kernel API
 * (`machine.kernel`, attached by the linux layer) and its kernel log (`dmesg()`).
 *
 * Kernel: the machine-wide state the allocators share — the printk ring buffer now; physical
 * memory, page allocator, CPUs, page tables, TLBs and devices arrive with the machine issue.
 *
 * The kernel API object is created by src/linux (one layer up) and attached to
 * Machine.prototype there, so this file imports nothing from above it.
 */

import { KernelLog } from '../base/log.js';

/** Options of a {@link Machine}. */
export interface MachineOptions {
  /**
   * Turn every WARN into a thrown KernelWarning after logging it (panic_on_warn).
   * @defaultValue false
   */
  readonly panicOnWarn?: boolean;
}

/** A simulated machine. */
export class Machine {
  /** The kernel log every subsystem of this machine writes to. */
  readonly log: KernelLog;
  readonly options: Readonly<MachineOptions>;
  #currentCpu = 0;

  constructor(options: MachineOptions = {}) {
    this.options = { ...options }; // control-plane: copied once at construction
    this.log = new KernelLog({
      panicOnWarn: options.panicOnWarn ?? false,
      cpu: () => this.#currentCpu,
    });
  }

  /** Return the kernel log's lines, oldest first, as `dmesg` prints them. */
  dmesg(): string[] {
    return this.log.dmesg();
  }

  /** The CPU the caller runs on. */
  get currentCpu(): number {
    return this.#currentCpu;
  }
}
