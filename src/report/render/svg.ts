// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVG helpers for the report's pictures: the <svg> element, rectangles with a hover title,
 * text, lines, and the strip renderer that turns a list of address runs into shapes with
 * at most one merged shape per pixel column.
 *
 * Kernel: none (kmem's report).
 *
 * Strip merging: a run at least MIN_RUN_PX wide is drawn as its own <rect> (with its
 * data-offset/data-size), so it can be found and hovered; consecutive narrower runs that
 * start in the same pixel column are merged into one 1-pixel <rect class="kmem-merged">
 * coloured by the owner holding most bytes there, with an opacity that tells how full the
 * column is. A strip of n runs over w pixels thus has at most (runs ≥ 1 px) + w shapes:
 * a chunk with 100k runs stays a few thousand elements.
 *
 *   offset 0                                          span
 *   |██ a ██|░free░|█|█|▌|█ b █████|░░░ free ░░░░|▌▌|██ c █|
 *                    └─┴─┴─ sub-pixel runs: one merged rect per column
 */

import { escapeHtml, num } from './html.js';

/** Runs narrower than this many pixels are merged by pixel column. */
export const MIN_RUN_PX = 1;

/**
 * Open an `<svg>` element with a class, a size and a viewBox of the same size.
 *
 * @param cls - class list (a literal from the renderer).
 * @param attrs - extra attributes, already escaped (`data-x="..."`), or ''.
 * @returns the opening tag (close it with `</svg>`).
 */
export function svgOpen(cls: string, width: number, height: number, attrs = ''): string {
  const w = num(width);
  const h = num(height);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${w}" height="${h}" ` +
    `viewBox="0 0 ${w} ${h}" role="img"${attrs === '' ? '' : ` ${attrs}`}>`
  );
}

/**
 * Return a hover title element (escaped), the SVG tooltip.
 *
 * @returns `<title>…</title>`.
 */
export function title(text: string): string {
  return `<title>${escapeHtml(text)}</title>`;
}

/**
 * Draw a rectangle, with an optional hover title.
 *
 * @param attrs - extra attributes, already escaped, or ''.
 * @param tip - hover text (escaped here), or '' for none.
 * @returns the `<rect>` markup.
 */
export function rect(
  x: number,
  y: number,
  w: number,
  h: number,
  fill: string,
  attrs = '',
  tip = '',
): string {
  const a = attrs === '' ? '' : ` ${attrs}`;
  const open = `<rect x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" fill="${fill}"${a}`;
  return tip === '' ? `${open}/>` : `${open}>${title(tip)}</rect>`;
}

/**
 * Draw a text label (escaped).
 *
 * @param anchor - `start`, `middle` or `end`.
 * @param cls - class literal, or ''.
 * @returns the `<text>` markup.
 */
export function text(x: number, y: number, label: string, anchor = 'start', cls = ''): string {
  const c = cls === '' ? '' : ` class="${cls}"`;
  return `<text x="${num(x)}" y="${num(y)}" text-anchor="${anchor}"${c}>${escapeHtml(label)}</text>`;
}

/**
 * Draw a straight line.
 *
 * @param attrs - extra attributes (stroke, class), already escaped.
 * @returns the `<line>` markup.
 */
export function line(x1: number, y1: number, x2: number, y2: number, attrs: string): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" ${attrs}/>`;
}

/** One run of a strip: a range of the strip's span and how to draw it. */
export interface StripRun {
  readonly start: number;
  readonly size: number;
  /** True for used space (merged columns weigh used bytes), false for free space. */
  readonly used: boolean;
  /** Fill colour, and the key used to pick a merged column's colour (the owner). */
  readonly fill: string;
  readonly key: string;
  /** The caller's index of what the run stands for, passed back to `describe`. */
  readonly ref: number;
}

/**
 * Describe a run drawn on its own: its class and data attributes (a literal plus escaped
 * values) and its hover text. Called only for runs wide enough to be drawn, so a strip of
 * 100k sub-pixel runs formats no text for them.
 */
export type DescribeRun = (run: StripRun) => readonly [attrs: string, tip: string];

/** Where a strip is drawn: [x, x + w) × [y, y + h) for the span [0, span). */
export interface StripBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly span: number;
}

