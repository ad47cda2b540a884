// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc map (svg.kmem-vmalloc-map): the busy areas of the vmalloc space coloured by
 * kind, their guard pages, the lazily freed areas awaiting purge, the areas kept in the
 * vmap nodes' size-class pools (6.9+; "pooled"), and the vmap blocks with their used, dirty
 * and free pages, on a compressed address axis.
 *
 * Kernel: none (kmem's report). The areas are mm/vmalloc.c's busy vmap_areas, the lazy
 * areas its purge list, the pooled areas its vmap_node pools, the blocks its per-CPU
 * vmap_blocks.
 *
 * The compressed axis. The vmalloc range is 32 TiB and its areas are pages, so the map
 * shows only [lowest item start, highest item end). Every start, end and guard-page start
 * is a breakpoint; between two breakpoints lies a piece that is either covered (by an
 * area, a lazy area or a block) or a gap. With a scale s (px per byte):
 *
 *   covered piece: width = max(MIN_AREA_PX, size · s)       (every area stays visible;
 *                                                            a guard page: MIN_GUARD_PX)
 *   gap:           width = max(MIN_GAP_PX, size · s)         when size · s ≤ BREAK_PX
 *                  width = BREAK_PX, drawn as a break ≈ size otherwise, and always for a
 *                  gap of BREAK_BYTES (1 GiB) or more
 *
 * s is found by bisection so the pieces fill MAP_WIDTH; when the minimum widths alone
 * exceed MAX_MAP_WIDTH they shrink proportionally, and narrow items then merge per pixel
 * column (svg.ts stripShapes). An address maps to x by its piece, linearly inside it.
 *
 *   areas  │█vmalloc█▌│██ioremap██▌│▒lazy▒│⟋ 31.9 TiB ⟋│█vmap_block█│
 *   blocks │          │            │      │             │██used██▒dirty▒░free░│
 *          0xffffc90000000000                          0xffffe8ffff000000
 */

import type { VmallocModel } from '../model.js';
import { PAGE_SIZE } from '../../base/units.js';
import {
  DIRTY_COLOUR,
  FREE_COLOUR,
  GUARD_COLOUR,
  LAZY_COLOUR,
  POOLED_COLOUR,
  VM_AREA_KINDS,
  kindColour,
  renderLegend,
  type LegendItem,
} from './colours.js';
import { addrText, escapeHtml, figure, formatBytes, num } from './html.js';
import { line, rect, stripShapes, svgOpen, text, type StripRun } from './svg.js';

/** Width the compressed map aims for, in pixels. */
export const MAP_WIDTH = 960;
/** The map never gets wider than this; minimum widths shrink instead. */
export const MAX_MAP_WIDTH = 4000;
/** Every area is drawn at least this wide (unless the map would pass MAX_MAP_WIDTH). */
export const MIN_AREA_PX = 8;
const MIN_GUARD_PX = 3;
const MIN_GAP_PX = 1.5;
const BREAK_PX = 30;
/** Gaps at least this long are always breaks, even when the map is at its minimum widths. */
const BREAK_BYTES = 2 ** 30;
const PAD = 10;
/** Left margin, for the row labels. */
const LEFT = 56;
const AREA_Y = 26;
const AREA_H = 40;
const BLOCK_Y = AREA_Y + AREA_H + 8;
const BLOCK_H = 16;
const HEIGHT = BLOCK_Y + BLOCK_H + 44;
const BLOCK_USED_COLOUR = '#14b8a6';

/** One piece of the compressed axis: [a0, a1) drawn over [x0, x1). */
export interface AxisPiece {
  readonly a0: number;
  readonly a1: number;
  readonly x0: number;
  readonly x1: number;
  readonly covered: boolean;
  /** True when a long gap is drawn as a fixed-width break. */
  readonly brk: boolean;
}

/** The compressed axis of the map. */
export interface VmAxis {
  readonly pieces: readonly AxisPiece[];
  /** Total width of the pieces, in pixels. */
  readonly width: number;
}

interface Cover {
  readonly bps: number[];
  readonly cover: number[];
  /** Starts of guard pages. */
  readonly guards: Set<number>;
}

function breakpointsAndCover(vm: VmallocModel): Cover {
  const events = new Map<number, number>();
  const guards = new Set<number>();
  const add = (a: number, d: number): void => void events.set(a, (events.get(a) ?? 0) + d);
  const item = (start: number, size: number): void => {
    add(start, 1);
    add(start + size, -1);
  };
  for (const a of vm.areas) {
    item(a.start, a.size);
    if (a.guard && a.size > PAGE_SIZE) {
      add(a.start + a.size - PAGE_SIZE, 0);
      guards.add(a.start + a.size - PAGE_SIZE);
    }
  }
  for (const l of vm.lazy) item(l.start, l.size);
  for (const p of vm.pooled ?? []) item(p.start, p.size);
  for (const b of vm.blocks) item(b.start, b.size);
  const bps = [...events.keys()].sort((x, y) => x - y);
  const cover: number[] = [];
  let depth = 0;
  for (let i = 0; i + 1 < bps.length; i++) {
    depth += events.get(bps[i]!)!;
    cover.push(depth);
  }
  return { bps, cover, guards };
}

function widthAt(size: number, covered: boolean, s: number, min: number): number {
  const w = size * s;
  if (covered) return Math.max(min, w);
  return w <= BREAK_PX ? Math.max(min, w) : BREAK_PX;
}

/** The minimum width of each piece: areas, guard pages and gaps, shrunk to fit the cap. */
function minWidths(c: Cover, sizes: readonly number[]): number[] {
  const mins = sizes.map((size, i) => {
    if (c.cover[i]! === 0) return size >= BREAK_BYTES ? BREAK_PX : MIN_GAP_PX;
    return c.guards.has(c.bps[i]!) && size === PAGE_SIZE ? MIN_GUARD_PX : MIN_AREA_PX;
  });
  const floor = mins.reduce((t, m) => t + m, 0);
  const shrink = floor > MAX_MAP_WIDTH ? MAX_MAP_WIDTH / floor : 1;
  return shrink === 1 ? mins : mins.map((m) => m * shrink);
}

/**
 * Build the compressed axis of a vmalloc model (see the file header).
 *
 * @returns the pieces from the lowest item start to the highest item end; no pieces (width
 *   0) when the model has no area, lazy area or block.
 */
export function buildVmAxis(vm: VmallocModel): VmAxis {
  const c = breakpointsAndCover(vm);
  const { bps, cover } = c;
  const n = cover.length;
  if (n === 0) return { pieces: [], width: 0 };
  const sizes = cover.map((_, i) => bps[i + 1]! - bps[i]!);
  const mins = minWidths(c, sizes);
  let smallest = Infinity;
  for (let i = 0; i < n; i++) smallest = Math.min(smallest, sizes[i]!);
  const total = (s: number): number => {
    let t = 0;
    for (let i = 0; i < n; i++) t += widthAt(sizes[i]!, cover[i]! > 0, s, mins[i]!);
    return t;
  };
  // total(s) grows with s; at hi the smallest piece alone is MAP_WIDTH wide
  let lo = 0;
  let hi = MAP_WIDTH / Math.max(1, smallest);
  for (let k = 0; k < 60 && total(lo) < MAP_WIDTH; k++) {
    const mid = (lo + hi) / 2;
    if (total(mid) > MAP_WIDTH) hi = mid;
    else lo = mid;
  }
  const pieces: AxisPiece[] = [];
  let x = 0;
  for (let i = 0; i < n; i++) {
    const covered = cover[i]! > 0;
    const w = widthAt(sizes[i]!, covered, lo, mins[i]!);
    const brk = !covered && (sizes[i]! * lo > BREAK_PX || sizes[i]! >= BREAK_BYTES);
    pieces.push({ a0: bps[i]!, a1: bps[i + 1]!, x0: x, x1: x + w, covered, brk });
    x += w;
  }
  return { pieces, width: x };
}

/**
 * Map an address to its x on the axis (relative to the axis' left end).
 *
 * @returns the x coordinate; addresses outside the axis clamp to its ends.
 */
export function axisX(axis: VmAxis, addr: number): number {
  const p = axis.pieces;
  if (p.length === 0) return 0;
  if (addr <= p[0]!.a0) return 0;
  if (addr >= p[p.length - 1]!.a1) return axis.width;
  let lo = 0;
  let hi = p.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (p[mid]!.a0 <= addr) lo = mid;
    else hi = mid - 1;
  }
  const q = p[lo]!;
  return q.x0 + ((q.x1 - q.x0) * (addr - q.a0)) / (q.a1 - q.a0);
}

