// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report's data: a plain, JSON-serialisable ReportModel that the collectors build from
 * a run (a scenario, a replay) and that render/ turns into one self-contained HTML file.
 * Nothing here refers to a live pool or machine, so a model can be saved, compared in a
 * golden test and rendered again.
 *
 * Kernel: none (kmem's report). Addresses are 48-bit numbers as everywhere in kmem (doubles,
 * exact); renderers print them with base/units hex().
 *
 * Conventions: offsets and sizes are in bytes; a run or area is half-open [start, start +
 * size); time is a step number of the workload (0 = before the first operation), never
 * wall-clock time; every list is in address order unless its TSDoc says otherwise.
 */

/** One allocated run of a genpool chunk. */
export interface RunModel {
  /** Offset of the run from the chunk's start address, in bytes. */
  readonly offset: number;
  readonly size: number;
  /** Who allocated it (a driver or a trace owner); '' when unknown. */
  readonly owner: string;
}

/** One chunk of a genpool, as gen_pool_for_each_chunk sees it. */
export interface ChunkModel {
  /** Virtual start address (start_addr). */
  readonly start: number;
  /** Physical start address, or -1 when the chunk was added without one. */
  readonly phys: number;
  /** Size in bytes (end_addr - start_addr + 1). */
  readonly size: number;
  /** Bytes still free, as the kernel counts them (avail). */
  readonly avail: number;
  /** Allocated runs, in offset order, disjoint; free space is what lies between them. */
  readonly runs: readonly RunModel[];
  /** The largest free run: its offset and size (size 0 when the chunk is full). */
  readonly largestFree: { readonly offset: number; readonly size: number };
}

/** One genpool at the end of the run. */
export interface GenpoolModel {
  /** The pool's name (its label, or the name the scenario gave it). */
  readonly name: string;
  /** The device it belongs to ('' for a pool with no device). */
  readonly device: string;
  /** log2 of the granule (min_alloc_order). */
  readonly order: number;
  /** The allocation algorithm's name: first-fit, best-fit, first-fit-order-align, ... */
  readonly algo: string;
  /** Chunks in the kernel's search order (newest first). */
  readonly chunks: readonly ChunkModel[];
  /** Allocations that failed during the run. */
  readonly failures: number;
}

/** One page of a dmapool. */
export interface DmaPageModel {
  /** Kernel virtual address of the page (vaddr). */
  readonly vaddr: number;
  /** Its DMA address. */
  readonly dma: number;
  /** Blocks the page holds. */
  readonly blocks: number;
  /** Indexes (0-based, in address order) of the blocks in use. */
  readonly inUse: readonly number[];
}

/** One dmapool at the end of the run. */
export interface DmapoolModel {
  readonly name: string;
  /** The device's name (as in /sys/devices/<device>/pools). */
  readonly device: string;
  /** Block size, alignment and boundary in bytes (boundary 0: none). */
  readonly size: number;
  readonly align: number;
  readonly boundary: number;
  /** Bytes per pool page (allocation). */
  readonly allocation: number;
  readonly pages: readonly DmaPageModel[];
  readonly failures: number;
}

/** What an area of the vmalloc space is. */
export type VmAreaKind =
  'vmalloc' | 'vmap' | 'ioremap' | 'vm_map_ram' | 'vmap_block' | 'percpu' | 'early' | 'other';

/** One busy area of the vmalloc space. */
export interface VmAreaModel {
  readonly start: number;
  /** Size in bytes including the guard page, when it has one. */
  readonly size: number;
  readonly kind: VmAreaKind;
  /** True when the last page of the area is its guard page. */
  readonly guard: boolean;
  /** Pages mapped (0 for areas that map none). */
  readonly pages: number;
  /** The caller as /proc/vmallocinfo shows it ('' when none). */
  readonly caller: string;
}

/** One lazily freed area awaiting purge. */
export interface LazyAreaModel {
  readonly start: number;
  readonly size: number;
}

/** One vmap block (vm_map_ram's per-CPU blocks). */
export interface VmapBlockModel {
  readonly start: number;
  readonly size: number;
  readonly cpu: number;
  /** Pages handed out, pages free, and the dirty range in pages ([dirtyMin, dirtyMax), empty when equal). */
  readonly usedPages: number;
  readonly freePages: number;
  readonly dirtyMin: number;
  readonly dirtyMax: number;
}

