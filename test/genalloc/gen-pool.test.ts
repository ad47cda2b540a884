// SPDX-License-Identifier: GPL-2.0-only
/*
 * API behaviour of GenPool through the TypeScript face: every public method, with its
 * success side and every failure value, RangeError, KernelBug and WARN it documents.
 * The kernel's edge cases (KERNEL-SPEC §1.3) through the kernel's names are in
 * test/linux/genalloc-kernel-api.test.ts.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkInvariants,
  EINVAL,
  ENOMEM,
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  gen_pool_fixed_alloc,
  GenPool,
  GenPoolChunk,
  InvariantError,
  KernelBug,
  KernelLog,
  KernelWarning,
  MAX_CHUNKS,
  type GenPoolAlgo,
  type Out,
  type PoolMemory,
} from '../../src/index.js';
import { MAX_BITMAP_BITS } from '../../src/bitmap/bitmap.js';
import { newWasmMemory, type WasmMemory } from '../helpers/wasm.js';

const TWO_POW_32 = 2 ** 32;

/** A pool of 32-byte granules with one 4 KiB chunk at 0x10000 (phys 0x80000). */
function pool4k(options: { index?: boolean } = {}): GenPool {
  const pool = GenPool.create(5, options);
  assert.equal(pool.addVirt(0x10000, 0x80000, 4096), 0);
  return pool;
}

/** The set bits of a chunk's bitmap, ascending. */
function usedBits(chunk: GenPoolChunk): number[] {
  const out: number[] = [];
  for (let i = 0; i < chunk.bits.length * 32; i++) {
    if (((chunk.bits[chunk.bits.length === 0 ? 0 : i >>> 5]! >>> (i & 31)) & 1) === 1) out.push(i);
  }
  return out;
}

function expectBug(fn: () => void, ...fragments: string[]): KernelBug {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KernelBug, `expected a KernelBug, got ${String(caught)}`);
  assert.equal(caught.code, 'KERNEL_BUG');
  for (const f of fragments)
    assert.ok(caught.message.includes(f), `"${caught.message}" lacks "${f}"`);
  return caught;
}

// ── Creation ───────────────────────────────────────────────────────────────

test('create makes an empty first-fit pool with the given order and documented defaults', () => {
  const pool = GenPool.create(5);
  assert.equal(pool.minAllocOrder, 5);
  assert.equal(pool.min_alloc_order, 5);
  assert.equal(pool.nid, -1);
  assert.equal(pool.name, null);
  assert.equal(pool.indexed, true);
  assert.ok(pool.log instanceof KernelLog);
  assert.equal(pool.algorithm, gen_pool_first_fit);
  assert.equal(pool.algo, gen_pool_first_fit);
  assert.equal(pool.algorithmData, null);
  assert.equal(pool.data, null);
  assert.equal(pool.chunks.length, 0);
  assert.equal(pool.avail(), 0);
  assert.equal(pool.size(), 0);
  assert.equal(pool.destroyed, false);
  assert.equal(pool.retries, 0);
  assert.equal(pool.alloc(32), 0, 'a pool with no chunks has nothing to give');
  const log = new KernelLog();
  const named = new GenPool(3, { nid: 1, name: 'sram', index: false, log });
  assert.equal(named.minAllocOrder, 3);
  assert.equal(named.nid, 1);
  assert.equal(named.name, 'sram');
  assert.equal(named.indexed, false);
  assert.equal(named.log, log);
});

test('create throws RangeError for an order that is not an integer in 0..40', () => {
  for (const bad of [-1, 41, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => GenPool.create(bad), RangeError, `order ${bad}`);
  }
  assert.equal(GenPool.create(0).minAllocOrder, 0);
  assert.equal(GenPool.create(40).minAllocOrder, 40);
});

// ── Adding chunks ──────────────────────────────────────────────────────────

test('add, addVirt and addOwner return 0 and put the newest chunk first', () => {
  const pool = GenPool.create(5);
  const owner = { driver: 'sram' };
  assert.equal(pool.add(0x1000, 1024), 0);
  assert.equal(pool.addVirt(0x4000, 0x90000, 2048, 0), 0);
  assert.equal(pool.addOwner(0x8000, 0xa0000, 100, 1, owner), 0);
  assert.deepEqual(
    pool.chunks.map((c) => c.startAddr),
    [0x8000, 0x4000, 0x1000],
  );
  const [c, b, a] = pool.chunks;
  assert.ok(a && b && c);
  assert.equal(a.physAddr, -1);
  assert.equal(a.phys_addr, -1);
  assert.equal(a.owner, null);
  assert.equal(a.nid, -1);
  assert.equal(b.physAddr, 0x90000);
  assert.equal(b.nid, 0);
  assert.equal(c.owner, owner);
  assert.equal(c.nid, 1);
  assert.equal(c.startAddr, 0x8000);
  assert.equal(c.start_addr, 0x8000);
  assert.equal(c.endAddr, 0x8000 + 100, 'endAddr is exclusive');
  assert.equal(c.end_addr, 0x8000 + 99, 'end_addr is the kernel inclusive value');
  assert.equal(c.lastAddr, 0x8000 + 99);
  assert.equal(c.size, 100);
  assert.equal(c.nbits, 3, 'floor(100 / 32) granules');
  assert.equal(c.bits.length, 2, 'the bitmap is whole 64-bit longs');
  assert.equal(c.avail, 100, 'avail starts at the raw size');
  assert.equal(c.contains(0x8000 + 99), true);
  assert.equal(c.contains(0x8000 + 100), false);
  assert.equal(c.contains(0x7fff), false);
  assert.equal(pool.size(), 1024 + 2048 + 100);
  assert.equal(pool.avail(), 1024 + 2048 + 100);
});

