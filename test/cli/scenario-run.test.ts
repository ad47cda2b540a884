// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running scenarios in-process (src/cli/scenario/{setup,engine,workload,run-scenario,
 * summary}.ts): a script does exactly what it says; a mix is deterministic for a seed and
 * changes with it; the summary agrees with the model and with the kernel API's own
 * accounting (gen_pool_avail, gen_pool_size, nr_active, vmalloc_nr_pages,
 * /proc/vmallocinfo) — on the built-in scenario too.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultScenarioPath, loadScenario, parseScenario } from '../../src/cli/scenario/load.js';
import {
  effectiveSampleEvery,
  MAX_TIME_SAMPLES,
  runScenario,
  type RunResult,
} from '../../src/cli/scenario/run-scenario.js';
import type { LiveDmapool, LiveGenpool } from '../../src/cli/scenario/setup.js';
import { smallMix, smallScript } from './scenario-fixtures.js';

function run(text: string, seed?: number): RunResult {
  const s = parseScenario(text, 'small.json', '/tmp');
  return runScenario(s, { command: 'test', ...(seed === undefined ? {} : { seed }) });
}

const SCRIPT = [
  { op: 'alloc', pool: 'sram', size: 100, id: 'a' },
  { op: 'alloc', pool: 'sram', size: 64, id: 'b', owner: 'isp' },
  { op: 'free', id: 'a' },
  { op: 'alloc', pool: 'sram', size: 32, id: 'c' },
  { op: 'alloc', pool: 'fast', size: 20000, id: 'big' },
  { op: 'free', id: 'big' },
  { op: 'alloc', pool: 'desc', id: 'd1' },
  { op: 'alloc', pool: 'desc', id: 'd2', zero: true },
  { op: 'vmalloc', pool: 'fw', size: '64K', id: 'v' },
  { op: 'vm_map_ram', pool: 'sg', pages: 4, id: 'm', cpu: 1 },
  { op: 'vm_unmap_ram', id: 'm', cpu: 1 },
  { op: 'vfree', id: 'v' },
  { op: 'purge' },
  { op: 'fail', site: 'vmap_area' },
  { op: 'vmalloc', pool: 'fw', size: '8K', id: 'v2' },
  { op: 'alloc', pool: 'fast', size: 4096, offset: 8192, id: 'fixed' },
];

test('a script does exactly what it says, step by step', () => {
  const r = run(smallScript(SCRIPT));
  const e = r.engine;
  const k = r.world.k;
  assert.equal(e.step, SCRIPT.length);
  const sram = r.world.pools.get('sram') as LiveGenpool;
  const first = sram.pool.chunks[0]!.startAddr; // the kernel searches the newest chunk first
  const live = [...e.live.get('sram')!.values()].sort((x, y) => x.addr - y.addr);
  assert.deepEqual(
    live.map((a) => [a.addr - first, a.size, a.owner]),
    [
      [0, 32, 'c'], // first fit reuses the hole 'a' left
      [128, 64, 'isp'], // 'a' took 100 bytes = 4 granules of 32
    ],
  );
  assert.deepEqual(e.counts.get('sram'), { allocs: 3, frees: 1, failures: 0 });
  assert.deepEqual(e.counts.get('fast'), { allocs: 1, frees: 0, failures: 1 });
  assert.deepEqual(e.counts.get('fw'), { allocs: 1, frees: 1, failures: 1 });
  assert.deepEqual(e.counts.get('sg'), { allocs: 1, frees: 1, failures: 0 });
  const fast = r.world.pools.get('fast') as LiveGenpool;
  assert.equal([...e.live.get('fast')!.values()][0]!.addr, fast.pool.chunks[0]!.startAddr + 8192);
  const desc = r.world.pools.get('desc') as LiveDmapool;
  assert.equal(desc.pool.nr_active, 2);
  // the only TLB flush is the purge's (vfree and vm_unmap_ram are lazy), at its step
  assert.deepEqual(
    e.flushes.map((f) => f.step),
    [SCRIPT.findIndex((o) => o.op === 'purge') + 1],
  );
  assert.equal(r.summary.vmalloc.lazyPages, 0);
  assert.equal(k.vmalloc_nr_pages(), 0);
  // the model's runs carry the owners, in offset order
  const chunk = r.model.genpools.find((g) => g.name === 'sram')!.chunks[0]!;
  assert.deepEqual(chunk.runs, [
    { offset: 0, size: 32, owner: 'c' },
    { offset: 128, size: 64, owner: 'isp' },
  ]);
  assert.deepEqual(chunk.largestFree, { offset: 192, size: chunk.size - 192 });
  const pools = r.model.files.find((f) => f.path === '/sys/devices/fe200000.ethernet/pools')!;
  assert.match(pools.text, /^poolinfo - 0\.1\ndesc +2 +64 +64 +1\n$/);
  assert.ok(r.model.log.includes('FAULT_INJECTION: forcing a failure.'));
});

