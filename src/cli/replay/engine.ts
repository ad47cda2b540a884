// SPDX-License-Identifier: GPL-2.0-only
/*
 * The replay engine of `kmem replay`: run a parsed trace (trace.ts) on fresh GenPools, once
 * per (algorithm, min_alloc_order) pair, and record every placement, every failure, each
 * allocation's life and the pools' state at the end — the data of the side-by-side
 * comparison and of the report's time × address panels.
 *
 * Kernel: lib/genalloc.c gen_pool_create, gen_pool_add_virt, gen_pool_alloc_algo (with
 * gen_pool_first_fit, gen_pool_best_fit, gen_pool_first_fit_order_align),
 * gen_pool_dma_alloc_align (gen_pool_first_fit_align), gen_pool_fixed_alloc, gen_pool_free.
 *
 * How a trace line becomes a kernel call, in every panel (docs/cli/replay.md):
 *   - `alloc` without align/offset: gen_pool_alloc_algo(pool, size, <the panel's algo>);
 *   - `alloc ... align=N` with N larger than the granule: gen_pool_first_fit_align with
 *     { align: N }, whatever the panel's algorithm — the kernel has no other aligned
 *     algorithm (gen_pool_dma_alloc_align); N up to the granule is ignored, as
 *     first_fit_align ignores it, and the panel's algorithm runs;
 *   - `alloc ... offset=N`: gen_pool_fixed_alloc with { offset: N };
 *   - `free`: gen_pool_free(pool, addr, size) of its alloc's placement in this panel, or
 *     nothing when that alloc failed in this panel (counted as a skipped free).
 *
 * Data structure: one GenPool per trace pool and panel; the panel's address axis lays the
 * trace's pools end to end in declaration order, each pool's chunks in address order, so
 * a life's offset is (the chunk's place on the axis) + (address - chunk start).
 *
 * Invariants (checked by the tests against an independent oracle):
 *   R1: used == sum over live allocations of ceil(size / granule) * granule
 *       == gen_pool_size - gen_pool_avail, at every step; peak == max used.
 *   R2: per pool, fragmentation == 0 when nothing is free, else 1 - largestFree / free, where
 *       free counts whole free granules (not avail, which also counts a chunk's unusable
 *       tail) and largestFree is that pool's own largest run: a run of one pool cannot serve
 *       a request to another, so pools are never mixed in one figure.
 */

import { findNextBit, findNextZeroBit } from '../../bitmap/bitmap.js';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo,
} from '../../genalloc/algos.js';
import type { GenPoolChunk } from '../../genalloc/chunk.js';
import { GenPool } from '../../genalloc/gen-pool.js';
import type { ChunkModel, LifeModel, ReplayPanelModel, RunModel } from '../../report/model.js';
import type { Trace, TraceAlloc } from './trace.js';

/** The algorithms a replay compares, by their panel names. */
export const REPLAY_ALGOS: Readonly<Record<string, GenPoolAlgo>> = {
  'first-fit': gen_pool_first_fit,
  'best-fit': gen_pool_best_fit,
  'first-fit-order-align': gen_pool_first_fit_order_align,
};

/** Short names accepted by --algo. */
export const ALGO_ALIASES: Readonly<Record<string, string>> = {
  'order-align': 'first-fit-order-align',
  ff: 'first-fit',
  bf: 'best-fit',
};

/**
 * Return the panel name of an --algo word (a name of REPLAY_ALGOS or an alias).
 * @returns the canonical name, or null when the word names no algorithm.
 */
export function algoName(word: string): string | null {
  const name = ALGO_ALIASES[word] ?? word;
  return Object.hasOwn(REPLAY_ALGOS, name) ? name : null;
}

/** One pool at the end of a panel's replay. */
export interface PoolEnd {
  readonly name: string;
  readonly order: number;
  /** Chunks newest first (the kernel's search order). */
  readonly chunks: readonly ChunkModel[];
  readonly failures: number;
  /** gen_pool_avail and gen_pool_size. */
  readonly avail: number;
  readonly size: number;
  /** Whole free granules in bytes, this pool's largest free run in bytes, and R2. */
  readonly free: number;
  readonly largestFree: number;
  readonly fragmentation: number;
}

