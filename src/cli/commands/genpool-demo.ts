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

/** Run the scenario on a new machine and return what happened. */
export function runGenpoolDemo(): GenpoolDemo {
  const m = new Machine();
  const k = m.kernel;
  const pool: GenPool | null = k.gen_pool_create(ORDER, k.NUMA_NO_NODE);
  if (pool === null) throw new Error('gen_pool_create(5, NUMA_NO_NODE) returned NULL');
  const setup: DemoEvent[] = [
    event({
      call: 'k.gen_pool_create(5, NUMA_NO_NODE)',
      result: 'pool',
      note: `${GRANULE}-byte granules`,
    }),
  ];
  for (const b of BANKS) {
    const rc = k.gen_pool_add_virt(pool, b.virt, b.phys, b.size, k.NUMA_NO_NODE);
    if (rc !== 0) throw new Error(`gen_pool_add_virt(${b.name}) returned ${rc}`);
    setup.push(
      event({
        call: `k.gen_pool_add_virt(pool, ${hex(b.virt)}, ${hex(b.phys)}, ${b.size}, NUMA_NO_NODE)`,
        result: String(rc),
        where: b.name,
        note: `${formatBytes(b.size)} ${b.what}`,
      }),
    );
  }
  const chunkList: GenPoolChunk[] = [];
  k.gen_pool_for_each_chunk(pool, (_pool, chunk, list) => void list.push(chunk), chunkList);
  const chunkNamed = (name: string): GenPoolChunk =>
    chunkList.find((c) => bankOf(c.start_addr)?.name === name)!;
  const sram0 = chunkNamed('sram0');
  const sram1 = chunkNamed('sram1');
  setup.push(
    event({
      call: 'k.gen_pool_for_each_chunk(pool, visit, list)',
      result: 'void',
      note: `visits ${chunkList.map((c) => bankOf(c.start_addr)!.name).join(', ')}: the newest chunk comes first`,
    }),
  );

  const live = new Map<number, { driver: string; size: number }>();
  const drivers: DemoEvent[] = [];
  const allocate = (
    driver: string,
    call: string,
    size: number,
    addr: number,
    note: string,
    dma: number | null = null,
  ): number => {
    if (addr !== 0) live.set(addr, { driver, size });
    drivers.push(
      event({
        driver,
        call,
        result: addr === 0 ? '0 (NULL)' : hex(addr),
        addr,
        dma,
        where: whereOf(addr),
        note,
      }),
    );
    return addr;
  };
  const free = (driver: string, addr: number, size: number, name: string): void => {
    k.gen_pool_free(pool, addr, size);
    live.delete(addr);
    const chunk = chunkNamed(bankOf(addr)!.name);
    const [a, b] = freeRunAt(chunk, (addr - chunk.start_addr) / GRANULE);
    drivers.push(
      event({
        driver,
        call: `k.gen_pool_free(pool, ${name}, ${size})`,
        result: 'void',
        addr,
        where: whereOf(addr),
        note: `leaves a ${formatBytes((b - a) * GRANULE)} hole at ${whereOf(chunk.start_addr + a * GRANULE)}`,
      }),
    );
  };

  allocate(
    'camera',
    'k.gen_pool_alloc(pool, 28672)',
    28672,
    k.gen_pool_alloc(pool, 28672),
    'first fit; the newest chunk is searched first',
  );
  const sram1Avail = sram1.avail;
  const audio = allocate(
    'audio',
    'k.gen_pool_alloc(pool, 16384)',
    16384,
    k.gen_pool_alloc(pool, 16384),
    `sram1 is skipped: avail ${sram1Avail} < 16384`,
  );
  allocate('net', 'k.gen_pool_alloc(pool, 8192)', 8192, k.gen_pool_alloc(pool, 8192), '');
  const usb = allocate(
    'usb',
    'k.gen_pool_alloc(pool, 12288)',
    12288,
    k.gen_pool_alloc(pool, 12288),
    '',
  );
  allocate(
    'crypto',
    'k.gen_pool_alloc(pool, 2048)',
    2048,
    k.gen_pool_alloc(pool, 2048),
    `sram1 still has ${formatBytes(sram1.avail)} and is tried first`,
  );
  const gpuGranules = Math.ceil(6000 / GRANULE);
  allocate(
    'gpu',
    'k.gen_pool_alloc_algo(pool, 6000, k.gen_pool_first_fit_order_align, null)',
    6000,
    k.gen_pool_alloc_algo(pool, 6000, k.gen_pool_first_fit_order_align, null),
    `${gpuGranules} granules, so the start is a multiple of ${roundupPowOfTwo(gpuGranules)} granules (${formatBytes(roundupPowOfTwo(gpuGranules) * GRANULE)}) from the chunk start`,
  );
  const align = { align: 4096 };
  const sram1Fits =
    k.gen_pool_first_fit_align(
      sram1.bits,
      sram1.nbits,
      0,
      2048 / GRANULE,
      align,
      pool,
      sram1.start_addr,
    ) < sram1.nbits;
  const dma = { value: 0 };
  const dsp = k.gen_pool_dma_alloc_align(pool, 2048, dma, 4096);
  allocate(
    'dsp',
    'k.gen_pool_dma_alloc_align(pool, 2048, dma, 4096)',
    2048,
    dsp,
    `first_fit_align: dma.value = ${hex(dma.value)} for the device${sram1Fits ? '' : '; no aligned 2 KiB left in sram1'}`,
    dma.value,
  );
  allocate(
    'modem',
    'k.gen_pool_alloc_algo(pool, 1024, k.gen_pool_fixed_alloc, { offset: 0x20000 })',
    1024,
    k.gen_pool_alloc_algo(pool, 1024, k.gen_pool_fixed_alloc, { offset: 0x20000 }),
    'the offset is tried in every chunk: past the end of sram1, free in sram0',
  );
  free('audio', audio, 16384, 'audio');
  free('usb', usb, 12288, 'usb');
  const bestGranules = Math.ceil(10240 / GRANULE);
  const firstFit = k.gen_pool_first_fit(
    sram0.bits,
    sram0.nbits,
    0,
    bestGranules,
    null,
    pool,
    sram0.start_addr,
  );
  const video = k.gen_pool_alloc_algo(pool, 10240, k.gen_pool_best_fit, null);
  allocate(
    'video',
    'k.gen_pool_alloc_algo(pool, 10240, k.gen_pool_best_fit, null)',
    10240,
    video,
    `the smallest hole that fits; first fit would take ${whereOf(sram0.start_addr + firstFit * GRANULE)}`,
  );

  const mistakes: DemoEvent[] = [];
  const records = m.log.records();
  let seq = records.length;
  const availBefore = k.gen_pool_avail(pool);
  const bad = k.gen_pool_alloc_algo(pool, 256, k.gen_pool_fixed_alloc, { offset: 0x1010 });
  const warns = linesSince(records, seq);
  mistakes.push(
    event({
      driver: 'i2c',
      call: 'k.gen_pool_alloc_algo(pool, 256, k.gen_pool_fixed_alloc, { offset: 0x1010 })',
      result: bad === 0 ? '0 (NULL)' : hex(bad),
      addr: bad,
      note: `offset 0x1010 is not a multiple of the ${GRANULE}-byte granule: a WARN in each chunk tried, avail ${k.gen_pool_avail(pool) === availBefore ? 'unchanged' : 'CHANGED'}`,
      kernel: warns.filter((l) => l.startsWith('WARNING:')),
    }),
  );
  seq = records.length;
  const availBeforeBug = k.gen_pool_avail(pool);
  let caught = 'returned';
  try {
    k.gen_pool_free(pool, usb, 12288);
  } catch (err) {
    if (!(err instanceof KernelBug)) throw err;
    caught = 'KernelBug';
  }
  mistakes.push(
    event({
      driver: 'usb',
      call: 'k.gen_pool_free(pool, usb, 12288)',
      result: caught === 'KernelBug' ? 'throws KernelBug' : caught,
      addr: usb,
      where: whereOf(usb),
      note: `a double free, caught; the pool is ${k.gen_pool_avail(pool) === availBeforeBug ? 'unchanged' : 'CHANGED'} and can be inspected`,
      kernel: linesSince(records, seq).filter((l) => !l.startsWith('------------')),
    }),
  );

  const chunks = chunkList.map((c): ChunkSummary => {
    const name = bankOf(c.start_addr)!.name;
    const freeBytes = (c.nbits - bitmapWeight(c.bits, c.nbits)) * GRANULE;
    const largest = largestFreeRun(c) * GRANULE;
    let allocations = 0;
    for (const addr of live.keys()) if (bankOf(addr)?.name === name) allocations++;
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
  });

  return {
    minAllocOrder: ORDER,
    granule: GRANULE,
    sections: [
      { title: 'pool', events: setup },
      { title: 'drivers allocate and free', events: drivers },
      { title: 'mistakes', events: mistakes },
    ],
    chunks,
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

/** Return the scenario as plain JSON-serialisable data. */
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