test('a mix with drain frees everything it allocated', () => {
  const text = JSON.parse(smallMix()) as { workload: { mix: { drain?: boolean } } };
  text.workload.mix.drain = true;
  const r = run(JSON.stringify(text));
  for (const [id, live] of r.engine.live) assert.equal(live.size, 0, id);
  for (const g of r.world.pools.values()) {
    if (g.kind === 'genpool')
      assert.equal(r.world.k.gen_pool_avail(g.pool), r.world.k.gen_pool_size(g.pool));
    if (g.kind === 'dmapool') assert.equal(g.pool.nr_active, 0);
  }
  assert.equal(r.world.k.vmalloc_nr_pages(), 0);
});

test('a mix is deterministic for a seed, and --seed changes it', () => {
  const a = run(smallMix());
  const b = run(smallMix());
  assert.deepEqual(a.model, b.model);
  assert.deepEqual(a.summary, b.summary);
  assert.equal(JSON.stringify(a.model), JSON.stringify(b.model));
  const c = run(smallMix(), 99);
  assert.equal(c.seed, 99);
  assert.equal(c.model.seed, 99);
  assert.notDeepEqual(c.model.genpools, a.model.genpools);
  assert.deepEqual(
    run(smallMix(99)).model.genpools,
    c.model.genpools,
    'the seed field and --seed agree',
  );
});

/** Check a run's summary against its model and the kernel's own accounting. */
function checkAgreement(r: RunResult): void {
  const k = r.world.k;
  const { model, summary, engine } = r;
  for (const g of summary.genpools) {
    const live = r.world.pools.get(g.id) as LiveGenpool;
    const gm = model.genpools.find((x) => x.name === g.id)!;
    assert.equal(g.size, k.gen_pool_size(live.pool), g.id);
    assert.equal(g.free, k.gen_pool_avail(live.pool), g.id);
    assert.equal(g.used, g.size - g.free);
    assert.equal(g.failures, gm.failures);
    for (const c of gm.chunks) {
      assert.equal(
        c.runs.reduce((s, x) => s + x.size, 0),
        c.size - c.avail,
        'runs cover what avail says is used',
      );
      for (let i = 1; i < c.runs.length; i++)
        assert.ok(c.runs[i]!.offset >= c.runs[i - 1]!.offset + c.runs[i - 1]!.size);
      assert.ok(
        c.runs.every((x) => x.owner !== ''),
        'every run has the owner the engine tracked',
      );
      assert.ok(c.largestFree.size <= c.avail);
    }
    assert.equal(g.live, engine.live.get(g.id)!.size);
    assert.equal(g.allocs - g.frees, g.live);
  }
  for (const d of summary.dmapools) {
    const live = r.world.pools.get(d.id) as LiveDmapool;
    assert.equal(d.active, live.pool.nr_active, d.id);
    assert.equal(d.blocks, live.pool.nr_blocks, d.id);
    assert.equal(d.pages, live.pool.nr_pages, d.id);
    assert.equal(d.active, engine.live.get(d.id)!.size, d.id);
  }
  assert.equal(summary.vmalloc.vmallocPages, k.vmalloc_nr_pages());
  const info = model.files.find((f) => f.path === '/proc/vmallocinfo')!.text;
  assert.equal(info, r.world.m.readFile('/proc/vmallocinfo'));
  const lines = info.split('\n').filter((l) => l !== '');
  assert.equal(
    lines.filter((l) => l.endsWith('unpurged vm_area')).length,
    model.vmalloc!.lazy.length,
  );
  assert.equal(
    lines.filter((l) => !l.endsWith('unpurged vm_area')).length,
    model.vmalloc!.areas.filter((a) => a.kind !== 'other').length,
  );
  for (const u of summary.vmalloc.users) assert.equal(u.live, engine.live.get(u.id)!.size);
  assert.equal(summary.tlb.flushes, engine.flushes.length);
  const sub = (n: string) => summary.subsystems.find((x) => x.name === n)!;
  assert.equal(
    sub('genpool').failures,
    summary.genpools.reduce((s, g) => s + g.failures, 0),
  );
  assert.equal(
    sub('dmapool').used,
    summary.dmapools.reduce((s, d) => s + d.used, 0),
  );
  assert.equal(sub('vmalloc').tlbFlushes, engine.flushes.length);
  const t = model.time!;
  for (const s of t.series) assert.equal(s.values.length, t.steps.length, s.name);
  assert.equal(t.steps[0], 0);
  assert.equal(t.steps[t.steps.length - 1], engine.step);
  for (let i = 1; i < t.flushes.length; i++)
    assert.ok(t.flushes[i]!.step >= t.flushes[i - 1]!.step);
  assert.ok(t.flushes.every((f) => f.step >= 1 && f.step <= engine.step));
  assert.deepEqual(model.tables.map((x) => x.title).slice(-2), ['vmalloc space', 'subsystems']);
}

