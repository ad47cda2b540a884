// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-based test of dmapool: many seeded random operations (xorshift32) on several pools
 * of one device (sizes, alignments and boundaries including unaligned sizes), compared
 * after every operation with a simple oracle built from KERNEL-SPEC §2.1/§2.2 only: the
 * effective size/allocation/boundary from the creation rules, the block offsets of a
 * buffer from the pool_initialise_page loop, and the free list as a LIFO stack onto which
 * a new buffer's blocks go in ascending order. Checked: the exact block each alloc returns,
 * no block handed out twice while live, alignment and boundary in absolute bus addresses,
 * handle = page dma + offset, nr_active / nr_blocks / nr_pages, the `pools` file, a failed
 * page allocation changing nothing, and (periodically) the in-memory free list itself. A
 * debug-mode run also checks the poison bytes and that nothing is ever reported.
 *
 * Kernel: mm/dmapool.c (6.3+).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, XorShift32, type DmaPool } from '../../src/index.js';

interface Cfg {
  readonly size: number;
  readonly align: number;
  readonly boundary: number;
}

const CONFIGS: readonly Cfg[] = [
  { size: 20, align: 1, boundary: 0 },
  { size: 17, align: 1, boundary: 0 },
  { size: 30, align: 2, boundary: 64 },
  { size: 68, align: 32, boundary: 4096 },
  { size: 1000, align: 8, boundary: 2048 },
  { size: 4096, align: 0, boundary: 0 },
  { size: 64, align: 64, boundary: 0 },
  { size: 100, align: 4, boundary: 1024 },
  { size: 5000, align: 0, boundary: 0 },
  { size: 8, align: 0, boundary: 16 },
  { size: 24, align: 8, boundary: 64 },
];

const DMA_OFFSET = 0x1000000000;

/** The spec's view of one pool. */
class Oracle {
  readonly size: number;
  readonly allocation: number;
  readonly boundary: number;
  /** Block offsets within one buffer, ascending (§2.2). */
  readonly offsets: number[] = [];
  /** The free list: the head is the last element. */
  readonly stack: number[] = [];
  /** Bus address of every block seen so far. */
  readonly dmaOf = new Map<number, number>();
  /** Live blocks → their dma, and the same blocks in an array for random picks. */
  readonly live = new Map<number, number>();
  readonly liveArr: number[] = [];
  readonly pages: { vaddr: number; dma: number }[] = [];
  readonly cfg: Cfg;
  readonly name: string;

  constructor(cfg: Cfg, name: string) {
    this.cfg = cfg;
    this.name = name;
    const align = cfg.align === 0 ? 1 : cfg.align;
    const size = Math.ceil(Math.max(cfg.size, 16) / align) * align;
    this.size = size;
    this.allocation = Math.max(size, 4096);
    this.boundary = Math.min(cfg.boundary === 0 ? this.allocation : cfg.boundary, this.allocation);
    let next = this.boundary;
    for (let off = 0; off + size <= this.allocation;) {
      if (off + size > next) {
        off = next;
        next += this.boundary;
        continue;
      }
      this.offsets.push(off);
      off += size;
    }
  }

  /** A new buffer: its blocks go on the list so that the lowest comes out first. */
  addPage(vaddr: number, dma: number): void {
    this.pages.push({ vaddr, dma });
    for (let i = this.offsets.length - 1; i >= 0; i--) {
      const off = this.offsets[i]!;
      this.stack.push(vaddr + off);
      this.dmaOf.set(vaddr + off, dma + off);
    }
  }
}

interface World {
  m: Machine;
  pools: DmaPool[];
  oracles: Oracle[];
}

/** Where the pools' buffers come from: the machine's RAM and the device's node. */
interface Placement {
  readonly memory: string;
  readonly nodes: number;
  readonly node: number;
}

/** The default 4 GiB machine: buffers just above 4 GiB. */
const ABOVE_4G: Placement = { memory: '4G', nodes: 1, node: 0 };