/**
 * Map an x on the axis back to an address (the inverse of axisX, for hover texts).
 *
 * @returns the address, rounded down to a byte.
 */
export function addrAt(axis: VmAxis, x: number): number {
  const p = axis.pieces;
  if (p.length === 0) return 0;
  let lo = 0;
  let hi = p.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid]!.x1 <= x) lo = mid + 1;
    else hi = mid;
  }
  const q = p[lo]!;
  const w = q.x1 - q.x0;
  const f = w > 0 ? Math.min(1, Math.max(0, (x - q.x0) / w)) : 0;
  return Math.floor(q.a0 + f * (q.a1 - q.a0));
}

/**
 * Encode what a strip run stands for: area i's body (2i), area i's guard (2i + 1), lazy
 * area j (-1 - 2j) or pooled area j (-2 - 2j).
 */
const bodyRef = (i: number): number => 2 * i;
const guardRef = (i: number): number => 2 * i + 1;
const lazyRef = (j: number): number => -1 - 2 * j;
const pooledRef = (j: number): number => -2 - 2 * j;

/** The runs of the lazy and pooled areas. */
function freedRuns(vm: VmallocModel, axis: VmAxis): StripRun[] {
  const runs: StripRun[] = [];
  const add = (start: number, size: number, fill: string, key: string, ref: number): void => {
    const x0 = axisX(axis, start);
    runs.push({ start: x0, size: axisX(axis, start + size) - x0, used: true, fill, key, ref });
  };
  vm.lazy.forEach((l, j) => add(l.start, l.size, 'url(#kmem-lazy-hatch)', 'lazy', lazyRef(j)));
  (vm.pooled ?? []).forEach((p, j) => add(p.start, p.size, POOLED_COLOUR, 'pooled', pooledRef(j)));
  return runs;
}