test('add returns -EINVAL for a negative, fractional or unsafe size or address and adds nothing', () => {
  const pool = GenPool.create(5);
  assert.equal(pool.add(0x1000, -1), -EINVAL);
  assert.equal(pool.add(0x1000, 1.5), -EINVAL);
  assert.equal(pool.add(0x1000, Number.NaN), -EINVAL);
  assert.equal(pool.add(0x1000, 2 ** 53), -EINVAL);
  assert.equal(pool.add(-4096, 1024), -EINVAL);
  assert.equal(pool.add(0.5, 1024), -EINVAL);
  assert.equal(pool.add(Number.MAX_SAFE_INTEGER - 10, 1024), -EINVAL);
  assert.equal(pool.addVirt(0x1000, 0, -32), -EINVAL);
  assert.equal(pool.addOwner(0x1000, 0, 32.25, -1, null), -EINVAL);
  assert.equal(pool.chunks.length, 0);
  assert.equal(pool.add(0x1000, 0), 0, 'a zero-sized chunk is accepted, as in the kernel');
  assert.equal(pool.add(0x2000, 1024), 0);
  assert.equal(pool.chunks.length, 2);
});

test('add returns -ENOMEM when the bitmap would exceed MAX_BITMAP_BITS', () => {
  const pool = GenPool.create(0, { index: false });
  assert.equal(pool.add(0x1000, MAX_BITMAP_BITS + 1), -ENOMEM);
  assert.equal(pool.chunks.length, 0);
  // The same byte count is fine with granules large enough to keep the bitmap small.
  const coarse = GenPool.create(12, { index: false });
  assert.equal(coarse.add(0x1000, MAX_BITMAP_BITS + 1), 0);
  assert.equal(coarse.chunks[0]!.nbits, Math.floor((MAX_BITMAP_BITS + 1) / 4096));
});

test('add returns -ENOMEM once the pool holds MAX_CHUNKS chunks', () => {
  const pool = GenPool.create(0, { index: false });
  for (let i = 0; i < MAX_CHUNKS; i++) {
    if (pool.add(0x1000 + i * 16, 16) !== 0) assert.fail(`chunk ${i} refused`);
  }
  assert.equal(pool.chunks.length, MAX_CHUNKS);
  assert.equal(pool.add(0x100000000, 16), -ENOMEM);
  assert.equal(pool.chunks.length, MAX_CHUNKS);
});

// ── Allocation ─────────────────────────────────────────────────────────────

test('alloc returns 0 for size 0 and leaves the pool unchanged', () => {
  const pool = pool4k();
  assert.equal(pool.alloc(0), 0);
  assert.equal(pool.avail(), 4096);
  assert.deepEqual(usedBits(pool.chunks[0]!), []);
  assert.equal(pool.alloc(1), 0x10000);
});

test('alloc rounds up to whole granules, avail drops by the rounded size and free restores it', () => {
  const pool = pool4k();
  const a = pool.alloc(33);
  assert.equal(a, 0x10000);
  assert.equal(pool.avail(), 4096 - 64);
  const b = pool.alloc(1);
  assert.equal(b, 0x10040, 'the 33-byte block took two granules');
  assert.equal(pool.avail(), 4096 - 96);
  pool.free(a, 33);
  assert.equal(pool.avail(), 4096 - 32);
  pool.free(b, 1);
  assert.equal(pool.avail(), 4096);
  checkInvariants(pool);
});

test('alloc returns 0 when every chunk is full, and succeeds again after a free', () => {
  const pool = pool4k();
  pool.add(0x20000, 64);
  const got: number[] = [];
  for (let i = 0; i < 130; i++) got.push(pool.alloc(32));
  assert.equal(got.filter((a) => a !== 0).length, 128 + 2);
  assert.equal(pool.alloc(32), 0);
  assert.equal(pool.alloc(1), 0);
  assert.equal(pool.avail(), 0);
  pool.free(0x10020, 32);
  assert.equal(pool.alloc(32), 0x10020);
});

