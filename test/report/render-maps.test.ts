// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report's pictures drawn from the fixture model: every run, page, area, sample,
 * flush and life is where its numbers say, with the ids, classes and data attributes the
 * browser test and users rely on.
 *
 * Kernel: none (kmem's report).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml, type ReportModel } from '../../src/report/index.js';
import { kindColour, POOLED_COLOUR, reportOwnerColours } from '../../src/report/render/colours.js';
import { CHUNK_BAR_WIDTH, renderChunkMap } from '../../src/report/render/genpool-map.js';
import { MAX_DMA_PAGES_DRAWN, renderDmapoolMap } from '../../src/report/render/dmapool-map.js';
import {
  axisX,
  buildVmAxis,
  MAX_MAP_WIDTH,
  MIN_AREA_PX,
} from '../../src/report/render/vmalloc-map.js';
import { PANEL_W } from '../../src/report/render/replay-view.js';
import { escapeHtml } from '../../src/report/render/html.js';
import { chunk, reportFixture } from '../helpers/report-fixture.js';
import { count, elements, numAttr, svgBlocks } from './render-helpers.js';

const TiB = 2 ** 40;
const near = (a: number, b: number, why: string): void =>
  assert.ok(Math.abs(a - b) <= 0.01, `${why}: ${a} != ${b}`);

test('each genpool chunk is one svg.kmem-chunk-map, in pool and chunk order', () => {
  const model = reportFixture();
  const maps = svgBlocks(renderHtml(model), 'kmem-chunk-map');
  assert.equal(maps.length, 3);
  const attrs = maps.map((m) => /data-pool="(\d+)" data-chunk="(\d+)"/.exec(m)!.slice(1).join('/'));
  assert.deepEqual(attrs, ['0/0', '0/1', '1/0']);
});

test('each run is drawn with x and width proportional to its offset and size', () => {
  const model = reportFixture();
  const colours = reportOwnerColours(model);
  for (const pool of model.genpools) {
    pool.chunks.forEach((c, i) => {
      const svg = renderChunkMap(c, 0, i, colours);
      const rects = elements(svg, 'rect', 'kmem-run');
      assert.equal(rects.length, c.runs.length, 'every run of the fixture is wider than a pixel');
      const scale = CHUNK_BAR_WIDTH / c.size;
      const x0 = numAttr(elements(svg, 'rect', 'kmem-chunk-bg')[0]!, 'x');
      c.runs.forEach((r, k) => {
        const e = rects[k]!;
        assert.equal(numAttr(e, 'data-offset'), r.offset);
        assert.equal(numAttr(e, 'data-size'), r.size);
        assert.equal(e.attrs['data-owner'], escapeHtml(r.owner));
        assert.equal(e.attrs['fill'], colours(r.owner));
        near(numAttr(e, 'x'), x0 + r.offset * scale, `x of run ${k}`);
        near(numAttr(e, 'width'), r.size * scale, `width of run ${k}`);
      });
      const free = elements(svg, 'rect', 'kmem-free');
      const freeBytes = free.reduce((n, e) => n + numAttr(e, 'data-size'), 0);
      assert.equal(freeBytes, c.avail, 'the free rects add up to avail');
    });
  }
});

test('a run shows its address range and owner on hover', () => {
  const model = reportFixture();
  const c = model.genpools[0]!.chunks[0]!;
  const svg = renderChunkMap(c, 0, 0, reportOwnerColours(model));
  assert.match(svg, /<title>dsp: 0x5c008000–0x5c008fff, offset 0x0, 4 KiB<\/title>/);
  assert.match(svg, /<title>free: 0x5c009800–0x5c009fff, offset 0x1800, 2 KiB<\/title>/);
});

test('the largest free run is marked with its offset and size', () => {
  const model = reportFixture();
  for (const pool of model.genpools) {
    pool.chunks.forEach((c, i) => {
      const svg = renderChunkMap(c, 0, i, reportOwnerColours(model));
      const marks = elements(svg, 'rect', 'kmem-largest-free');
      assert.equal(marks.length, 1);
      assert.equal(numAttr(marks[0]!, 'data-offset'), c.largestFree.offset);
      assert.equal(numAttr(marks[0]!, 'data-size'), c.largestFree.size);
      const x0 = numAttr(elements(svg, 'rect', 'kmem-chunk-bg')[0]!, 'x');
      near(
        numAttr(marks[0]!, 'x'),
        x0 + (c.largestFree.offset * CHUNK_BAR_WIDTH) / c.size,
        'mark x',
      );
    });
  }
  const full = chunk(0x1000, -1, 4096, [{ offset: 0, size: 4096, owner: 'a' }]);
  const svg = renderChunkMap(full, 0, 0, reportOwnerColours(model));
  assert.equal(elements(svg, 'rect', 'kmem-largest-free').length, 0);
  assert.match(svg, /full: no free run/);
});

test('the genpool legend names every owner once', () => {
  const html = renderHtml(reportFixture());
  for (const owner of ['dsp', 'codec', 'dma-engine', '(unknown owner)', 'render', 'compute']) {
    assert.ok(html.includes(`</span>${owner}</li>`), `legend entry ${owner}`);
  }
});

test('a dmapool map has a row per page with its blocks in use as runs', () => {
  const pool = reportFixture().dmapools[0]!;
  const svg = renderDmapoolMap(pool, 0);
  const pages = elements(svg, 'g', 'kmem-dma-page');
  assert.deepEqual(
    pages.map((p) => [
      numAttr(p, 'data-vaddr'),
      numAttr(p, 'data-in-use'),
      numAttr(p, 'data-blocks'),
    ]),
    pool.pages.map((p) => [p.vaddr, p.inUse.length, p.blocks]),
  );
  const used = elements(svg, 'rect', 'kmem-dma-used');
  const runs = used.map((e) => [numAttr(e, 'data-first'), numAttr(e, 'data-count')]);
  assert.deepEqual(runs, [
    [0, 3],
    [5, 4],
    [20, 1],
    [41, 1],
    [0, 42],
  ]);
  const bg = elements(svg, 'rect', 'kmem-dma-bg')[0]!;
  near(numAttr(used[1]!, 'x'), numAttr(bg, 'x') + (5 * numAttr(bg, 'width')) / 42, 'x of block 5');
  near(numAttr(used[4]!, 'width'), numAttr(bg, 'width'), 'a full page is a full row');
});

test('a dmapool with many pages draws the first ones and says how many are left', () => {
  const base = reportFixture().dmapools[0]!;
  const pages = Array.from({ length: 100 }, (_, i) => ({
    ...base.pages[0]!,
    vaddr: 0x888002000000 + i * 4096,
  }));
  const svg = renderDmapoolMap({ ...base, pages }, 0);
  assert.equal(count(svg, /class="kmem-dma-page"/g), MAX_DMA_PAGES_DRAWN);
  assert.match(
    svg,
    new RegExp(`${100 - MAX_DMA_PAGES_DRAWN} more pages not drawn \\(100 in all\\)`),
  );
});

test('the vmalloc map draws every area by kind, guard pages, lazy and pooled areas, blocks', () => {
  const model = reportFixture();
  const vm = model.vmalloc!;
  const [svg] = svgBlocks(renderHtml(model), 'kmem-vmalloc-map');
  assert.ok(svg !== undefined);
  const areas = elements(svg, 'rect', 'kmem-vm-area');
  assert.deepEqual(
    areas.map((e) => [numAttr(e, 'data-start'), e.attrs['data-kind']]),
    vm.areas.map((a) => [a.start, a.kind]),
  );
  for (const e of areas)
    assert.equal(e.attrs['fill'], kindColour(e.attrs['data-kind'] as 'vmalloc'));
  assert.equal(
    elements(svg, 'rect', 'kmem-vm-guard').length,
    vm.areas.filter((a) => a.guard).length,
  );
  assert.deepEqual(
    elements(svg, 'rect', 'kmem-vm-lazy').map((e) => numAttr(e, 'data-start')),
    vm.lazy.map((l) => l.start),
  );
  const pooled = elements(svg, 'rect', 'kmem-vm-pooled');
  assert.deepEqual(
    pooled.map((e) => [numAttr(e, 'data-start'), numAttr(e, 'data-size')]),
    vm.pooled!.map((p) => [p.start, p.size]),
  );
  for (const e of pooled) assert.equal(e.attrs['fill'], POOLED_COLOUR);
  const html = renderHtml(model);
  assert.match(html, /pooled for reuse \(vmap node pools\)/, 'the legend names them');
  assert.match(html, /2 pooled for reuse in the vmap nodes \(28 KiB\)/);
  const block = elements(svg, 'rect', 'kmem-vmap-block');
  assert.equal(block.length, 1);
  assert.equal(numAttr(block[0]!, 'data-dirty-min'), 4);
  assert.equal(elements(svg, 'rect', 'kmem-vmap-dirty').length, 1);
});

test('the vmalloc axis is compressed: increasing, min widths, long gaps as breaks', () => {
  const vm = reportFixture().vmalloc!;
  const axis = buildVmAxis(vm);
  assert.ok(axis.width <= MAX_MAP_WIDTH && axis.width >= 900, `width ${axis.width}`);
  let last = -1;
  for (const a of vm.areas) {
    const x0 = axisX(axis, a.start);
    const x1 = axisX(axis, a.start + a.size);
    assert.ok(x0 >= last, 'areas stay in address order');
    assert.ok(x1 - x0 >= MIN_AREA_PX - 1e-9, `area ${a.kind} is at least ${MIN_AREA_PX} px wide`);
    last = x1;
  }
  const breaks = axis.pieces.filter((p) => p.brk);
  assert.ok(
    breaks.some((p) => p.a1 - p.a0 > 30 * TiB),
    'the gap before the percpu area is a break',
  );
  assert.ok(breaks.every((p) => p.x1 - p.x0 <= 30.01));
  const [svg] = svgBlocks(renderHtml(reportFixture()), 'kmem-vmalloc-map');
  assert.match(svg!, /class="kmem-vm-break"[^>]*data-size="\d+"/);
  assert.match(svg!, /≈32.0 TiB/, 'a gap just under 32 TiB: one decimal, not exact');
});

test('an empty vmalloc space says none instead of drawing', () => {
  const model: ReportModel = {
    ...reportFixture(),
    vmalloc: {
      start: 0,
      end: 4096,
      areas: [],
      lazy: [],
      blocks: [],
      free: [{ start: 0, size: 4096 }],
    },
  };
  const html = renderHtml(model);
  assert.equal(svgBlocks(html, 'kmem-vmalloc-map').length, 0);
  assert.match(html, /no areas: none/);
});

test('series are grouped into one plot per group, each sample at its step', () => {
  const model = reportFixture();
  const plots = svgBlocks(renderHtml(model), 'kmem-plot');
  assert.deepEqual(
    plots.map((p) => /data-group="([^"]*)"/.exec(p)![1]),
    ['sram', 'gpu-heap', 'failures', 'vmalloc lazy'],
  );
  const sram = plots[0]!;
  assert.equal(count(sram, /class="kmem-series"/g), 2);
  const pts = /<polyline points="([^"]*)"/
    .exec(sram)![1]!
    .split(' ')
    .map((p) => p.split(',').map(Number));
  assert.equal(pts.length, 41);
  const xs = pts.map((p) => p[0]!);
  const dx = xs[1]! - xs[0]!;
  xs.forEach((x, i) => near(x, xs[0]! + i * dx, `x of sample ${i}`));
  assert.match(sram, /<title>free sram at step 0: 64 KiB<\/title>/);
});

