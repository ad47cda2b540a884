// SPDX-License-Identifier: GPL-2.0-only
/*
 * The summary of a scenario run: per pool and per subsystem, sizes, use, failures,
 * fragmentation and TLB flushes — computed from the report model (so the terminal and
 * the report say the same) and the engine's counts — as plain data for --json, as tables
 * for the terminal and the report.
 *
 * Kernel: none (kmem's command line).
 *
 * Fragmentation is 1 - largest free extent / free bytes (0 when nothing is free): for a
 * genpool the longest run of free granules over its chunks; for vmalloc, measured over
 * the span in use — from the lowest to the highest end of the busy, lazy and pooled areas
 * — as the largest free extent inside it over the free bytes inside it (the free tree's
 * extents; the 32 TiB tail beyond the span would make it always ~0). A dmapool has no
 * fragmentation ("-", null in JSON): it hands out one fixed block size, so any free block
 * serves any request; its loss is page-space waste instead — page bytes no block can use
 * because of the block size and boundary padding. The genpool subsystem's fragmentation
 * is its pools' weighted by their free bytes.
 *
 * Use is used / size everywhere, the pool rows and the subsystem rows alike, with:
 *   genpool  size = gen_pool_size, used = size - gen_pool_avail;
 *   dmapool  size = bytes of the pool's pages, used = active blocks × block size;
 *   vmalloc  size = address space reserved by the busy areas (guard pages and vmap blocks
 *            included), used = bytes mapped in them: the pages of vmalloc, vmap and
 *            vm_map_ram areas, the used pages of vmap blocks, and the whole of an ioremap
 *            area but its guard page (it maps device memory, not pages).
 * The subsystem table's last column says which for each row.
 */

import { PAGE_SIZE } from '../../base/units.js';
import type {
  DmapoolModel,
  GenpoolModel,
  ReportModel,
  TableModel,
  VmallocModel,
  VmAreaModel,
} from '../../report/model.js';
import type { Engine } from './engine.js';
import { formatBytes, formatPercent } from '../format.js';

/** One genpool's line. */
export interface GenpoolSummary {
  readonly id: string;
  readonly name: string;
  readonly device: string;
  readonly algo: string;
  readonly size: number;
  readonly used: number;
  readonly free: number;
  readonly largestFree: number;
  readonly fragmentation: number;
  readonly live: number;
  readonly allocs: number;
  readonly frees: number;
  readonly failures: number;
}

/** One dmapool's line. */
export interface DmapoolSummary {
  readonly id: string;
  readonly name: string;
  readonly device: string;
  readonly blockSize: number;
  readonly pages: number;
  readonly blocks: number;
  readonly active: number;
  /** Blocks not in use (blocks - active). */
  readonly freeBlocks: number;
  /** Bytes of the pool's pages, and of its blocks in use. */
  readonly size: number;
  readonly used: number;
  /** Page bytes no block can use (block size and boundary padding), over all pages. */
  readonly waste: number;
  readonly allocs: number;
  readonly frees: number;
  readonly failures: number;
}

/** One vmalloc or vm_map_ram user's line. */
export interface VmUserSummary {
  readonly id: string;
  readonly kind: 'vmalloc' | 'vm_map_ram';
  readonly live: number;
  /** Bytes asked for by the live allocations (pages × 4096 for vm_map_ram). */
  readonly bytes: number;
  readonly allocs: number;
  readonly frees: number;
  readonly failures: number;
}

/** The vmalloc subsystem at the end. */
export interface VmallocSummary {
  readonly users: readonly VmUserSummary[];
  /** Busy areas, and the address space they reserve (guard pages, vmap blocks included). */
  readonly areas: number;
  readonly reserved: number;
  /** Pages mapped in the busy areas (see the file header: ioremap counts its size). */
  readonly mappedPages: number;
  /** Pages vmalloc allocated (nr_vmalloc_pages, /proc/meminfo's VmallocUsed). */
  readonly vmallocPages: number;
  readonly lazyPages: number;
  /** Areas kept in the vmap nodes' size-class pools, and their bytes. */
  readonly pooledAreas: number;
  readonly pooledBytes: number;
  readonly purges: number;
  readonly vmapBlocks: number;
  /** The span in use ([lowest, highest) end of busy, lazy and pooled areas), in bytes. */
  readonly span: number;
  /** Free extents inside the span, the largest one, and the fragmentation over the span. */
  readonly freeExtents: number;
  readonly largestFree: number;
  readonly fragmentation: number;
}

