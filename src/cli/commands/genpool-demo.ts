// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem genpool` (also `kmem` with no command): a short, deterministic genpool scenario on a
 * simulated SoC, told through the kernel API (`machine.kernel`) as a driver would write it.
 *
 * Kernel: lib/genalloc.c (mainline 6.x) as its users call it — gen_pool_create,
 * gen_pool_add_virt, gen_pool_alloc, gen_pool_alloc_algo with each algorithm,
 * gen_pool_dma_alloc_align, gen_pool_free, gen_pool_for_each_chunk, gen_pool_avail,
 * gen_pool_size — and the WARN of gen_pool_fixed_alloc and the BUG of gen_pool_free_owner.
 *
 * The story: a 256 KiB on-chip SRAM at physical 0xfe000000 and a 32 KiB tightly-coupled
 * bank at 0xfe100000, both mapped into the kernel's vmalloc range, make one pool of 32-byte
 * granules. Drivers allocate with first fit (the newest chunk is searched first), order
 * align, a 4 KiB-aligned DMA buffer, a fixed offset and best fit; two frees fragment the big
 * chunk; a misaligned fixed offset WARNs and a double free BUGs. runGenpoolDemo() returns
 * plain data; printGenpoolDemo() and genpoolDemoJson() render it. There is no allocator
 * logic here: every decision is the library's.
 */

import { KernelBug } from '../../base/errors.js';
import type { LogRecord } from '../../base/log.js';
import { hex, roundupPowOfTwo } from '../../base/units.js';
import { bitmapWeight, findNextBit, findNextZeroBit, findPrevBit } from '../../bitmap/index.js';
import type { GenPoolChunk } from '../../genalloc/chunk.js';
import type { GenPool } from '../../genalloc/gen-pool.js';
import type { Kernel } from '../../linux/kernel.js';
import '../../linux/kernel.js'; // attaches machine.kernel
import { Machine } from '../../machine/machine.js';
import { formatBytes, formatPercent, formatTable } from '../format.js';
import type { Output } from '../out.js';

/** log2 of the pool's granule: 32 bytes. */
const ORDER = 5;
const GRANULE = 2 ** ORDER;

/** The memories of the simulated SoC that the pool manages, in the order they are added. */
const BANKS = [
  { name: 'sram0', what: 'on-chip SRAM', virt: 0xc90000200000, phys: 0xfe000000, size: 256 * 1024 },
  {
    name: 'sram1',
    what: 'tightly-coupled RAM',
    virt: 0xc90000400000,
    phys: 0xfe100000,
    size: 32 * 1024,
  },
] as const;

/** One call of the scenario and what came of it. */
export interface DemoEvent {
  /** The driver making the call; '' for pool setup. */
  readonly driver: string;
  /** The call as TypeScript code against the kernel API. */
  readonly call: string;
  /** What the call returned, formatted. */
  readonly result: string;
  /** The address returned or freed, or 0. */
  readonly addr: number;
  /** The DMA (physical) address reported through the out-parameter, or null. */
  readonly dma: number | null;
  /** `chunk+offset` of `addr`, or ''. */
  readonly where: string;
  readonly note: string;
  /** Kernel log lines the call produced (WARN, BUG). */
  readonly kernel: readonly string[];
}

/** A titled group of events. */
export interface DemoSection {
  readonly title: string;
  readonly events: readonly DemoEvent[];
}

/** The state of one chunk at the end, with the kernel's field names. */
export interface ChunkSummary {
  readonly name: string;
  readonly start_addr: number;
  /** Inclusive, as the kernel's `end_addr`. */
  readonly end_addr: number;
  readonly phys_addr: number;
  readonly size: number;
  readonly avail: number;
  /** Live allocations of the scenario in this chunk. */
  readonly allocations: number;
  /** Free bytes according to the bitmap. */
  readonly free_bytes: number;
  /** The longest run of free granules, in bytes. */
  readonly largest_free_run: number;
  /** 1 - largest_free_run / free_bytes (0 when nothing is free). */
  readonly fragmentation: number;
}