test('alloc returns 0 for a size that is negative, NaN or not a safe integer', () => {
  const pool = pool4k();
  assert.equal(pool.alloc(-32), 0);
  assert.equal(pool.alloc(Number.NaN), 0);
  assert.equal(pool.alloc(2 ** 60), 0);
  assert.equal(pool.avail(), 4096);
  assert.equal(pool.alloc(32), 0x10000);
});

test('allocOwner sets owner to null first, then to the owner of the chunk it allocated from', () => {
  const pool = GenPool.create(5);
  pool.addOwner(0x10000, 0x80000, 64, -1, 'owner A');
  const owner: Out<unknown> = { value: 'stale' };
  assert.equal(pool.allocOwner(64, owner), 0x10000);
  assert.equal(owner.value, 'owner A');
  assert.equal(pool.allocOwner(32, owner), 0);
  assert.equal(owner.value, null, 'a failed allocation leaves NULL');
  owner.value = 'stale';
  assert.equal(pool.allocOwner(0, owner), 0);
  assert.equal(owner.value, null, 'size 0 still resets the owner');
  assert.equal(pool.allocOwner(0, null), 0, 'a null out-parameter is allowed');
});

test('allocAlgo and allocAlgoOwner use the given algorithm and data, not the pool algorithm', () => {
  const pool = pool4k();
  pool.alloc(32); // granule 0 used
  assert.equal(pool.allocAlgo(32, gen_pool_fixed_alloc, { offset: 0x200 }), 0x10200);
  assert.equal(pool.allocAlgo(64, gen_pool_first_fit_align, { align: 256 }), 0x10100);
  assert.equal(pool.allocAlgo(32, gen_pool_fixed_alloc, { offset: 0x200 }), 0, 'taken');
  const owner: Out<unknown> = { value: 1 };
  assert.equal(pool.allocAlgoOwner(32, gen_pool_fixed_alloc, { offset: 0x240 }, owner), 0x10240);
  assert.equal(owner.value, null, 'the chunk was added without an owner');
  assert.equal(pool.algorithm, gen_pool_first_fit, 'the pool algorithm is unchanged');
  assert.equal(pool.alloc(32), 0x10020);
});

test('best fit takes the smallest hole that fits, the lowest one on a tie', () => {
  const pool = pool4k();
  const a = [0, 1, 2, 3, 4, 5, 6, 7].map(() => pool.alloc(64)); // 8 blocks of 2 granules
  pool.free(a[1]!, 64); // hole of 2 at granule 2
  pool.free(a[3]!, 64); // hole of 2 at granule 6
  pool.free(a[5]!, 64);
  pool.free(a[6]!, 64); // hole of 4 at granule 10
  // holes (granules): [2,4) [6,8) [10,14) [16,128)
  assert.equal(pool.allocAlgo(96, gen_pool_best_fit, null), 0x10000 + 10 * 32, 'the 4-hole');
  assert.equal(
    pool.allocAlgo(32, gen_pool_best_fit, null),
    0x10000 + 13 * 32,
    'the 1-granule leftover',
  );
  assert.equal(
    pool.allocAlgo(64, gen_pool_best_fit, null),
    0x10000 + 2 * 32,
    'tie: the lowest 2-hole',
  );
  assert.equal(pool.allocAlgo(32, gen_pool_best_fit, null), 0x10000 + 6 * 32);
  assert.equal(
    pool.allocAlgo(32, gen_pool_first_fit, null),
    0x10000 + 7 * 32,
    'first fit: lowest free granule',
  );
  assert.equal(pool.allocAlgo(4096, gen_pool_best_fit, null), 0);
  checkInvariants(pool);
});

test('first_fit_order_align aligns relative to the chunk start, first_fit_align absolutely', () => {
  for (const index of [true, false]) {
    const pool = GenPool.create(4, { index });
    pool.add(0x1010, 4096); // 16-byte aligned only
    assert.equal(pool.alloc(16), 0x1010);
    // order align: 4 granules → bit index a multiple of 4 → offset 0x40 → 0x1050
    assert.equal(pool.allocAlgo(64, gen_pool_first_fit_order_align, null), 0x1050);
    // first fit align 256: the absolute address is aligned → 0x1100
    assert.equal(pool.allocAlgo(16, gen_pool_first_fit_align, { align: 256 }), 0x1100);
    assert.equal(pool.allocAlgo(16, gen_pool_first_fit_align, { align: 16 }), 0x1020);
    checkInvariants(pool);
  }
});

// ── DMA-style allocation ───────────────────────────────────────────────────