/** One subsystem's line. */
export interface SubsystemSummary {
  readonly name: 'genpool' | 'dmapool' | 'vmalloc';
  readonly size: number;
  readonly used: number;
  /** What size and used are for this subsystem, in words (the file header). */
  readonly measure: string;
  readonly failures: number;
  /** Null where it has no meaning (dmapool). */
  readonly fragmentation: number | null;
  readonly tlbFlushes: number;
}

/** Everything `kmem run` prints. */
export interface Summary {
  readonly scenario: string;
  readonly seed: number;
  readonly machine: string;
  readonly steps: number;
  readonly genpools: readonly GenpoolSummary[];
  readonly dmapools: readonly DmapoolSummary[];
  readonly vmalloc: VmallocSummary;
  readonly tlb: { readonly flushes: number; readonly setupFlushes: number };
  readonly subsystems: readonly SubsystemSummary[];
}

/** @returns 1 - largest / free, or 0 when nothing is free. */
export function fragmentation(largest: number, free: number): number {
  return free <= 0 ? 0 : 1 - largest / free;
}

function genpoolLine(id: string, g: GenpoolModel, e: Engine): GenpoolSummary {
  const size = g.chunks.reduce((s, c) => s + c.size, 0);
  const free = g.chunks.reduce((s, c) => s + c.avail, 0);
  const largest = Math.max(0, ...g.chunks.map((c) => c.largestFree.size));
  const c = e.counts.get(id)!;
  return {
    id,
    name: g.name,
    device: g.device,
    algo: g.algo,
    size,
    used: size - free,
    free,
    largestFree: largest,
    fragmentation: fragmentation(largest, free),
    live: e.live.get(id)!.size,
    allocs: c.allocs,
    frees: c.frees,
    failures: c.failures,
  };
}

function dmapoolLine(id: string, d: DmapoolModel, e: Engine): DmapoolSummary {
  const blocks = d.pages.reduce((s, p) => s + p.blocks, 0);
  const active = d.pages.reduce((s, p) => s + p.inUse.length, 0);
  const c = e.counts.get(id)!;
  return {
    id,
    name: d.name,
    device: d.device,
    blockSize: d.size,
    pages: d.pages.length,
    blocks,
    active,
    freeBlocks: blocks - active,
    size: d.pages.length * d.allocation,
    used: active * d.size,
    waste: d.pages.reduce((s, p) => s + d.allocation - p.blocks * d.size, 0),
    allocs: c.allocs,
    frees: c.frees,
    failures: c.failures,
  };
}

/**
 * Bytes an area maps: its pages (vmalloc, vmap, vm_map_ram; a vmap block's used pages), or
 * for an ioremap area its size but the guard page (it maps device memory, no pages).
 * @returns the bytes (0 for an area that maps nothing).
 */
export function mappedBytes(a: VmAreaModel): number {
  if (a.kind === 'ioremap') return a.size - (a.guard ? PAGE_SIZE : 0);
  return a.pages * PAGE_SIZE;
}

/**
 * The span in use of a vmalloc model — [lowest start, highest end) of its busy, lazy and
 * pooled areas — and its free extents clipped to it.
 * @returns the span's bytes, the free bytes and largest free extent inside it, the count
 *   of free extents inside it; all 0 for a space with no area.
 */
export function vmallocSpan(v: VmallocModel): {
  span: number;
  free: number;
  largest: number;
  extents: number;
} {
  const items = [...v.areas, ...v.lazy, ...(v.pooled ?? [])];
  if (items.length === 0) return { span: 0, free: 0, largest: 0, extents: 0 };
  const lo = Math.min(...items.map((a) => a.start));
  const hi = Math.max(...items.map((a) => a.start + a.size));
  let free = 0;
  let largest = 0;
  let extents = 0;
  for (const f of v.free) {
    const size = Math.min(hi, f.start + f.size) - Math.max(lo, f.start);
    if (size <= 0) continue;
    free += size;
    largest = Math.max(largest, size);
    extents++;
  }
  return { span: hi - lo, free, largest, extents };
}

