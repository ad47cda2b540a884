// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rebuild the vmap address space of a real machine from its /proc/vmallocinfo
 * (vmallocinfo.ts) in kmem's own allocator (vmalloc/va-space.ts), then measure it and ask
 * the allocator what-if questions: the largest vmalloc() that would still succeed, before
 * and after the purge of the lazily freed areas, and whether given sizes would fit.
 *
 * Kernel: mm/vmalloc.c vmap_init_free_space (the free space is the complement of the busy
 * areas in [1, ULONG_MAX)), alloc_vmap_area / __alloc_vmap_area (the what-ifs run the
 * kernel's lowest-match search), reclaim_and_purge_vmap_areas (the purge what-if),
 * __vmalloc_node_range (a vmalloc of `size` asks for PAGE_ALIGN(size) plus a guard page,
 * align 1, in [VMALLOC_START, VMALLOC_END)).
 *
 * Data structure: a standalone VaSpace with one vmap node, built the way vmalloc_init
 * builds it: every area of the file (busy and unpurged) linked busy in address order, the
 * gaps of [1, VA_CEILING) linked free. Unpurged areas stay busy until the purge what-if
 * frees them (a lazy area holds its range until purged, as in the kernel).
 *
 * The vmalloc range: [VMALLOC_START, + 32 TiB) of machine/layout.ts when every area below
 * the kernel-text region lies in it; else (KASLR moved vmalloc_base) it starts at the
 * lowest such area rounded down to 1 GiB, 32 TiB long. Areas at or above 0xffffffff80000000
 * (modules, kernel image) are outside the range: they are placed but not counted.
 *
 * Invariants:
 *   W1: free extents == [rangeStart, rangeEnd) minus the union of all areas (busy and
 *       unpurged), in address order, disjoint, non-empty.
 *   W2: largestVmalloc + PAGE_SIZE (its guard) fits in the space, and one page more does
 *       not (the answer is found by asking allocRange, never computed from W1).
 *
 * DEVIATION: the file cannot tell VM_NO_GUARD, so `guard` is a guess (vmallocinfo.ts); the
 * guard page is part of its area either way (the size column includes it). vmalloc also
 * refuses more pages than the machine's RAM (totalram_pages), which the file does not show:
 * the what-ifs concern the address space only.
 */

import { PAGE_SIZE } from '../../base/units.js';
import { VMALLOC_SIZE, VMALLOC_START } from '../../machine/layout.js';
import type { LazyAreaModel, VmallocModel, VmAreaModel } from '../../report/model.js';
import { VA_CEILING, VaSpace } from '../../vmalloc/va-space.js';
import { NIL } from '../../vmalloc/va-store.js';
import { InputError } from './trace.js';
import type { VmInfoEntry } from './vmallocinfo.js';

/** Addresses from here up (0xffffffff80000000) are the kernel image and modules. */
export const KERNEL_TEXT_START = 0xffff80000000;
/** KASLR aligns the randomised vmalloc base to a PUD (1 GiB). */
const VMALLOC_BASE_ALIGN = 2 ** 30;

/** One free extent. */
export interface Extent {
  readonly start: number;
  readonly size: number;
}

/** The answer to "would vmalloc(size) succeed?". */
export interface TryResult {
  /** The size asked for (bytes, before rounding). */
  readonly size: number;
  /** Where the area would go now (-1: no room), and after the purge (-1: still no room). */
  readonly addr: number;
  readonly addrAfterPurge: number;
}

/** Counts and bytes of a group of areas. */
export interface AreaGroup {
  readonly name: string;
  readonly areas: number;
  readonly bytes: number;
  readonly pages: number;
}

/** A rebuilt snapshot and its measurements. */
export interface VmapRebuild {
  /** The vmalloc range [start, end), and the vend the what-ifs use (VMALLOC_END, inclusive). */
  readonly start: number;
  readonly end: number;
  readonly vend: number;
  /** True when the range was moved from the default (KASLR). */
  readonly inferred: boolean;
  /** Busy areas in the range (address order), unpurged areas, and areas outside the range. */
  readonly areas: readonly VmInfoEntry[];
  readonly unpurged: readonly VmInfoEntry[];
  readonly outside: readonly VmInfoEntry[];
  readonly used: number;
  readonly unpurgedBytes: number;
  readonly free: readonly Extent[];
  readonly freeBytes: number;
  readonly largestFree: Extent;
  /** 1 - largest free / free (0 when nothing is free). */
  readonly fragmentation: number;
  readonly byKind: readonly AreaGroup[];
  readonly byCaller: readonly AreaGroup[];
  /** Largest vmalloc(size) that succeeds (bytes, 0: none) and where it would go (-1). */
  readonly largestVmalloc: number;
  readonly largestVmallocAddr: number;
  /** The same after reclaim_and_purge_vmap_areas (equal to the above with no unpurged area). */
  readonly largestVmallocAfterPurge: number;
  readonly largestVmallocAfterPurgeAddr: number;
  readonly tries: readonly TryResult[];
  /** The allocator, after the purge what-if (unpurged areas freed). */
  readonly space: VaSpace;
}

/** Sort the entries by address and reject overlaps. */
function sortChecked(entries: readonly VmInfoEntry[]): VmInfoEntry[] {
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!;
    const c = sorted[i]!;
    if (c.start < p.end) throw new InputError(c.line, `area overlaps the area of line ${p.line}`);
  }
  return sorted;
}

