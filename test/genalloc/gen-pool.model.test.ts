// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-based tests of GenPool: seeded random operation sequences run against kmem and
 * against the literal kernel model of test/helpers/genpool-oracle.ts. Every returned address,
 * owner, avail value, BUG and WARN must agree, and checkInvariants(pool) runs after every
 * operation. A failure names the seed and the operation index, so `SEED`/`op` reproduce it.
 *
 * Then the canonical workloads of bench/WORKLOADS.md, at full size, against the checksums
 * and failure counts of the kernel's own C code ("Reference results").
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenPool, type Out } from '../../src/genalloc/gen-pool.js';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  type GenPoolAlgo,
} from '../../src/genalloc/algos.js';
import { checkInvariants } from '../../src/genalloc/check.js';
import { KernelBug } from '../../src/base/errors.js';
import { XorShift32 } from '../../src/base/rng.js';
import {
  GENPOOL_BASE,
  GENPOOL_ORDER,
  GENPOOL_SIZE,
  runGFill,
  runGSteady,
  type WorkloadTarget,
} from '../../bench/workloads.js';
import {
  GenPoolOracle,
  ORACLE_ALGOS,
  type OracleAlgo,
  type OracleChunk,
  type OracleData,
} from '../helpers/genpool-oracle.js';

// ── The model driver ───────────────────────────────────────────────────────

const KMEM_ALGO: Readonly<Record<OracleAlgo, GenPoolAlgo>> = {
  first_fit: gen_pool_first_fit,
  first_fit_align: gen_pool_first_fit_align,
  fixed: gen_pool_fixed_alloc,
  order_align: gen_pool_first_fit_order_align,
  best_fit: gen_pool_best_fit,
};

/** How a chunk is added: gen_pool_add (phys -1), gen_pool_add_virt, gen_pool_add_owner. */
interface ChunkSpec {
  readonly how: 'add' | 'virt' | 'owner';
  readonly virt: number;
  readonly phys: number;
  readonly size: number;
  readonly owner: unknown;
}

/**
 * Two or three small chunks, oldest first: one with an exact size at a well-aligned start,
 * one added with phys -1 whose size is not a multiple of the granule and whose start is not
 * granule-aligned (for units above 16), one whose start is granule-aligned but not aligned
 * to larger powers of two (absolute vs relative alignment) and whose size has a tail.
 */
function geometry(order: number, nChunks: 2 | 3): ChunkSpec[] {
  const unit = 2 ** order;
  const tail = (n: number): number => (unit > n ? n : unit - 1);
  const specs: ChunkSpec[] = [
    { how: 'owner', virt: 0x100000, phys: 0x80000000, size: 1000 * unit, owner: 'chunk A' },
    { how: 'add', virt: 0x208010, phys: -1, size: 517 * unit + tail(7), owner: null },
    {
      how: 'virt',
      virt: 0x300000 + 3 * unit,
      phys: 0x90000000,
      size: 300 * unit + tail(unit - 1),
      owner: null,
    },
  ];
  return specs.slice(0, nChunks);
}

/** Which algorithm (and data) an allocation uses. */
type AlgoPicker = (
  rng: XorShift32,
  unit: number,
  op: number,
) => { algo: OracleAlgo; data: OracleData };

function pickData(algo: OracleAlgo, rng: XorShift32, unit: number): OracleData {
  if (algo === 'first_fit_align') return { align: 2 ** rng.below(13) };
  if (algo === 'fixed') {
    if (unit > 1 && rng.below(10) === 0)
      return { offset: unit * rng.below(600) + 1 + rng.below(unit - 1) };
    return { offset: unit * rng.below(rng.below(2) === 0 ? 64 : 1100) };
  }
  return null;
}

function only(algo: OracleAlgo): AlgoPicker {
  return (rng, unit) => ({ algo, data: pickData(algo, rng, unit) });
}

