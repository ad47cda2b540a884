// SPDX-License-Identifier: GPL-2.0-only
/*
 * The time plots: one line chart (svg.kmem-plot) per series group (free space and largest
 * free extent per pool, failures, lazy pages, ...), and the TLB flushes as marks on a
 * timeline (svg.kmem-plot.kmem-flush-timeline) with their range on hover.
 *
 * Kernel: none (kmem's report). The flushes are the machine's kernel TLB flushes
 * (flush_tlb_kernel_range), each with the range it covered.
 *
 *        ▲ bytes
 *   64 KiB ┤╲___           ___ free sram
 *   32 KiB ┤    ╲_____/‾‾‾     largest free sram
 *        0 ┼────┬─────┬─────┬─► step
 *          0    50    100   150
 *
 * x is the workload step, y the value from 0 to the group's maximum. A series with more
 * points than twice the plot's width keeps only each pixel column's minimum and maximum
 * (the line looks the same); series of at most MAX_DOTS points get a dot per sample with
 * its value on hover. Flush marks have a height growing with log2 of the range's pages;
 * beyond MAX_FLUSH_MARKS flushes they merge per pixel column.
 */

import type { FlushModel, SeriesModel, SeriesUnit, TimeModel } from '../model.js';
import { PAGE_SIZE } from '../../base/units.js';
import { FAILURE_COLOUR, renderLegend, seriesColour } from './colours.js';
import { addrText, escapeHtml, figure, formatBytes, formatCount, num } from './html.js';
import { byteTicks, line, niceTicks, rect, svgOpen, text, title } from './svg.js';

/** Size of one plot, in pixels. */
export const PLOT_W = 540;
/** Height of one plot, in pixels. */
export const PLOT_H = 240;
/** Flush marks drawn one by one at most; more merge per pixel column. */
export const MAX_FLUSH_MARKS = 1500;
const MAX_DOTS = 100;
const ML = 72;
const MR = 14;
const MT = 30;
const MB = 36;

/** The drawing area of a plot and its data ranges. */
interface Frame {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly sMin: number;
  readonly sMax: number;
  readonly vMax: number;
}

function fx(f: Frame, step: number): number {
  return f.x0 + ((step - f.sMin) / (f.sMax - f.sMin)) * (f.x1 - f.x0);
}

function fy(f: Frame, v: number): number {
  return f.y1 - (v / f.vMax) * (f.y1 - f.y0);
}

/**
 * Format a value of a unit for an axis or a hover text.
 *
 * @returns `4 KiB`, `12 pages`, or a bare count.
 */
export function formatValue(v: number, unit: SeriesUnit): string {
  if (unit === 'bytes') return formatBytes(v);
  if (unit === 'pages') return `${formatCount(v)} pages`;
  return formatCount(v);
}

/**
 * Group series by their group name, in order of first appearance.
 *
 * @returns [group, series] pairs.
 */
export function groupSeries(series: readonly SeriesModel[]): Array<[string, SeriesModel[]]> {
  const groups = new Map<string, SeriesModel[]>();
  for (const s of series) {
    const g = groups.get(s.group);
    if (g === undefined) groups.set(s.group, [s]);
    else g.push(s);
  }
  return [...groups];
}

function axes(f: Frame, unit: SeriesUnit, xLabel: string): string {
  const out: string[] = [];
  const yTicks = unit === 'bytes' ? byteTicks(f.vMax, 4) : niceTicks(0, f.vMax, 4);
  for (const t of yTicks) {
    if (unit !== 'bytes' && t !== Math.round(t)) continue;
    const y = fy(f, t);
    out.push(line(f.x0, y, f.x1, y, 'class="kmem-gridline"'));
    out.push(text(f.x0 - 6, y + 4, formatValue(t, unit).replace(' pages', ''), 'end', 'kmem-axis'));
  }
  for (const t of niceTicks(f.sMin, f.sMax, 6)) {
    if (t !== Math.round(t)) continue;
    const x = fx(f, t);
    out.push(line(x, f.y1, x, f.y1 + 5, 'class="kmem-tick"'));
    out.push(text(x, f.y1 + 17, formatCount(t), 'middle', 'kmem-axis'));
  }
  out.push(line(f.x0, f.y1, f.x1, f.y1, 'class="kmem-axisline"'));
  out.push(line(f.x0, f.y0, f.x0, f.y1, 'class="kmem-axisline"'));
  out.push(text((f.x0 + f.x1) / 2, f.y1 + 31, xLabel, 'middle', 'kmem-axis-title'));
  out.push(text(f.x0, f.y0 - 12, unit, 'middle', 'kmem-axis-title'));
  return out.join('');
}

