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
 * genpool the longest run of free granules over its chunks, for a dmapool the longest run
 * of adjacent free blocks in one page, for vmalloc the largest free extent of the
 * vmalloc range. A subsystem's fragmentation is its pools' weighted by their free bytes.
 * The vmalloc subsystem's size is the virtual space its busy areas reserve (guard pages
 * and vmap blocks included), its use the pages mapped in them.
 */

import type {
  DmapoolModel,
  GenpoolModel,
  ReportModel,
  TableModel,
  VmallocModel,
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
  /** Bytes of the pool's pages, and of its blocks in use. */
  readonly size: number;
  readonly used: number;
  readonly largestFree: number;
  readonly fragmentation: number;
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
  readonly areas: number;
  readonly usedPages: number;
  readonly lazyPages: number;
  readonly purges: number;
  readonly vmapBlocks: number;
  readonly freeExtents: number;
  readonly largestFree: number;
  readonly fragmentation: number;
}

/** One subsystem's line. */
export interface SubsystemSummary {
  readonly name: 'genpool' | 'dmapool' | 'vmalloc';
  readonly size: number;
  readonly used: number;
  readonly failures: number;
  readonly fragmentation: number;
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
  let largest = 0;
  for (const p of d.pages) {
    const used = new Set(p.inUse);
    for (let i = 0, run = 0; i < p.blocks; i++) {
      run = used.has(i) ? 0 : run + 1;
      largest = Math.max(largest, run);
    }
  }
  const c = e.counts.get(id)!;
  const free = (blocks - active) * d.size;
  return {
    id,
    name: d.name,
    device: d.device,
    blockSize: d.size,
    pages: d.pages.length,
    blocks,
    active,
    size: d.pages.length * d.allocation,
    used: active * d.size,
    largestFree: largest * d.size,
    fragmentation: fragmentation(largest * d.size, free),
    allocs: c.allocs,
    frees: c.frees,
    failures: c.failures,
  };
}

function vmallocSummary(
  v: VmallocModel,
  e: Engine,
  purges: number,
  usedPages: number,
  lazyPages: number,
): VmallocSummary {
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
  const free = v.free.reduce((s, f) => s + f.size, 0);
  const largest = Math.max(0, ...v.free.map((f) => f.size));
  return {
    users,
    areas: v.areas.length,
    usedPages,
    lazyPages,
    purges,
    vmapBlocks: v.blocks.length,
    freeExtents: v.free.length,
    largestFree: largest,
    fragmentation: fragmentation(largest, free),
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
  const vmalloc = vmallocSummary(model.vmalloc!, e, vm.purges, vm.usedPages, vm.lazyPages);
  const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
  const subsystems: SubsystemSummary[] = [
    {
      name: 'genpool',
      size: sum(genpools.map((g) => g.size)),
      used: sum(genpools.map((g) => g.used)),
      failures: sum(genpools.map((g) => g.failures)),
      fragmentation: weighted(genpools),
      tlbFlushes: 0,
    },
    {
      name: 'dmapool',
      size: sum(dmapools.map((d) => d.size)),
      used: sum(dmapools.map((d) => d.used)),
      failures: sum(dmapools.map((d) => d.failures)),
      fragmentation: weighted(
        dmapools.map((d) => ({ fragmentation: d.fragmentation, free: d.size - d.used })),
      ),
      tlbFlushes: 0,
    },
    {
      name: 'vmalloc',
      size: sum(model.vmalloc!.areas.map((a) => a.size)),
      used: sum(model.vmalloc!.areas.map((a) => a.pages)) * 4096,
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
      'use',
      'allocs',
      'failures',
      'largest free',
      'fragmentation',
    ],
    rows: s.dmapools.map((d) => [
      d.id,
      d.device,
      b(d.blockSize),
      n(d.pages),
      n(d.blocks),
      n(d.active),
      use(d.active, d.blocks),
      n(d.allocs),
      n(d.failures),
      b(d.largestFree),
      pct(d.fragmentation),
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
      'used pages',
      'lazy pages',
      'purges',
      'vmap blocks',
      'free extents',
      'TLB flushes',
    ],
    rows: [
      [
        n(v.areas),
        n(v.usedPages),
        n(v.lazyPages),
        n(v.purges),
        n(v.vmapBlocks),
        n(v.freeExtents),
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
    header: ['subsystem', 'size', 'used', 'use', 'failures', 'fragmentation', 'TLB flushes'],
    rows: s.subsystems.map((x) => [
      x.name,
      b(x.size),
      b(x.used),
      use(x.used, x.size),
      n(x.failures),
      pct(x.fragmentation),
      x.name === 'vmalloc' ? n(x.tlbFlushes) : '-',
    ]),
  });
  return tables;
}