function vmUsers(e: Engine): VmUserSummary[] {
  const users: VmUserSummary[] = [];
  for (const [id, p] of e.world.pools) {
    if (p.kind !== 'vmalloc' && p.kind !== 'vm_map_ram') continue;
    const live = [...e.live.get(id)!.values()];
    const c = e.counts.get(id)!;
    const bytes = live.reduce((s, a) => s + (p.kind === 'vm_map_ram' ? a.size * 4096 : a.size), 0);
    users.push({
      id,
      kind: p.kind,
      live: live.length,
      bytes,
      allocs: c.allocs,
      frees: c.frees,
      failures: c.failures,
    });
  }
  return users;
}

function vmallocSummary(v: VmallocModel, e: Engine, vm: VmallocCounters): VmallocSummary {
  const pooled = v.pooled ?? [];
  const span = vmallocSpan(v);
  return {
    users: vmUsers(e),
    areas: v.areas.length,
    reserved: v.areas.reduce((s, a) => s + a.size, 0),
    mappedPages: v.areas.reduce((s, a) => s + mappedBytes(a), 0) / PAGE_SIZE,
    vmallocPages: vm.usedPages,
    lazyPages: vm.lazyPages,
    pooledAreas: pooled.length,
    pooledBytes: pooled.reduce((s, p) => s + p.size, 0),
    purges: vm.purges,
    vmapBlocks: v.blocks.length,
    span: span.span,
    freeExtents: span.extents,
    largestFree: span.largest,
    fragmentation: fragmentation(span.largest, span.free),
  };
}

/** Free-weighted fragmentation of several pools. */
function weighted(parts: readonly { fragmentation: number; free: number }[]): number {
  const free = parts.reduce((s, p) => s + p.free, 0);
  return free <= 0 ? 0 : parts.reduce((s, p) => s + p.fragmentation * p.free, 0) / free;
}

/** The vmalloc numbers only the live machine has. */
export interface VmallocCounters {
  readonly purges: number;
  readonly usedPages: number;
  readonly lazyPages: number;
}

/**
 * Summarise a run from its model (`model.genpools` and `model.dmapools` in the order of
 * the scenario's pools of those kinds) and its engine.
 * @returns the summary.
 */
export function summarize(model: ReportModel, e: Engine, vm: VmallocCounters): Summary {
  const ids = [...e.world.pools.values()];
  const gIds = ids.filter((p) => p.kind === 'genpool').map((p) => p.spec.id);
  const dIds = ids.filter((p) => p.kind === 'dmapool').map((p) => p.spec.id);
  const genpools = model.genpools.map((g, i) => genpoolLine(gIds[i]!, g, e));
  const dmapools = model.dmapools.map((d, i) => dmapoolLine(dIds[i]!, d, e));
  const vmalloc = vmallocSummary(model.vmalloc!, e, vm);
  const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
  const subsystems: SubsystemSummary[] = [
    {
      name: 'genpool',
      size: sum(genpools.map((g) => g.size)),
      used: sum(genpools.map((g) => g.used)),
      measure: 'pool bytes / allocated bytes',
      failures: sum(genpools.map((g) => g.failures)),
      fragmentation: weighted(genpools),
      tlbFlushes: 0,
    },
    {
      name: 'dmapool',
      size: sum(dmapools.map((d) => d.size)),
      used: sum(dmapools.map((d) => d.used)),
      measure: 'page bytes / bytes of blocks in use',
      failures: sum(dmapools.map((d) => d.failures)),
      fragmentation: null,
      tlbFlushes: 0,
    },
    {
      name: 'vmalloc',
      size: vmalloc.reserved,
      used: vmalloc.mappedPages * PAGE_SIZE,
      measure: 'reserved address space / mapped bytes',
      failures: sum(vmalloc.users.map((u) => u.failures)),
      fragmentation: vmalloc.fragmentation,
      tlbFlushes: e.flushes.length,
    },
  ];
  return {
    scenario: model.title,
    seed: model.seed,
    machine: model.machine,
    steps: e.step,
    genpools,
    dmapools,
    vmalloc,
    tlb: { flushes: e.flushes.length, setupFlushes: e.setupFlushes },
    subsystems,
  };
}

