// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared (lock-free, worker-thread) genpool on one thread: its API and failure values,
 * kernel placements (differential against the plain GenPool), two attached copies seeing
 * each other's changes, toShared() of a plain pool, the lost-race rollback forced by a hook
 * that interleaves two claims on the same word, and crash recovery (a hook that throws
 * between the claim and the bookkeeping). The multi-worker stress test is
 * shared-stress.test.ts.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorShift32 } from '../../src/base/rng.js';
import {
  EINVAL,
  GenPool,
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  HOOK_CLAIMED,
  HOOK_RELEASED,
  HOOK_WORD_CLAIMED,
  InvariantError,
  KernelBug,
  SharedGenPool,
  type GenPoolAlgo,
  type Out,
} from '../../src/index.js';
import { LOG_ENTRIES } from '../../src/genalloc/shared/layout.js';

const ORDER = 5;
const UNIT = 32;
const BASE = 0x40000000;

function pool(granules = 4096): SharedGenPool {
  const p = GenPool.createShared(ORDER);
  assert.equal(p.addVirt(BASE, 0x1000, granules * UNIT), 0);
  return p;
}

test('alloc, free, avail, size, queries and failure values', () => {
  const p = pool();
  assert.equal(p.size(), 4096 * UNIT);
  assert.equal(p.avail(), 4096 * UNIT);
  assert.equal(p.alloc(0), 0);
  assert.equal(p.alloc(-5), 0);
  assert.equal(p.alloc(1.5), 0);
  const a = p.alloc(100); // 4 granules
  assert.equal(a, BASE);
  assert.equal(p.avail(), (4096 - 4) * UNIT);
  const owner: Out<unknown> = { value: 'x' };
  const b = p.allocOwner(33, owner);
  assert.equal(b, BASE + 4 * UNIT);
  assert.equal(owner.value, null);
  assert.equal(p.alloc(4097 * UNIT), 0);
  assert.equal(p.virtToPhys(b), 0x1000 + 4 * UNIT);
  assert.equal(p.virtToPhys(BASE - 1), -1);
  assert.equal(p.hasAddr(BASE, 4096 * UNIT), true);
  assert.equal(p.hasAddr(BASE, 4096 * UNIT + 1), false);
  p.free(a, 100);
  assert.throws(() => p.free(a, 100), KernelBug); // double free
  assert.throws(() => p.free(BASE - 64, 32), KernelBug); // not in the pool
  assert.throws(() => p.free(BASE + 4095 * UNIT, 64), KernelBug); // past the end
  assert.throws(() => p.free(b, -1), KernelBug);
  p.free(b, 33);
  assert.equal(p.avail(), p.size());
  assert.equal(p.addVirt(-1, 0, 10), -EINVAL);
  p.check();
  const seen: number[] = [];
  p.forEachChunk((_pool, c, d: number[]) => d.push(c.startAddr), seen);
  assert.deepEqual(seen, [BASE]);
});

test('addMemory chunks have shared bytes; dmaZalloc zeroes them; owners are numbers', () => {
  const p = GenPool.createShared(ORDER);
  const c = p.addMemory(64 * UNIT, { owner: 7 });
  assert.ok(c.backing instanceof SharedArrayBuffer);
  const owner: Out<unknown> = { value: null };
  const a = p.allocOwner(64, owner);
  assert.equal(owner.value, 7);
  p.bytes(a, 64).fill(0xab);
  p.free(a, 64);
  const dma: Out<number> = { value: 0 };
  const z = p.dmaZalloc(64, dma);
  assert.equal(z, a);
  assert.equal(dma.value, p.offsetOf(z));
  assert.ok(p.bytes(z, 64).every((x) => x === 0));
  assert.throws(() => p.bytes(z + 64 * UNIT, 1), RangeError);
  assert.equal(p.addOwner(0x100, 0, 64, -1, 'owner' as unknown as number), -EINVAL);
  const aligned = p.dmaAllocAlign(32, null, 256);
  assert.equal((aligned - c.startAddr) % 256, 0);
});

test('setAlgo takes the built-ins pool-wide; custom algorithms per call', () => {
  const p = pool();
  const q = GenPool.fromShared(p.toShared());
  p.setAlgo(gen_pool_first_fit_align, { align: 256 });
  assert.equal(q.algorithm, gen_pool_first_fit_align);
  assert.deepEqual(q.algorithmData, { align: 256 });
  const a = q.alloc(32);
  const b = q.alloc(32);
  assert.equal(b - a, 256);
  const mine: GenPoolAlgo = (map, size, start, nr, data, pl, sa) =>
    gen_pool_fixed_alloc(map, size, start, nr, data, pl, sa);
  assert.throws(() => p.setAlgo(mine, null), RangeError);
  assert.equal(p.allocAlgo(64, mine, { offset: 64 * UNIT }), BASE + 64 * UNIT);
  p.setAlgo(null, null);
  assert.equal(q.algorithm, gen_pool_first_fit);
  q.detach();
  assert.throws(() => q.alloc(32), RangeError);
});