test('dmaAlloc, dmaAllocAlgo and dmaAllocAlign report virtToPhys of the block, and leave dma untouched on failure', () => {
  const pool = pool4k();
  const dma: Out<number> = { value: 7 };
  assert.equal(pool.dmaAlloc(32, dma), 0x10000);
  assert.equal(dma.value, 0x80000);
  assert.equal(pool.dmaAllocAlgo(32, dma, gen_pool_fixed_alloc, { offset: 0x400 }), 0x10400);
  assert.equal(dma.value, 0x80400);
  assert.equal(pool.dmaAllocAlign(32, dma, 0x200), 0x10200);
  assert.equal(dma.value, 0x80200);
  assert.equal(pool.dmaAlloc(32, null), 0x10020, 'a null dma out-parameter is allowed');
  dma.value = 7;
  assert.equal(pool.dmaAlloc(8192, dma), 0);
  assert.equal(pool.dmaAllocAlgo(32, dma, gen_pool_fixed_alloc, { offset: 0x400 }), 0);
  assert.equal(pool.dmaAllocAlign(4096, dma, 0x200), 0);
  assert.equal(dma.value, 7);
});

for (const kind of ['ArrayBuffer', 'SharedArrayBuffer', 'WebAssembly.Memory'] as const) {
  test(`dmaZalloc family zeroes exactly the requested bytes of a ${kind}-backed chunk`, () => {
    const backing =
      kind === 'ArrayBuffer'
        ? new ArrayBuffer(65536)
        : kind === 'SharedArrayBuffer'
          ? new SharedArrayBuffer(65536)
          : newWasmMemory(1);
    const pool = GenPool.create(5);
    const chunk = pool.addMemory(backing, { phys: 0x100000 });
    const raw = new Uint8Array('buffer' in backing ? (backing as WasmMemory).buffer : backing);
    raw.fill(0xff);
    const dma: Out<number> = { value: 0 };
    const a = pool.dmaZalloc(50, dma);
    assert.equal(a, chunk.startAddr);
    assert.equal(dma.value, 0x100000);
    const b = pool.dmaZallocAlgo(10, dma, gen_pool_fixed_alloc, { offset: 0x100 });
    assert.equal(b, chunk.startAddr + 0x100);
    assert.equal(dma.value, 0x100100);
    const c = pool.dmaZallocAlign(33, null, 0x400);
    assert.equal(c, chunk.startAddr + 0x400);
    for (const [addr, size] of [
      [a, 50],
      [b, 10],
      [c, 33],
    ] as const) {
      const off = pool.offsetOf(addr);
      assert.ok(
        raw.subarray(off, off + size).every((x) => x === 0),
        `${size} bytes zeroed`,
      );
      const rounded = Math.ceil(size / 32) * 32;
      assert.ok(
        raw.subarray(off + size, off + rounded).every((x) => x === 0xff),
        'rest of the granule untouched',
      );
    }
    assert.equal(raw[0x40], 0xff, 'bytes after the block are not zeroed');
    assert.equal(pool.dmaZalloc(65536, dma), 0, 'a failed zalloc returns 0');
    assert.equal(raw[0x80], 0xff, 'and zeroes nothing');
  });
}

test('dmaZalloc on a chunk without backing memory zeroes through the pool memory option', () => {
  const calls: Array<[number, number, number]> = [];
  const memory: PoolMemory = {
    memset(addr: number, c: number, n: number): void {
      calls.push([addr, c, n]);
    },
  };
  const pool = GenPool.create(5, { memory });
  pool.add(0x10000, 4096);
  assert.equal(pool.dmaZalloc(40, null), 0x10000);
  assert.deepEqual(calls, [[0x10000, 0, 40]]);
  assert.equal(pool.dmaZalloc(8192, null), 0);
  assert.equal(calls.length, 1, 'no memset for a failed allocation');
  const bare = pool4k();
  assert.equal(bare.dmaZalloc(40, null), 0x10000, 'no memory anywhere: allocation still succeeds');
});

// ── Backing memory ─────────────────────────────────────────────────────────

test('addMemory puts buffers at distinct multiples of 2^32 by default, never at 0', () => {
  const pool = GenPool.create(4);
  const a = pool.addMemory(new ArrayBuffer(1024));
  const b = pool.addMemory(new ArrayBuffer(TWO_POW_32 / 2 ** 20)); // 4 KiB
  const c = pool.addMemory(new ArrayBuffer(0));
  const d = pool.addMemory(new SharedArrayBuffer(64));
  assert.deepEqual(
    [a, b, c, d].map((x) => x.startAddr),
    [TWO_POW_32, 2 * TWO_POW_32, 3 * TWO_POW_32, 4 * TWO_POW_32],
  );
  assert.equal(pool.chunks[0], d, 'addMemory returns the new (newest) chunk');
  assert.ok([a, b, c, d].every((x) => x.startAddr !== 0 && x.startAddr % TWO_POW_32 === 0));
  assert.equal(a.physAddr, 0, 'phys defaults to the byte offset in the buffer');
  assert.equal(a.size, 1024);
  assert.equal(c.size, 0);
});

