// SPDX-License-Identifier: GPL-2.0-only
/* kmem/linux: the kernel API — createKernel(machine) and everything that needs no machine. */
export * from '../base/errno.js';
export * from './err.js';
export * from './genalloc.js';
export * from './constants.js';
export { createKernel, type Kernel } from './kernel.js';
export { KernelBug, KernelWarning, PageFault } from '../base/errors.js';