/** A random algorithm per operation; best fit only from `bestFitFrom` on. */
function anyAlgo(bestFitFrom: number): AlgoPicker {
  return (rng, unit, op) => {
    const n = op < bestFitFrom ? 4 : 5;
    const algo = ORACLE_ALGOS[rng.below(n)]!;
    return { algo, data: pickData(algo, rng, unit) };
  };
}

function pickSize(rng: XorShift32, unit: number): number {
  const k = rng.below(100);
  if (k < 2) return 0;
  if (k < 47) return 1 + rng.below(unit * 4);
  if (k < 85) return 1 + rng.below(unit * 40);
  if (k < 98) return 1 + rng.below(unit * 200);
  return 1 + rng.below(unit * 1500);
}

interface Live {
  addr: number;
  size: number;
}

interface ModelOptions {
  readonly seed: number;
  readonly ops: number;
  readonly order: number;
  readonly nChunks: 2 | 3;
  readonly index: boolean;
  readonly pick: AlgoPicker;
  /** Called after the run with the pool, for extra assertions. */
  readonly after?: (pool: GenPool, stats: ModelStats) => void;
  /** Called before operation `op`. */
  readonly before?: (pool: GenPool, op: number) => void;
}

interface ModelStats {
  allocOk: number;
  allocFail: number;
  frees: number;
  bugs: number;
  warns: number;
}

const SENTINEL = Symbol('untouched');

/** Read bit i of a kmem bitmap. */
function kbit(bits: Uint32Array, i: number): boolean {
  return ((bits[i >>> 5]! >>> (i & 31)) & 1) === 1;
}

function sameBitmaps(pool: GenPool, oracle: GenPoolOracle): string | null {
  const chunks = pool.chunks;
  if (chunks.length !== oracle.chunks.length)
    return `chunk count ${chunks.length} vs ${oracle.chunks.length}`;
  for (let c = 0; c < chunks.length; c++) {
    const k = chunks[c]!;
    const o: OracleChunk = oracle.chunks[c]!;
    if (k.startAddr !== o.startAddr) return `chunk ${c} start ${k.startAddr} vs ${o.startAddr}`;
    if (k.avail !== o.avail) return `chunk ${c} avail ${k.avail} vs ${o.avail}`;
    const n = Math.max(k.bits.length * 32, o.bits.length);
    for (let i = 0; i < n; i++) {
      if (kbit(k.bits, i) !== (o.bits[i] === true)) {
        return `chunk ${c} (0x${k.startAddr.toString(16)}) bit ${i}: kmem ${kbit(k.bits, i)}, kernel ${o.bits[i] === true}`;
      }
    }
  }
  return null;
}

function snapshot(pool: GenPool): { bits: Uint32Array[]; avail: number[] } {
  return { bits: pool.chunks.map((c) => c.bits.slice()), avail: pool.chunks.map((c) => c.avail) };
}

function unchanged(pool: GenPool, snap: { bits: Uint32Array[]; avail: number[] }): boolean {
  const chunks = pool.chunks;
  if (chunks.length !== snap.bits.length) return false;
  for (let c = 0; c < chunks.length; c++) {
    if (chunks[c]!.avail !== snap.avail[c]) return false;
    const a = chunks[c]!.bits;
    const b = snap.bits[c]!;
    for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  }
  return true;
}

/**
 * Run `ops` seeded operations on a fresh kmem pool and a fresh kernel model with the same
 * chunks, comparing everything after every operation.
 */