test('addMemory honours virt, phys, owner, nid, byteOffset and size', () => {
  const buf = new ArrayBuffer(8192);
  const pool = GenPool.create(5);
  const chunk = pool.addMemory(buf, {
    virt: 0x7000,
    phys: 0x9000,
    byteOffset: 1024,
    size: 2048,
    owner: 'gpu',
    nid: 2,
  });
  assert.equal(chunk.startAddr, 0x7000);
  assert.equal(chunk.size, 2048);
  assert.equal(chunk.physAddr, 0x9000);
  assert.equal(chunk.owner, 'gpu');
  assert.equal(chunk.nid, 2);
  assert.equal(chunk.backing, buf);
  assert.equal(chunk.byteOffset, 1024);
  const addr = pool.alloc(100);
  assert.equal(addr, 0x7000);
  assert.equal(pool.offsetOf(addr), 1024);
  assert.equal(pool.offsetOf(addr + 37), 1061);
  assert.equal(pool.virtToPhys(addr + 37), 0x9000 + 37);
  // without phys, the physical address of a byte is its offset in the buffer (offsetOf)
  const plain = pool.addMemory(buf, { virt: 0x20000, byteOffset: 4096, size: 1024 });
  assert.equal(plain.physAddr, 4096);
  const b = pool.alloc(64);
  assert.equal(b, 0x20000);
  assert.equal(pool.virtToPhys(b + 5), 4096 + 5);
  assert.equal(pool.virtToPhys(b + 5), pool.offsetOf(b + 5));
  const dma: Out<number> = { value: -7 };
  assert.equal(pool.dmaAlloc(32, dma), 0x20040);
  assert.equal(dma.value, pool.offsetOf(0x20040));
});

test('addMemory throws RangeError when byteOffset and size fall outside the buffer or the chunk is refused', () => {
  const pool = GenPool.create(5);
  const buf = new ArrayBuffer(4096);
  assert.throws(() => pool.addMemory(buf, { byteOffset: 4000, size: 200 }), RangeError);
  assert.throws(() => pool.addMemory(buf, { size: 4097 }), RangeError);
  assert.throws(() => pool.addMemory(buf, { byteOffset: -1 }), RangeError);
  assert.throws(() => pool.addMemory(buf, { byteOffset: 5000 }), RangeError);
  assert.throws(() => pool.addMemory(buf, { virt: -1 }), RangeError);
  assert.equal(pool.chunks.length, 0);
  assert.equal(pool.addMemory(buf, { byteOffset: 4000, size: 96 }).size, 96);
  assert.equal(pool.addMemory(buf, { byteOffset: 4096 }).size, 0);
});

test('bytes returns a live view of backing memory and throws RangeError outside a backed chunk', () => {
  const mem = newWasmMemory(1, 2);
  const pool = GenPool.create(5);
  pool.add(0x1000, 4096); // no backing
  const chunk = pool.addMemory(mem, { virt: 0x100000, byteOffset: 256, size: 1024 });
  const addr = pool.alloc(64);
  assert.equal(addr, chunk.startAddr);
  const view = pool.bytes(addr, 64);
  assert.equal(view.length, 64);
  assert.equal(view.byteOffset, 256);
  view[3] = 42;
  assert.equal(new Uint8Array(mem.buffer)[259], 42);
  mem.grow(1); // a grown memory has a new buffer; bytes() follows it
  assert.equal(pool.bytes(addr, 64)[3], 42);
  assert.equal(pool.bytes(chunk.lastAddr, 1).length, 1);
  assert.equal(pool.bytes(addr, 0).length, 0);
  assert.throws(() => pool.bytes(chunk.lastAddr, 2), RangeError, 'runs past the chunk');
  assert.throws(() => pool.bytes(0x1000, 4), RangeError, 'chunk without backing');
  assert.throws(() => pool.bytes(0x5000, 4), RangeError, 'no chunk');
  assert.throws(() => pool.bytes(addr, -1), RangeError, 'negative length');
});

test('offsetOf returns the byte offset in the backing buffer, or -1 outside a backed chunk', () => {
  const pool = GenPool.create(5);
  pool.add(0x1000, 4096);
  const chunk = pool.addMemory(new ArrayBuffer(4096), { byteOffset: 512, size: 1024 });
  assert.equal(pool.offsetOf(chunk.startAddr), 512);
  assert.equal(pool.offsetOf(chunk.lastAddr), 512 + 1023);
  assert.equal(pool.offsetOf(chunk.endAddr), -1);
  assert.equal(pool.offsetOf(0x1000), -1, 'chunk without backing');
  assert.equal(pool.offsetOf(0), -1);
});

// ── Free ───────────────────────────────────────────────────────────────────