/**
 * Reduce a series to at most two points per pixel column (its minimum and maximum, in
 * sample order), so a long series draws the same line with few points.
 *
 * @returns indexes of the samples to keep, increasing.
 */
export function decimate(xs: readonly number[], ys: readonly number[]): number[] {
  const keep: number[] = [];
  let col = NaN;
  let lo = -1;
  let hi = -1;
  const flush = (): void => {
    if (lo < 0) return;
    if (lo === hi) keep.push(lo);
    else keep.push(Math.min(lo, hi), Math.max(lo, hi));
  };
  for (let i = 0; i < xs.length; i++) {
    const c = Math.floor(xs[i]!);
    if (c !== col) {
      flush();
      col = c;
      lo = i;
      hi = i;
      continue;
    }
    if (ys[i]! < ys[lo]!) lo = i;
    if (ys[i]! > ys[hi]!) hi = i;
  }
  flush();
  return keep;
}

function seriesShape(f: Frame, steps: readonly number[], s: SeriesModel, i: number): string {
  const n = Math.min(steps.length, s.values.length);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < n; k++) {
    xs.push(fx(f, steps[k]!));
    ys.push(fy(f, s.values[k]!));
  }
  const idx = n > 2 * (f.x1 - f.x0) ? decimate(xs, ys) : xs.map((_, k) => k);
  const pts = idx.map((k) => `${num(xs[k]!)},${num(ys[k]!)}`).join(' ');
  const colour = seriesColour(i);
  const name = escapeHtml(s.name);
  let out =
    `<g class="kmem-series" data-series="${name}" data-points="${n}">` +
    `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2">` +
    `${title(s.name)}</polyline>`;
  if (n <= MAX_DOTS) {
    for (let k = 0; k < n; k++) {
      const tip = `${s.name} at step ${steps[k]}: ${formatValue(s.values[k]!, s.unit)}`;
      out += `<circle cx="${num(xs[k]!)}" cy="${num(ys[k]!)}" r="2.5" fill="${colour}">${title(tip)}</circle>`;
    }
  }
  return `${out}</g>`;
}

function frameFor(steps: readonly number[], vMax: number, height: number): Frame {
  const sMin = steps.length > 0 ? steps[0]! : 0;
  let sMax = steps.length > 0 ? steps[steps.length - 1]! : 1;
  if (sMax <= sMin) sMax = sMin + 1;
  return {
    x0: ML,
    x1: PLOT_W - MR,
    y0: MT,
    y1: height - MB,
    sMin,
    sMax,
    vMax: vMax > 0 ? vMax : 1,
  };
}

/**
 * Draw one group of series as a line chart (svg.kmem-plot).
 *
 * @returns the figure's HTML (plot and legend).
 */
export function renderPlot(
  group: string,
  series: readonly SeriesModel[],
  steps: readonly number[],
): string {
  let vMax = 0;
  for (const s of series) for (const v of s.values) if (v > vMax) vMax = v;
  const f = frameFor(steps, vMax, PLOT_H);
  const unit = series[0]?.unit ?? 'count';
  const lines = series.map((s, i) => seriesShape(f, steps, s, i)).join('');
  const svg =
    svgOpen(
      'kmem-plot',
      PLOT_W,
      PLOT_H,
      `data-group="${escapeHtml(group)}" data-series="${series.length}"`,
    ) +
    axes(f, unit, 'step') +
    lines +
    '</svg>';
  const legend = renderLegend(
    series.map((s, i) => {
      const last = s.values.length > 0 ? s.values[s.values.length - 1]! : 0;
      return { colour: seriesColour(i), label: `${s.name} (end: ${formatValue(last, s.unit)})` };
    }),
  );
  return figure(svg, `<strong>${escapeHtml(group)}</strong>${legend}`, true);
}

