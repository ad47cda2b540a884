// SPDX-License-Identifier: GPL-2.0-only
/*
 * Golden tests of the report's data: for a fixed scenario and seed, the ReportModel must be
 * the one recorded in test/golden/. A change of placement, accounting or collection shows up
 * here as a diff of named numbers, not as a silently different picture.
 *
 * Kernel: none (kmem's report); the numbers come from the allocators.
 *
 * Two goldens: the small mix of test/cli/scenario-fixtures.ts, whole (every run, page, area,
 * sample and log line), and the built-in scenario (`kmem` with no arguments), as its summary
 * tables, its per-pool end state and a SHA-256 of its whole model.
 *
 * A golden is never taken on trust: before comparing, the recorded model itself is checked
 * against the rules the spec gives (genpool avail + allocated == size, runs disjoint and
 * inside their chunk, the largest free run really the largest gap; a dmapool's blocks in use
 * within its pages; vmalloc areas, lazy areas, pooled areas and free extents tiling the
 * range exactly). To record new goldens after an intended change: KMEM_UPDATE_GOLDEN=1 npm test,
 * then read the diff.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultScenarioPath, loadScenario, parseScenario } from '../../src/cli/scenario/load.js';
import { runScenario } from '../../src/cli/scenario/run-scenario.js';
import type { GenpoolModel, ReportModel, VmallocModel } from '../../src/report/model.js';
import { smallMix } from '../cli/scenario-fixtures.js';

/** dist/test/report/golden.test.js → test/golden/ in the source tree. */
const GOLDEN_DIR = fileURLToPath(new URL('../../../test/golden/', import.meta.url));
const UPDATE = process.env['KMEM_UPDATE_GOLDEN'] === '1';

function goldenPath(name: string): string {
  return `${GOLDEN_DIR}${name}`;
}

/** Compare `actual` (JSON-able) with the golden file `name`, or record it in update mode. */
function checkGolden(name: string, actual: unknown): void {
  const path = goldenPath(name);
  const text = `${JSON.stringify(actual, null, 1)}\n`;
  if (UPDATE) {
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `no golden ${path}: record it with KMEM_UPDATE_GOLDEN=1`);
  assert.deepEqual(
    actual,
    JSON.parse(readFileSync(path, 'utf8')),
    `report data differs from ${name}`,
  );
}

/** The spec's rules on one genpool's end state (see the file header). */
function checkGenpool(p: GenpoolModel): void {
  const granule = 2 ** p.order;
  for (const c of p.chunks) {
    let end = 0;
    let used = 0;
    let largest = 0;
    for (const r of c.runs) {
      assert.ok(r.offset >= end, `${p.name}: runs overlap at +${r.offset}`);
      assert.equal(r.offset % granule, 0, `${p.name}: run at +${r.offset} not on a granule`);
      largest = Math.max(largest, r.offset - end);
      end = r.offset + r.size;
      used += Math.ceil(r.size / granule) * granule;
    }
    assert.ok(end <= c.size, `${p.name}: a run passes the chunk's end`);
    const tail = Math.floor(c.size / granule) * granule - end;
    largest = Math.max(largest, tail);
    assert.equal(c.avail + used, Math.floor(c.size / granule) * granule, `${p.name}: avail`);
    assert.equal(c.largestFree.size, largest, `${p.name}: largest free run`);
  }
}

/** Busy, lazy and pooled areas and free extents tile [start, end) exactly. */
function checkVmalloc(v: VmallocModel): void {
  const spans = [...v.areas, ...v.lazy, ...(v.pooled ?? []), ...v.free]
    .map((a) => [a.start, a.start + a.size] as const)
    .sort((a, b) => a[0] - b[0]);
  let end = v.start;
  for (const [s, e] of spans) {
    assert.ok(s >= end, `vmalloc: spans overlap at ${s.toString(16)}`);
    assert.equal(s, end, `vmalloc: nothing covers ${end.toString(16)}-${s.toString(16)}`);
    end = e;
  }
  assert.equal(end, v.end, 'vmalloc: the spans end where the range ends');
}

/** The checks of the file header on a whole model. */
function checkModel(m: ReportModel): void {
  m.genpools.forEach(checkGenpool);
  for (const d of m.dmapools) {
    for (const page of d.pages) {
      for (const i of page.inUse) assert.ok(i >= 0 && i < page.blocks, `${d.name}: block ${i}`);
    }
  }
  if (m.vmalloc !== null) checkVmalloc(m.vmalloc);
  const steps = m.time?.steps.length ?? 0;
  for (const s of m.time?.series ?? []) assert.equal(s.values.length, steps, s.name);
}

/** A JSON round trip: what the report's island holds. */
function plain(m: ReportModel): ReportModel {
  return JSON.parse(JSON.stringify(m)) as ReportModel;
}

test('golden: the small mix scenario (seed 7) gives the recorded report data, whole', () => {
  const s = parseScenario(smallMix(7), 'small-mix.json', process.cwd());
  const model = plain(runScenario(s, { command: 'kmem run small-mix.json' }).model);
  checkModel(model);
  checkGolden('small-mix.model.json', model);
  if (!UPDATE) checkModel(JSON.parse(readFileSync(goldenPath('small-mix.model.json'), 'utf8')));
});

test('golden: the built-in scenario on its seed gives the recorded tables, pools and model hash', () => {
  const s = loadScenario(defaultScenarioPath(), process.cwd());
  const model = plain(runScenario(s, { command: 'kmem' }).model);
  checkModel(model);
  const digest = {
    seed: model.seed,
    tables: model.tables,
    genpools: model.genpools.map((p) => ({
      name: p.name,
      failures: p.failures,
      chunks: p.chunks.map((c) => ({
        size: c.size,
        avail: c.avail,
        runs: c.runs.length,
        largestFree: c.largestFree,
      })),
    })),
    dmapools: model.dmapools.map((d) => ({
      name: d.name,
      pages: d.pages.length,
      inUse: d.pages.reduce((n, p) => n + p.inUse.length, 0),
      failures: d.failures,
    })),
    vmalloc: {
      areas: model.vmalloc?.areas.length,
      lazy: model.vmalloc?.lazy.length,
      blocks: model.vmalloc?.blocks.length,
      flushes: model.time?.flushes.length,
    },
    logLines: model.log.length,
    sha256: createHash('sha256').update(JSON.stringify(model)).digest('hex'),
  };
  checkGolden('default.digest.json', digest);
});