/**
 * Recompute the summary's derived numbers from the model alone, without summary.ts: a
 * genpool's largest free run and fragmentation from its runs, a dmapool's free blocks,
 * used bytes, use and page waste from its pages, the vmalloc row from its areas, lazy and
 * pooled areas and free extents — and one definition of use (used / size) in every row.
 */
function checkIndependent(r: RunResult): void {
  const { model, summary } = r;
  model.genpools.forEach((gm, i) => {
    const g = summary.genpools[i]!;
    const granule = 2 ** gm.order;
    let largest = 0;
    let free = 0;
    for (const c of gm.chunks) {
      const usable = Math.floor(c.size / granule) * granule;
      let at = 0;
      for (const run of [...c.runs, { offset: usable, size: 0 }]) {
        largest = Math.max(largest, run.offset - at);
        at = run.offset + Math.ceil(run.size / granule) * granule;
      }
      free += c.avail;
    }
    assert.equal(g.largestFree, largest, `${g.id}: largest free from the runs`);
    assert.equal(g.fragmentation, free === 0 ? 0 : 1 - largest / free, `${g.id}: fragmentation`);
  });
  model.dmapools.forEach((dm, i) => {
    const d = summary.dmapools[i]!;
    let blocks = 0;
    let active = 0;
    let waste = 0;
    for (const page of dm.pages) {
      blocks += page.blocks;
      active += page.inUse.length;
      waste += dm.allocation - page.blocks * dm.size;
    }
    assert.deepEqual(
      [d.freeBlocks, d.used, d.size, d.waste],
      [blocks - active, active * dm.size, dm.pages.length * dm.allocation, waste],
      d.id,
    );
  });
  const v = model.vmalloc!;
  const vs = summary.vmalloc;
  let reserved = 0;
  let mapped = 0;
  for (const a of v.areas) {
    reserved += a.size;
    mapped += a.kind === 'ioremap' ? a.size - (a.guard ? 4096 : 0) : a.pages * 4096;
  }
  const held = [...v.areas, ...v.lazy, ...(v.pooled ?? [])].sort((x, y) => x.start - y.start);
  const lo = held[0]!.start;
  const hi = Math.max(...held.map((x) => x.start + x.size));
  const inside = v.free.filter((f) => f.start >= lo && f.start + f.size <= hi);
  const freeIn = inside.reduce((n, f) => n + f.size, 0);
  const largestIn = Math.max(0, ...inside.map((f) => f.size));
  assert.deepEqual(
    [vs.reserved, vs.mappedPages * 4096, vs.span, vs.freeExtents, vs.largestFree],
    [reserved, mapped, hi - lo, inside.length, largestIn],
  );
  assert.equal(vs.fragmentation, freeIn === 0 ? 0 : 1 - largestIn / freeIn);
  assert.equal(vs.pooledAreas, (v.pooled ?? []).length);
  const sub = (n: string) => summary.subsystems.find((x) => x.name === n)!;
  assert.deepEqual([sub('vmalloc').size, sub('vmalloc').used], [reserved, mapped]);
  assert.equal(sub('dmapool').fragmentation, null, 'a dmapool has no fragmentation');
  const space = model.tables.find((t) => t.title === 'vmalloc space')!;
  const col = (t: typeof space, h: string) => t.rows[0]![t.header.indexOf(h)];
  assert.equal(col(space, 'mapped pages'), String(mapped / 4096), 'the two tables agree');
  const useOf = (used: number, size: number) =>
    `${(Math.round((size === 0 ? 0 : used / size) * 1000) / 10).toFixed(1)}%`;
  const subs = model.tables.find((t) => t.title === 'subsystems')!;
  for (const row of subs.rows) {
    const x = sub(row[0]!);
    assert.equal(row[subs.header.indexOf('use')], useOf(x.used, x.size), `${x.name}: use`);
  }
  const dt = model.tables.find((t) => t.title === 'dmapools');
  summary.dmapools.forEach((d, i) => {
    assert.equal(dt!.rows[i]![dt!.header.indexOf('use')], useOf(d.used, d.size), d.id);
  });
}