test('freeOwner reports the owner of the chunk freed into; a BUG leaves it null', () => {
  const pool = GenPool.create(5);
  pool.addOwner(0x10000, 0, 4096, -1, 'A');
  const a = pool.alloc(64);
  const owner: Out<unknown> = { value: 'stale' };
  pool.freeOwner(a, 64, owner);
  assert.equal(owner.value, 'A');
  owner.value = 'stale';
  expectBug(() => pool.freeOwner(a, 64, owner), '0x10000');
  assert.equal(owner.value, null);
  pool.freeOwner(a, 0, owner);
  assert.equal(
    owner.value,
    'A',
    'a zero-size free inside a chunk is a no-op that still finds the chunk',
  );
});

test('free of an address outside all chunks is a KernelBug that changes nothing', () => {
  const pool = pool4k();
  const a = pool.alloc(32);
  expectBug(() => pool.free(0x20000, 32), '0x20000', 'not in any chunk');
  expectBug(() => pool.free(0x11000, 1), '0x11000');
  expectBug(() => pool.free(0xffff, 1), '0xffff');
  assert.equal(pool.avail(), 4096 - 32);
  assert.deepEqual(usedBits(pool.chunks[0]!), [0]);
  assert.equal(pool.log.count('bug'), 3);
  pool.free(a, 32);
  assert.equal(pool.avail(), 4096);
});

test('free of a range past the end of its chunk is a KernelBug that changes nothing', () => {
  const pool = pool4k();
  const all = pool.alloc(4096);
  assert.equal(all, 0x10000);
  expectBug(() => pool.free(0x10fe0, 33), '0x10fe0', 'runs past the end');
  assert.equal(pool.avail(), 0);
  pool.free(0x10fe0, 32);
  assert.equal(pool.avail(), 32);
});

test('double free is a KernelBug, and a free over partly-free granules clears nothing', () => {
  const pool = pool4k();
  const a = pool.alloc(64);
  const b = pool.alloc(128); // granules 2..5
  pool.free(a, 64);
  expectBug(() => pool.free(a, 64), 'double free');
  // 0x10040 is b; granules 2..8 are not all allocated (6..8 are free): nothing may change
  expectBug(() => pool.free(b, 7 * 32), '0x10040');
  assert.deepEqual(usedBits(pool.chunks[0]!), [2, 3, 4, 5]);
  assert.equal(pool.avail(), 4096 - 128);
  checkInvariants(pool);
  pool.free(b, 128);
  assert.equal(pool.avail(), 4096);
});

test('a BUG over several 64-bit longs restores the longs already cleared (bitmap and index)', () => {
  for (const index of [true, false]) {
    const pool = GenPool.create(0, { index });
    pool.add(0x1000, 512);
    assert.equal(pool.alloc(100), 0x1000); // bits 0..99, longs 0 and 1
    pool.allocAlgo(1, gen_pool_fixed_alloc, { offset: 101 }); // bit 101, hole at bit 100
    const before = usedBits(pool.chunks[0]!);
    expectBug(() => pool.free(0x1000, 102), 'not all allocated');
    assert.deepEqual(usedBits(pool.chunks[0]!), before);
    checkInvariants(pool);
    assert.equal(pool.alloc(1), 0x1000 + 100, 'the index still knows the only hole');
  }
});

test('free with a negative or non-integer size is a KernelBug', () => {
  const pool = pool4k();
  const a = pool.alloc(32);
  expectBug(() => pool.free(a, -1), 'invalid size');
  expectBug(() => pool.free(a, Number.NaN), 'invalid size');
  assert.equal(pool.avail(), 4096 - 32);
  pool.free(a, 32);
  assert.equal(pool.avail(), 4096);
});

// ── Queries ────────────────────────────────────────────────────────────────

test('virtToPhys translates through the first chunk holding the address, -1 elsewhere', () => {
  const pool = GenPool.create(5);
  pool.addVirt(0x10000, 0x80000, 4096);
  pool.add(0x20000, 4096);
  assert.equal(pool.virtToPhys(0x10000), 0x80000);
  assert.equal(pool.virtToPhys(0x10fff), 0x80fff);
  assert.equal(pool.virtToPhys(0x11000), -1);
  assert.equal(pool.virtToPhys(0x20000), -1, 'phys -1 at offset 0: all ones');
  assert.equal(pool.virtToPhys(0x20001), 0, 'phys -1 + 1 wraps to 0');
  assert.equal(pool.virtToPhys(0x20100), 0xff);
  assert.equal(pool.virtToPhys(0), -1);
});

test('forEachChunk calls the visitor for every chunk, newest first, with the pool and data', () => {
  const pool = GenPool.create(5);
  pool.add(0x1000, 64);
  pool.add(0x2000, 64);
  pool.add(0x3000, 64);
  const seen: number[] = [];
  const data = { tag: 'x' };
  pool.forEachChunk((p, chunk, d) => {
    assert.equal(p, pool);
    assert.equal(d, data);
    seen.push(chunk.startAddr);
  }, data);
  assert.deepEqual(seen, [0x3000, 0x2000, 0x1000]);
  let calls = 0;
  GenPool.create(5).forEachChunk(() => calls++, null);
  assert.equal(calls, 0, 'no chunks, no calls');
});