function runModel(o: ModelOptions): ModelStats {
  const unit = 2 ** o.order;
  const pool = GenPool.create(o.order, { index: o.index });
  const oracle = new GenPoolOracle(o.order);
  const specs = geometry(o.order, o.nChunks);
  for (const s of specs) {
    const rc =
      s.how === 'add'
        ? pool.add(s.virt, s.size)
        : s.how === 'virt'
          ? pool.addVirt(s.virt, s.phys, s.size)
          : pool.addOwner(s.virt, s.phys, s.size, -1, s.owner);
    assert.equal(rc, 0);
    oracle.add(s.virt, s.how === 'add' ? -1 : s.phys, s.size, s.how === 'owner' ? s.owner : null);
  }
  // Addresses in no chunk: below, between, just after and far above the chunks.
  const foreign: number[] = [1, 0xfffff, 0x1c0000, 0x3fffffff];
  for (const s of specs) foreign.push(s.virt + s.size, s.virt - 1);

  const rng = new XorShift32(o.seed);
  const live: Live[] = [];
  const freed: Live[] = [];
  const stats: ModelStats = { allocOk: 0, allocFail: 0, frees: 0, bugs: 0, warns: 0 };
  const records = pool.log.records();
  const ownerOut: Out<unknown> = { value: SENTINEL };
  let what = '';
  let op = 0;
  const fail = (msg: string): never => {
    assert.fail(`seed 0x${o.seed.toString(16)} op ${op} (${what}): ${msg}`);
  };

  const doFree = (addr: number, size: number): void => {
    const snap = snapshot(pool);
    const nRec = records.length;
    ownerOut.value = SENTINEL;
    let bug: KernelBug | null = null;
    try {
      pool.freeOwner(addr, size, ownerOut);
    } catch (e) {
      if (!(e instanceof KernelBug)) throw e;
      bug = e;
    }
    const exp = oracle.free(addr, size);
    if ((bug !== null) !== (exp.bug !== null)) {
      fail(
        `kmem ${bug === null ? 'freed' : `BUGged (${bug.message})`}, kernel ${exp.bug === null ? 'frees' : `BUGs (${exp.bug})`}`,
      );
    }
    if (bug !== null) {
      stats.bugs++;
      if (ownerOut.value !== null) fail('owner not reset to NULL by a BUGging free');
      if (!unchanged(pool, snap)) fail('a BUGging free changed the pool');
      if (records.length !== nRec + 1 || records[nRec]!.level !== 'bug')
        fail('a BUG logged no bug record');
      if (!records[nRec]!.lines.includes('kernel BUG at lib/genalloc.c!'))
        fail('no "kernel BUG at" line');
      if (!bug.message.includes(`0x${addr.toString(16)}`))
        fail(`BUG message lacks the address: ${bug.message}`);
    } else {
      stats.frees++;
      if (ownerOut.value !== exp.owner)
        fail(`free owner ${String(ownerOut.value)}, kernel ${String(exp.owner)}`);
      if (records.length !== nRec) fail('a good free logged something');
    }
  };

  for (op = 0; op < o.ops; op++) {
    o.before?.(pool, op);
    const phase = Math.floor(op / 2500) % 3;
    const allocPct = phase === 0 ? 70 : phase === 1 ? 50 : 30;
    const k = rng.below(100);
    if (k < allocPct || live.length === 0) {
      const size = pickSize(rng, unit);
      const { algo, data } = o.pick(rng, unit, op);
      what = `alloc ${size} ${algo} ${JSON.stringify(data)}`;
      const nRec = records.length;
      ownerOut.value = SENTINEL;
      const addr = pool.allocAlgoOwner(size, KMEM_ALGO[algo], data, ownerOut);
      const exp = oracle.alloc(size, algo, data);
      if (addr !== exp.addr)
        fail(`address 0x${addr.toString(16)}, kernel 0x${exp.addr.toString(16)}`);
      if (ownerOut.value !== exp.owner)
        fail(`owner ${String(ownerOut.value)}, kernel ${String(exp.owner)}`);
      if (records.length - nRec !== exp.warns)
        fail(`${records.length - nRec} log records, kernel WARNs ${exp.warns} times`);
      for (let r = nRec; r < records.length; r++) {
        if (records[r]!.level !== 'warn' || records[r]!.site !== 'gen_pool_fixed_alloc')
          fail('unexpected log record');
      }
      stats.warns += exp.warns;
      if (addr !== 0) {
        live.push({ addr, size });
        stats.allocOk++;
      } else if (size !== 0) {
        stats.allocFail++;
      }
    } else if (k < 97) {
      const i = rng.below(live.length);
      const a = live[i]!;
      live[i] = live[live.length - 1]!;
      live.pop();
      what = `free 0x${a.addr.toString(16)} ${a.size}`;
      doFree(a.addr, a.size);
      freed.push(a);
      if (freed.length > 16) freed.shift();
    } else {
      const kind = rng.below(7);
      const c = specs[rng.below(specs.length)]!;
      let addr: number;
      let size: number;
      if (kind === 0 && freed.length > 0) {
        const f = freed[rng.below(freed.length)]!; // double free (unless reallocated since)
        addr = f.addr;
        size = f.size;
      } else if (kind === 1) {
        addr = foreign[rng.below(foreign.length)]!;
        size = 1 + rng.below(unit * 4);
      } else if (kind === 2) {
        const back = rng.below(2 * unit);
        addr = c.virt + c.size - 1 - back;
        size = back + 2 + rng.below(unit * 3);
      } else if (kind === 3) {
        addr = c.virt + rng.below(c.size);
        size = rng.below(unit * 6);
      } else if (live.length > 0) {
        const i = rng.below(live.length);
        const a = live[i]!;
        if (kind === 4) {
          size = Math.max(0, a.size - unit * (1 + rng.below(3))); // smaller: the rest leaks
        } else if (kind === 5) {
          size = a.size + unit * (1 + rng.below(4)); // larger: BUG, or frees a neighbour
        } else {
          size = 0; // a no-op
        }
        addr = a.addr;
        if (size !== 0) {
          live[i] = live[live.length - 1]!;
          live.pop();
        }
      } else {
        addr = foreign[0]!;
        size = 1;
      }
      what = `odd free (kind ${kind}) 0x${addr.toString(16)} ${size}`;
      doFree(addr, size);
    }
    if (op % 10_000 === 9_999) {
      // Sweep: free every allocated run (leaked tails, half-freed neighbours) so that the
      // next 10,000 operations start from an empty pool again.
      for (const c of oracle.chunks) {
        let i = 0;
        while (i < c.nbits) {
          if (c.bits[i] !== true) {
            i++;
            continue;
          }
          let j = i;
          while (j < c.nbits && c.bits[j] === true) j++;
          what = `sweep 0x${c.startAddr.toString(16)} bits ${i}..${j - 1}`;
          doFree(c.startAddr + i * unit, (j - i) * unit);
          i = j;
        }
      }
      live.length = 0;
      freed.length = 0;
      if (pool.avail() !== pool.size())
        fail(`avail ${pool.avail()} after the sweep, size ${pool.size()}`);
    }
    if (pool.avail() !== oracle.avail()) fail(`avail ${pool.avail()}, kernel ${oracle.avail()}`);
    try {
      checkInvariants(pool);
    } catch (e) {
      fail(`checkInvariants: ${(e as Error).message}`);
    }
    if ((op & 255) === 255 || op === o.ops - 1) {
      const diff = sameBitmaps(pool, oracle);
      if (diff !== null) fail(diff);
      if (pool.size() !== oracle.size()) fail(`size ${pool.size()}, kernel ${oracle.size()}`);
      for (let p = 0; p < 8; p++) {
        const s = specs[rng.below(specs.length)]!;
        const addr = s.virt - unit + rng.below(s.size + 2 * unit);
        const len = rng.below(unit * 8);
        what = `probe 0x${addr.toString(16)} ${len}`;
        if (pool.virtToPhys(addr) !== oracle.virtToPhys(addr)) {
          fail(`virtToPhys ${pool.virtToPhys(addr)}, kernel ${oracle.virtToPhys(addr)}`);
        }
        if (pool.hasAddr(addr, len) !== oracle.hasAddr(addr, len)) {
          fail(`hasAddr ${pool.hasAddr(addr, len)}, kernel ${oracle.hasAddr(addr, len)}`);
        }
      }
    }
  }
  o.after?.(pool, stats);
  return stats;
}

