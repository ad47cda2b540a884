// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dmapool maps: for every pool, one picture (svg.kmem-dmapool-map) with a row per pool
 * page, each row showing the page's blocks in use and free.
 *
 * Kernel: none (kmem's report). The pages are mm/dmapool.c's dma_page, with their blocks
 * in address order as the pool carved them.
 *
 *   0xffff888001234000 │██████░░░░███░░░░░░░░░░░░░░░│ 9/28 in use
 *   0xffff888001236000 │████████████████████████████│ 28/28 in use
 *                       block 0                block n-1
 *
 * x is the block index (blocks of one page have the same size; the page's tail and the
 * bytes skipped at a boundary are not drawn). Runs of consecutive blocks in use are one
 * rect.kmem-dma-used each (data-first, data-count); free blocks are the row's background.
 * Rows beyond MAX_DMA_PAGES_DRAWN are counted in the picture, not drawn.
 */

import type { DmaPageModel, DmapoolModel } from '../model.js';
import { hex } from '../../base/units.js';
import { FREE_COLOUR, renderLegend } from './colours.js';
import { addrText, escapeHtml, figure, formatBytes, num } from './html.js';
import { rect, stripShapes, svgOpen, text, type StripBox, type StripRun } from './svg.js';

/** Pages drawn per pool at most; the rest are summarised in the picture. */
export const MAX_DMA_PAGES_DRAWN = 64;
const USED_COLOUR = '#2f6fba';
const LABEL_W = 150;
const BAR_W = 640;
const ROW_H = 16;
const ROW_GAP = 5;
const TOP = 20;
const COUNT_W = 110;

/**
 * Group the in-use block indexes of a page into runs of consecutive blocks.
 *
 * @returns [first, count] pairs in index order (duplicates and unsorted input tolerated).
 */
export function inUseRuns(page: DmaPageModel): Array<[number, number]> {
  const idx = [...page.inUse].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i]!;
    const last = runs[runs.length - 1];
    if (last !== undefined && b <= last[0] + last[1]) {
      last[1] = Math.max(last[1], b - last[0] + 1);
      continue;
    }
    runs.push([b, 1]);
  }
  return runs;
}

function pageRow(pool: DmapoolModel, page: DmaPageModel, y: number): string {
  const runs: StripRun[] = inUseRuns(page).map(([first, count]) => ({
    start: first,
    size: count,
    used: true,
    fill: USED_COLOUR,
    key: 'used',
    ref: first,
  }));
  const describe = (r: StripRun): readonly [string, string] => [
    `class="kmem-dma-used" data-first="${r.start}" data-count="${r.size}"`,
    `blocks ${r.start}–${r.start + r.size - 1} in use (${r.size} × ${formatBytes(pool.size)}) ` +
      `in page ${addrText(page.vaddr)} (dma ${hex(page.dma)})`,
  ];
  const box: StripBox = { x: LABEL_W, y, w: BAR_W, h: ROW_H, span: Math.max(1, page.blocks) };
  const shapes = stripShapes(runs, box, (b) => `block ${b}`, describe);
  const used = page.inUse.length;
  const cell = BAR_W / Math.max(1, page.blocks);
  let grid = '';
  if (cell >= 4 && page.blocks > 1) {
    const d: string[] = [];
    for (let b = 1; b < page.blocks; b++) d.push(`M${num(LABEL_W + b * cell)} ${y}v${ROW_H}`);
    grid = `<path class="kmem-grid" d="${d.join('')}"/>`;
  }
  const attrs =
    `class="kmem-dma-page" data-vaddr="${page.vaddr}" data-dma="${page.dma}" ` +
    `data-blocks="${page.blocks}" data-in-use="${used}"`;
  return (
    `<g ${attrs}>` +
    text(LABEL_W - 8, y + ROW_H - 4, addrText(page.vaddr), 'end', 'kmem-axis') +
    rect(
      LABEL_W,
      y,
      BAR_W,
      ROW_H,
      FREE_COLOUR,
      'class="kmem-dma-bg"',
      `page ${addrText(page.vaddr)}, dma ${hex(page.dma)}: ${used} of ${page.blocks} blocks in use`,
    ) +
    shapes.join('') +
    grid +
    rect(LABEL_W, y, BAR_W, ROW_H, 'none', 'class="kmem-frame"') +
    text(
      LABEL_W + BAR_W + 8,
      y + ROW_H - 4,
      `${used}/${page.blocks} in use`,
      'start',
      'kmem-axis',
    ) +
    '</g>'
  );
}