function areaRuns(vm: VmallocModel, axis: VmAxis): StripRun[] {
  const runs: StripRun[] = [];
  for (let i = 0; i < vm.areas.length; i++) {
    const a = vm.areas[i]!;
    const x0 = axisX(axis, a.start);
    const x1 = axisX(axis, a.start + a.size);
    const hasGuard = a.guard && a.size > PAGE_SIZE;
    const xg = hasGuard ? axisX(axis, a.start + a.size - PAGE_SIZE) : x1;
    const fill = kindColour(a.kind);
    runs.push({ start: x0, size: xg - x0, used: true, fill, key: a.kind, ref: bodyRef(i) });
    if (hasGuard) {
      runs.push({
        start: xg,
        size: x1 - xg,
        used: true,
        fill: GUARD_COLOUR,
        key: 'guard',
        ref: guardRef(i),
      });
    }
  }
  runs.push(...freedRuns(vm, axis));
  return runs.sort((p, q) => p.start - q.start || p.ref - q.ref);
}

function describeArea(vm: VmallocModel, r: StripRun): readonly [string, string] {
  if (r.ref < 0 && (-1 - r.ref) % 2 === 1) {
    const p = vm.pooled![(-2 - r.ref) / 2]!;
    return [
      `class="kmem-vm-pooled" data-start="${p.start}" data-size="${p.size}"`,
      `pooled for reuse (vmap node size-class pool): ${addrText(p.start)}–${addrText(p.start + p.size)}, ${formatBytes(p.size)}`,
    ];
  }
  if (r.ref < 0) {
    const l = vm.lazy[(-1 - r.ref) / 2]!;
    return [
      `class="kmem-vm-lazy" data-start="${l.start}" data-size="${l.size}"`,
      `lazily freed, awaiting purge: ${addrText(l.start)}–${addrText(l.start + l.size)}, ${formatBytes(l.size)}`,
    ];
  }
  const a = vm.areas[Math.floor(r.ref / 2)]!;
  if (r.ref % 2 === 1) {
    const g = a.start + a.size - PAGE_SIZE;
    return [
      `class="kmem-vm-guard" data-start="${g}"`,
      `guard page of ${addrText(a.start)}: ${addrText(g)}–${addrText(g + PAGE_SIZE)}`,
    ];
  }
  const caller = a.caller === '' ? '' : ` ${a.caller}`;
  return [
    `class="kmem-vm-area" data-start="${a.start}" data-size="${a.size}" ` +
      `data-kind="${escapeHtml(a.kind)}" data-guard="${a.guard}" data-pages="${a.pages}"`,
    `${a.kind}: ${addrText(a.start)}–${addrText(a.start + a.size)}, ${formatBytes(a.size)}` +
      `${a.guard ? ' (incl. guard page)' : ''}, ${a.pages} pages${caller}`,
  ];
}