/** The op mix reached both sides of every comparison. */
function assertCoverage(s: ModelStats, warns: boolean): void {
  assert.ok(s.allocOk > 1000, `only ${s.allocOk} successful allocations`);
  assert.ok(s.allocFail > 100, `only ${s.allocFail} failed allocations`);
  assert.ok(s.frees > 1000, `only ${s.frees} frees`);
  assert.ok(s.bugs > 100, `only ${s.bugs} BUGs`);
  if (warns) assert.ok(s.warns > 10, `only ${s.warns} WARNs`);
}

const OPS = 100_000;

// ── One algorithm per run ──────────────────────────────────────────────────

test('model: first_fit agrees with the kernel on 100,000 seeded operations (seed 0x1f1f01)', () => {
  const s = runModel({
    seed: 0x1f1f01,
    ops: OPS,
    order: 4,
    nChunks: 3,
    index: true,
    pick: only('first_fit'),
  });
  assertCoverage(s, false);
});

test('model: first_fit_align agrees with the kernel on 100,000 seeded operations (seed 0xa119)', () => {
  const s = runModel({
    seed: 0xa119,
    ops: OPS,
    order: 5,
    nChunks: 3,
    index: true,
    pick: only('first_fit_align'),
    after: (pool) => {
      assert.ok(
        pool.chunks.some((c) => c.aligned !== null),
        'no chunk built its aligned-fit index',
      );
    },
  });
  assertCoverage(s, false);
});