function build(debug: boolean, where: Placement): World {
  const m = new Machine({ dmapoolDebug: debug, memory: where.memory, nodes: where.nodes });
  const dev = m.createDevice('model', { dmaMask: -1, dmaOffset: DMA_OFFSET, node: where.node });
  const pools: DmaPool[] = [];
  const oracles: Oracle[] = [];
  CONFIGS.forEach((cfg, i) => {
    const name = `pool${i}-${cfg.size}`;
    const pool = m.kernel.dma_pool_create(name, dev, cfg.size, cfg.align, cfg.boundary);
    assert.ok(pool !== null, name);
    const o = new Oracle(cfg, name);
    assert.deepEqual(
      [pool.size, pool.allocation, pool.boundary],
      [o.size, o.allocation, o.boundary],
    );
    pools.push(pool);
    oracles.push(o);
  });
  return { m, pools, oracles };
}

function checkCounters(pool: DmaPool, o: Oracle): void {
  assert.equal(pool.nr_active, o.live.size, `${o.name} nr_active`);
  assert.equal(pool.nr_pages, o.pages.length, `${o.name} nr_pages`);
  assert.equal(pool.nr_blocks, o.pages.length * o.offsets.length, `${o.name} nr_blocks`);
  assert.equal(
    pool.next_block,
    o.stack.length === 0 ? 0 : o.stack[o.stack.length - 1],
    `${o.name} head`,
  );
}

/** The pools file, parsed: newest pool first. */
function checkPoolsFile(w: World): void {
  const lines = w.m.readFile('/sys/devices/model/pools').split('\n');
  assert.equal(lines[0], 'poolinfo - 0.1');
  assert.equal(lines.length, w.pools.length + 2);
  for (let i = 0; i < w.pools.length; i++) {
    const o = w.oracles[w.pools.length - 1 - i]!;
    const f = lines[i + 1]!.trim().split(/ +/);
    assert.deepEqual(f, [
      o.name,
      `${o.live.size}`,
      `${o.pages.length * o.offsets.length}`,
      `${o.size}`,
      `${o.pages.length}`,
    ]);
  }
}

/** Walk the free list in simulated memory and compare it with the oracle's stack. */
function checkFreeList(w: World, pool: DmaPool, o: Oracle): void {
  const k = w.m.kernel;
  let block = pool.next_block;
  for (let i = o.stack.length - 1; i >= 0; i--) {
    assert.equal(block, o.stack[i], `${o.name} free list position ${o.stack.length - 1 - i}`);
    const hdr = k.mem_read(block, 16);
    let next = 0;
    let dma = 0;
    for (let b = 7; b >= 0; b--) {
      next = next * 256 + hdr[b]!;
      dma = dma * 256 + hdr[8 + b]!;
    }
    assert.equal(dma, o.dmaOf.get(block), `${o.name} dma in header`);
    block = next;
  }
  assert.equal(block, 0, `${o.name} free list longer than the oracle's`);
}

/**
 * Run `ops` seeded operations with the buffers `where` says. The pool keeps its list head
 * in two forms (see dma-pool.ts): a word index for RAM below 8 GiB — below 4 GiB (1G
 * machine) and above it (the default) take different bits — and a full address beyond.
 */
