// SPDX-License-Identifier: GPL-2.0-only
/*
 * The replay view: a MemoView-style time × address picture per algorithm, side by side
 * (svg.kmem-replay-panel), each allocation's life a rectangle coloured by its owner, the
 * failed allocations as red ticks, with each panel's peak and each pool's fragmentation.
 *
 * Kernel: none (kmem's report). The panels are a trace replayed through genpool's fit
 * algorithms (gen_pool_first_fit, gen_pool_best_fit, ...).
 *
 *           failures ▼      ▼
 *      0 B   ┌──────────────────────────┐
 *            │████a████      ▓▓▓b▓▓▓▓▓▓▓│   x: step, 0 … steps
 *            │    ███c███████████       │   y: offset in the pool, 0 … span (downwards)
 *            │          ▒▒d▒▒           │   a life [from, to) × [offset, offset + size)
 *   64 KiB   └──────────────────────────┘   (to = -1: live to the end)
 *            0                     steps
 *
 * A panel draws at most MAX_LIVES_DRAWN lives: past that it keeps the ones with the
 * largest area on screen and says so in the picture. Failure ticks merge per pixel column.
 */

import type { LifeModel, ReplayPanelModel } from '../model.js';
import { hex } from '../../base/units.js';
import {
  FAILURE_COLOUR,
  FREE_COLOUR,
  ownerLegend,
  renderLegend,
  type OwnerColours,
} from './colours.js';
import { escapeHtml, formatBytes, formatCount, formatPercent, num } from './html.js';
import { line, niceTicks, rect, svgOpen, text } from './svg.js';

/** Lives drawn per panel at most. */
export const MAX_LIVES_DRAWN = 4000;
/** Size of a panel, in pixels. */
export const PANEL_W = 460;
/** Height of a panel, in pixels. */
export const PANEL_H = 340;
const ML = 74;
const MR = 12;
const MT = 50;
const MB = 44;

interface PanelFrame {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly steps: number;
  readonly span: number;
}

function px(f: PanelFrame, step: number): number {
  return f.x0 + (step / f.steps) * (f.x1 - f.x0);
}

function py(f: PanelFrame, offset: number): number {
  return f.y0 + (offset / f.span) * (f.y1 - f.y0);
}

function lifeBox(f: PanelFrame, l: LifeModel): [number, number, number, number] {
  const x = px(f, l.from);
  const x2 = px(f, l.to < 0 ? f.steps : l.to);
  const y = py(f, l.offset);
  const y2 = py(f, l.offset + l.size);
  return [x, y, Math.max(1, x2 - x), Math.max(1, y2 - y)];
}

/**
 * Choose the lives a panel draws: all of them, or the MAX_LIVES_DRAWN with the largest
 * area on screen (ties: the earlier in the list), kept in their original order.
 *
 * @returns indexes into the panel's lives.
 */
export function livesToDraw(panel: ReplayPanelModel): number[] {
  const n = panel.lives.length;
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= MAX_LIVES_DRAWN) return all;
  const end = (l: LifeModel): number => (l.to < 0 ? panel.steps : l.to);
  const area = all.map((i) => {
    const l = panel.lives[i]!;
    return (end(l) - l.from) * l.size;
  });
  all.sort((a, b) => area[b]! - area[a]! || a - b);
  return all.slice(0, MAX_LIVES_DRAWN).sort((a, b) => a - b);
}

function lifeShape(f: PanelFrame, l: LifeModel, colours: OwnerColours): string {
  const [x, y, w, h] = lifeBox(f, l);
  const owner = l.owner === '' ? '(unknown owner)' : l.owner;
  const until = l.to < 0 ? 'the end (still live)' : `step ${l.to}`;
  const attrs =
    `class="kmem-life" data-offset="${l.offset}" data-size="${l.size}" data-from="${l.from}" ` +
    `data-to="${l.to}" data-owner="${escapeHtml(l.owner)}"`;
  const tip = `${owner}: offset ${hex(l.offset)}, ${formatBytes(l.size)}, step ${l.from} to ${until}`;
  return rect(x, y, w, h, colours(l.owner), attrs, tip);
}

function failureTicks(f: PanelFrame, panel: ReplayPanelModel): string {
  const out: string[] = [];
  const fails = [...panel.failures].sort((a, b) => a.step - b.step);
  let i = 0;
  while (i < fails.length) {
    const col = Math.floor(px(f, fails[i]!.step));
    let j = i;
    while (j < fails.length && Math.floor(px(f, fails[j]!.step)) === col) j++;
    const first = fails[i]!;
    const tip =
      j - i === 1
        ? `step ${first.step}: allocation of ${formatBytes(first.size)} failed`
        : `${j - i} failed allocations, steps ${first.step}–${fails[j - 1]!.step}`;
    const x = px(f, first.step);
    out.push(
      `<g class="kmem-replay-failure" data-step="${first.step}" data-count="${j - i}">` +
        line(x, f.y0 - 9, x, f.y0 - 1, `stroke="${FAILURE_COLOUR}" stroke-width="2"`) +
        rect(x - 3, f.y0 - 10, 6, 10, 'transparent', '', tip) +
        '</g>',
    );
    i = j;
  }
  return out.join('');
}