test('model: fixed_alloc agrees with the kernel, WARNs included, on 100,000 seeded operations (seed 0xf1ed)', () => {
  const s = runModel({
    seed: 0xf1ed,
    ops: OPS,
    order: 5,
    nChunks: 3,
    index: true,
    pick: only('fixed'),
  });
  assert.ok(
    s.allocOk > 1000 && s.allocFail > 100 && s.frees > 1000 && s.bugs > 100,
    JSON.stringify(s),
  );
  assert.ok(s.warns > 100, `only ${s.warns} WARNs`);
});

test('model: first_fit_order_align agrees with the kernel on 100,000 seeded operations (seed 0x0a11)', () => {
  const s = runModel({
    seed: 0x0a11,
    ops: OPS,
    order: 3,
    nChunks: 3,
    index: true,
    pick: only('order_align'),
    after: (pool) => {
      assert.ok(
        pool.chunks.some((c) => c.aligned !== null),
        'no chunk built its aligned-fit index',
      );
    },
  });
  assertCoverage(s, false);
});

test('model: best_fit agrees with the kernel on 100,000 seeded operations (seed 0xbe57)', () => {
  const s = runModel({
    seed: 0xbe57,
    ops: OPS,
    order: 5,
    nChunks: 2,
    index: true,
    pick: only('best_fit'),
    after: (pool) => {
      for (const c of pool.chunks) assert.notEqual(c.runs, null, 'best fit built no run index');
    },
  });
  assertCoverage(s, false);
});

// ── Scan mode and mixed algorithms ─────────────────────────────────────────

test('model: scan mode ({ index: false }) agrees with the kernel for every algorithm (seed 0x5ca9)', () => {
  const s = runModel({
    seed: 0x5ca9,
    ops: OPS,
    order: 5,
    nChunks: 3,
    index: false,
    pick: anyAlgo(0),
    after: (pool) => {
      for (const c of pool.chunks) {
        assert.equal(c.tree, null);
        assert.equal(c.runs, null);
      }
    },
  });
  assertCoverage(s, true);
});