interface Live {
  addr: number;
  size: number;
}

/** Same seeded operations on a plain and a shared pool: the same addresses every time. */
function differential(algo: GenPoolAlgo, data: unknown, seed: number, steps: number): void {
  const plain = GenPool.create(4);
  const shared = GenPool.createShared(4);
  for (const p of [plain, shared]) {
    p.addVirt(0x10000, 0, 4000 * 16 + 7);
    p.addVirt(0x200000 + 48, 0, 9000 * 16);
    p.setAlgo(algo, data);
  }
  const rng = new XorShift32(seed);
  const live: Live[] = [];
  for (let step = 0; step < steps; step++) {
    const r = rng.next();
    if (live.length === 0 || r % 3 !== 0) {
      const size = rng.below(8) === 0 ? 1 + rng.below(1200 * 16) : 1 + rng.below(64 * 16);
      const a = plain.alloc(size);
      assert.equal(shared.alloc(size), a, `seed ${seed} step ${step}: alloc(${size})`);
      if (a !== 0) live.push({ addr: a, size });
    } else {
      const i = rng.below(live.length);
      plain.free(live[i]!.addr, live[i]!.size);
      shared.free(live[i]!.addr, live[i]!.size);
      live[i] = live[live.length - 1]!;
      live.pop();
    }
    assert.equal(shared.avail(), plain.avail());
    if (step % 500 === 0) shared.check();
  }
  shared.check();
}

test('placements equal the plain pool: first fit (any size) and the scanned algorithms', () => {
  differential(gen_pool_first_fit, null, 1, 6000);
  differential(gen_pool_best_fit, null, 2, 1500);
  differential(gen_pool_first_fit_order_align, null, 3, 1500);
  differential(gen_pool_first_fit_align, { align: 128 }, 4, 1500);
});

test('two copies on one thread see each other (change logs), even after being lapped', () => {
  const a = pool(16384);
  const b = GenPool.fromShared(a.toShared());
  assert.notEqual(a.slot, b.slot);
  const x = a.alloc(64);
  const y = b.alloc(64); // b's replica learnt of x from a's log
  assert.equal(y, x + 64);
  a.free(x, 64);
  assert.equal(b.alloc(32), x); // and of the free
  const live: number[] = [];
  for (let i = 0; i < LOG_ENTRIES + 100; i++) live.push(a.alloc(32));
  const z = b.alloc(32);
  assert.equal(z, live[live.length - 1]! + 32); // lapped: b rebuilt from the bitmap
  b.check();
  a.check();
  for (const l of live) a.free(l, 32);
  a.free(z, 32);
  b.free(x, 32);
  b.free(y, 64);
  assert.equal(b.avail(), b.size());
  b.check();
  const c = b.addMemory(4096); // a chunk added by b is seen by a
  assert.equal(a.chunks.length, 2);
  assert.equal(a.alloc(4096), c.startAddr);
  a.free(c.startAddr, 4096);
  a.destroy();
  assert.equal(b.destroyed, true);
  assert.equal(b.alloc(32), 0);
  assert.throws(() => b.free(c.startAddr, 32), KernelBug);
});

test('a copy replays changes to a partial last bitmap word (1000 granules)', () => {
  const a = pool(1000); // 31 full words and 8 bits of a 32nd
  const b = GenPool.fromShared(a.toShared());
  const x = a.alloc(990 * UNIT);
  const y = a.alloc(8 * UNIT); // granules 990..997: the partial last word
  assert.equal(y, x + 990 * UNIT);
  assert.equal(b.alloc(UNIT), x + 998 * UNIT); // b replayed the last word, then found 998
  assert.equal(b.alloc(2 * UNIT), 0); // one granule left: no room for two
  a.free(y, 8 * UNIT);
  assert.equal(b.alloc(2 * UNIT), y); // and it replayed the free
  a.check();
  b.check();
});

test('destroy of a busy pool is a BUG and changes nothing', () => {
  const p = pool();
  const a = p.alloc(96);
  assert.throws(() => p.destroy(), KernelBug);
  assert.equal(p.destroyed, false);
  p.free(a, 96);
  p.destroy();
  assert.equal(p.destroyed, true);
});

