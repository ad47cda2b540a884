// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel API of a machine (`machine.kernel`): every kernel function, algorithm callback
 * and constant kmem implements, under the kernel's names and argument order, so that driver
 * code and kernel tests port line by line.
 *
 * Kernel: the union of the headers mirrored in this folder.
 *
 * It is a thin layer: functions that need the machine (gen_pool_create logs to the
 * machine's dmesg) are bound to it here; the rest are the machine-free functions of
 * kmem/linux. `Machine.prototype.kernel` is defined here, so the machine layer below never
 * imports this one; `machine.kernel` is the same object as `createKernel(machine)`.
 */

import '../drivers/index.js'; // registers the built-in drivers
import * as errno from '../base/errno.js';
import { Machine } from '../machine/machine.js';
import type { GenPool } from '../genalloc/gen-pool.js';
import * as err from './err.js';
import * as genalloc from './genalloc.js';
import { genPoolCreateWithLog } from './genalloc-create.js';
import * as constants from './constants.js';
import { machineApi } from './machine-api.js';
import { dmapoolApi } from './dmapool.js';
import { vmallocApi } from './vmalloc.js';
import { rcuApi } from './rcu.js';
import { percpuApi } from './percpu.js';
import { vmallocUserApi } from './vmalloc-user.js';

/** Build the kernel API object of `machine`. */
function buildKernel(machine: Machine) {
  return {
    ...errno,
    ...err,
    ...genalloc,
    ...constants,
    ...machineApi(machine),
    ...dmapoolApi(machine),
    ...vmallocApi(machine),
    ...rcuApi(machine),
    ...percpuApi(machine),
    ...vmallocUserApi(machine),
    /** Kernel: gen_pool_create(), logging to this machine's dmesg; zalloc zeroes machine memory. */
    gen_pool_create(min_alloc_order: number, nid: number): GenPool | null {
      return genPoolCreateWithLog(
        min_alloc_order,
        nid,
        machine.log,
        { memset: (addr, c, n) => machine.mmu.fill(addr, c, n) },
        () => machine.faults.shouldFail('page'),
      );
    },
    /** The machine's kernel log lines. */
    dmesg(): string[] {
      return machine.dmesg();
    },
  };
}

/** The kernel API of one machine. */
export type Kernel = ReturnType<typeof buildKernel>;

const kernels = new WeakMap<Machine, Kernel>();

/**
 * Return the kernel API object of `machine` (created once, then the same object).
 * @returns the same object as `machine.kernel`.
 */
export function createKernel(machine: Machine): Kernel {
  let k = kernels.get(machine);
  if (k === undefined) {
    k = buildKernel(machine);
    kernels.set(machine, k);
  }
  return k;
}

declare module '../machine/machine.js' {
  interface Machine {
    /** The kernel API of this machine (the kernel's names and argument order). */
    readonly kernel: Kernel;
  }
}

Object.defineProperty(Machine.prototype, 'kernel', {
  get(this: Machine): Kernel {
    return createKernel(this);
  },
  configurable: false,
  enumerable: false,
});