/** Everything the scenario did and ended with. */
export interface GenpoolDemo {
  readonly minAllocOrder: number;
  readonly granule: number;
  readonly sections: readonly DemoSection[];
  /** The chunks in the kernel's list order (newest first, the search order). */
  readonly chunks: readonly ChunkSummary[];
  readonly poolSize: number;
  readonly poolAvail: number;
  readonly warnings: number;
  readonly bugs: number;
  readonly dmesg: readonly string[];
}

function event(fields: Partial<DemoEvent> & Pick<DemoEvent, 'call' | 'result'>): DemoEvent {
  return { driver: '', addr: 0, dma: null, where: '', note: '', kernel: [], ...fields };
}

function bankOf(addr: number): { name: string; offset: number } | null {
  for (const b of BANKS) {
    if (addr >= b.virt && addr < b.virt + b.size) return { name: b.name, offset: addr - b.virt };
  }
  return null;
}

function whereOf(addr: number): string {
  const b = bankOf(addr);
  return b === null ? '' : `${b.name}+${hex(b.offset)}`;
}

/** The free run of `chunk` holding granule `bit`, as [first, end) granules. */
function freeRunAt(chunk: GenPoolChunk, bit: number): [number, number] {
  return [findPrevBit(chunk.bits, bit) + 1, findNextBit(chunk.bits, chunk.nbits, bit)];
}

/** The longest run of free granules of `chunk`, from its bitmap. */
function largestFreeRun(chunk: GenPoolChunk): number {
  let best = 0;
  for (let pos = findNextZeroBit(chunk.bits, chunk.nbits, 0); pos < chunk.nbits;) {
    const end = findNextBit(chunk.bits, chunk.nbits, pos);
    best = Math.max(best, end - pos);
    pos = findNextZeroBit(chunk.bits, chunk.nbits, end);
  }
  return best;
}

/** The new kernel log records since `seq`, as lines. */
function linesSince(records: readonly LogRecord[], seq: number): string[] {
  return records.filter((r) => r.seq >= seq).flatMap((r) => r.lines);
}

/** The state the phases of the scenario share. */
interface Scene {
  readonly m: Machine;
  readonly k: Kernel;
  readonly pool: GenPool;
  /** The chunks in the kernel's list order (newest first). */
  readonly chunks: readonly GenPoolChunk[];
  /** Live allocations: address → driver. */
  readonly live: Map<number, string>;
}

function chunkNamed(scene: Scene, name: string): GenPoolChunk {
  const chunk = scene.chunks.find((c) => bankOf(c.start_addr)?.name === name);
  if (chunk === undefined) throw new Error(`no chunk ${name} in the pool`);
  return chunk;
}

/** Create the machine and the pool over both banks. */
function setUp(): { scene: Scene; events: DemoEvent[] } {
  const m = new Machine();
  const k = m.kernel;
  const pool: GenPool | null = k.gen_pool_create(ORDER, k.NUMA_NO_NODE);
  if (pool === null) throw new Error('gen_pool_create(5, NUMA_NO_NODE) returned NULL');
  const events = [
    event({
      call: 'k.gen_pool_create(5, NUMA_NO_NODE)',
      result: 'pool',
      note: `${GRANULE}-byte granules`,
    }),
  ];
  for (const b of BANKS) {
    const rc = k.gen_pool_add_virt(pool, b.virt, b.phys, b.size, k.NUMA_NO_NODE);
    if (rc !== 0) throw new Error(`gen_pool_add_virt(${b.name}) returned ${rc}`);
    const call = `k.gen_pool_add_virt(pool, ${hex(b.virt)}, ${hex(b.phys)}, ${b.size}, NUMA_NO_NODE)`;
    events.push(
      event({ call, result: String(rc), where: b.name, note: `${formatBytes(b.size)} ${b.what}` }),
    );
  }
  const chunks: GenPoolChunk[] = [];
  k.gen_pool_for_each_chunk(pool, (_pool, chunk, list) => void list.push(chunk), chunks);
  const order = chunks.map((c) => bankOf(c.start_addr)?.name ?? hex(c.start_addr)).join(', ');
  events.push(
    event({
      call: 'k.gen_pool_for_each_chunk(pool, visit, list)',
      result: 'void',
      note: `visits ${order}: the newest chunk comes first`,
    }),
  );
  return { scene: { m, k, pool, chunks, live: new Map() }, events };
}