/** The state of the pixel column being merged. */
interface Column {
  col: number;
  runs: number;
  usedBytes: number;
  totalBytes: number;
  first: number;
  end: number;
  bytesByKey: Map<string, number>;
  fillByKey: Map<string, string>;
}

function newColumn(col: number, first: number): Column {
  return {
    col,
    runs: 0,
    usedBytes: 0,
    totalBytes: 0,
    first,
    end: first,
    bytesByKey: new Map(),
    fillByKey: new Map(),
  };
}

function flushColumn(c: Column, box: StripBox, label: (n: number) => string, out: string[]): void {
  if (c.runs === 0 || c.usedBytes === 0) return;
  let best = '';
  let bestBytes = -1;
  for (const [k, b] of c.bytesByKey) {
    if (b > bestBytes || (b === bestBytes && k < best)) {
      best = k;
      bestBytes = b;
    }
  }
  const fullness = c.usedBytes / Math.max(1, c.totalBytes);
  const opacity = 0.35 + 0.65 * fullness;
  const tip =
    `${c.runs} runs merged: ${label(c.first)}–${label(c.end)}, ` +
    `${Math.round(fullness * 100)}% used, mostly ${best === '' ? '(unknown)' : best}`;
  const attrs = `class="kmem-merged" data-runs="${c.runs}" fill-opacity="${num(opacity)}"`;
  out.push(rect(box.x + c.col, box.y, 1, box.h, c.fillByKey.get(best)!, attrs, tip));
}

/**
 * Turn a strip's runs into SVG shapes, merging sub-pixel runs per pixel column.
 *
 * Free runs narrower than a pixel are not drawn (the strip's background is free space);
 * merged columns that hold no used byte are dropped too.
 *
 * Context: O(runs); the output has at most (runs ≥ MIN_RUN_PX) + box.w shapes.
 *
 * @param runs - runs in start order (they may leave gaps: those show the background).
 * @param label - formats a position of the span for merged-column titles (offset or address).
 * @param describe - gives the attributes and hover text of a run drawn on its own.
 * @returns the shapes' markup, one string per shape.
 */
export function stripShapes(
  runs: readonly StripRun[],
  box: StripBox,
  label: (n: number) => string,
  describe: DescribeRun,
): string[] {
  const out: string[] = [];
  const scale = box.w / Math.max(1, box.span);
  let col = newColumn(-1, 0);
  for (let i = 0; i < runs.length; i++) {
    const r = runs[i]!;
    const px0 = r.start * scale;
    const wpx = r.size * scale;
    if (wpx >= MIN_RUN_PX) {
      flushColumn(col, box, label, out);
      col = newColumn(-1, 0);
      const [attrs, tip] = describe(r);
      out.push(rect(box.x + px0, box.y, wpx, box.h, r.fill, attrs, tip));
      continue;
    }
    const c = Math.min(Math.floor(px0), Math.max(0, Math.ceil(box.w) - 1));
    if (c !== col.col) {
      flushColumn(col, box, label, out);
      col = newColumn(c, r.start);
    }
    col.runs++;
    col.totalBytes += r.size;
    col.end = r.start + r.size;
    if (!r.used) continue;
    col.usedBytes += r.size;
    col.bytesByKey.set(r.key, (col.bytesByKey.get(r.key) ?? 0) + r.size);
    col.fillByKey.set(r.key, r.fill);
  }
  flushColumn(col, box, label, out);
  return out;
}

/**
 * Return "nice" axis ticks (steps of 1, 2 or 5 × 10^k) covering [lo, hi].
 *
 * @param target - about how many ticks are wanted.
 * @returns increasing tick values within [lo, hi]; [lo] when lo === hi.
 */
export function niceTicks(lo: number, hi: number, target: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) ticks.push(k * step);
  return ticks;
}

/**
 * Return byte-friendly axis ticks: powers of 1024 times 1, 2 or 5 × 10^k units.
 *
 * @returns increasing tick values within [0, hi].
 */
export function byteTicks(hi: number, target: number): number[] {
  if (!(hi > 0)) return [0];
  let unit = 1;
  while (hi / unit >= 1024 && unit < 1024 ** 5) unit *= 1024;
  return niceTicks(0, hi / unit, target).map((t) => t * unit);
}