/** The replay of a trace with one algorithm and one min_alloc_order. */
export interface PanelResult {
  readonly algo: string;
  /** The order every pool used (the --order value), or -1 when each kept its own. */
  readonly order: number;
  /** Address per alloc, in trace order of the allocs; 0 where the alloc failed. */
  readonly placements: readonly number[];
  /** Allocations that succeeded, and those that failed. */
  readonly allocs: number;
  readonly failures: number;
  /** Frees of allocations that had failed in this panel (not replayed). */
  readonly skippedFrees: number;
  /** Peak bytes in use (R1), and bytes in use at the end. */
  readonly peak: number;
  readonly used: number;
  /** gen_pool_avail summed over the pools at the end. */
  readonly avail: number;
  /** Each pool at the end, with its own free bytes, largest free run and fragmentation. */
  readonly pools: readonly PoolEnd[];
  /** The report's time × address panel. */
  readonly panel: ReplayPanelModel;
  /** Bytes in use (all pools) at each sample step. */
  readonly usedSamples: readonly number[];
  /** Per pool (trace order), its largest free run (bytes) at each sample step. */
  readonly largestSamples: readonly (readonly number[])[];
}

/** Options of {@link replayTrace}. */
export interface ReplayOptions {
  /** min_alloc_order for every pool; -1 keeps each pool's own. @defaultValue -1 */
  readonly order?: number;
  /** Steps at which to sample used bytes and the largest free run (ascending). @defaultValue [] */
  readonly sampleSteps?: readonly number[];
  /** Called now and then with the number of operations done. @defaultValue none */
  readonly onProgress?: ((done: number) => void) | null;
}

/** Operations between two progress callbacks. */
const PROGRESS_EVERY = 4096;

/** A chunk's place on the panel's address axis. */
interface AxisChunk {
  readonly pool: number;
  readonly start: number;
  readonly end: number;
  readonly offset: number;
}

/** Lay the pools' chunks end to end (declaration order of pools, address order within). */
function buildAxis(trace: Trace): { axis: AxisChunk[]; span: number } {
  const axis: AxisChunk[] = [];
  let span = 0;
  trace.pools.forEach((p, pool) => {
    const sorted = [...p.chunks].sort((a, b) => a.base - b.base);
    for (const c of sorted) {
      axis.push({ pool, start: c.base, end: c.base + c.size, offset: span });
      span += c.size;
    }
  });
  return { axis, span };
}

function axisOffset(axis: readonly AxisChunk[], pool: number, addr: number): number {
  for (const c of axis)
    if (c.pool === pool && addr >= c.start && addr < c.end) return c.offset + (addr - c.start);
  return -1;
}

/**
 * Measure the free bytes (whole granules) and the largest free run of one chunk.
 * @returns bytes free, the largest run's size and offset (size 0, offset 0 when full).
 */
export function chunkFreeRuns(
  chunk: GenPoolChunk,
  unit: number,
): { free: number; largest: number; largestAt: number } {
  let free = 0;
  let largest = 0;
  let largestAt = 0;
  for (let z = findNextZeroBit(chunk.bits, chunk.nbits, 0); z < chunk.nbits;) {
    const end = findNextBit(chunk.bits, chunk.nbits, z);
    free += end - z;
    if (end - z > largest) {
      largest = end - z;
      largestAt = z;
    }
    z = findNextZeroBit(chunk.bits, chunk.nbits, end);
  }
  return { free: free * unit, largest: largest * unit, largestAt: largestAt * unit };
}

/** One pool's whole free granules and its largest free run, in bytes. */
function poolFree(gp: GenPool): { free: number; largest: number } {
  let free = 0;
  let largest = 0;
  const unit = 2 ** gp.minAllocOrder;
  for (const c of gp.chunks) {
    const r = chunkFreeRuns(c, unit);
    free += r.free;
    largest = Math.max(largest, r.largest);
  }
  return { free, largest };
}