function flushMark(f: Frame, fl: FlushModel, maxLog: number, count: number, tip: string): string {
  const pages = Math.max(1, (fl.end - fl.start) / PAGE_SIZE);
  const h = 6 + ((f.y1 - f.y0 - 6) * Math.log2(pages + 1)) / maxLog;
  const x = fx(f, fl.step);
  const attrs =
    `class="kmem-flush" data-step="${fl.step}" data-start="${fl.start}" data-end="${fl.end}"` +
    (count > 1 ? ` data-merged="${count}"` : '');
  return rect(x - 1, f.y1 - h, 2, h, FAILURE_COLOUR, attrs, tip);
}

function flushMarks(f: Frame, flushes: readonly FlushModel[], maxLog: number): string[] {
  const tipOf = (fl: FlushModel): string =>
    `step ${fl.step}: TLB flush ${addrText(fl.start)}–${addrText(fl.end)} (${formatBytes(fl.end - fl.start)})`;
  if (flushes.length <= MAX_FLUSH_MARKS)
    return flushes.map((fl) => flushMark(f, fl, maxLog, 1, tipOf(fl)));
  const out: string[] = [];
  let i = 0;
  while (i < flushes.length) {
    const col = Math.floor(fx(f, flushes[i]!.step));
    let big = flushes[i]!;
    let j = i;
    while (j < flushes.length && Math.floor(fx(f, flushes[j]!.step)) === col) {
      if (flushes[j]!.end - flushes[j]!.start > big.end - big.start) big = flushes[j]!;
      j++;
    }
    const tip = `${j - i} TLB flushes, steps ${flushes[i]!.step}–${flushes[j - 1]!.step}; largest ${tipOf(big)}`;
    out.push(flushMark(f, big, maxLog, j - i, tip));
    i = j;
  }
  return out;
}

/**
 * Draw the TLB flushes as marks on a timeline (svg.kmem-plot.kmem-flush-timeline).
 *
 * @returns the figure's HTML, or '' when there was no flush.
 */
export function renderFlushTimeline(time: TimeModel): string {
  if (time.flushes.length === 0) return '';
  const flushes = [...time.flushes].sort((a, b) => a.step - b.step);
  const lo = Math.min(time.steps[0] ?? flushes[0]!.step, flushes[0]!.step);
  const hi = Math.max(time.steps[time.steps.length - 1] ?? 0, flushes[flushes.length - 1]!.step);
  const f = frameFor([lo, hi], 1, 150);
  let maxLog = 1;
  for (const fl of flushes)
    maxLog = Math.max(maxLog, Math.log2(Math.max(1, (fl.end - fl.start) / PAGE_SIZE) + 1));
  const marks = flushMarks(f, flushes, maxLog);
  const ticks = niceTicks(f.sMin, f.sMax, 6).filter((t) => t === Math.round(t));
  const svg =
    svgOpen(
      'kmem-plot kmem-flush-timeline',
      PLOT_W,
      150,
      `data-flushes="${flushes.length}" data-marks="${marks.length}"`,
    ) +
    line(f.x0, f.y1, f.x1, f.y1, 'class="kmem-axisline"') +
    ticks
      .map(
        (t) =>
          line(fx(f, t), f.y1, fx(f, t), f.y1 + 5, 'class="kmem-tick"') +
          text(fx(f, t), f.y1 + 17, formatCount(t), 'middle', 'kmem-axis'),
      )
      .join('') +
    text((f.x0 + f.x1) / 2, f.y1 + 31, 'step', 'middle', 'kmem-axis-title') +
    text(f.x0 - 6, f.y0 + 8, 'range', 'end', 'kmem-axis-title') +
    text(f.x0 - 6, f.y0 + 20, '(log pages)', 'end', 'kmem-axis') +
    marks.join('') +
    '</svg>';
  const note =
    flushes.length > MAX_FLUSH_MARKS
      ? `; merged into ${marks.length} marks, one per pixel column`
      : '';
  return figure(
    svg,
    `<strong>TLB flushes</strong>: ${flushes.length} kernel TLB flushes${note}; hover a mark for its range.`,
    true,
  );
}

/**
 * Render the time section's body: one plot per series group, then the flush timeline.
 *
 * @returns the HTML, or '' when there is neither a series nor a flush.
 */
export function renderTime(time: TimeModel): string {
  const parts: string[] = [];
  for (const [group, series] of groupSeries(time.series))
    parts.push(renderPlot(group, series, time.steps));
  parts.push(renderFlushTimeline(time));
  const body = parts.join('');
  return body === '' ? '' : `<div class="kmem-plots">\n${body}</div>\n`;
}