/** Pick the vmalloc range (see the file header). */
function vmallocRange(
  sorted: readonly VmInfoEntry[],
  startOverride: number,
): { start: number; inferred: boolean } {
  if (startOverride >= 0)
    return { start: startOverride, inferred: startOverride !== VMALLOC_START };
  const inside = sorted.filter((e) => e.start < KERNEL_TEXT_START);
  const fits = inside.every(
    (e) => e.start >= VMALLOC_START && e.end <= VMALLOC_START + VMALLOC_SIZE,
  );
  if (fits || inside.length === 0) return { start: VMALLOC_START, inferred: false };
  const low = inside[0]!.start;
  return { start: low - (low % VMALLOC_BASE_ALIGN), inferred: true };
}

/** vmap_init_free_space over the sorted areas; returns the space and each entry's area. */
function buildSpace(sorted: readonly VmInfoEntry[]): { space: VaSpace; vas: number[] } {
  const space = new VaSpace({ nodes: 1, lo: 1, hi: 1, capacity: 2 * sorted.length + 64 });
  const vas: number[] = [];
  let prevEnd = 1;
  for (const e of sorted) {
    const va = space.insertBusy(e.start, e.size, 0);
    if (va === NIL) throw new Error(`line ${e.line}: the area could not be placed at its address`);
    vas.push(va);
    if (e.start > prevEnd) space.insertFreeRange(prevEnd, e.start);
    prevEnd = e.end;
  }
  if (VA_CEILING > prevEnd) space.insertFreeRange(prevEnd, VA_CEILING);
  return { space, vas };
}

/**
 * Ask the allocator whether `size` bytes (page multiple) fit in [vstart, vend), and give
 * the range back at once (alloc_vmap_area, then free_vmap_area).
 * @returns the address it would get, or -1.
 */
export function probe(space: VaSpace, size: number, vstart: number, vend: number): number {
  const addr = space.allocRange(size, 1, vstart, vend);
  if (addr < 0) return -1;
  const va = space.insertBusy(addr, size, 0);
  if (va === NIL) throw new Error(`vmap probe: ${size} bytes at ${addr} could not be linked`);
  space.freeNow(va);
  return addr;
}

/**
 * The largest vmalloc(size) that fits: binary search over the page count with the real
 * allocator (monotone: with align <= PAGE_SIZE the search finds any fitting hole, W2).
 * @returns the size without the guard page (0: not even one page fits) and its address.
 */
export function largestVmalloc(
  space: VaSpace,
  vstart: number,
  vend: number,
): { size: number; addr: number } {
  let lo = 0; // pages known to fit (area incl. guard); 0 = none
  let hi = Math.floor((vend - vstart) / PAGE_SIZE) + 1; // pages known not to fit
  let at = -1;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const addr = probe(space, mid * PAGE_SIZE, vstart, vend);
    if (addr >= 0) lo = mid;
    else hi = mid;
  }
  if (lo >= 2) at = probe(space, lo * PAGE_SIZE, vstart, vend);
  return lo >= 2 ? { size: (lo - 1) * PAGE_SIZE, addr: at } : { size: 0, addr: -1 };
}

/** The free extents of [start, end) by a walk of the allocator's free list (W1). */
function freeExtents(space: VaSpace, start: number, end: number): Extent[] {
  const out: Extent[] = [];
  const s = space.s;
  for (let va = space.freeFirst(); va !== NIL; va = space.next(va)) {
    const a = Math.max(start, s.startOf(va));
    const b = Math.min(end, s.endOf(va));
    if (b > a) out.push({ start: a, size: b - a });
  }
  return out;
}