test('hasAddr is true only when one chunk holds the whole range', () => {
  const pool = GenPool.create(5);
  pool.add(0x1000, 0x1000);
  pool.add(0x2000, 0x1000); // adjacent
  assert.equal(pool.hasAddr(0x1000, 0x1000), true);
  assert.equal(pool.hasAddr(0x1f00, 0x100), true);
  assert.equal(pool.hasAddr(0x1f00, 0x101), false, 'spans two adjacent chunks');
  assert.equal(pool.hasAddr(0x2fff, 1), true);
  assert.equal(pool.hasAddr(0x2fff, 2), false);
  assert.equal(pool.hasAddr(0x3000, 0), false);
  assert.equal(pool.hasAddr(0x2fff, 0), true, 'size 0: the start must be inside');
  assert.equal(pool.hasAddr(0xfff, 2), false);
});

test('setAlgo sets the pool algorithm and data; null selects first fit and keeps the data', () => {
  const pool = pool4k();
  const data = { offset: 0x300 };
  pool.setAlgo(gen_pool_fixed_alloc, data);
  assert.equal(pool.algorithm, gen_pool_fixed_alloc);
  assert.equal(pool.algorithmData, data);
  assert.equal(pool.alloc(32), 0x10300);
  assert.equal(pool.alloc(32), 0, 'the fixed offset is taken now');
  pool.setAlgo(null, data);
  assert.equal(pool.algorithm, gen_pool_first_fit);
  assert.equal(pool.algorithmData, data);
  assert.equal(pool.alloc(32), 0x10000);
});

// ── Custom algorithms ──────────────────────────────────────────────────────

test('a custom algorithm that returns a taken run once is retried from the failed position', () => {
  const pool = pool4k();
  pool.alloc(32); // granule 0
  const starts: number[] = [];
  const once: GenPoolAlgo = (map, size, start, nr, data, p, startAddr) => {
    starts.push(start);
    if (starts.length === 1) return 0; // taken
    return gen_pool_first_fit(map, size, start, nr, data, p, startAddr);
  };
  assert.equal(pool.allocAlgo(64, once, null), 0x10020);
  assert.deepEqual(starts, [0, 0], 'the retry starts at the failed bit, not +1');
  assert.equal(pool.retries, 1);
  assert.equal(pool.avail(), 4096 - 96);
  checkInvariants(pool);
});

test('a custom algorithm that always returns a taken run is a KernelBug, not a hang', () => {
  const pool = pool4k();
  pool.alloc(32);
  const stuck: GenPoolAlgo = () => 0;
  expectBug(() => pool.allocAlgo(64, stuck, null), 'keeps returning taken bit 0');
  assert.equal(pool.avail(), 4096 - 32);
  assert.deepEqual(usedBits(pool.chunks[0]!), [0]);
  checkInvariants(pool);
});

test('a custom algorithm that returns a run past the end of the map is a KernelBug; size or more is no fit', () => {
  const pool = pool4k();
  const pastEnd: GenPoolAlgo = (_m, size, _s, nr) => size - nr + 1;
  expectBug(() => pool.allocAlgo(64, pastEnd, null), 'algorithm returned bit 127');
  const noFit: GenPoolAlgo = (_m, size) => size + 5;
  assert.equal(pool.allocAlgo(64, noFit, null), 0);
  const fractional: GenPoolAlgo = () => 1.5;
  expectBug(() => pool.allocAlgo(64, fractional, null), 'algorithm returned bit 1.5');
  assert.equal(pool.avail(), 4096);
});

test('first_fit_align and fixed_alloc with NULL data are a KernelBug (the kernel dereferences it)', () => {
  const pool = pool4k();
  expectBug(() => pool.allocAlgo(32, gen_pool_first_fit_align, null), 'data is NULL');
  expectBug(() => pool.allocAlgo(32, gen_pool_fixed_alloc, null), 'data is NULL');
  assert.equal(pool.avail(), 4096);
  assert.equal(pool.allocAlgo(32, gen_pool_first_fit_align, { align: 64 }), 0x10000);
});

test('a WARN of a pool made without a machine goes to its own log, and panicOnWarn throws', () => {
  const pool = pool4k();
  assert.equal(pool.allocAlgo(32, gen_pool_fixed_alloc, { offset: 3 }), 0);
  assert.equal(pool.log.count('warn'), 1);
  assert.ok(
    pool.log.dmesg().includes('WARNING: CPU: 0 PID: 0 at lib/genalloc.c gen_pool_fixed_alloc'),
  );
  const strict = GenPool.create(5, { log: new KernelLog({ panicOnWarn: true }) });
  strict.add(0x1000, 1024);
  assert.throws(() => strict.allocAlgo(32, gen_pool_fixed_alloc, { offset: 3 }), KernelWarning);
  assert.equal(strict.avail(), 1024);
  assert.equal(strict.allocAlgo(32, gen_pool_fixed_alloc, { offset: 32 }), 0x1020);
});

