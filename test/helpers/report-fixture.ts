// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hand-built report models for the renderer's tests: a small but complete one (two
 * genpools, one with two chunks and several owners; a dmapool; a vmalloc space with every
 * area kind, guard pages, lazy areas, pooled areas and a vmap block; series; TLB flushes; two replay
 * panels; a log; files) and a large one for the shape bounds.
 *
 * Kernel: none (kmem's report).
 */

import type {
  ChunkModel,
  DmapoolModel,
  GenpoolModel,
  TimeModel,
  LifeModel,
  ReplayPanelModel,
  ReportModel,
  RunModel,
  SeriesModel,
  VmallocModel,
  VmAreaModel,
} from '../../src/report/model.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TiB = 1024 * 1024 * MiB;
const PAGE = 4096;

/** The vmalloc range of the fixtures: 0xc90000000000 + 32 TiB. */
export const VM_START = 0xc90000000000;
/** End of the fixtures' vmalloc range. */
export const VM_END = VM_START + 32 * TiB;

function run(offset: number, size: number, owner: string): RunModel {
  return { offset, size, owner };
}

/** Build a chunk from its runs, computing avail and the largest free run. */
export function chunk(start: number, phys: number, size: number, runs: RunModel[]): ChunkModel {
  let at = 0;
  let avail = 0;
  let largest = { offset: 0, size: 0 };
  const gap = (from: number, to: number): void => {
    avail += to - from;
    if (to - from > largest.size) largest = { offset: from, size: to - from };
  };
  for (const r of runs) {
    if (r.offset > at) gap(at, r.offset);
    at = r.offset + r.size;
  }
  if (at < size) gap(at, size);
  return { start, phys, size, avail, runs, largestFree: largest };
}

function area(
  start: number,
  bytes: number,
  kind: VmAreaModel['kind'],
  guard: boolean,
  pages: number,
  caller: string,
): VmAreaModel {
  return { start, size: bytes + (guard ? PAGE : 0), kind, guard, pages, caller };
}

function vmallocFixture(): VmallocModel {
  const areas: VmAreaModel[] = [
    area(VM_START, 2 * MiB, 'early', false, 0, 'vm_area_register_early+0x5c/0x90'),
    area(VM_START + 2 * MiB, 3 * PAGE, 'vmalloc', true, 3, 'test_func+0x1c/0x40'),
    area(VM_START + 2 * MiB + 16 * KiB, 2 * PAGE, 'vmap', true, 2, 'vmap_test+0x10/0x20'),
    area(VM_START + 3 * MiB, 64 * KiB, 'ioremap', true, 0, 'ioremap<phys>+0x2/0x4'),
    area(VM_START + 4 * MiB, 4 * PAGE, 'vm_map_ram', false, 4, ''),
    area(VM_START + 5 * MiB, 2 * PAGE, 'other', true, 2, 'something_else+0x0/0x8'),
    area(VM_START + 8 * MiB, 64 * PAGE, 'vmap_block', false, 0, ''),
    area(VM_END - 2 * MiB, 2 * MiB, 'percpu', false, 512, 'pcpu_get_vm_areas+0x0/0x1a0'),
  ];
  const lazy = [
    { start: VM_START + 6 * MiB, size: 4 * PAGE },
    { start: VM_START + 6 * MiB + 64 * KiB, size: 2 * PAGE },
  ];
  const pooled = [
    { start: VM_START + 7 * MiB, size: 2 * PAGE },
    { start: VM_START + 7 * MiB + 2 * PAGE, size: 5 * PAGE },
  ];
  const busy = [
    ...areas.map((a) => [a.start, a.size] as const),
    ...lazy.map((l) => [l.start, l.size] as const),
    ...pooled.map((p) => [p.start, p.size] as const),
  ];
  busy.sort((a, b) => a[0] - b[0]);
  const free: { start: number; size: number }[] = [];
  let at = VM_START;
  for (const [s, n] of busy) {
    if (s > at) free.push({ start: at, size: s - at });
    at = s + n;
  }
  if (at < VM_END) free.push({ start: at, size: VM_END - at });
  const blocks = [
    {
      start: VM_START + 8 * MiB,
      size: 64 * PAGE,
      cpu: 0,
      usedPages: 20,
      freePages: 36,
      dirtyMin: 4,
      dirtyMax: 12,
    },
  ];
  return { start: VM_START, end: VM_END, areas, lazy, blocks, free, pooled };
}

function seriesOf(
  name: string,
  group: string,
  unit: SeriesModel['unit'],
  f: (t: number) => number,
): SeriesModel {
  const values: number[] = [];
  for (let t = 0; t <= 40; t++) values.push(f(t));
  return { name, group, unit, values };
}

/** Free holes of a span given the live lives, in offset order. */
function holes(live: readonly LifeModel[], span: number): Array<[number, number]> {
  const used = [...live].sort((a, b) => a.offset - b.offset);
  const out: Array<[number, number]> = [];
  let at = 0;
  for (const l of used) {
    if (l.offset > at) out.push([at, l.offset - at]);
    at = l.offset + l.size;
  }
  if (at < span) out.push([at, span - at]);
  return out;
}

/**
 * Replay a fixed trace of 100 steps over a 64 KiB span with first fit or best fit: in
 * every five steps the last two free a live allocation and the others allocate 1–5 KiB
 * (5–9 KiB after step 70, so that some fail) for one of four owners.
 */
function replayPanel(algo: 'first-fit' | 'best-fit'): ReplayPanelModel {
  const span = 64 * KiB;
  const owners = ['dsp', 'codec', 'dma-engine', ''];
  const lives: LifeModel[] = [];
  const live: LifeModel[] = [];
  const failures: { step: number; size: number }[] = [];
  let inUse = 0;
  let peak = 0;
  for (let step = 0; step < 100; step++) {
    if (step % 5 >= 3 && live.length > 0) {
      const [l] = live.splice((step * 5) % live.length, 1);
      lives[lives.indexOf(l!)] = { ...l!, to: step };
      inUse -= l!.size;
      continue;
    }
    const size = (1 + ((step * 7) % 5) + (step > 70 ? 4 : 0)) * KiB;
    const fits = holes(live, span).filter(([, n]) => n >= size);
    if (algo === 'best-fit') fits.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    if (fits.length === 0) {
      failures.push({ step, size });
      continue;
    }
    const l: LifeModel = {
      offset: fits[0]![0],
      size,
      from: step,
      to: -1,
      owner: owners[step % 4]!,
    };
    lives.push(l);
    live.push(l);
    inUse += size;
    peak = Math.max(peak, inUse);
  }
  const free = holes(live, span);
  const total = free.reduce((n, [, k]) => n + k, 0);
  const largest = free.reduce((n, [, k]) => Math.max(n, k), 0);
  const fragmentation = total === 0 ? 0 : 1 - largest / total;
  const pools = [{ name: 'sram', free: total, largestFree: largest, fragmentation }];
  return { algo, order: 5, span, steps: 100, lives, failures, pools, peak };
}

function replayFixture(): ReplayPanelModel[] {
  return [replayPanel('first-fit'), replayPanel('best-fit')];
}

function genpoolsFixture(): GenpoolModel[] {
  const sram0 = chunk(0x5c008000, 0x5c008000, 32 * KiB, [
    run(0, 4096, 'dsp'),
    run(4096, 2048, 'codec'),
    run(8192, 1024, 'dsp'),
    run(16384, 8192, 'dma-engine'),
    run(28672, 4096, ''),
  ]);
  const sram1 = chunk(0x5c000000, -1, 32 * KiB, [run(0, 16384, 'codec'), run(20480, 512, 'dsp')]);
  const gpu = chunk(0x100000000, 0x80000000, MiB, [
    run(0, 64 * KiB, 'render'),
    run(64 * KiB, 128 * KiB, 'compute'),
    run(512 * KiB, 256 * KiB, 'render'),
  ]);
  return [
    {
      name: 'sram',
      device: 'sram@5c000000',
      order: 5,
      algo: 'best-fit',
      chunks: [sram0, sram1],
      failures: 0,
    },
    { name: 'gpu-heap', device: '', order: 12, algo: 'first-fit', chunks: [gpu], failures: 2 },
  ];
}

function dmapoolsFixture(): DmapoolModel[] {
  return [
    {
      name: 'ehci_qh',
      device: 'usb1',
      size: 96,
      align: 32,
      boundary: 4096,
      allocation: 4096,
      pages: [
        {
          vaddr: 0x888001000000,
          dma: 0x1000000,
          blocks: 42,
          inUse: [0, 1, 2, 5, 6, 7, 8, 20, 41],
        },
        {
          vaddr: 0x888001001000,
          dma: 0x1001000,
          blocks: 42,
          inUse: Array.from({ length: 42 }, (_, i) => i),
        },
        { vaddr: 0x888001002000, dma: 0x1002000, blocks: 42, inUse: [] },
      ],
      failures: 0,
    },
  ];
}

function timeFixture(): TimeModel {
  return {
    steps: Array.from({ length: 41 }, (_, i) => i),
    series: [
      seriesOf('free sram', 'sram', 'bytes', (t) => 64 * KiB - ((t * 1536) % (48 * KiB))),
      seriesOf('largest free sram', 'sram', 'bytes', (t) => 32 * KiB - ((t * 1024) % (24 * KiB))),
      seriesOf('free gpu-heap', 'gpu-heap', 'bytes', (t) => MiB - t * 12 * KiB),
      seriesOf('largest free gpu-heap', 'gpu-heap', 'bytes', (t) => MiB - t * 16 * KiB),
      seriesOf('failures', 'failures', 'count', (t) => (t < 30 ? 0 : t < 36 ? 1 : 2)),
      seriesOf('lazy pages', 'vmalloc lazy', 'pages', (t) => (t * 3) % 11),
    ],
    flushes: [
      { step: 10, start: VM_START + 2 * MiB, end: VM_START + 2 * MiB + 16 * KiB },
      { step: 22, start: VM_START + 3 * MiB, end: VM_START + 4 * MiB },
      { step: 30, start: VM_START + 6 * MiB, end: VM_START + 7 * MiB },
      { step: 35, start: VM_START + 8 * MiB + 4 * PAGE, end: VM_START + 8 * MiB + 12 * PAGE },
      { step: 38, start: VM_START, end: VM_START + 16 * MiB },
    ],
  };
}

/**
 * Return the small, complete report model the renderer tests use.
 *
 * @returns a fresh model (tests may spread and change it).
 */
export function reportFixture(): ReportModel {
  return {
    title: 'fixture scenario',
    command: 'kmem run fixture.json --seed 7',
    seed: 7,
    machine: '4 GiB, 1 node, 4 CPUs',
    tables: [
      {
        title: 'genpools',
        header: ['pool', 'size', 'avail', 'failures'],
        rows: [
          ['sram', '64 KiB', '28.5 KiB', '0'],
          ['gpu-heap', '1 MiB', '576 KiB', '2'],
        ],
      },
      { title: 'vmalloc', header: ['areas', 'lazy', 'blocks'], rows: [['8', '2', '1']] },
    ],
    genpools: genpoolsFixture(),
    dmapools: dmapoolsFixture(),
    vmalloc: vmallocFixture(),
    time: timeFixture(),
    replay: replayFixture(),
    log: [
      '[    0.000000] kmem: simulated machine, 4 GiB, 1 node, 4 CPUs',
      '[    1.204000] genpool: gpu-heap: allocation of 512 KiB failed',
      '[    2.000000] vmap allocation for size 8192 failed: use vmalloc=<size> to increase size',
    ],
    files: [
      {
        path: '/proc/vmallocinfo',
        text: '0xffffc90000200000-0xffffc90000204000   16384 test_func+0x1c/0x40 pages=3 vmalloc\n',
      },
      {
        path: '/proc/meminfo',
        text: 'MemTotal:        4194304 kB\nVmallocTotal:   34359738367 kB\n',
      },
      {
        path: '/sys/devices/usb1/pools',
        text: 'poolinfo - 0.1\nehci_qh            51   126   96  3\n',
      },
    ],
  };
}

/**
 * Return a large model: a chunk of `runs` allocated runs of one granule each (every other
 * granule), a vmalloc space of `areas` areas, a replay panel of `lives` lives, long series
 * and many flushes. For shape bounds, not timing.
 *
 * @returns the model.
 */
export function bigReportFixture(runs = 100_000, areas = 20_000, nLives = 20_000): ReportModel {
  const base = reportFixture();
  const rs: RunModel[] = [];
  for (let i = 0; i < runs; i++) rs.push(run(i * 64, 32, `owner${i % 7}`));
  const big = chunk(0x200000000, -1, runs * 64, rs);
  const vmAreas: VmAreaModel[] = [];
  for (let i = 0; i < areas; i++)
    vmAreas.push(area(VM_START + i * 3 * PAGE, PAGE, 'vmalloc', true, 1, ''));
  const ls: LifeModel[] = [];
  for (let i = 0; i < nLives; i++) {
    ls.push({
      offset: (i * 4096) % (64 * MiB),
      size: 1024 + (i % 9) * 512,
      from: i,
      to: i + 50,
      owner: `o${i % 5}`,
    });
  }
  const steps = Array.from({ length: 100_000 }, (_, i) => i);
  return {
    ...base,
    genpools: [
      { name: 'big', device: '', order: 5, algo: 'first-fit', chunks: [big], failures: 0 },
    ],
    vmalloc: { start: VM_START, end: VM_END, areas: vmAreas, lazy: [], blocks: [], free: [] },
    time: {
      steps,
      series: [
        {
          name: 'free big',
          group: 'big',
          unit: 'bytes',
          values: steps.map((s) => (s * 7919) % 100_003),
        },
      ],
      flushes: steps
        .slice(0, 10_000)
        .map((s) => ({ step: s * 10, start: VM_START, end: VM_START + PAGE * (1 + (s % 64)) })),
    },
    replay: [{ ...base.replay[0]!, span: 64 * MiB, steps: nLives + 50, lives: ls }],
  };
}