/** The vmalloc space at the end of the run. */
export interface VmallocModel {
  /** The vmalloc range [start, end). */
  readonly start: number;
  readonly end: number;
  readonly areas: readonly VmAreaModel[];
  readonly lazy: readonly LazyAreaModel[];
  readonly blocks: readonly VmapBlockModel[];
  /** Free extents of the range, in address order. */
  readonly free: readonly { readonly start: number; readonly size: number }[];
  /**
   * Areas kept in the per-node size-class pools of the vmap nodes (kernel 6.9+ `vmap_node`
   * pools, only with more than one node): freed and purged areas that are neither busy nor
   * in the free tree, kept to be reused by a request of the same size class. In address
   * order; absent (or empty) when the space has no pools, e.g. a rebuilt snapshot.
   * areas + lazy + pooled + free tile [start, end) exactly.
   */
  readonly pooled?: readonly { readonly start: number; readonly size: number }[];
}

/** The unit of a time series, for axis labels. */
export type SeriesUnit = 'bytes' | 'pages' | 'count';

/** One measured quantity over the run, sampled at TimeModel.steps. */
export interface SeriesModel {
  /** e.g. `free sram`, `largest free sram`, `failures`, `lazy pages`. */
  readonly name: string;
  /** Which plot it belongs to: series with the same group share one plot. */
  readonly group: string;
  readonly unit: SeriesUnit;
  /** One value per sample step (same length as TimeModel.steps). */
  readonly values: readonly number[];
}

/** One kernel TLB flush. */
export interface FlushModel {
  /** The workload step during which it happened. */
  readonly step: number;
  readonly start: number;
  readonly end: number;
}

/** The run over time. */
export interface TimeModel {
  /** The steps at which series were sampled, increasing. */
  readonly steps: readonly number[];
  readonly series: readonly SeriesModel[];
  readonly flushes: readonly FlushModel[];
}

/** One allocation's life, for the time × address view. */
export interface LifeModel {
  /** Offset in the pool's address space (bytes from panel start). */
  readonly offset: number;
  readonly size: number;
  /** Step of the allocation, and of the free (-1: still live at the end). */
  readonly from: number;
  readonly to: number;
  readonly owner: string;
}

/** One pool at the end of a replay panel. */
export interface ReplayPoolEndModel {
  readonly name: string;
  readonly free: number;
  readonly largestFree: number;
  readonly fragmentation: number;
}

/** One algorithm's replay of a trace: a MemoView-style time × address picture. */
export interface ReplayPanelModel {
  /** The algorithm's name, and the min_alloc_order used. */
  readonly algo: string;
  readonly order: number;
  /** Bytes of address space the panel spans (the pool's size). */
  readonly span: number;
  /** Steps in the trace. */
  readonly steps: number;
  readonly lives: readonly LifeModel[];
  /** Steps at which an allocation failed, with the size asked for. */
  readonly failures: readonly { readonly step: number; readonly size: number }[];
  /**
   * Each pool of the trace at the end (trace order): its free bytes (whole granules), its
   * own largest free run and fragmentation, 1 - largest free / free (0 when nothing is
   * free). Per pool, since a free run of one pool cannot serve another's request.
   */
  readonly pools: readonly ReplayPoolEndModel[];
  /** Peak bytes in use. */
  readonly peak: number;
}

/** A simulated file at the end of the run. */
export interface FileModel {
  readonly path: string;
  readonly text: string;
}

/** A table of the summary, as the terminal printed it. */
export interface TableModel {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Everything a report shows. */
export interface ReportModel {
  /** The report's title (the scenario's or trace's name). */
  readonly title: string;
  /** What produced it: `kmem run default.json --seed 1`, ... */
  readonly command: string;
  /** The seed of the run's randomness; 0 when nothing was random (a script, a replay). */
  readonly seed: number;
  /** The simulated machine, in words (`4 GiB, 1 node, 4 CPUs`), '' for a replay. */
  readonly machine: string;
  readonly tables: readonly TableModel[];
  readonly genpools: readonly GenpoolModel[];
  readonly dmapools: readonly DmapoolModel[];
  readonly vmalloc: VmallocModel | null;
  readonly time: TimeModel | null;
  readonly replay: readonly ReplayPanelModel[];
  /** The kernel log at the end (dmesg lines). */
  readonly log: readonly string[];
  readonly files: readonly FileModel[];
}