/** Record an allocation made by `driver`. */
function allocated(
  scene: Scene,
  driver: string,
  call: string,
  addr: number,
  note: string,
  dma: number | null = null,
): DemoEvent {
  if (addr !== 0) scene.live.set(addr, driver);
  const result = addr === 0 ? '0 (NULL)' : hex(addr);
  return event({ driver, call, result, addr, dma, where: whereOf(addr), note });
}

/** Free `size` bytes at `addr` (the variable `name`) and describe the hole it leaves. */
function freed(scene: Scene, driver: string, addr: number, size: number, name: string): DemoEvent {
  scene.k.gen_pool_free(scene.pool, addr, size);
  scene.live.delete(addr);
  const chunk = chunkNamed(scene, bankOf(addr)?.name ?? '');
  const [a, b] = freeRunAt(chunk, (addr - chunk.start_addr) / GRANULE);
  const hole = `${formatBytes((b - a) * GRANULE)} hole at ${whereOf(chunk.start_addr + a * GRANULE)}`;
  const call = `k.gen_pool_free(pool, ${name}, ${size})`;
  return event({
    driver,
    call,
    result: 'void',
    addr,
    where: whereOf(addr),
    note: `leaves a ${hole}`,
  });
}

/** Drivers allocate with each algorithm, then two frees fragment sram0. */
function drivers(scene: Scene): { events: DemoEvent[]; usb: number } {
  const first = firstFits(scene);
  const ev = first.events;
  ev.push(...algorithms(scene));
  ev.push(freed(scene, 'audio', first.audio, 16384, 'audio'));
  ev.push(freed(scene, 'usb', first.usb, 12288, 'usb'));
  ev.push(bestFitAfterFrees(scene));
  return { events: ev, usb: first.usb };
}

/** Plain gen_pool_alloc calls: first fit, newest chunk first, the avail skip. */
function firstFits(scene: Scene): { events: DemoEvent[]; audio: number; usb: number } {
  const { k, pool } = scene;
  const sram1 = chunkNamed(scene, 'sram1');
  const ev: DemoEvent[] = [];
  const alloc = (size: number): number => k.gen_pool_alloc(pool, size);
  const call = (size: number): string => `k.gen_pool_alloc(pool, ${size})`;
  ev.push(
    allocated(
      scene,
      'camera',
      call(28672),
      alloc(28672),
      'first fit; the newest chunk is searched first',
    ),
  );
  const skipped = `sram1 is skipped: avail ${sram1.avail} < 16384`;
  const audio = alloc(16384);
  ev.push(allocated(scene, 'audio', call(16384), audio, skipped));
  ev.push(allocated(scene, 'net', call(8192), alloc(8192), ''));
  const usb = alloc(12288);
  ev.push(allocated(scene, 'usb', call(12288), usb, ''));
  const still = `sram1 still has ${formatBytes(sram1.avail)} and is tried first`;
  ev.push(allocated(scene, 'crypto', call(2048), alloc(2048), still));
  return { events: ev, audio, usb };
}

/** order-align, first_fit_align through gen_pool_dma_alloc_align, and fixed alloc. */
function algorithms(scene: Scene): DemoEvent[] {
  const { k, pool } = scene;
  const sram1 = chunkNamed(scene, 'sram1');
  const ev: DemoEvent[] = [];
  const granules = Math.ceil(6000 / GRANULE);
  const step = roundupPowOfTwo(granules);
  const gpu = k.gen_pool_alloc_algo(pool, 6000, k.gen_pool_first_fit_order_align, null);
  const gpuNote = `${granules} granules, so the start is a multiple of ${step} granules (${formatBytes(step * GRANULE)}) from the chunk start`;
  ev.push(
    allocated(
      scene,
      'gpu',
      'k.gen_pool_alloc_algo(pool, 6000, k.gen_pool_first_fit_order_align, null)',
      gpu,
      gpuNote,
    ),
  );

  const inSram1 = k.gen_pool_first_fit_align(
    sram1.bits,
    sram1.nbits,
    0,
    2048 / GRANULE,
    { align: 4096 },
    pool,
    sram1.start_addr,
  );
  const dma = { value: 0 };
  const dsp = k.gen_pool_dma_alloc_align(pool, 2048, dma, 4096);
  const dspNote = `first_fit_align: dma.value = ${hex(dma.value)} for the device${inSram1 < sram1.nbits ? '' : '; no aligned 2 KiB left in sram1'}`;
  ev.push(
    allocated(
      scene,
      'dsp',
      'k.gen_pool_dma_alloc_align(pool, 2048, dma, 4096)',
      dsp,
      dspNote,
      dma.value,
    ),
  );

  const modem = k.gen_pool_alloc_algo(pool, 1024, k.gen_pool_fixed_alloc, { offset: 0x20000 });
  const modemNote = 'the offset is tried in every chunk: past the end of sram1, free in sram0';
  ev.push(
    allocated(
      scene,
      'modem',
      'k.gen_pool_alloc_algo(pool, 1024, k.gen_pool_fixed_alloc, { offset: 0x20000 })',
      modem,
      modemNote,
    ),
  );

  return ev;
}