function blockShapes(vm: VmallocModel, axis: VmAxis): string {
  const out: string[] = [];
  for (const b of vm.blocks) {
    const x0 = LEFT + axisX(axis, b.start);
    const w = Math.max(1, LEFT + axisX(axis, b.start + b.size) - x0);
    const pages = Math.max(1, Math.round(b.size / PAGE_SIZE));
    const px = (p: number): number => x0 + (w * Math.min(pages, Math.max(0, p))) / pages;
    const tip =
      `vmap block cpu ${b.cpu}: ${addrText(b.start)}–${addrText(b.start + b.size)}, ${b.usedPages} pages used, ` +
      `${b.freePages} free, dirty ${b.dirtyMin < b.dirtyMax ? `pages ${b.dirtyMin}–${b.dirtyMax}` : 'none'}`;
    const attrs =
      `class="kmem-vmap-block" data-start="${b.start}" data-size="${b.size}" data-cpu="${b.cpu}" ` +
      `data-dirty-min="${b.dirtyMin}" data-dirty-max="${b.dirtyMax}"`;
    const freeX = px(pages - b.freePages);
    let inner = rect(x0, BLOCK_Y, w, BLOCK_H, BLOCK_USED_COLOUR, attrs, tip);
    inner += rect(
      freeX,
      BLOCK_Y,
      x0 + w - freeX,
      BLOCK_H,
      FREE_COLOUR,
      'class="kmem-vmap-block-free"',
    );
    if (b.dirtyMin < b.dirtyMax) {
      const dx = px(b.dirtyMin);
      const dw = Math.max(1, px(b.dirtyMax) - dx);
      inner += rect(dx, BLOCK_Y, dw, BLOCK_H, DIRTY_COLOUR, 'class="kmem-vmap-dirty"', tip);
    }
    out.push(inner + rect(x0, BLOCK_Y, w, BLOCK_H, 'none', 'class="kmem-frame"'));
  }
  return out.join('');
}

function breaksAndLabels(axis: VmAxis): string {
  const out: string[] = [];
  const labelY = BLOCK_Y + BLOCK_H + 16;
  let lastLabel = -Infinity;
  let lastBreakLabel = -Infinity;
  const label = (x: number, addr: number): void => {
    if (x - lastLabel < 150 || x > axis.width - 60) return;
    out.push(line(LEFT + x, AREA_Y, LEFT + x, labelY - 10, 'class="kmem-tick"'));
    out.push(text(LEFT + x, labelY, addrText(addr), 'start', 'kmem-axis'));
    lastLabel = x;
  };
  label(0, axis.pieces[0]!.a0);
  for (const p of axis.pieces) {
    if (!p.brk) continue;
    const size = p.a1 - p.a0;
    const attrs = `class="kmem-vm-break" data-start="${p.a0}" data-size="${size}"`;
    const tip = `free gap ${addrText(p.a0)}–${addrText(p.a1)}, ${formatBytes(size)} (not to scale)`;
    const x = LEFT + p.x0;
    const w = p.x1 - p.x0;
    out.push(rect(x, AREA_Y - 4, w, BLOCK_Y + BLOCK_H - AREA_Y + 8, '#ffffff', attrs, tip));
    const zig = `M${num(x + w * 0.35)} ${AREA_Y - 4}l6 ${(AREA_H + 4) / 2}l-6 ${(AREA_H + 4) / 2}`;
    out.push(
      `<path class="kmem-break-zig" d="${zig}m6 0l6 ${-(AREA_H + 4) / 2}l-6 ${-(AREA_H + 4) / 2}"/>`,
    );
    const tag = `≈${formatBytes(size)}`;
    const half = tag.length * 3;
    if (x + w / 2 - half >= lastBreakLabel + 4) {
      out.push(text(x + w / 2, AREA_Y - 8, tag, 'middle', 'kmem-break-label'));
      lastBreakLabel = x + w / 2 + half;
    }
    label(p.x1, p.a1);
  }
  const end = axis.pieces[axis.pieces.length - 1]!.a1;
  out.push(text(LEFT + axis.width, labelY + 14, addrText(end), 'end', 'kmem-axis'));
  return out.join('');
}

const HATCH =
  '<defs><pattern id="kmem-lazy-hatch" width="6" height="6" patternUnits="userSpaceOnUse" ' +
  `patternTransform="rotate(45)"><rect width="6" height="6" fill="#f3ead2"/>` +
  `<rect width="3" height="6" fill="${LAZY_COLOUR}"/></pattern></defs>`;

/**
 * Draw the vmalloc space as an svg.kmem-vmalloc-map on the compressed axis.
 *
 * Context: O(n log n) in the areas, lazy areas and blocks; narrow items merge per pixel.
 *
 * @returns the SVG markup, or '' when there is nothing to draw.
 */
