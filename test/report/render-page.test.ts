// SPDX-License-Identifier: GPL-2.0-only
/*
 * renderHtml() as a page: self-contained, escaped, deterministic, carrying its model as
 * JSON, leaving out empty sections, and bounded in shapes for a large model.
 *
 * Kernel: none (kmem's report).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml, type ReportModel } from '../../src/report/index.js';
import { escapeHtml, formatBytes, jsonIsland } from '../../src/report/render/html.js';
import {
  assignOwnerColours,
  OWNER_PALETTE_SIZE,
  ownerColour,
  reportOwnerColours,
} from '../../src/report/render/colours.js';
import { CHUNK_BAR_WIDTH } from '../../src/report/render/genpool-map.js';
import { livesToDraw, MAX_LIVES_DRAWN } from '../../src/report/render/replay-view.js';
import {
  islandModel,
  MAX_ISLAND_LIVES,
  MAX_ISLAND_RUNS,
  MAX_ISLAND_SAMPLES,
  thinIndexes,
} from '../../src/report/render/island.js';
import { MAX_FLUSH_MARKS } from '../../src/report/render/plots.js';
import { bigReportFixture, reportFixture } from '../helpers/report-fixture.js';
import { count, dataIsland, elements, svgBlocks } from './render-helpers.js';

const EMPTY: ReportModel = {
  title: 'empty',
  command: 'kmem replay t.json',
  seed: 1,
  machine: '',
  tables: [],
  genpools: [],
  dmapools: [],
  vmalloc: null,
  time: null,
  replay: [],
  log: [],
  files: [],
};

test('the page is one self-contained HTML document', () => {
  const html = renderHtml(reportFixture());
  assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  assert.ok(html.endsWith('</html>\n'));
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'no external asset');
  assert.doesNotMatch(html, /<link\b|@import|url\((?!#)/, 'no stylesheet or font to fetch');
  assert.equal(count(html, /<script\b/g), 1, 'only the JSON island is a script');
  assert.match(html, /<script type="application\/json" id="kmem-data">/);
});

test('the same model gives the same bytes', () => {
  assert.equal(renderHtml(reportFixture()), renderHtml(reportFixture()));
  const big = bigReportFixture(20_000, 2_000, 2_000);
  assert.equal(renderHtml(big), renderHtml(big));
});

test('the embedded JSON parses back equal to the model', () => {
  const model = reportFixture();
  assert.deepEqual(dataIsland(renderHtml(model)), model);
});

test('a title with <script> and an owner with markup stay text', () => {
  const base = reportFixture();
  const evil = '<script>alert("x")</script> & \'q\'';
  const pool = base.genpools[0]!;
  const c0 = pool.chunks[0]!;
  const model: ReportModel = {
    ...base,
    title: evil,
    command: `kmem run "${evil}"`,
    genpools: [
      {
        ...pool,
        name: evil,
        chunks: [{ ...c0, runs: [{ ...c0.runs[0]!, owner: evil }, ...c0.runs.slice(1)] }],
      },
    ],
    log: [evil],
    files: [{ path: `/proc/${evil}`, text: evil }],
    tables: [{ title: evil, header: [evil], rows: [[evil]] }],
  };
  const html = renderHtml(model);
  assert.equal(count(html, /<script\b/g), 1, 'no script element came from the model');
  assert.ok(!html.includes('<script>alert'), 'the raw markup is nowhere');
  assert.ok(html.includes(escapeHtml(evil)), 'the text is shown, escaped');
  assert.ok(html.includes(`data-owner="${escapeHtml(evil)}"`));
  assert.ok(jsonIsland(model).includes('\\u003cscript>'));
  assert.deepEqual(dataIsland(html), model, 'the island still parses back');
});

test('a model with no data renders a page with no data section', () => {
  const html = renderHtml(EMPTY);
  for (const id of [
    'summary',
    'genpools',
    'dmapools',
    'vmalloc',
    'time',
    'replay',
    'log',
    'files',
  ]) {
    assert.ok(!html.includes(`id="kmem-${id}"`), `section kmem-${id} is left out`);
  }
  assert.ok(!html.includes('<svg'));
  assert.ok(!html.includes('<dt>machine</dt>'), 'an empty machine is left out');
  assert.deepEqual(dataIsland(html), EMPTY);
});

test('each section of the fixture is present and named in the contents', () => {
  const html = renderHtml(reportFixture());
  for (const id of [
    'summary',
    'genpools',
    'dmapools',
    'vmalloc',
    'time',
    'replay',
    'log',
    'files',
  ]) {
    assert.ok(html.includes(`<section id="kmem-${id}"`), `section kmem-${id}`);
    assert.ok(html.includes(`<a href="#kmem-${id}">`), `contents entry kmem-${id}`);
  }
  assert.match(html, /<dt>seed<\/dt><dd>7<\/dd>/);
  assert.match(html, /<dt>machine<\/dt><dd>4 GiB, 1 node, 4 CPUs<\/dd>/);
  assert.match(html, /<caption>genpools<\/caption>/);
  assert.match(html, /<pre class="kmem-log">\[    0\.000000\] kmem: simulated machine/);
  assert.match(html, /<summary>\/proc\/vmallocinfo<\/summary>/);
});

test('only the empty sections are left out', () => {
  const model: ReportModel = { ...reportFixture(), dmapools: [], time: null, log: [] };
  const html = renderHtml(model);
  assert.ok(!html.includes('id="kmem-dmapools"'));
  assert.ok(!html.includes('id="kmem-time"'));
  assert.ok(!html.includes('id="kmem-log"'));
  assert.ok(html.includes('id="kmem-genpools"'));
  assert.ok(html.includes('id="kmem-replay"'));
  const noSeries: ReportModel = { ...model, time: { steps: [0], series: [], flushes: [] } };
  assert.ok(!renderHtml(noSeries).includes('id="kmem-time"'), 'a time model with nothing to plot');
});

test('a large model stays within a bounded number of shapes', () => {
  const model = bigReportFixture(100_000, 20_000, 20_000);
  const html = renderHtml(model);
  const [chunkMap] = svgBlocks(html, 'kmem-chunk-map');
  assert.ok(chunkMap !== undefined);
  const chunkShapes = count(chunkMap, /<rect\b/g);
  assert.ok(chunkShapes <= CHUNK_BAR_WIDTH + 10, `chunk of 100k runs drew ${chunkShapes} rects`);
  assert.ok(
    count(chunkMap, /class="kmem-merged"/g) > 100,
    'sub-pixel runs are merged, not dropped',
  );
  const [vm] = svgBlocks(html, 'kmem-vmalloc-map');
  assert.ok(count(vm!, /<rect\b/g) <= 2 * 4000 + 50, 'vmalloc map of 20k areas is bounded');
  const [panel] = svgBlocks(html, 'kmem-replay-panel');
  assert.equal(count(panel!, /class="kmem-life"/g), MAX_LIVES_DRAWN);
  assert.match(panel!, new RegExp(`drawing the ${MAX_LIVES_DRAWN} largest`), 'the cap is said');
  const flush = svgBlocks(html, 'kmem-plot kmem-flush-timeline')[0]!;
  assert.ok(count(flush, /class="kmem-flush"/g) <= MAX_FLUSH_MARKS);
  const plot = svgBlocks(html, 'kmem-plot')[0]!;
  const points = /<polyline points="([^"]*)"/.exec(plot)![1]!.split(' ').length;
  assert.ok(points <= 2 * 1100, `a 100k-sample series drew ${points} points`);
  const shapes = count(html, /<(rect|circle|polyline|path|line)\b/g);
  assert.ok(shapes < 30_000, `the whole page has ${shapes} shapes`);
});

test('a huge model: the island is thinned within its limits and the page says so', () => {
  const model = bigReportFixture(100_000, 2_000, 200_000);
  const full = JSON.stringify(model).length;
  const html = renderHtml(model);
  const island = dataIsland(html) as ReportModel & { truncated?: string[] };
  assert.equal(island.replay[0]!.lives.length, MAX_ISLAND_LIVES);
  const drawn = livesToDraw(model.replay[0]!).map((i) => model.replay[0]!.lives[i]);
  assert.deepEqual(island.replay[0]!.lives, drawn, 'the island keeps the lives drawn');
  const t = island.time!;
  assert.ok(t.steps.length <= MAX_ISLAND_SAMPLES, `${t.steps.length} samples`);
  assert.equal(t.steps[t.steps.length - 1], model.time!.steps[model.time!.steps.length - 1]);
  for (const s of t.series) assert.equal(s.values.length, t.steps.length);
  assert.equal(island.genpools[0]!.chunks[0]!.runs.length, MAX_ISLAND_RUNS);
  assert.equal(island.truncated!.length, 3, island.truncated!.join('\n'));
  assert.match(island.truncated![0]!, /^replay\[0\] \(first-fit\/5\)\.lives: 4000 of 200000 kept/);
  assert.match(html, /<div class="kmem-note" id="kmem-truncated">/);
  assert.match(html, /time\.steps and every series: \d+ of 100000 samples kept/);
  assert.ok(html.length < full / 4, `page ${html.length} bytes, model ${full}`);
  assert.deepEqual(islandModel(reportFixture()), reportFixture(), 'a small model is not touched');
  assert.doesNotMatch(renderHtml(reportFixture()), /kmem-truncated/);
});

test('thinIndexes keeps at most max indexes, evenly, the last included', () => {
  assert.deepEqual(thinIndexes(5, 10), [0, 1, 2, 3, 4]);
  assert.deepEqual(thinIndexes(10, 4), [0, 4, 8, 9]);
  const k = thinIndexes(100_001, 2000);
  assert.ok(k.length <= 2000);
  assert.equal(k[k.length - 1], 100_000);
});

test('owner colours are stable per name and distinct within a report', () => {
  const model = reportFixture();
  const colours = reportOwnerColours(model);
  const names = ['dsp', 'codec', 'dma-engine', 'render', 'compute', ''];
  assert.equal(new Set(names.map(colours)).size, names.length);
  const many = Array.from({ length: OWNER_PALETTE_SIZE }, (_, i) => `owner${i}`);
  const all = assignOwnerColours(many);
  assert.equal(new Set(many.map(all)).size, OWNER_PALETTE_SIZE, 'one colour per owner');
  assert.equal(assignOwnerColours([...many].reverse())('owner7'), all('owner7'), 'order-free');
  assert.equal(ownerColour('dsp'), ownerColour('dsp'));
  const html = renderHtml(model);
  const fills = (cls: string): string[] =>
    elements(html, 'rect', cls)
      .filter((e) => e.attrs['data-owner'] === 'dsp')
      .map((e) => e.attrs['fill']!);
  const dsp = [...fills('kmem-run'), ...fills('kmem-life')];
  assert.ok(dsp.length > 5);
  assert.deepEqual(new Set(dsp), new Set([colours('dsp')]), 'dsp has one colour everywhere');
  assert.equal(formatBytes(32 * 2 ** 40), '32 TiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
});
