// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `kmem replay` prints and reports: the comparison table of the replayed panels, the
 * side-by-side placements, the summary of a rebuilt /proc/vmallocinfo snapshot, their
 * --json documents, and the ReportModel the HTML report is rendered from.
 *
 * Kernel: none (kmem's command line); the numbers come from engine.ts (lib/genalloc.c) and
 * vmap-rebuild.ts (mm/vmalloc.c).
 *
 * JSON conventions: sizes are numbers of bytes; addresses are strings as the kernel prints
 * them (`0xffffc90000000000` for kernel addresses, `0x100000000` for genpool addresses),
 * because a 64-bit sign-extended address is not a safe JSON number.
 */

import { hex } from '../../base/units.js';
import { kaddr } from '../../machine/layout.js';
import type { GenpoolModel, ReportModel, SeriesModel, TableModel } from '../../report/model.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import type { Output } from '../out.js';
import type { PanelResult } from './engine.js';
import type { Trace, TraceAlloc } from './trace.js';
import { callerFunction, vmallocModel, type VmapRebuild } from './vmap-rebuild.js';

/** A replayed trace: the trace, its panels and the sample steps they share. */
export interface TraceReplay {
  /** The file name as the user gave it. */
  readonly file: string;
  readonly trace: Trace;
  readonly panels: readonly PanelResult[];
  readonly samples: readonly number[];
}

/** A rebuilt snapshot and its file name. */
export interface SnapshotReplay {
  readonly file: string;
  readonly rebuild: VmapRebuild;
}

/**
 * Format a byte count with a binary unit up to TiB (`1.5 MiB`, `32 TiB`): the report's
 * formatBytes, kmem's one byte formatter.
 * @returns the text (never fails).
 */
export const bytes: (n: number) => string = formatBytes;

/**
 * Return the label of a panel: `best-fit/5`.
 * @returns the label (never fails).
 */
export function panelLabel(p: PanelResult): string {
  return `${p.algo}/${p.panel.order}`;
}

/**
 * Format a genpool address: sign-extended like the kernel's in the kernel half, else hex.
 * @returns the text (never fails).
 */
export function addrText(a: number): string {
  return a >= 2 ** 47 ? kaddr(a) : hex(a);
}

/** An address of a panel's pool (0 → FAIL). */
function poolAddr(a: number): string {
  return a === 0 ? 'FAIL' : addrText(a);
}

// ── Trace replay ─────────────────────────────────────────────────────────────

/**
 * Build the comparison table: one row per panel and pool. The panel's own figures (allocs,
 * failures, peak) are on its first pool's row; free, largest free run, end fragmentation
 * and avail are each pool's own (a run of one pool cannot serve another's request).
 * @returns the table (never fails).
 */
export function comparisonTable(r: TraceReplay): TableModel {
  const header = [
    'algo',
    'order',
    'allocs',
    'failures',
    'peak',
    'pool',
    'free',
    'largest free',
    'end frag',
    'avail',
  ];
  const rows: string[][] = [];
  for (const p of r.panels) {
    p.pools.forEach((pool, i) => {
      const panel =
        i === 0
          ? [p.algo, String(p.panel.order), String(p.allocs), String(p.failures), bytes(p.peak)]
          : ['', '', '', '', ''];
      rows.push([
        ...panel,
        pool.name,
        bytes(pool.free),
        bytes(pool.largestFree),
        formatPercent(pool.fragmentation),
        bytes(pool.avail),
      ]);
    });
  }
  return { title: 'algorithms compared', header, rows };
}

function describeOp(trace: Trace, a: TraceAlloc): string {
  let s = `alloc ${trace.pools[a.pool]!.name} ${a.size}`;
  if (a.align > 0) s += ` align=${a.align}`;
  if (a.offset >= 0) s += ` offset=${a.offset}`;
  return s;
}

/**
 * Build the placements table: one row per alloc, one address column per panel.
 * @returns the table, `FAIL` where an alloc failed (never fails).
 */
export function placementsTable(r: TraceReplay): TableModel {
  const header = ['line', 'alloc', 'id', 'owner', ...r.panels.map(panelLabel)];
  const rows: string[][] = [];
  let k = 0;
  for (const op of r.trace.ops) {
    if (op.kind !== 'alloc') continue;
    rows.push([
      String(op.line),
      describeOp(r.trace, op),
      op.id,
      op.owner,
      ...r.panels.map((p) => poolAddr(p.placements[k]!)),
    ]);
    k++;
  }
  return { title: 'placements', header, rows };
}

function printTable(out: Output, t: TableModel): void {
  // numbers, sizes, percentages and addresses line up on the right; words on the left
  const numeric = (cell: string): boolean => cell === '' || cell === 'FAIL' || /^\d/.test(cell);
  const align = t.header.map((_, c) =>
    t.rows.length > 0 && t.rows.every((row) => numeric(row[c] ?? '')) ? 'right' : 'left',
  );
  for (const line of formatTable(t.header, t.rows, align)) out.print(line);
}

/**
 * Print the replay of a trace as text.
 * @returns nothing (never fails).
 */
export function printTraceReplay(out: Output, r: TraceReplay, placements: boolean): void {
  const t = r.trace;
  const pools = t.pools.map(
    (p) => `${p.name} ${bytes(p.chunks.reduce((n, c) => n + c.size, 0))} order ${p.order}`,
  );
  const frees = t.ops.length - t.nrAllocs;
  out.print(
    `replay of ${r.file}: ${pools.join(', ')}; ${t.ops.length} operations (${t.nrAllocs} allocs, ${frees} frees)`,
  );
  out.print('');
  printTable(out, comparisonTable(r));
  for (const p of r.panels) {
    if (p.failures === 0) continue;
    const first = p.panel.failures
      .slice(0, 5)
      .map((f) => `line ${t.ops[f.step - 1]!.line} (${bytes(f.size)})`);
    const more = p.failures > 5 ? `, ... (${p.failures - 5} more)` : '';
    const n = p.skippedFrees;
    const skipped = n > 0 ? `; ${n} free${n === 1 ? '' : 's'} of failed allocs skipped` : '';
    out.print(`${panelLabel(p)}: failed at ${first.join(', ')}${more}${skipped}`);
  }
  if (placements) {
    out.print('');
    printTable(out, placementsTable(r));
  }
}

/**
 * Build the --json document of a trace replay.
 * @returns a JSON-serialisable object; a failed placement is null.
 */
export function traceReplayJson(r: TraceReplay): unknown {
  return {
    file: r.file,
    pools: r.trace.pools.map((p) => ({
      name: p.name,
      order: p.order,
      chunks: p.chunks.map((c) => ({ base: addrText(c.base), size: c.size })),
    })),
    operations: r.trace.ops.length,
    allocs: r.trace.nrAllocs,
    panels: r.panels.map((p) => ({
      algo: p.algo,
      order: p.panel.order,
      allocs: p.allocs,
      failures: p.failures,
      failed: p.panel.failures.map((f) => ({
        step: f.step,
        line: r.trace.ops[f.step - 1]!.line,
        size: f.size,
      })),
      skipped_frees: p.skippedFrees,
      peak: p.peak,
      used: p.used,
      avail: p.avail,
      pools: p.pools.map((pool) => ({
        name: pool.name,
        order: pool.order,
        failures: pool.failures,
        size: pool.size,
        avail: pool.avail,
        free: pool.free,
        largest_free: pool.largestFree,
        fragmentation: pool.fragmentation,
      })),
      placements: p.placements.map((a) => (a === 0 ? null : addrText(a))),
    })),
  };
}

function genpoolModels(r: TraceReplay): GenpoolModel[] {
  const out: GenpoolModel[] = [];
  for (const p of r.panels) {
    for (const pool of p.pools) {
      out.push({
        name: `${pool.name} (${panelLabel(p)})`,
        device: '',
        order: pool.order,
        algo: p.algo,
        chunks: pool.chunks,
        failures: pool.failures,
      });
    }
  }
  return out;
}

function series(r: TraceReplay): SeriesModel[] {
  const out: SeriesModel[] = [];
  for (const p of r.panels) {
    out.push({
      name: `in use ${panelLabel(p)}`,
      group: 'bytes in use',
      unit: 'bytes',
      values: p.usedSamples,
    });
  }
  for (const p of r.panels) {
    p.pools.forEach((pool, i) => {
      out.push({
        name: `largest free ${pool.name} ${panelLabel(p)}`,
        group: 'largest free run (per pool)',
        unit: 'bytes',
        values: p.largestSamples[i]!,
      });
    });
  }
  return out;
}

// ── /proc/vmallocinfo snapshot ───────────────────────────────────────────────

function groupTable(
  title: string,
  first: string,
  groups: VmapRebuild['byKind'],
  max: number,
): TableModel {
  const rows = groups
    .slice(0, max)
    .map((g) => [g.name, String(g.areas), bytes(g.bytes), String(g.pages)]);
  return { title, header: [first, 'areas', 'bytes', 'pages'], rows };
}

function whatIfTable(s: SnapshotReplay): TableModel {
  const r = s.rebuild;
  const at = (a: number): string => (a < 0 ? 'no room' : kaddr(a));
  const rows = [
    ['largest vmalloc() now', bytes(r.largestVmalloc), at(r.largestVmallocAddr)],
    [
      `largest vmalloc() after purging ${r.unpurged.length} unpurged`,
      bytes(r.largestVmallocAfterPurge),
      at(r.largestVmallocAfterPurgeAddr),
    ],
    ...r.tries.map((t) => [
      `vmalloc(${bytes(t.size)})`,
      t.addr >= 0 ? 'fits' : t.addrAfterPurge >= 0 ? 'fits after purge' : 'fails',
      at(t.addr >= 0 ? t.addr : t.addrAfterPurge),
    ]),
  ];
  return { title: 'what if', header: ['question', 'answer', 'at'], rows };
}

/**
 * Build the tables of a snapshot, for the text output and the report.
 * @returns the tables; a what-if with no room says `no room`.
 */
export function snapshotTables(s: SnapshotReplay): TableModel[] {
  const r = s.rebuild;
  const largest = [...r.free].sort((a, b) => b.size - a.size || a.start - b.start).slice(0, 10);
  return [
    groupTable('areas by kind', 'kind', r.byKind, Infinity),
    groupTable('areas by caller (largest 15)', 'caller', r.byCaller, 15),
    {
      title: `free extents (largest 10 of ${r.free.length})`,
      header: ['start', 'end', 'size'],
      rows: largest.map((x) => [kaddr(x.start), kaddr(x.start + x.size), bytes(x.size)]),
    },
    whatIfTable(s),
  ];
}

/**
 * Print a rebuilt snapshot as text.
 * @returns nothing (never fails).
 */
export function printSnapshot(out: Output, s: SnapshotReplay): void {
  const r = s.rebuild;
  out.print(
    `/proc/vmallocinfo snapshot ${s.file}: ${r.areas.length + r.unpurged.length + r.outside.length} areas rebuilt at their addresses`,
  );
  const moved = r.inferred ? ' (moved from the default: KASLR vmalloc_base)' : '';
  out.print(`vmalloc range ${kaddr(r.start)}-${kaddr(r.end)} (${bytes(r.end - r.start)})${moved}`);
  out.print(
    `used ${bytes(r.used)} in ${r.areas.length} areas; ${r.unpurged.length} unpurged areas hold ${bytes(r.unpurgedBytes)}`,
  );
  if (r.outside.length > 0) {
    out.print(
      `outside the range: ${r.outside.length} areas, ${bytes(r.outside.reduce((n, e) => n + e.size, 0))} (modules, kernel image)`,
    );
  }
  out.print(
    `free ${bytes(r.freeBytes)} in ${r.free.length} extents; largest ${bytes(r.largestFree.size)} at ${kaddr(r.largestFree.start)}; fragmentation ${formatPercent(r.fragmentation)}`,
  );
  for (const t of snapshotTables(s)) {
    out.print('');
    out.print(`${t.title}:`);
    printTable(out, t);
  }
}

/**
 * Build the --json document of a snapshot.
 * @returns a JSON-serialisable object; an address with no room is null.
 */
export function snapshotJson(s: SnapshotReplay): unknown {
  const r = s.rebuild;
  const a = (x: number): string | null => (x < 0 ? null : kaddr(x));
  const area = (e: VmapRebuild['areas'][number]): unknown => ({
    line: e.line,
    start: kaddr(e.start),
    end: kaddr(e.end),
    size: e.size,
    kind: e.kind,
    caller: e.caller,
    function: callerFunction(e.caller),
    pages: e.pages,
    guard: e.guard,
  });
  return {
    file: s.file,
    range: { start: kaddr(r.start), end: kaddr(r.end), inferred: r.inferred },
    used: r.used,
    areas: r.areas.map(area),
    unpurged: r.unpurged.map(area),
    outside: r.outside.map(area),
    by_kind: r.byKind,
    by_caller: r.byCaller,
    free: r.free.map((x) => ({ start: kaddr(x.start), size: x.size })),
    free_bytes: r.freeBytes,
    largest_free: { start: kaddr(r.largestFree.start), size: r.largestFree.size },
    fragmentation: r.fragmentation,
    largest_vmalloc: { size: r.largestVmalloc, at: a(r.largestVmallocAddr) },
    largest_vmalloc_after_purge: {
      size: r.largestVmallocAfterPurge,
      at: a(r.largestVmallocAfterPurgeAddr),
    },
    tries: r.tries.map((t) => ({
      size: t.size,
      at: a(t.addr),
      at_after_purge: a(t.addrAfterPurge),
    })),
  };
}

// ── The report ───────────────────────────────────────────────────────────────

/**
 * Build the ReportModel of a replay (a trace, a snapshot, or both).
 * @returns the model; `replay` is empty without a trace, `vmalloc` null without a snapshot.
 */
export function replayReportModel(
  trace: TraceReplay | null,
  snapshot: SnapshotReplay | null,
  command: string,
): ReportModel {
  const files = [trace?.file, snapshot?.file].filter((f): f is string => f !== undefined);
  const tables: TableModel[] = [];
  if (trace !== null) tables.push(comparisonTable(trace));
  if (snapshot !== null) tables.push(...snapshotTables(snapshot));
  return {
    title: `replay of ${files.join(' and ')}`,
    command,
    seed: 0,
    machine: '',
    tables,
    genpools: trace === null ? [] : genpoolModels(trace),
    dmapools: [],
    vmalloc: snapshot === null ? null : vmallocModel(snapshot.rebuild),
    time: trace === null ? null : { steps: trace.samples, series: series(trace), flushes: [] },
    replay: trace === null ? [] : trace.panels.map((p) => p.panel),
    log: [],
    files: [],
  };
}