function createPools(trace: Trace, order: number): GenPool[] {
  return trace.pools.map((p) => {
    const gp = GenPool.create(order >= 0 ? order : p.order, { name: p.name });
    for (const c of p.chunks) {
      const err = gp.addVirt(c.base, c.base, c.size);
      if (err !== 0) {
        throw new Error(
          `pool '${p.name}' (line ${c.line}): gen_pool_add_virt of ${c.size} bytes at order ${gp.minAllocOrder} failed (${err}): too many granules for one chunk; use a larger --order`,
        );
      }
    }
    return gp;
  });
}

/** Mutable per-run state of {@link replayTrace}. */
interface RunState {
  readonly placements: number[];
  /** Index in `lives` of each op's allocation (-1: failed or a free). */
  readonly lifeOf: Int32Array;
  readonly lives: {
    offset: number;
    size: number;
    from: number;
    to: number;
    owner: string;
    pool: number;
    addr: number;
  }[];
  readonly failures: { step: number; size: number }[];
  readonly poolFailures: number[];
  used: number;
  peak: number;
  skippedFrees: number;
}

const alignData = { align: 0 };
const fixedData = { offset: 0 };

/** Run one alloc op; returns the address or 0. */
function runAlloc(gp: GenPool, op: TraceAlloc, algo: GenPoolAlgo): number {
  if (op.offset >= 0) {
    fixedData.offset = op.offset;
    return gp.allocAlgo(op.size, gen_pool_fixed_alloc, fixedData);
  }
  if (op.align > 2 ** gp.minAllocOrder) {
    alignData.align = op.align;
    return gp.allocAlgo(op.size, gen_pool_first_fit_align, alignData);
  }
  return gp.allocAlgo(op.size, algo, null);
}

function step(
  trace: Trace,
  i: number,
  pools: GenPool[],
  algo: GenPoolAlgo,
  axis: AxisChunk[],
  st: RunState,
): void {
  const op = trace.ops[i]!;
  const gp = pools[op.pool]!;
  const unit = 2 ** gp.minAllocOrder;
  if (op.kind === 'alloc') {
    const addr = runAlloc(gp, op, algo);
    st.placements.push(addr);
    if (addr === 0) {
      st.failures.push({ step: i + 1, size: op.size });
      st.poolFailures[op.pool]!++;
      return;
    }
    const size = Math.ceil(op.size / unit) * unit;
    st.lifeOf[i] = st.lives.length;
    st.lives.push({
      offset: axisOffset(axis, op.pool, addr),
      size,
      from: i + 1,
      to: -1,
      owner: op.owner,
      pool: op.pool,
      addr,
    });
    st.used += size;
    if (st.used > st.peak) st.peak = st.used;
    return;
  }
  const li = st.lifeOf[op.target]!;
  if (li < 0) {
    st.skippedFrees++;
    return;
  }
  const life = st.lives[li]!;
  gp.free(life.addr, (trace.ops[op.target] as TraceAlloc).size);
  life.to = i + 1;
  st.used -= life.size;
}

/**
 * Replay `trace` on fresh pools with the algorithm `algo` (a key of REPLAY_ALGOS).
 *
 * @returns the panel's placements, failures, lives, peak and end state.
 * @throws {Error} when a pool cannot be created at the requested order (too many
 *   granules), or {KernelBug} if the pool BUGs (it cannot for a parsed trace: T1).
 */