test('toShared() copies a plain pool: chunks, bitmaps, avail, algorithm', () => {
  const plain = GenPool.create(ORDER);
  plain.addVirt(BASE, 0, 1024 * UNIT);
  const sab = new SharedArrayBuffer(256 * UNIT);
  plain.addMemory(sab, { owner: 3 });
  const kept: number[] = [];
  for (let i = 1; i < 40; i++) kept.push(plain.alloc(i * 16));
  plain.setAlgo(gen_pool_best_fit, null);
  const shared = GenPool.fromShared(plain.toShared());
  assert.equal(shared.avail(), plain.avail());
  assert.equal(shared.size(), plain.size());
  assert.equal(shared.algorithm, gen_pool_best_fit);
  shared.check();
  for (let i = 0; i < 30; i++) assert.equal(shared.alloc(48 + i * 32), plain.alloc(48 + i * 32));
  const c = shared.chunks[0]!;
  assert.equal(c.backing, sab);
  assert.equal(c.owner, 3);
  const ab = GenPool.create(ORDER);
  ab.addMemory(new ArrayBuffer(1024));
  assert.throws(() => ab.toShared(), RangeError);
  const custom = GenPool.create(ORDER);
  custom.setAlgo((m, s, st, nr, d, pl, sa) => gen_pool_first_fit(m, s, st, nr, d, pl, sa), null);
  assert.throws(() => custom.toShared(), RangeError);
});

test('a lost race rolls back and retries from the failed position (interleaved claims)', () => {
  const a = pool();
  const b = GenPool.fromShared(a.toShared());
  let fired = false;
  let bGot = -1;
  // After a has set the first word of its 3-word claim, b claims two words: b's replica has
  // not seen a's partial claim and answers bit 0 from its inner nodes, so b loses on word
  // 0, rolls back nothing, retries from bit 0 (its replica still says 0; the bitmap says
  // taken, so it scans) and takes words 1-2 — where a's claim then fails on word 1.
  a.setTestHook((point, _chunk, bit) => {
    if (point === HOOK_WORD_CLAIMED && bit === 32 && !fired) {
      fired = true;
      bGot = b.alloc(64 * UNIT);
    }
  });
  const got = a.alloc(96 * UNIT);
  a.setTestHook(null);
  assert.equal(bGot, BASE + 32 * UNIT);
  assert.equal(b.retries, 1);
  assert.equal(a.retries, 1);
  // a rolled back word 0 and retried from bit 0: [0, 32) is too short, so bit 96.
  assert.equal(got, BASE + 96 * UNIT);
  const words = a.chunks[0]!.words;
  assert.deepEqual(Array.from(words.subarray(0, 7)), [0, -1, -1, -1, -1, -1, 0]);
  assert.equal(a.avail(), (4096 - 160) * UNIT);
  a.check();
  b.check();
  assert.equal(a.alloc(32 * UNIT), BASE); // the rolled-back word is free again
});

test('a crash between claim and bookkeeping: check finds it, recover() repairs it', () => {
  const p = pool();
  const keep = p.alloc(64);
  const worker = GenPool.fromShared(p.toShared());
  worker.setTestHook((point) => {
    if (point === HOOK_CLAIMED) throw new Error('worker died');
  });
  assert.throws(() => worker.alloc(10 * UNIT), /worker died/);
  assert.equal(p.chunks[0]!.words[0], 0xfff | 0); // 2 + 10 granules set
  assert.throws(() => p.check(), InvariantError); // J1: the journal is busy
  const report = p.recover([worker.slot]);
  assert.deepEqual(report, { journals: 1, bitsReleased: 10, availFixed: 0, slotsFreed: 1 });
  p.check();
  assert.equal(p.avail(), p.size() - 64);
  assert.equal(p.alloc(10 * UNIT), keep + 64); // the granules are free again
});

test('a crash mid-claim and mid-free: the journal names exactly the held bits', () => {
  const p = pool();
  const w = GenPool.fromShared(p.toShared());
  w.setTestHook((point, _c, bit) => {
    if (point === HOOK_WORD_CLAIMED && bit === 64) throw new Error('died in the claim');
  });
  assert.throws(() => w.alloc(100 * UNIT), /died in the claim/);
  let r = p.recover();
  assert.equal(r.bitsReleased, 64);
  p.check();
  const x = p.alloc(70 * UNIT);
  w.setTestHook((point) => {
    if (point === HOOK_RELEASED) throw new Error('died in the free');
  });
  assert.throws(() => w.free(x, 70 * UNIT), /died in the free/);
  assert.throws(() => p.check(), InvariantError);
  r = p.recover([w.slot]);
  assert.equal(r.bitsReleased, 0); // the bits were cleared, the credit was missing
  assert.equal(r.availFixed, 70);
  p.check();
  assert.equal(p.avail(), p.size());
});