// ── Destroy ────────────────────────────────────────────────────────────────

test('destroy of an idle pool removes every chunk and marks it destroyed', () => {
  const pool = pool4k();
  pool.add(0x20000, 64);
  pool.free(pool.alloc(32), 32);
  pool.destroy();
  assert.equal(pool.destroyed, true);
  assert.equal(pool.chunks.length, 0);
  assert.equal(pool.alloc(32), 0, 'a destroyed pool has nothing');
  expectBug(() => pool.free(0x10000, 32), 'destroyed');
  expectBug(() => pool.add(0x30000, 64), 'destroyed');
});

test('destroy of a busy pool is a KernelBug; the pool stays usable and destroy succeeds after the free', () => {
  const pool = pool4k();
  const a = pool.alloc(100);
  expectBug(() => pool.destroy(), 'busy', '0x10000');
  assert.equal(pool.destroyed, false);
  assert.equal(pool.chunks.length, 1);
  assert.equal(pool.avail(), 4096 - 128);
  pool.free(a, 100);
  pool.destroy();
  assert.equal(pool.destroyed, true);
});

// ── The invariant checker ──────────────────────────────────────────────────

test('checkInvariants passes on a consistent pool and names G1 and G3 when they break', () => {
  const pool = pool4k();
  pool.add(0x20000, 100);
  pool.alloc(96);
  pool.allocAlgo(40, gen_pool_best_fit, null);
  checkInvariants(pool);
  const chunk = pool.chunks[0]!;
  chunk.avail -= 1;
  assert.throws(
    () => checkInvariants(pool),
    (e: unknown) => e instanceof InvariantError && e.message.startsWith('G1:'),
  );
  chunk.avail += 1;
  checkInvariants(pool);
  chunk.bits[0] = chunk.bits[0]! | (1 << 3); // bit 3 of a 3-bit chunk
  assert.throws(
    () => checkInvariants(pool),
    (e: unknown) => e instanceof InvariantError && /^G1:|^G3:/.test(e.message),
  );
});

test('checkInvariants names A1 for a stale aligned-fit index and R1/R2 for a wrong run index', () => {
  const pool = pool4k();
  pool.allocAlgo(64, gen_pool_first_fit_order_align, null);
  pool.allocAlgo(32, gen_pool_best_fit, null);
  checkInvariants(pool);
  const chunk = pool.chunks[0]!;
  const aligned = chunk.aligned;
  const runs = chunk.runs;
  assert.ok(aligned !== null && runs !== null, 'both indexes were built');
  const saved = aligned.m[2]!; // the root's packed levels 0..4
  aligned.m[2] = saved + 7;
  assert.throws(
    () => checkInvariants(pool),
    (e: unknown) => e instanceof InvariantError && e.message.startsWith('A1:'),
  );
  aligned.m[2] = saved;
  checkInvariants(pool);
  runs.insert(1, 100); // granule 100 is inside a larger free run: not a maximal run
  assert.throws(
    () => checkInvariants(pool),
    (e: unknown) => e instanceof InvariantError && /^R[123]:/.test(e.message),
  );
  assert.equal(runs.remove(1, 100), true);
  checkInvariants(pool);
});

test('a custom claim that loses a long and is retried keeps every index in step with the bitmap', () => {
  const pool = pool4k();
  pool.allocAlgo(32, gen_pool_best_fit, null); // granule 0; builds the run index
  pool.allocAlgo(64, gen_pool_first_fit_order_align, null); // granules 2-3; the aligned index
  pool.allocAlgo(32, gen_pool_fixed_alloc, { offset: 64 * 32 }); // granule 64: the 2nd long
  let calls = 0;
  const crossing: GenPoolAlgo = (map, size, start, nr, data, p, startAddr) => {
    calls++;
    // bits 60..67: the first long's part is free, bit 64 in the second long is taken
    if (calls === 1) return 60;
    return gen_pool_first_fit(map, size, start, nr, data, p, startAddr);
  };
  assert.equal(pool.allocAlgo(8 * 32, crossing, null), 0x10000 + 65 * 32);
  assert.equal(pool.retries, 1);
  assert.deepEqual(usedBits(pool.chunks[0]!), [0, 2, 3, 64, 65, 66, 67, 68, 69, 70, 71, 72]);
  checkInvariants(pool);
  assert.equal(pool.allocAlgo(32, gen_pool_best_fit, null), 0x10020, 'the run index saw no change');
  assert.equal(pool.allocAlgo(128, gen_pool_first_fit_order_align, null), 0x10080);
  checkInvariants(pool);
});
