// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report page: renderHtml() turns a ReportModel into one self-contained HTML file
 * (inline CSS and SVG, no script but the model's JSON island, no external asset), the same
 * bytes for the same model.
 *
 * Kernel: none (kmem's report).
 *
 * Page layout, top to bottom; a section whose data is empty is left out, and so is its
 * entry in the contents line:
 *
 *   header        title, command, seed, machine            <header id="kmem-header">
 *   summary       model.tables                             section#kmem-summary
 *   genpools      chunk maps                               section#kmem-genpools
 *   dmapools      page maps                                section#kmem-dmapools
 *   vmalloc       compressed map of the space              section#kmem-vmalloc
 *   over time     series plots, TLB flush timeline         section#kmem-time
 *   replay        time × address panels                    section#kmem-replay
 *   kernel log    model.log                                section#kmem-log
 *   files         model.files                              section#kmem-files
 *   data          <script type="application/json" id="kmem-data">
 */

import type { FileModel, ReportModel } from '../model.js';
import { reportOwnerColours } from './colours.js';
import { renderDmapools } from './dmapool-map.js';
import { renderGenpools } from './genpool-map.js';
import { escapeHtml, jsonIsland, preBlock, renderTable, section } from './html.js';
import { renderTime } from './plots.js';
import { renderReplay } from './replay-view.js';
import { renderVmalloc } from './vmalloc-map.js';
import { islandModel } from './island.js';

const CSS = `
:root { color-scheme: light; --fg: #1d2329; --muted: #5b6570; --line: #d5dbe1; --bg: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 16px 24px 48px; max-width: 1240px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 2px; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
header dt { color: var(--muted); } header dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
nav.kmem-contents { color: var(--muted); } nav.kmem-contents a { margin-right: 10px; }
.kmem-meta { color: var(--muted); margin: 2px 0 6px; }
.kmem-bad { color: #c0121f; font-weight: 600; }
.kmem-none { color: var(--muted); font-style: italic; }
table.kmem-table { border-collapse: collapse; margin: 10px 0 18px; font-variant-numeric: tabular-nums; }
table.kmem-table caption { text-align: left; font-weight: 600; padding: 2px 0 4px; }
table.kmem-table th, table.kmem-table td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; }
table.kmem-table th { background: #f3f5f7; } table.kmem-table td.n { text-align: right; }
figure.kmem-figure { margin: 8px 0 16px; }
.kmem-scroll { overflow-x: auto; }
.kmem-scroll svg { display: block; margin-bottom: 4px; }
figcaption, .kmem-caption { color: var(--muted); font-size: 13px; }
ul.kmem-legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 14px; }
ul.kmem-legend li { display: inline-flex; align-items: center; gap: 5px; }
.kmem-swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid rgba(0,0,0,.25); }
.kmem-swatch.hatch { background-image: repeating-linear-gradient(45deg, transparent 0 3px, #f3ead2 3px 6px) !important; }
.kmem-plots, .kmem-panels { display: flex; flex-wrap: wrap; gap: 8px 24px; }
.kmem-plots figure { margin: 0; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 8px 10px; overflow-x: auto;
  font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; max-height: 480px; }
details > summary { cursor: pointer; font-family: ui-monospace, "DejaVu Sans Mono", monospace; margin: 6px 0; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #333; }
svg .kmem-label { font-size: 12px; font-weight: 600; fill: var(--fg); }
svg .kmem-axis { fill: var(--muted); font-size: 10.5px; }
svg .kmem-axis-title { fill: var(--muted); font-size: 11px; font-style: italic; }
svg .kmem-note { fill: #a15c00; font-size: 11px; font-style: italic; }
svg .kmem-mark { fill: #0a7d32; font-size: 11px; font-weight: 600; }
svg .kmem-break-label { fill: var(--muted); font-size: 10px; }
svg .kmem-frame { stroke: #7b858f; stroke-width: 1; fill: none; }
svg .kmem-tick, svg .kmem-axisline { stroke: #7b858f; stroke-width: 1; }
svg .kmem-gridline { stroke: #e6e9ec; stroke-width: 1; }
svg .kmem-grid { stroke: rgba(255,255,255,.7); stroke-width: 1; }
svg .kmem-break-zig { stroke: #7b858f; fill: none; stroke-width: 1.2; }
svg .kmem-run, svg .kmem-life, svg .kmem-vm-area { stroke: rgba(255,255,255,.55); stroke-width: .5; }
svg .kmem-run:hover, svg .kmem-free:hover, svg .kmem-merged:hover, svg .kmem-life:hover,
svg .kmem-vm-area:hover, svg .kmem-vm-lazy:hover, svg .kmem-dma-used:hover, svg .kmem-flush:hover { stroke: #111; stroke-width: 1; }
`;

function header(m: ReportModel, nav: string): string {
  const rows: Array<[string, string]> = [['command', m.command]];
  if (m.seed !== 0) rows.push(['seed', String(m.seed)]);
  if (m.machine !== '') rows.push(['machine', m.machine]);
  const dl = rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  return `<header id="kmem-header">\n<h1>${escapeHtml(m.title)}</h1>\n<dl>${dl}</dl>\n${nav}</header>\n`;
}

/** The page's note on a thinned island (islandModel), or '' when nothing was thinned. */
function truncationNote(notes: readonly string[]): string {
  if (notes.length === 0) return '';
  const items = notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return (
    `<div class="kmem-note" id="kmem-truncated"><p>This run is too large to embed whole: ` +
    `the data island (kmem-data) holds a thinned copy of the model (its <code>truncated</code> ` +
    `field says the same). The tables and pictures below are drawn from the whole run.</p><ul>${items}</ul></div>\n`
  );
}

function renderFiles(files: readonly FileModel[]): string {
  return files
    .map(
      (f) =>
        `<details open class="kmem-file" data-path="${escapeHtml(f.path)}">` +
        `<summary>${escapeHtml(f.path)}</summary>\n${preBlock('kmem-file-text', f.text)}</details>\n`,
    )
    .join('');
}

/** A section of the page: its id, heading and body ('' leaves the section out). */
interface Part {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

function parts(m: ReportModel): Part[] {
  const colours = reportOwnerColours(m);
  const time = m.time;
  const hasTime = time !== null && (time.series.length > 0 || time.flushes.length > 0);
  return [
    { id: 'kmem-summary', title: 'Summary', body: m.tables.map(renderTable).join('') },
    { id: 'kmem-genpools', title: 'Genpools', body: renderGenpools(m.genpools, colours) },
    { id: 'kmem-dmapools', title: 'DMA pools', body: renderDmapools(m.dmapools) },
    {
      id: 'kmem-vmalloc',
      title: 'vmalloc space',
      body: m.vmalloc === null ? '' : renderVmalloc(m.vmalloc),
    },
    { id: 'kmem-time', title: 'Over time', body: hasTime ? renderTime(time) : '' },
    { id: 'kmem-replay', title: 'Replay: time × address', body: renderReplay(m.replay, colours) },
    {
      id: 'kmem-log',
      title: 'Kernel log',
      body: m.log.length === 0 ? '' : preBlock('kmem-log', m.log.join('\n')),
    },
    { id: 'kmem-files', title: '/proc and /sys', body: renderFiles(m.files) },
  ];
}

/**
 * Render a report model as one self-contained HTML page.
 *
 * The page has inline CSS and SVG only, no external asset and no script but the JSON
 * island `<script type="application/json" id="kmem-data">` holding the model, thinned
 * beyond the limits of island.ts with a `truncated` note (read it
 * back with `JSON.parse(document.getElementById('kmem-data').textContent)`). Every string
 * of the model is escaped. The output depends on the model alone: the same model gives
 * the same bytes.
 *
 * Kernel: none (kmem's report).
 * Context: pure; O(size of the model), with per-picture caps (see each map's file) so a
 * chunk of 100k runs still gives a page of a few thousand shapes.
 *
 * @param model - the report's data, as the collectors built it.
 * @returns the HTML text of the page, starting with `<!DOCTYPE html>`.
 */
export function renderHtml(model: ReportModel): string {
  const island = islandModel(model);
  const present = parts(model).filter((p) => p.body !== '');
  const nav =
    present.length === 0
      ? ''
      : `<nav class="kmem-contents">${present.map((p) => `<a href="#${p.id}">${escapeHtml(p.title)}</a>`).join('')}</nav>\n`;
  const body = present.map((p) => section(p.id, p.title, p.body)).join('');
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<meta name="generator" content="kmem">\n<title>${escapeHtml(model.title)} — kmem report</title>\n` +
    `<style>${CSS}</style>\n</head>\n<body>\n` +
    header(model, nav) +
    truncationNote(island.truncated ?? []) +
    '<main>\n' +
    body +
    '</main>\n' +
    `<script type="application/json" id="kmem-data">${jsonIsland(island)}</script>\n` +
    '</body>\n</html>\n'
  );
}