/** Best fit takes the smallest hole once the frees have fragmented sram0. */
function bestFitAfterFrees(scene: Scene): DemoEvent {
  const { k, pool } = scene;
  const sram0 = chunkNamed(scene, 'sram0');
  const firstFit = k.gen_pool_first_fit(
    sram0.bits,
    sram0.nbits,
    0,
    10240 / GRANULE,
    null,
    pool,
    sram0.start_addr,
  );
  const video = k.gen_pool_alloc_algo(pool, 10240, k.gen_pool_best_fit, null);
  const videoNote = `the smallest hole that fits; first fit would take ${whereOf(sram0.start_addr + firstFit * GRANULE)}`;
  return allocated(
    scene,
    'video',
    'k.gen_pool_alloc_algo(pool, 10240, k.gen_pool_best_fit, null)',
    video,
    videoNote,
  );
}

/** A misaligned fixed offset (WARN) and a double free (BUG). */
function mistakes(scene: Scene, usb: number): DemoEvent[] {
  const { m, k, pool } = scene;
  const records = m.log.records();
  const unchanged = (before: number): string =>
    k.gen_pool_avail(pool) === before ? 'unchanged' : 'CHANGED';
  let seq = records.length;
  let before = k.gen_pool_avail(pool);
  const bad = k.gen_pool_alloc_algo(pool, 256, k.gen_pool_fixed_alloc, { offset: 0x1010 });
  const warn = event({
    driver: 'i2c',
    call: 'k.gen_pool_alloc_algo(pool, 256, k.gen_pool_fixed_alloc, { offset: 0x1010 })',
    result: bad === 0 ? '0 (NULL)' : hex(bad),
    addr: bad,
    note: `offset 0x1010 is not a multiple of the ${GRANULE}-byte granule: a WARN in each chunk tried, avail ${unchanged(before)}`,
    kernel: linesSince(records, seq).filter((l) => l.startsWith('WARNING:')),
  });
  seq = records.length;
  before = k.gen_pool_avail(pool);
  let result = 'returned';
  try {
    k.gen_pool_free(pool, usb, 12288);
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    result = 'throws KernelBug';
  }
  const bug = event({
    driver: 'usb',
    call: 'k.gen_pool_free(pool, usb, 12288)',
    result,
    addr: usb,
    where: whereOf(usb),
    note: `a double free, caught; the pool is ${unchanged(before)} and can be inspected`,
    kernel: linesSince(records, seq).filter((l) => !l.startsWith('------------')),
  });
  return [warn, bug];
}

/** Summarise one chunk from its bitmap (src/bitmap) and the live allocations. */
function summarize(scene: Scene, c: GenPoolChunk): ChunkSummary {
  const name = bankOf(c.start_addr)?.name ?? hex(c.start_addr);
  const freeBytes = (c.nbits - bitmapWeight(c.bits, c.nbits)) * GRANULE;
  const largest = largestFreeRun(c) * GRANULE;
  let allocations = 0;
  for (const addr of scene.live.keys()) if (c.contains(addr)) allocations++;
  return {
    name,
    start_addr: c.start_addr,
    end_addr: c.end_addr,
    phys_addr: c.phys_addr,
    size: c.end_addr - c.start_addr + 1,
    avail: c.avail,
    allocations,
    free_bytes: freeBytes,
    largest_free_run: largest,
    fragmentation: freeBytes === 0 ? 0 : 1 - largest / freeBytes,
  };
}