function group(entries: readonly VmInfoEntry[], key: (e: VmInfoEntry) => string): AreaGroup[] {
  const map = new Map<string, { areas: number; bytes: number; pages: number }>();
  for (const e of entries) {
    const k = key(e);
    const g = map.get(k) ?? { areas: 0, bytes: 0, pages: 0 };
    g.areas++;
    g.bytes += e.size;
    g.pages += e.pages;
    map.set(k, g);
  }
  return [...map.entries()]
    .map(([name, g]) => ({ name, ...g }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/**
 * Return the function name of a caller (`foo+0x1/0x2 [mod]` → `foo [mod]`).
 * @returns the name, or '(none)' for an empty caller (never fails).
 */
export function callerFunction(caller: string): string {
  if (caller === '') return '(none)';
  return caller.replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/i, '');
}

/** Options of {@link rebuildVmallocinfo}. */
export interface RebuildOptions {
  /** Start of the vmalloc range; -1 picks it (see the file header). @defaultValue -1 */
  readonly vmallocStart?: number;
  /** Sizes to try with vmalloc(). @defaultValue [] */
  readonly tries?: readonly number[];
}

/**
 * Rebuild the address space of a snapshot and measure it.
 *
 * @returns the rebuilt space with its areas, free extents, groups and what-ifs.
 * @throws {InputError} when two areas overlap (with the later line's number).
 */
export function rebuildVmallocinfo(
  entries: readonly VmInfoEntry[],
  options: RebuildOptions = {},
): VmapRebuild {
  const sorted = sortChecked(entries);
  const { start, inferred } = vmallocRange(sorted, options.vmallocStart ?? -1);
  const end = start + VMALLOC_SIZE;
  const vend = end - 1; // VMALLOC_END, inclusive, is what alloc_vmap_area gets as vend
  const { space, vas } = buildSpace(sorted);
  const inRange = (e: VmInfoEntry): boolean => e.start >= start && e.start < end;
  const areas = sorted.filter((e) => !e.unpurged && inRange(e));
  const unpurged = sorted.filter((e) => e.unpurged && inRange(e));
  const outside = sorted.filter((e) => !inRange(e));
  const free = freeExtents(space, start, end);
  const freeBytes = free.reduce((n, x) => n + x.size, 0);
  const largestFree = free.reduce<Extent>((m, x) => (x.size > m.size ? x : m), { start, size: 0 });
  const now = largestVmalloc(space, start, vend);
  const triesNow = (options.tries ?? []).map((size) =>
    probe(space, vmallocArea(size), start, vend),
  );
  sorted.forEach((e, i) => {
    if (e.unpurged) space.freeNow(vas[i]!);
  });
  const after = sorted.some((e) => e.unpurged) ? largestVmalloc(space, start, vend) : now;
  const tries = (options.tries ?? []).map((size, i) => ({
    size,
    addr: triesNow[i]!,
    addrAfterPurge: triesNow[i]! >= 0 ? triesNow[i]! : probe(space, vmallocArea(size), start, vend),
  }));
  return {
    start,
    end,
    vend,
    inferred,
    areas,
    unpurged,
    outside,
    used: areas.reduce((n, e) => n + e.size, 0),
    unpurgedBytes: unpurged.reduce((n, e) => n + e.size, 0),
    free,
    freeBytes,
    largestFree,
    fragmentation: freeBytes === 0 ? 0 : 1 - largestFree.size / freeBytes,
    byKind: group(areas, (e) => e.kind),
    byCaller: group(areas, (e) =>
      e.kind === 'vm_map_ram' ? '(vm_map_ram)' : callerFunction(e.caller),
    ),
    largestVmalloc: now.size,
    largestVmallocAddr: now.addr,
    largestVmallocAfterPurge: after.size,
    largestVmallocAfterPurgeAddr: after.addr,
    tries,
    space,
  };
}

/**
 * Return the area vmalloc(size) reserves: whole pages plus the guard page.
 * @returns the bytes (a size of 0 counts as one page; never fails).
 */
export function vmallocArea(size: number): number {
  return Math.ceil(Math.max(size, 1) / PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE;
}

/**
 * Return the report's model of a rebuilt snapshot.
 * @returns the VmallocModel (never fails; areas in address order).
 */
export function vmallocModel(r: VmapRebuild): VmallocModel {
  const areas: VmAreaModel[] = r.areas.map((e) => ({
    start: e.start,
    size: e.size,
    kind: e.kind,
    guard: e.guard,
    pages: e.pages,
    caller: e.caller,
  }));
  const lazy: LazyAreaModel[] = r.unpurged.map((e) => ({ start: e.start, size: e.size }));
  return { start: r.start, end: r.end, areas, lazy, blocks: [], free: r.free };
}