test('TLB flushes are marks on a timeline with their range on hover', () => {
  const model = reportFixture();
  const [tl] = svgBlocks(renderHtml(model), 'kmem-plot kmem-flush-timeline');
  assert.ok(tl !== undefined);
  const marks = elements(tl, 'rect', 'kmem-flush');
  assert.deepEqual(
    marks.map((m) => numAttr(m, 'data-step')),
    model.time!.flushes.map((f) => f.step),
  );
  assert.match(
    tl,
    /<title>step 22: TLB flush 0xffffc90000300000–0xffffc90000400000 \(1 MiB\)<\/title>/,
  );
  const h = marks.map((m) => numAttr(m, 'height'));
  assert.ok(h[4]! > h[0]!, 'a larger range makes a taller mark');
});

test('the replay panels stand side by side with fragmentation, peak and failures', () => {
  const model = reportFixture();
  const colours = reportOwnerColours(model);
  const html = renderHtml(model);
  const panels = svgBlocks(html, 'kmem-replay-panel');
  assert.equal(panels.length, 2);
  assert.match(html, /<div class="kmem-panels">/);
  model.replay.forEach((p, i) => {
    const svg = panels[i]!;
    assert.match(svg, new RegExp(`data-algo="${p.algo}"`));
    const frag = p.pools[0]!.fragmentation;
    assert.match(svg, new RegExp(`fragmentation ${(frag * 100).toFixed(1)}%`));
    assert.equal(count(svg, /class="kmem-life"/g), p.lives.length);
    const ticks = elements(svg, 'g', 'kmem-replay-failure');
    assert.equal(
      ticks.reduce((n, t) => n + numAttr(t, 'data-count'), 0),
      p.failures.length,
    );
    const bg = elements(svg, 'rect', 'kmem-replay-bg')[0]!;
    const lives = elements(svg, 'rect', 'kmem-life');
    p.lives.forEach((l, k) => {
      const e = lives[k]!;
      const x = numAttr(bg, 'x') + (l.from / p.steps) * numAttr(bg, 'width');
      const y = numAttr(bg, 'y') + (l.offset / p.span) * numAttr(bg, 'height');
      near(numAttr(e, 'x'), x, `life ${k} x`);
      near(numAttr(e, 'y'), y, `life ${k} y`);
      const end = l.to < 0 ? p.steps : l.to;
      near(
        numAttr(e, 'width'),
        ((end - l.from) / p.steps) * numAttr(bg, 'width'),
        `life ${k} width`,
      );
      assert.equal(e.attrs['fill'], colours(l.owner));
    });
    assert.ok(numAttr(bg, 'width') < PANEL_W);
  });
});