test('model: a random algorithm per operation agrees with the kernel, best-fit index built mid-run (seed 0x313ed)', () => {
  const bestFitFrom = 20_000;
  const s = runModel({
    seed: 0x313ed,
    ops: OPS,
    order: 4,
    nChunks: 3,
    index: true,
    pick: anyAlgo(bestFitFrom),
    before: (pool, op) => {
      if (op === bestFitFrom) {
        for (const c of pool.chunks)
          assert.equal(c.runs, null, 'run index built before any best fit');
      }
    },
    after: (pool) => {
      assert.ok(
        pool.chunks.some((c) => c.runs !== null),
        'best fit built no run index',
      );
    },
  });
  assertCoverage(s, true);
});

// ── The canonical workloads against the kernel's C results ─────────────────

function workloadTarget(pool: GenPool, algo: GenPoolAlgo): WorkloadTarget {
  return {
    alloc(size: number): number {
      const addr = pool.allocAlgo(size, algo, null);
      return addr === 0 ? -1 : addr - GENPOOL_BASE;
    },
    free(off: number, size: number): void {
      pool.free(GENPOOL_BASE + off, size);
    },
  };
}

function canonicalPool(): GenPool {
  const pool = GenPool.create(GENPOOL_ORDER);
  assert.equal(pool.add(GENPOOL_BASE, GENPOOL_SIZE), 0);
  return pool;
}

test('canonical workloads at full size give the failed counts and checksums of the kernel C reference', () => {
  // bench/WORKLOADS.md, "Reference results".
  const reference: Array<{
    name: string;
    algo: GenPoolAlgo;
    cap: number;
    failed: number;
    checksum: number;
  }> = [
    {
      name: 'G-steady first-fit',
      algo: gen_pool_first_fit,
      cap: 2048,
      failed: 0,
      checksum: 3873226336,
    },
    {
      name: 'G-steady best-fit',
      algo: gen_pool_best_fit,
      cap: 2048,
      failed: 0,
      checksum: 1546878528,
    },
    {
      name: 'G-steady order-align',
      algo: gen_pool_first_fit_order_align,
      cap: 2048,
      failed: 0,
      checksum: 1760469248,
    },
    {
      name: 'G-high first-fit',
      algo: gen_pool_first_fit,
      cap: 7000,
      failed: 0,
      checksum: 2641118784,
    },
    {
      name: 'G-high best-fit',
      algo: gen_pool_best_fit,
      cap: 7000,
      failed: 0,
      checksum: 1410417824,
    },
    {
      name: 'G-high order-align',
      algo: gen_pool_first_fit_order_align,
      cap: 7000,
      failed: 113263,
      checksum: 3831834336,
    },
  ];
  const fill = canonicalPool();
  const g = runGFill(workloadTarget(fill, gen_pool_first_fit));
  assert.deepEqual(
    { failed: g.failed, checksum: g.checksum },
    { failed: 0, checksum: 4286578688 },
    'G-fill first-fit',
  );
  assert.equal(g.ops, 262144);
  assert.equal(fill.avail(), GENPOOL_SIZE, 'G-fill frees everything');
  checkInvariants(fill);
  // G-fill places 64-byte blocks back to back whatever the algorithm: the same checksum.
  for (const algo of [gen_pool_best_fit, gen_pool_first_fit_order_align]) {
    const p = canonicalPool();
    const r = runGFill(workloadTarget(p, algo));
    assert.deepEqual(
      { failed: r.failed, checksum: r.checksum },
      { failed: 0, checksum: 4286578688 },
      `G-fill ${algo.name}`,
    );
    assert.equal(p.avail(), GENPOOL_SIZE);
  }
  for (const ref of reference) {
    const pool = canonicalPool();
    const r = runGSteady(workloadTarget(pool, ref.algo), ref.cap);
    assert.equal(r.ops, 1_000_000);
    assert.deepEqual(
      { failed: r.failed, checksum: r.checksum },
      { failed: ref.failed, checksum: ref.checksum },
      ref.name,
    );
    checkInvariants(pool);
  }
});
