// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool maps: for every pool, one picture per chunk showing its allocated runs
 * coloured by owner, its free runs, and the largest free run marked, with addresses and
 * offsets on hover and an owner legend per pool.
 *
 * Kernel: none (kmem's report). The chunks are lib/genalloc.c's gen_pool_chunk, drawn in
 * the pool's search order (newest first, as gen_pool_for_each_chunk walks them).
 *
 * Layout of one chunk picture (svg.kmem-chunk-map), x proportional to the offset:
 *
 *   chunk 0  0xc0000000 – 0xc003ffff  256 KiB, 40 KiB free            ▼ largest free 24 KiB
 *   ┌─────────────────────────────────────────────────────────────────────────────────┐
 *   │ owner a ██│ b ███│░░ free ░░│ a █│█│▌│░░░░░░░░░░░░░░░░░░░░░░░░░░░░░│ c ████████│
 *   └─────────────────────────────────────────────────────────────────────────────────┘
 *   0xc0000000     +0x10000        +0x20000        +0x30000              0xc0040000
 *
 * Every run at least a pixel wide is a rect with data-offset, data-size and data-owner
 * (class kmem-run, or kmem-free for free space); narrower runs merge per pixel column
 * (svg.ts stripShapes). The largest free run is a rect.kmem-largest-free outline.
 */

import type { ChunkModel, GenpoolModel } from '../model.js';
import { hex } from '../../base/units.js';
import {
  FREE_COLOUR,
  LARGEST_FREE_COLOUR,
  ownerLegend,
  renderLegend,
  type LegendItem,
  type OwnerColours,
} from './colours.js';
import { addrText, escapeHtml, figure, formatBytes, num } from './html.js';
import { line, rect, stripShapes, svgOpen, text, type StripBox, type StripRun } from './svg.js';

/** Width of a chunk's bar, in pixels. */
export const CHUNK_BAR_WIDTH = 960;
const PAD = 8;
const BAR_Y = 40;
const BAR_H = 40;
const HEIGHT = BAR_Y + BAR_H + 24;

/**
 * Build the strip runs of a chunk: its allocated runs and the free runs between them.
 *
 * A run's `ref` is its index in chunk.runs, or -1 for free space.
 *
 * @param colours - the report's owner colours.
 * @returns the runs in offset order, free gaps included.
 */
export function chunkStripRuns(chunk: ChunkModel, colours: OwnerColours): StripRun[] {
  const out: StripRun[] = [];
  let at = 0;
  for (let i = 0; i < chunk.runs.length; i++) {
    const r = chunk.runs[i]!;
    if (r.offset > at) out.push(freeRun(at, r.offset - at));
    const fill = colours(r.owner);
    out.push({ start: r.offset, size: r.size, used: true, fill, key: r.owner, ref: i });
    at = Math.max(at, r.offset + r.size);
  }
  if (at < chunk.size) out.push(freeRun(at, chunk.size - at));
  return out;
}

function freeRun(offset: number, size: number): StripRun {
  return { start: offset, size, used: false, fill: FREE_COLOUR, key: '', ref: -1 };
}

function describeRun(chunk: ChunkModel, r: StripRun): readonly [string, string] {
  const where = `${rangeText(chunk.start, r.start, r.size)}, offset ${hex(r.start)}, ${formatBytes(r.size)}`;
  if (r.ref < 0) {
    return [`class="kmem-free" data-offset="${r.start}" data-size="${r.size}"`, `free: ${where}`];
  }
  const owner = chunk.runs[r.ref]!.owner;
  return [
    `class="kmem-run" data-offset="${r.start}" data-size="${r.size}" data-owner="${escapeHtml(owner)}"`,
    `${owner === '' ? '(unknown owner)' : owner}: ${where}`,
  ];
}

function rangeText(base: number, offset: number, size: number): string {
  return `${addrText(base + offset)}–${addrText(base + offset + size - 1)}`;
}

function largestFreeMark(chunk: ChunkModel, box: StripBox): string {
  const lf = chunk.largestFree;
  if (lf.size <= 0) return text(box.x + box.w, BAR_Y - 6, 'full: no free run', 'end', 'kmem-note');
  const scale = box.w / Math.max(1, chunk.size);
  const w = Math.max(2, lf.size * scale);
  const x = Math.min(box.x + lf.offset * scale, box.x + box.w - w);
  const cx = x + w / 2;
  const tip = `largest free run: ${rangeText(chunk.start, lf.offset, lf.size)}, ${formatBytes(lf.size)}`;
  const anchor = cx < box.x + 120 ? 'start' : cx > box.x + box.w - 120 ? 'end' : 'middle';
  return (
    rect(
      x,
      box.y - 2,
      w,
      box.h + 4,
      'none',
      `class="kmem-largest-free" data-offset="${lf.offset}" data-size="${lf.size}" ` +
        `stroke="${LARGEST_FREE_COLOUR}" stroke-width="2" stroke-dasharray="5 2"`,
      tip,
    ) +
    `<path d="M${num(cx - 5)} ${BAR_Y - 10}h10l-5 6z" fill="${LARGEST_FREE_COLOUR}"/>` +
    text(cx, BAR_Y - 12, `largest free ${formatBytes(lf.size)}`, anchor, 'kmem-mark')
  );
}

function chunkAxis(chunk: ChunkModel, box: StripBox): string {
  const parts: string[] = [];
  const y = box.y + box.h;
  for (let k = 0; k <= 4; k++) {
    const x = box.x + (box.w * k) / 4;
    parts.push(line(x, y, x, y + 5, 'class="kmem-tick"'));
    const off = Math.round((chunk.size * k) / 4);
    const label =
      k === 0
        ? addrText(chunk.start)
        : k === 4
          ? addrText(chunk.start + chunk.size)
          : `+${hex(off)}`;
    parts.push(text(x, y + 17, label, k === 0 ? 'start' : k === 4 ? 'end' : 'middle', 'kmem-axis'));
  }
  return parts.join('');
}

/**
 * Draw one chunk of a pool as an svg.kmem-chunk-map.
 *
 * Context: O(runs); at most (runs ≥ 1 px) + CHUNK_BAR_WIDTH shapes for the runs.
 *
 * @param pool - index of the pool in the model, for the data attributes.
 * @param index - index of the chunk in the pool's chunk list.
 * @param colours - the report's owner colours.
 * @returns the SVG markup.
 */
export function renderChunkMap(
  chunk: ChunkModel,
  pool: number,
  index: number,
  colours: OwnerColours,
): string {
  const box: StripBox = { x: PAD, y: BAR_Y, w: CHUNK_BAR_WIDTH, h: BAR_H, span: chunk.size };
  const shapes = stripShapes(
    chunkStripRuns(chunk, colours),
    box,
    (o) => addrText(chunk.start + o),
    (r) => describeRun(chunk, r),
  );
  const phys = chunk.phys === -1 ? '' : `, phys ${addrText(chunk.phys)}`;
  const head =
    `chunk ${index}: ${rangeText(chunk.start, 0, chunk.size)}${phys}, ` +
    `${formatBytes(chunk.size)}, ${formatBytes(chunk.avail)} free, ${chunk.runs.length} runs`;
  const attrs =
    `data-pool="${pool}" data-chunk="${index}" data-start="${chunk.start}" ` +
    `data-size="${chunk.size}" data-runs="${chunk.runs.length}" data-shapes="${shapes.length}"`;
  return (
    svgOpen('kmem-chunk-map', CHUNK_BAR_WIDTH + 2 * PAD, HEIGHT, attrs) +
    text(PAD, 12, head, 'start', 'kmem-label') +
    rect(box.x, box.y, box.w, box.h, FREE_COLOUR, 'class="kmem-chunk-bg"') +
    shapes.join('') +
    rect(box.x, box.y, box.w, box.h, 'none', 'class="kmem-frame"') +
    largestFreeMark(chunk, box) +
    chunkAxis(chunk, box) +
    '</svg>'
  );
}

function poolLegend(pool: GenpoolModel, colours: OwnerColours): string {
  const owners: string[] = [];
  for (const c of pool.chunks) for (const r of c.runs) owners.push(r.owner);
  const items: LegendItem[] = ownerLegend(owners, colours);
  items.push({ colour: FREE_COLOUR, label: 'free' });
  items.push({ colour: LARGEST_FREE_COLOUR, label: 'largest free run (dashed outline)' });
  return renderLegend(items);
}

/**
 * Render the genpool section's body: per pool a heading, its chunk maps and a legend.
 *
 * @param colours - the report's owner colours.
 * @returns the HTML, or '' when the model has no genpool.
 */
export function renderGenpools(pools: readonly GenpoolModel[], colours: OwnerColours): string {
  const parts: string[] = [];
  for (let p = 0; p < pools.length; p++) {
    const pool = pools[p]!;
    const total = pool.chunks.reduce((n, c) => n + c.size, 0);
    const avail = pool.chunks.reduce((n, c) => n + c.avail, 0);
    const dev = pool.device === '' ? '' : ` on ${pool.device}`;
    parts.push(
      `<div class="kmem-pool" data-pool-name="${escapeHtml(pool.name)}">\n` +
        `<h3>${escapeHtml(pool.name)}${escapeHtml(dev)}</h3>\n` +
        `<p class="kmem-meta">${escapeHtml(pool.algo)}, granule ${formatBytes(2 ** pool.order)} ` +
        `(order ${pool.order}), ${pool.chunks.length} chunk${pool.chunks.length === 1 ? '' : 's'}, ` +
        `${formatBytes(total)} total, ${formatBytes(avail)} free, ` +
        `<span class="${pool.failures > 0 ? 'kmem-bad' : ''}">${pool.failures} failed allocations</span></p>\n`,
    );
    if (pool.chunks.length === 0) parts.push('<p class="kmem-none">no chunks</p>\n');
    const maps = pool.chunks.map((c, i) => renderChunkMap(c, p, i, colours)).join('\n');
    if (maps !== '') parts.push(figure(maps, poolLegend(pool, colours)));
    parts.push('</div>\n');
  }
  return parts.join('');
}