function panelAxes(f: PanelFrame): string {
  const out: string[] = [];
  for (const t of niceTicks(0, f.steps, 5)) {
    if (t !== Math.round(t)) continue;
    out.push(line(px(f, t), f.y1, px(f, t), f.y1 + 4, 'class="kmem-tick"'));
    out.push(text(px(f, t), f.y1 + 16, formatCount(t), 'middle', 'kmem-axis'));
  }
  for (let k = 0; k <= 4; k++) {
    const off = Math.round((f.span * k) / 4);
    out.push(line(f.x0 - 4, py(f, off), f.x0, py(f, off), 'class="kmem-tick"'));
    out.push(text(f.x0 - 6, py(f, off) + 4, formatBytes(off), 'end', 'kmem-axis'));
  }
  out.push(text((f.x0 + f.x1) / 2, f.y1 + 32, 'step', 'middle', 'kmem-axis-title'));
  const mid = (f.y0 + f.y1) / 2;
  out.push(
    `<text x="14" y="${num(mid)}" text-anchor="middle" class="kmem-axis-title" transform="rotate(-90 14 ${num(mid)})">offset</text>`,
  );
  return out.join('');
}

/**
 * Draw one algorithm's replay as an svg.kmem-replay-panel.
 *
 * Context: O(lives log lives) when capped, O(lives) otherwise.
 *
 * @param index - the panel's index in the model, for data-panel.
 * @param colours - the report's owner colours.
 * @returns the SVG markup.
 */
export function renderReplayPanel(
  panel: ReplayPanelModel,
  index: number,
  colours: OwnerColours,
): string {
  const f: PanelFrame = {
    x0: ML,
    x1: PANEL_W - MR,
    y0: MT,
    y1: PANEL_H - MB,
    steps: Math.max(1, panel.steps),
    span: Math.max(1, panel.span),
  };
  const drawn = livesToDraw(panel);
  const shapes = drawn.map((i) => lifeShape(f, panel.lives[i]!, colours)).join('');
  const capped = drawn.length < panel.lives.length;
  const head =
    `${panel.algo} (order ${panel.order}): fragmentation ${poolFragmentation(panel)}, ` +
    `peak ${formatBytes(panel.peak)}`;
  const sub =
    `${panel.lives.length} allocations, ${panel.failures.length} failed, span ${formatBytes(panel.span)}` +
    (capped ? `; drawing the ${drawn.length} largest` : '');
  const attrs =
    `data-panel="${index}" data-algo="${escapeHtml(panel.algo)}" data-order="${panel.order}" ` +
    `data-fragmentation="${panel.pools.map((p) => p.fragmentation).join(',')}" data-peak="${panel.peak}" ` +
    `data-lives="${panel.lives.length}" data-drawn="${drawn.length}"`;
  return (
    svgOpen('kmem-replay-panel', PANEL_W, PANEL_H, attrs) +
    text(8, 14, head, 'start', 'kmem-label') +
    text(8, 30, sub, 'start', capped ? 'kmem-note' : 'kmem-axis') +
    rect(f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0, FREE_COLOUR, 'class="kmem-replay-bg"') +
    shapes +
    rect(f.x0, f.y0, f.x1 - f.x0, f.y1 - f.y0, 'none', 'class="kmem-frame"') +
    failureTicks(f, panel) +
    panelAxes(f) +
    '</svg>'
  );
}

/**
 * Each pool's end fragmentation in words: `37.5%` for one pool, `sram 37.5%, ocram 0.0%`
 * for several (not escaped).
 * @returns the text ('-' for a panel with no pool).
 */
export function poolFragmentation(panel: ReplayPanelModel): string {
  if (panel.pools.length === 0) return '-';
  if (panel.pools.length === 1) return formatPercent(panel.pools[0]!.fragmentation);
  return panel.pools.map((p) => `${p.name} ${formatPercent(p.fragmentation)}`).join(', ');
}

/**
 * Render the replay section's body: the panels side by side, a shared owner legend.
 *
 * @param colours - the report's owner colours.
 * @returns the HTML, or '' when there is no panel.
 */
export function renderReplay(panels: readonly ReplayPanelModel[], colours: OwnerColours): string {
  if (panels.length === 0) return '';
  const owners: string[] = [];
  for (const p of panels) for (const l of p.lives) owners.push(l.owner);
  const legend = renderLegend([
    ...ownerLegend(owners, colours),
    { colour: FAILURE_COLOUR, label: 'failed allocation (tick above the panel)' },
    { colour: FREE_COLOUR, label: 'free' },
  ]);
  const svgs = panels.map(
    (p, i) => `<div class="kmem-panel">${renderReplayPanel(p, i, colours)}</div>`,
  );
  return (
    `<div class="kmem-panels">\n${svgs.join('\n')}\n</div>\n` +
    `<div class="kmem-caption">x: step of the trace; y: offset in the pool. ${legend}</div>\n` +
    `<p class="kmem-meta">${panels.map((p) => `${escapeHtml(p.algo)}/${p.order}: fragmentation ${escapeHtml(poolFragmentation(p))}, peak ${formatBytes(p.peak)}`).join('; ')}.</p>\n`
  );
}