/**
 * Draw one dmapool as an svg.kmem-dmapool-map: a row per page (up to MAX_DMA_PAGES_DRAWN).
 *
 * @param index - the pool's index in the model, for data-pool.
 * @returns the SVG markup.
 */
export function renderDmapoolMap(pool: DmapoolModel, index: number): string {
  const drawn = Math.min(pool.pages.length, MAX_DMA_PAGES_DRAWN);
  const more = pool.pages.length - drawn;
  const height = TOP + drawn * (ROW_H + ROW_GAP) + (more > 0 ? 18 : 0) + 4;
  const rows: string[] = [];
  for (let i = 0; i < drawn; i++)
    rows.push(pageRow(pool, pool.pages[i]!, TOP + i * (ROW_H + ROW_GAP)));
  const note =
    more > 0
      ? text(
          LABEL_W,
          height - 8,
          `… ${more} more pages not drawn (${pool.pages.length} in all)`,
          'start',
          'kmem-note',
        )
      : '';
  const attrs =
    `data-pool="${index}" data-pool-name="${escapeHtml(pool.name)}" ` +
    `data-pages="${pool.pages.length}" data-pages-drawn="${drawn}"`;
  return (
    svgOpen('kmem-dmapool-map', LABEL_W + BAR_W + COUNT_W, height, attrs) +
    text(LABEL_W, 13, 'block 0', 'start', 'kmem-axis') +
    text(LABEL_W + BAR_W, 13, 'last block', 'end', 'kmem-axis') +
    text(8, 13, 'page (vaddr)', 'start', 'kmem-axis') +
    rows.join('') +
    note +
    '</svg>'
  );
}

/**
 * Render the dmapool section's body: per pool a heading, its parameters and its page map.
 *
 * @returns the HTML, or '' when the model has no dmapool.
 */
export function renderDmapools(pools: readonly DmapoolModel[]): string {
  const parts: string[] = [];
  for (let i = 0; i < pools.length; i++) {
    const pool = pools[i]!;
    const blocks = pool.pages.reduce((n, p) => n + p.blocks, 0);
    const used = pool.pages.reduce((n, p) => n + p.inUse.length, 0);
    const boundary = pool.boundary === 0 ? 'no boundary' : `boundary ${formatBytes(pool.boundary)}`;
    parts.push(
      `<div class="kmem-pool" data-pool-name="${escapeHtml(pool.name)}">\n` +
        `<h3>${escapeHtml(pool.name)} on ${escapeHtml(pool.device)}</h3>\n` +
        `<p class="kmem-meta">blocks of ${formatBytes(pool.size)}, align ${formatBytes(pool.align)}, ` +
        `${boundary}, pages of ${formatBytes(pool.allocation)}; ${pool.pages.length} pages, ` +
        `${used} of ${blocks} blocks in use, ` +
        `<span class="${pool.failures > 0 ? 'kmem-bad' : ''}">${pool.failures} failed allocations</span></p>\n`,
    );
    if (pool.pages.length === 0) parts.push('<p class="kmem-none">no pages</p>\n');
    else {
      const legend = renderLegend([
        { colour: USED_COLOUR, label: 'blocks in use' },
        { colour: FREE_COLOUR, label: 'free blocks' },
      ]);
      parts.push(figure(renderDmapoolMap(pool, i), legend));
    }
    parts.push('</div>\n');
  }
  return parts.join('');
}