test('the small mix: the summary agrees with the model and the kernel', () => {
  const r = run(smallMix());
  checkAgreement(r);
  checkIndependent(r);
});

test('the built-in scenario fails, fragments, purges and flushes, and its summary agrees', () => {
  const r = runScenario(loadScenario(defaultScenarioPath(), '/'), { command: 'kmem' });
  checkAgreement(r);
  checkIndependent(r);
  assert.ok(r.summary.vmalloc.pooledAreas > 0, '4 CPUs: areas are kept in the vmap node pools');
  assert.ok(r.model.vmalloc!.areas.some((a) => a.kind === 'ioremap'));
  assert.ok(r.summary.vmalloc.fragmentation > 0.01, 'measured over the span, not 32 TiB');
  const s = r.summary;
  assert.ok(s.steps >= 100000);
  assert.ok(s.subsystems.every((x) => x.size > 0 && x.used > 0));
  assert.ok(
    s.genpools.every((g) => g.failures > 0 && g.fragmentation > 0),
    'every genpool fills up',
  );
  assert.ok(
    s.dmapools.some((d) => d.failures > 0),
    'an injected DMA failure reaches a dmapool',
  );
  assert.ok(s.vmalloc.users.some((u) => u.failures > 0));
  assert.ok(s.vmalloc.purges > 0 && s.tlb.flushes > 0);
  assert.ok(
    r.model.time!.series.some((x) => x.name === 'lazy pages' && x.values.some((v) => v > 0)),
  );
  assert.ok(r.model.vmalloc!.areas.some((a) => a.kind === 'vmap_block'));
  assert.ok(r.model.vmalloc!.areas.some((a) => a.kind === 'vm_map_ram'));
  assert.ok(r.model.vmalloc!.areas.some((a) => a.kind === 'ioremap'));
  assert.ok(r.model.dmapools.some((d) => d.boundary > 0));
});

test('sampleEvery is raised so a run keeps at most MAX_TIME_SAMPLES samples', () => {
  assert.equal(effectiveSampleEvery(1, 1000), 1);
  assert.equal(effectiveSampleEvery(100, 3000), 100);
  assert.equal(effectiveSampleEvery(1, 200_000), Math.ceil(200_000 / (MAX_TIME_SAMPLES - 2)));
  const doc = JSON.parse(smallMix()) as {
    workload: { sampleEvery: number; mix: { steps: number } };
  };
  doc.workload.sampleEvery = 1;
  doc.workload.mix.steps = 20_000;
  const r = run(JSON.stringify(doc));
  const t = r.model.time!;
  assert.ok(t.steps.length <= MAX_TIME_SAMPLES, `${t.steps.length} samples`);
  assert.ok(t.steps.length > MAX_TIME_SAMPLES / 2, 'but not far fewer');
  assert.equal(t.steps[0], 0);
  assert.equal(t.steps[t.steps.length - 1], 20_000);
});