function run(debug: boolean, ops: number, seed: number, where = ABOVE_4G): void {
  const w = build(debug, where);
  const { m, pools, oracles } = w;
  const k = m.kernel;
  const rng = new XorShift32(seed);
  const handle = { value: 0 };
  let allocs = 0;
  let injected = 0;
  for (let op = 0; op < ops; op++) {
    const pi = rng.below(pools.length);
    const pool = pools[pi]!;
    const o = oracles[pi]!;
    // Phases that grow and shrink the pools; a cap keeps memory modest.
    const growing = Math.floor(op / 7919) % 2 === 0;
    const wantAlloc =
      o.live.size === 0 || (o.live.size < 1500 && rng.below(100) < (growing ? 62 : 40));
    if (wantAlloc) {
      const zero = rng.below(8) === 0;
      const gfp = (rng.below(2) === 0 ? k.GFP_KERNEL : k.GFP_ATOMIC) | (zero ? k.__GFP_ZERO : 0);
      if (o.stack.length === 0 && rng.below(20) === 0) {
        m.failNth(rng.below(2) === 0 ? 'dma' : 'kmalloc');
        handle.value = -5;
        assert.equal(k.dma_pool_alloc(pool, gfp, handle), 0);
        assert.equal(handle.value, -5);
        checkCounters(pool, o);
        injected++;
      }
      const v = k.dma_pool_alloc(pool, gfp, handle);
      assert.notEqual(v, 0);
      if (o.stack.length === 0) {
        const page = pool.page_list[0]!;
        assert.equal(page.dma, k.virt_to_phys(page.vaddr) + DMA_OFFSET, 'buffer handle');
        o.addPage(page.vaddr, page.dma);
      }
      const expect = o.stack.pop()!;
      assert.equal(v, expect, `${o.name}: op ${op} returned the wrong block`);
      assert.ok(!o.live.has(v), 'handed out twice');
      const dma = handle.value;
      assert.equal(dma, o.dmaOf.get(v), 'handle');
      const cfg = o.cfg;
      const align = cfg.align === 0 ? 1 : cfg.align;
      assert.equal(dma % align, 0);
      assert.equal(v % align, 0);
      // Absolute boundary: the requested one, or the allocation when that is a power of two
      // (a 5000-byte allocation is a boundary only relative to its buffer).
      const bnd = cfg.boundary !== 0 ? cfg.boundary : o.allocation;
      if ((bnd & (bnd - 1)) === 0) {
        assert.equal(Math.floor(dma / bnd), Math.floor((dma + o.size - 1) / bnd), 'crosses');
      }
      o.live.set(v, dma);
      o.liveArr.push(v);
      allocs++;
      if (zero || debug || allocs % 64 === 0) {
        const bytes = k.mem_read(v, o.size);
        const want = zero ? 0 : debug ? 0xa9 : -1;
        if (want >= 0)
          assert.ok(
            bytes.every((b) => b === want),
            `${o.name} content`,
          );
      }
    } else {
      const at = rng.below(o.liveArr.length);
      const v = o.liveArr[at]!;
      o.liveArr[at] = o.liveArr[o.liveArr.length - 1]!;
      o.liveArr.pop();
      const dma = o.live.get(v)!;
      k.dma_pool_free(pool, v, dma);
      o.live.delete(v);
      o.stack.push(v);
      if (debug) {
        assert.ok(
          k.mem_read(v + 16, o.size - 16).every((b) => b === 0xa7),
          'free poison',
        );
      }
    }
    checkCounters(pool, o);
    checkPoolsFile(w);
    if (op % 4000 === 3999)
      for (let i = 0; i < pools.length; i++) checkFreeList(w, pools[i]!, oracles[i]!);
  }
  assert.ok(injected > 0, 'the failure path was exercised');
  const logged = m.dmesg().filter((l) => !l.startsWith('FAULT_INJECTION'));
  assert.deepEqual(logged, [], 'nothing reported');
  // Free everything, check, destroy: every buffer goes back.
  for (let i = 0; i < pools.length; i++) {
    const o = oracles[i]!;
    for (const [v, d] of o.live) {
      k.dma_pool_free(pools[i]!, v, d);
      o.stack.push(v);
    }
    o.live.clear();
    o.liveArr.length = 0;
    checkCounters(pools[i]!, o);
    checkFreeList(w, pools[i]!, o);
  }
  for (const pool of pools) k.dma_pool_destroy(pool);
  assert.deepEqual(m.dma.buffers(m.platform.device('model')!), []);
  assert.equal(m.dma.bytesInUse, 0);
}

test('model: 100,000 seeded operations on eleven pools match the oracle', () => {
  run(false, 100_000, 0x2f7d94e6);
});

test('model: a second seed', () => {
  run(false, 20_000, 12345);
});

test('model: buffers below 4 GiB (a 1 GiB machine)', () => {
  run(false, 30_000, 0x51ab0c3d, { memory: '1G', nodes: 1, node: 0 });
});

test('model: buffers above 8 GiB (node 1 of a 16 GiB machine)', () => {
  run(false, 30_000, 0x7713c2e1, { memory: '16G', nodes: 2, node: 1 });
});

test('model (DMAPOOL_DEBUG): 15,000 operations, poison checked, nothing reported', () => {
  run(true, 15_000, 0x9d2b8f55);
});