export function renderVmallocMap(vm: VmallocModel): string {
  const axis = buildVmAxis(vm);
  if (axis.pieces.length === 0) return '';
  const w = axis.width;
  const box = { x: LEFT, y: AREA_Y, w, h: AREA_H, span: w };
  const shapes = stripShapes(
    areaRuns(vm, axis),
    box,
    (x) => addrText(addrAt(axis, x)),
    (r) => describeArea(vm, r),
  );
  const attrs =
    `data-areas="${vm.areas.length}" data-lazy="${vm.lazy.length}" ` +
    `data-pooled="${(vm.pooled ?? []).length}" data-blocks="${vm.blocks.length}" ` +
    `data-shapes="${shapes.length}"`;
  return (
    svgOpen('kmem-vmalloc-map', w + LEFT + PAD, HEIGHT, attrs) +
    HATCH +
    text(LEFT, 12, 'areas (by kind), guard pages, lazily freed, pooled', 'start', 'kmem-label') +
    text(LEFT - 6, AREA_Y + AREA_H / 2 + 4, 'areas', 'end', 'kmem-axis') +
    text(LEFT - 6, BLOCK_Y + BLOCK_H - 4, 'blocks', 'end', 'kmem-axis') +
    rect(LEFT, AREA_Y, w, AREA_H, FREE_COLOUR, 'class="kmem-vm-bg"') +
    shapes.join('') +
    rect(LEFT, BLOCK_Y, w, BLOCK_H, '#f7f8f9', 'class="kmem-vm-block-bg"') +
    blockShapes(vm, axis) +
    breaksAndLabels(axis) +
    '</svg>'
  );
}

function vmLegend(vm: VmallocModel): string {
  const kinds = new Set(vm.areas.map((a) => a.kind));
  const items: LegendItem[] = VM_AREA_KINDS.filter((k) => kinds.has(k)).map((k) => ({
    colour: kindColour(k),
    label: k,
  }));
  if (vm.areas.some((a) => a.guard)) items.push({ colour: GUARD_COLOUR, label: 'guard page' });
  if (vm.lazy.length > 0) {
    items.push({ colour: LAZY_COLOUR, label: 'lazily freed, awaiting purge', swatch: 'hatch' });
  }
  if ((vm.pooled ?? []).length > 0) {
    items.push({ colour: POOLED_COLOUR, label: 'pooled for reuse (vmap node pools)' });
  }
  if (vm.blocks.length > 0) {
    items.push({ colour: BLOCK_USED_COLOUR, label: 'vmap block pages used' });
    items.push({ colour: DIRTY_COLOUR, label: 'vmap block dirty range' });
  }
  items.push({ colour: FREE_COLOUR, label: 'free' });
  return renderLegend(items);
}

/**
 * Render the vmalloc section's body: the range in words, the map and its legend.
 *
 * @returns the HTML (says "none" when the space has no area, lazy area or block).
 */
export function renderVmalloc(vm: VmallocModel): string {
  const free = vm.free.reduce((n, f) => n + f.size, 0);
  const largest = vm.free.reduce((n, f) => Math.max(n, f.size), 0);
  const lazyBytes = vm.lazy.reduce((n, l) => n + l.size, 0);
  const pooled = vm.pooled ?? [];
  const pooledBytes = pooled.reduce((n, p) => n + p.size, 0);
  const used = vm.areas.reduce((n, a) => n + a.size, 0);
  const meta =
    `<p class="kmem-meta">range ${addrText(vm.start)}–${addrText(vm.end)} (${formatBytes(vm.end - vm.start)}); ` +
    `${vm.areas.length} busy areas (${formatBytes(used)}), ${vm.lazy.length} lazily freed ` +
    `(${formatBytes(lazyBytes)}, ${Math.round(lazyBytes / PAGE_SIZE)} pages), ` +
    `${pooled.length} pooled for reuse in the vmap nodes (${formatBytes(pooledBytes)}), ${vm.blocks.length} vmap blocks; ` +
    `${vm.free.length} free extents, ${formatBytes(free)} free, largest ${formatBytes(largest)}. ` +
    `The map shows only the span from the lowest to the highest area; long free gaps are ` +
    `drawn as breaks, and every area is at least ${MIN_AREA_PX} px wide.</p>\n`;
  const svg = renderVmallocMap(vm);
  if (svg === '') return `${meta}<p class="kmem-none">no areas: none</p>\n`;
  return meta + figure(svg, vmLegend(vm));
}
