// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scenario of `kmem run`, as the loader hands it to the engine: a machine, its device
 * tree, the pools and users drivers make on it, and a workload (an operation script or a
 * seeded random mix). Every field has been checked; `where(path)` names the file and line
 * of any field, for the errors found later (a device the tree lacks, a pool the kernel
 * refused). The JSON format itself is documented in docs/cli/scenario.md.
 *
 * Kernel: none (kmem's command line); the pools are lib/genalloc.c, mm/dmapool.c and
 * mm/vmalloc.c users as drivers create them.
 */

/** The machine options a scenario may set (MachineOptions of src/machine/machine.ts). */
export interface MachineSpec {
  readonly memory: number | string;
  readonly nodes: number;
  readonly cpus: number;
  readonly possibleCpus?: number;
  readonly nrCpus: number;
  readonly dmapoolDebug: boolean;
}

/** The device-tree source of a scenario and how its lines map back to the file. */
export interface DtsSpec {
  readonly text: string;
  /** The name DTS errors carry (the dtsFile path, or the scenario file). */
  readonly fileName: string;
  /** True when the DTS is a file of its own (its errors name that file's lines). */
  readonly ownFile: boolean;
  /** For inline DTS: the `file:line` of DTS line `line` (1-based), with the JSON path. */
  readonly lineAt: (line: number) => string;
}

/** The genpool algorithms a pool may be set to (gen_pool_set_algo). */
export type AlgoName = 'first-fit' | 'best-fit' | 'first-fit-order-align' | 'first-fit-align';

/** Fields every pool entry has. */
interface PoolBase {
  /** The name the workload uses. */
  readonly id: string;
  /** The JSON path of the entry (`pools[2]`), for errors. */
  readonly path: string;
}

/** A genpool a device-tree driver made (mmio-sram), found by label or by of_gen_pool_get. */
export interface DtGenpoolSpec extends PoolBase {
  readonly type: 'genpool';
  /** The dtc label of the SRAM node or of its pool child. */
  readonly label: string | null;
  /** Or: of_gen_pool_get(consumer node, property, index). */
  readonly consumer: {
    readonly node: string;
    readonly property: string;
    readonly index: number;
  } | null;
  readonly algo: AlgoName | null;
  /** The alignment of first-fit-align, in bytes. */
  readonly align: number;
}

/** One chunk of a devm genpool: ioremapped device memory, or coherent DMA memory. */
export interface ChunkSpec {
  readonly size: number;
  /** Physical address of device memory to ioremap; -1 for a dma_alloc_coherent buffer. */
  readonly phys: number;
}

/** A genpool a driver creates itself (devm_gen_pool_create + gen_pool_add_virt). */
export interface DevmGenpoolSpec extends PoolBase {
  readonly type: 'devm-genpool';
  readonly device: string;
  readonly name: string;
  readonly order: number;
  readonly algo: AlgoName | null;
  readonly align: number;
  readonly chunks: readonly ChunkSpec[];
}

/** A dmapool on a device (dma_pool_create). */
export interface DmapoolSpec extends PoolBase {
  readonly type: 'dmapool';
  readonly device: string;
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly boundary: number;
}

/** A driver that uses vmalloc (its areas show `caller` in /proc/vmallocinfo). */
export interface VmallocUserSpec extends PoolBase {
  readonly type: 'vmalloc';
  readonly caller: string;
}

/** A driver that maps pages with vm_map_ram. */
export interface VmMapRamUserSpec extends PoolBase {
  readonly type: 'vm_map_ram';
}

/** Any pool or user of a scenario. */
export type PoolSpec =
  DtGenpoolSpec | DevmGenpoolSpec | DmapoolSpec | VmallocUserSpec | VmMapRamUserSpec;

/** The CPU an operation runs on: a number, or 'any' (the mix picks one). */
export type CpuSpec = number | 'any';

/** One operation of a script. */
export type ScriptOp =
  | {
      readonly op: 'alloc';
      readonly pool: string;
      readonly size: number;
      readonly align: number;
      /** gen_pool_fixed_alloc offset, or -1. */
      readonly offset: number;
      readonly zero: boolean;
      readonly id: string | null;
      /** Who allocates (shown as the run's owner in the report). */
      readonly owner: string;
      readonly cpu: number;
      readonly path: string;
    }
  | { readonly op: 'free'; readonly id: string; readonly cpu: number; readonly path: string }
  | {
      readonly op: 'purge' | 'work';
      readonly cpu: number;
      readonly path: string;
    }
  | {
      readonly op: 'fail';
      readonly site: 'page' | 'kmalloc' | 'vmap_area' | 'dma';
      readonly nth: number;
      readonly times: number;
      readonly cpu: number;
      readonly path: string;
    };

/** One user of a mix. */
export interface MixUser {
  readonly pool: string;
  /** Who allocates (the run's owner in the report). */
  readonly owner: string;
  readonly weight: number;
  /** Bytes (pages for a vm_map_ram user): [min, max]. */
  readonly min: number;
  readonly max: number;
  readonly dist: 'uniform' | 'log';
  readonly align: number;
  /** Most live allocations at once. */
  readonly live: number;
  /** Probability of allocating (when under the cap and something is live). */
  readonly allocBias: number;
  readonly zero: boolean;
  readonly cpu: CpuSpec;
  readonly path: string;
}

/** A fault injected every `every` steps (failNth(site, 1)). */
export interface MixFault {
  readonly site: 'page' | 'kmalloc' | 'vmap_area' | 'dma';
  readonly every: number;
}

/** A seeded random mix. */
export interface MixSpec {
  readonly steps: number;
  readonly users: readonly MixUser[];
  /** vm_unmap_aliases every this many steps; 0 never. */
  readonly purgeEvery: number;
  readonly faults: readonly MixFault[];
  /** Free everything still live at the end. */
  readonly drain: boolean;
}

/** The workload: a script or a mix, sampled every `sampleEvery` steps. */
export type WorkloadSpec =
  | { readonly kind: 'script'; readonly ops: readonly ScriptOp[]; readonly sampleEvery: number }
  | { readonly kind: 'mix'; readonly mix: MixSpec; readonly sampleEvery: number };

/** A checked scenario. */
export interface Scenario {
  /** The scenario file as the user named it (for messages). */
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  readonly machine: MachineSpec;
  readonly dts: DtsSpec | null;
  readonly pools: readonly PoolSpec[];
  readonly workload: WorkloadSpec;
  /** `file:line` of the value at a JSON path (`pools[1].device`). */
  readonly where: (path: string) => string;
}
