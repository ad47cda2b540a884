// SPDX-License-Identifier: GPL-2.0-only
/*
 * The three error classes of kmem.
 *
 * - KernelBug: the simulated oops of BUG()/BUG_ON(). The state that led to it stays
 *   inspectable; src/ never catches it.
 * - KernelWarning: thrown for a WARN only when the log was built with panicOnWarn (the
 *   kernel's panic_on_warn sysctl).
 * - InvariantError: a broken invariant of kmem's own data structures (a bug in kmem, not in
 *   the caller).
 *
 * Each carries a stable `code` so that tests and the CLI can tell them apart without
 * instanceof across module copies.
 */

/** A BUG()/BUG_ON() of the kernel: the operation cannot go on. */
export class KernelBug extends Error {
  readonly code = 'KERNEL_BUG';
  constructor(message: string) {
    super(message);
    this.name = 'KernelBug';
  }
}

/** A WARN of the kernel turned into an exception by `panicOnWarn`. */
export class KernelWarning extends Error {
  readonly code = 'KERNEL_WARNING';
  constructor(message: string) {
    super(message);
    this.name = 'KernelWarning';
  }
}

/** A broken invariant of kmem's own data structures, found by an assert or a checker. */
export class InvariantError extends Error {
  readonly code = 'INVARIANT';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** An access to a virtual address with no valid translation (or a write to a read-only one). */
export class PageFault extends Error {
  readonly code = 'PAGE_FAULT';
  /** The faulting address (48-bit number). */
  readonly address: number;
  /** True when the access was a write. */
  readonly write: boolean;
  constructor(message: string, address: number, write: boolean) {
    super(message);
    this.name = 'PageFault';
    this.address = address;
    this.write = write;
  }
}