export function replayTrace(trace: Trace, algo: string, options: ReplayOptions = {}): PanelResult {
  if (!Object.hasOwn(REPLAY_ALGOS, algo)) throw new Error(`unknown algorithm '${algo}'`);
  const fn = REPLAY_ALGOS[algo]!;
  const order = options.order ?? -1;
  const samples = options.sampleSteps ?? [];
  const onProgress = options.onProgress ?? null;
  const pools = createPools(trace, order);
  const { axis, span } = buildAxis(trace);
  const st: RunState = {
    placements: [],
    lifeOf: new Int32Array(trace.ops.length).fill(-1),
    lives: [],
    failures: [],
    poolFailures: trace.pools.map(() => 0),
    used: 0,
    peak: 0,
    skippedFrees: 0,
  };
  const usedSamples: number[] = [];
  const largestSamples: number[][] = pools.map(() => []);
  let next = 0;
  for (let i = 0; i <= trace.ops.length; i++) {
    while (next < samples.length && samples[next] === i) {
      usedSamples.push(st.used);
      pools.forEach((gp, p) => largestSamples[p]!.push(poolFree(gp).largest));
      next++;
    }
    if (i === trace.ops.length) break;
    step(trace, i, pools, fn, axis, st);
    if (onProgress !== null && (i + 1) % PROGRESS_EVERY === 0) onProgress(i + 1);
  }
  return finish(trace, algo, order, pools, span, st, usedSamples, largestSamples);
}

function finish(
  trace: Trace,
  algo: string,
  order: number,
  pools: GenPool[],
  span: number,
  st: RunState,
  usedSamples: number[],
  largestSamples: number[][],
): PanelResult {
  const ends = pools.map((gp, p) => poolEnd(trace, gp, p, st));
  const lives: LifeModel[] = st.lives.map((l) => ({
    offset: l.offset,
    size: l.size,
    from: l.from,
    to: l.to,
    owner: l.owner,
  }));
  const panelOrder = order >= 0 ? order : (trace.pools[0]?.order ?? 0);
  const panel: ReplayPanelModel = {
    algo,
    order: panelOrder,
    span,
    steps: trace.ops.length,
    lives,
    failures: st.failures,
    pools: ends.map((e) => ({
      name: e.name,
      free: e.free,
      largestFree: e.largestFree,
      fragmentation: e.fragmentation,
    })),
    peak: st.peak,
  };
  return {
    algo,
    order,
    placements: st.placements,
    allocs: st.lives.length,
    failures: st.failures.length,
    skippedFrees: st.skippedFrees,
    peak: st.peak,
    used: st.used,
    avail: pools.reduce((n, gp) => n + gp.avail(), 0),
    pools: ends,
    panel,
    usedSamples,
    largestSamples,
  };
}

/** The end state of one pool as the report's ChunkModels. */
function poolEnd(trace: Trace, gp: GenPool, p: number, st: RunState): PoolEnd {
  const unit = 2 ** gp.minAllocOrder;
  const chunks: ChunkModel[] = gp.chunks.map((c) => {
    const runs: RunModel[] = st.lives
      .filter((l) => l.pool === p && l.to === -1 && l.addr >= c.startAddr && l.addr < c.endAddr)
      .map((l) => ({ offset: l.addr - c.startAddr, size: l.size, owner: l.owner }))
      .sort((a, b) => a.offset - b.offset);
    const r = chunkFreeRuns(c, unit);
    return {
      start: c.startAddr,
      phys: c.physAddr,
      size: c.size,
      avail: c.avail,
      runs,
      largestFree: { offset: r.largestAt, size: r.largest },
    };
  });
  const { free, largest } = poolFree(gp);
  return {
    name: trace.pools[p]!.name,
    order: gp.minAllocOrder,
    chunks,
    failures: st.poolFailures[p]!,
    avail: gp.avail(),
    size: gp.size(),
    free,
    largestFree: largest,
    fragmentation: free === 0 ? 0 : 1 - largest / free,
  };
}

/**
 * Pick at most `max` sample steps spread over [0, steps], always with 0 and `steps`.
 * @returns the ascending steps (just [0] for an empty trace).
 */
export function sampleSteps(steps: number, max = 256): number[] {
  const every = Math.max(1, Math.ceil(steps / Math.max(1, max - 1)));
  const out: number[] = [];
  for (let s = 0; s < steps; s += every) out.push(s);
  out.push(steps);
  return out;
}