const b = formatBytes;
const pct = formatPercent;
const n = String;

/** `used / size` as a percentage (0 for an empty size). */
function use(used: number, size: number): string {
  return pct(size === 0 ? 0 : used / size);
}

function genpoolTable(s: Summary): TableModel {
  return {
    title: 'genpools',
    header: [
      'pool',
      'device',
      'algo',
      'size',
      'used',
      'use',
      'live',
      'allocs',
      'failures',
      'largest free',
      'fragmentation',
    ],
    rows: s.genpools.map((g) => [
      g.id,
      g.device,
      g.algo,
      b(g.size),
      b(g.used),
      use(g.used, g.size),
      n(g.live),
      n(g.allocs),
      n(g.failures),
      b(g.largestFree),
      pct(g.fragmentation),
    ]),
  };
}

function dmapoolTable(s: Summary): TableModel {
  return {
    title: 'dmapools',
    header: [
      'pool',
      'device',
      'block',
      'pages',
      'blocks',
      'active',
      'free blocks',
      'used',
      'use',
      'page waste',
      'allocs',
      'failures',
    ],
    rows: s.dmapools.map((d) => [
      d.id,
      d.device,
      b(d.blockSize),
      n(d.pages),
      n(d.blocks),
      n(d.active),
      n(d.freeBlocks),
      b(d.used),
      use(d.used, d.size),
      b(d.waste),
      n(d.allocs),
      n(d.failures),
    ]),
  };
}

function vmallocTables(s: Summary): TableModel[] {
  const v = s.vmalloc;
  const users: TableModel = {
    title: 'vmalloc users',
    header: ['user', 'kind', 'live', 'size', 'allocs', 'frees', 'failures'],
    rows: v.users.map((u) => [
      u.id,
      u.kind,
      n(u.live),
      b(u.bytes),
      n(u.allocs),
      n(u.frees),
      n(u.failures),
    ]),
  };
  const space: TableModel = {
    title: 'vmalloc space',
    header: [
      'areas',
      'reserved',
      'mapped pages',
      'vmalloc pages',
      'lazy pages',
      'pooled areas',
      'purges',
      'vmap blocks',
      'span in use',
      'free extents',
      'largest free',
      'TLB flushes',
    ],
    rows: [
      [
        n(v.areas),
        b(v.reserved),
        n(v.mappedPages),
        n(v.vmallocPages),
        n(v.lazyPages),
        `${v.pooledAreas} (${b(v.pooledBytes)})`,
        n(v.purges),
        n(v.vmapBlocks),
        b(v.span),
        n(v.freeExtents),
        b(v.largestFree),
        n(s.tlb.flushes),
      ],
    ],
  };
  return v.users.length > 0 ? [users, space] : [space];
}

/**
 * The summary as titled tables, for the terminal and the report.
 * @returns the tables; a kind with no pool or user has no table of its own.
 */
export function summaryTables(s: Summary): TableModel[] {
  const tables: TableModel[] = [];
  if (s.genpools.length > 0) tables.push(genpoolTable(s));
  if (s.dmapools.length > 0) tables.push(dmapoolTable(s));
  tables.push(...vmallocTables(s), {
    title: 'subsystems',
    header: [
      'subsystem',
      'size',
      'used',
      'use',
      'failures',
      'fragmentation',
      'TLB flushes',
      'size / used are',
    ],
    rows: s.subsystems.map((x) => [
      x.name,
      b(x.size),
      b(x.used),
      use(x.used, x.size),
      n(x.failures),
      x.fragmentation === null ? '-' : pct(x.fragmentation),
      x.name === 'vmalloc' ? n(x.tlbFlushes) : '-',
      x.measure,
    ]),
  });
  return tables;
}
