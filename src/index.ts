// SPDX-License-Identifier: GPL-2.0-only
/* kmem: the TypeScript API. Re-exports only. */
import './linux/kernel.js'; // attaches machine.kernel
export { Machine, type MachineOptions, type RamRange } from './machine/machine.js';
export { Device, type DeviceOptions, type Driver, type Devres } from './machine/device.js';
export { Page, PageOwner, ZONE_NAMES } from './machine/memmap.js';
export { FileNotFound } from './machine/files.js';
export { type TlbFlush } from './machine/tlb.js';
export { type FaultSite } from './machine/fault-inject.js';
export { type ContextKind } from './machine/cpu.js';
export { Mm } from './machine/user-mm.js';
export { VmAreaStruct } from './machine/user-mm.js';
export { kaddr, parseKaddr } from './machine/layout.js';
export * from './machine/devicetree/dts-parser.js';
export { DmaPool, type DmaPage } from './dmapool/dma-pool.js';
export { Vmalloc, type VmallocOptions } from './vmalloc/vmalloc.js';
export { VmStruct, getVmAreaSize } from './vmalloc/vm-struct.js';
export * from './vmalloc/vm-flags.js';
export { VaSpace, type VaSpaceOptions } from './vmalloc/va-space.js';
export { POOL_POISON_FREED, POOL_POISON_ALLOCATED } from './dmapool/debug.js';
export { sramDriver, SRAM_GRANULARITY } from './drivers/index.js';
export {
  GenPool,
  MAX_CHUNKS,
  type AddMemoryOptions,
  type ChunkVisitor,
  type GenPoolOptions,
  type Out,
  type PoolMemory,
} from './genalloc/gen-pool.js';
export { GenPoolChunk, type ChunkBacking, type GrowableMemory } from './genalloc/chunk.js';
export {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo,
  type GenPoolAlgoPool,
  type GenPoolDataAlign,
  type GenPoolDataFixed,
} from './genalloc/algos.js';
export { checkInvariants } from './genalloc/check.js';
export {
  SharedGenPool,
  HOOK_CLAIMED,
  HOOK_RELEASED,
  HOOK_WORD_CLAIMED,
  type AttachOptions,
  type RecoverReport,
  type SharedAddMemoryOptions,
  type SharedChunkVisitor,
  type SharedGenPoolHandle,
  type SharedGenPoolOptions,
  type SharedPoolHook,
} from './genalloc/shared/shared-pool.js';
export { SharedGenPoolChunk } from './genalloc/shared/shared-chunk.js';
export { type SharedLayoutOptions } from './genalloc/shared/shared-admin.js';
export { KernelBug, KernelWarning, InvariantError, PageFault } from './base/errors.js';
export { KernelLog, type LogRecord, type LogLevel } from './base/log.js';
export * from './base/errno.js';
export { PAGE_SIZE, PAGE_SHIFT, parseSize } from './base/units.js';
export { XorShift32, WORKLOAD_SEED } from './base/rng.js';
export { createKernel, type Kernel } from './linux/kernel.js';