/**
 * Run the scenario on a new machine.
 * @returns what happened, call by call (the WARN and the BUG it provokes are in it, never
 *   thrown).
 */
export function runGenpoolDemo(): GenpoolDemo {
  const { scene, events: setup } = setUp();
  const { events: allocations, usb } = drivers(scene);
  const errors = mistakes(scene, usb);
  const { m, k, pool } = scene;
  return {
    minAllocOrder: ORDER,
    granule: GRANULE,
    sections: [
      { title: 'pool', events: setup },
      { title: 'drivers allocate and free', events: allocations },
      { title: 'mistakes', events: errors },
    ],
    chunks: scene.chunks.map((c) => summarize(scene, c)),
    poolSize: k.gen_pool_size(pool),
    poolAvail: k.gen_pool_avail(pool),
    warnings: m.log.count('warn'),
    bugs: m.log.count('bug'),
    dmesg: m.dmesg(),
  };
}

/** Print the scenario as text. */
export function printGenpoolDemo(demo: GenpoolDemo, out: Output): void {
  out.print('kmem genpool: a genpool over the on-chip SRAM of a simulated SoC (lib/genalloc.c)');
  out.print('');
  out.print('  const m = new Machine();');
  out.print('  const k = m.kernel;');
  const width = Math.max(...demo.sections.flatMap((s) => s.events.map((e) => e.driver.length)));
  const indent = ' '.repeat(width + 4);
  const whereWidth = Math.max(...demo.sections.flatMap((s) => s.events.map((e) => e.where.length)));
  for (const section of demo.sections) {
    out.print('');
    out.print(`${section.title}:`);
    for (const e of section.events) {
      out.print(`  ${e.driver.padEnd(width)}  ${e.call} = ${e.result}`);
      const detail = `${e.where.padEnd(whereWidth)}  ${e.note}`.trim();
      if (detail !== '') out.print(`${indent}${detail}`);
      for (const line of e.kernel) out.print(`${indent}${' '.repeat(whereWidth)}  ${line}`);
    }
  }
  out.print('');
  out.print('chunks, in search order (newest first):');
  const table = formatTable(
    [
      'chunk',
      'start_addr-end_addr',
      'phys_addr',
      'size',
      'avail',
      'allocs',
      'largest free run',
      'fragmentation',
    ],
    demo.chunks.map((c) => [
      c.name,
      `${hex(c.start_addr)}-${hex(c.end_addr)}`,
      hex(c.phys_addr),
      formatBytes(c.size),
      formatBytes(c.avail),
      String(c.allocations),
      formatBytes(c.largest_free_run),
      formatPercent(c.fragmentation),
    ]),
    ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
  );
  for (const line of table) out.print(`  ${line}`);
  out.print(
    `  pool: gen_pool_size ${formatBytes(demo.poolSize)}, gen_pool_avail ${formatBytes(demo.poolAvail)}; fragmentation = 1 - largest free run / free bytes`,
  );
  out.print('');
  out.print(`dmesg (${demo.warnings} WARN, ${demo.bugs} BUG):`);
  for (const line of demo.dmesg) out.print(`  ${line}`);
}

/**
 * The scenario as plain JSON-serialisable data.
 * @returns a new object (never fails).
 */
export function genpoolDemoJson(demo: GenpoolDemo): object {
  return {
    command: 'genpool',
    min_alloc_order: demo.minAllocOrder,
    granule: demo.granule,
    events: demo.sections.flatMap((s) =>
      s.events.map((e) => ({
        section: s.title,
        driver: e.driver,
        call: e.call,
        result: e.result,
        addr: e.addr,
        dma: e.dma,
        where: e.where,
        note: e.note,
        kernel: e.kernel,
      })),
    ),
    chunks: demo.chunks,
    pool: { size: demo.poolSize, avail: demo.poolAvail },
    warnings: demo.warnings,
    bugs: demo.bugs,
    dmesg: demo.dmesg,
  };
}
