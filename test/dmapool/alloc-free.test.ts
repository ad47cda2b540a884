// SPDX-License-Identifier: GPL-2.0-only
/*
 * dma_pool_alloc / dma_pool_zalloc / dma_pool_free / dma_pool_destroy and the managed
 * pools, without DMAPOOL_DEBUG, through the kernel API: the block layouts of the worked
 * examples of KERNEL-SPEC §2.2, ascending order on a fresh page, the LIFO free list across
 * pages, handles (DMA offset and mask), alignment and boundaries in absolute bus
 * addresses, the stale free-list header of a non-zeroed block, the caller's dma stored by
 * free, the unchecked double free of §2.4, pages never returned before destroy, the
 * failure of the coherent allocation, destroy of a busy pool (dev_err, memory leaked) and
 * of an idle one, the sleeping-context check, and dmam_pool_create/dmam_pool_destroy.
 *
 * Kernel: mm/dmapool.c (6.3+), include/linux/dmapool.h.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, PageFault, type Device, type DmaPool } from '../../src/index.js';

const PAGE_OFFSET = 0x888000000000;

function setup(opts: { memory?: string; dmaMask?: number; dmaOffset?: number } = {}) {
  const m = new Machine(opts.memory !== undefined ? { memory: opts.memory } : {});
  const dev = m.createDevice('dmatest', {
    dmaMask: opts.dmaMask ?? -1,
    dmaOffset: opts.dmaOffset ?? 0,
  });
  return { m, k: m.kernel, dev };
}

function create(
  m: Machine,
  dev: Device,
  size: number,
  align: number,
  boundary: number,
  name = 'p',
) {
  const pool = m.kernel.dma_pool_create(name, dev, size, align, boundary);
  assert.ok(pool !== null);
  return pool;
}

/** Allocate one block that must come out; return [vaddr, dma]. */
function get(m: Machine, pool: DmaPool, gfp = m.kernel.GFP_KERNEL): [number, number] {
  const h = { value: -1 };
  const v = m.kernel.dma_pool_alloc(pool, gfp, h);
  assert.notEqual(v, 0, 'dma_pool_alloc failed');
  return [v, h.value];
}

/** Little-endian u64 at `bytes[at]`. */
function u64(bytes: Uint8Array, at: number): number {
  let v = 0;
  for (let i = 7; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

function memFreeKb(m: Machine): number {
  return Number(/MemFree:\s+(\d+) kB/.exec(m.readFile('/proc/meminfo'))![1]);
}

/** The block offsets within the first buffer, in allocation order, and the buffer size. */
function firstBufferLayout(m: Machine, size: number, align: number, boundary: number) {
  const dev = m.createDevice(`d${size}-${align}-${boundary}`, { dmaMask: -1 });
  const pool = create(m, dev, size, align, boundary);
  const offsets: number[] = [];
  const [v0] = get(m, pool);
  const page = pool.page_list[0]!;
  offsets.push(v0 - page.vaddr);
  for (;;) {
    const [v] = get(m, pool);
    if (pool.nr_pages !== 1) break;
    offsets.push(v - page.vaddr);
  }
  return { offsets, pool, bufSize: m.dma.buffers(dev)[0]!.size };
}

test('§2.2 worked examples: blocks per page for sizes 16, 64, 256, 1024, 4096', () => {
  const m = new Machine();
  for (const [size, perPage] of [
    [16, 256],
    [64, 64],
    [256, 16],
    [1024, 4],
    [4096, 1],
  ] as const) {
    const { offsets, pool } = firstBufferLayout(m, size, size, 0);
    assert.equal(offsets.length, perPage, `size ${size}`);
    assert.deepEqual(
      offsets,
      Array.from({ length: perPage }, (_, i) => i * size),
    );
    assert.equal(pool.nr_blocks, 2 * perPage, 'the second buffer carved whole');
  }
});

test('§2.2: size 68 align 32 → 96-byte blocks, 42 per page, the last at 3936', () => {
  const m = new Machine();
  const { offsets, pool } = firstBufferLayout(m, 68, 32, 0);
  assert.equal(pool.size, 96);
  assert.equal(offsets.length, 42);
  assert.equal(offsets[41], 3936);
  assert.deepEqual(
    offsets,
    Array.from({ length: 42 }, (_, i) => i * 96),
  );
});

test('§2.2: size 1000 align 8 boundary 2048 → blocks at 0, 1000, 2048, 3048', () => {
  const m = new Machine();
  const { offsets } = firstBufferLayout(m, 1000, 8, 2048);
  assert.deepEqual(offsets, [0, 1000, 2048, 3048]);
});

test('§2.2: size 5000 → allocation 5000, one block per buffer', () => {
  const m = new Machine();
  const { offsets, pool, bufSize } = firstBufferLayout(m, 5000, 0, 0);
  assert.deepEqual(offsets, [0]);
  assert.equal(pool.allocation, 5000);
  assert.equal(pool.boundary, 5000);
  assert.equal(bufSize, 5000);
  assert.equal(pool.nr_pages, 2);
  assert.equal(pool.nr_blocks, 2);
});

test('the free list is LIFO across pages', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 2048, 0, 0);
  const [a, da] = get(m, pool);
  const [b] = get(m, pool);
  assert.equal(b, a + 2048, 'ascending on the fresh page');
  const [c, dc] = get(m, pool);
  assert.equal(pool.nr_pages, 2);
  k.dma_pool_free(pool, c, dc); // list: c, d
  k.dma_pool_free(pool, a, da); // list: a, c, d
  assert.equal(get(m, pool)[0], a);
  assert.equal(get(m, pool)[0], c);
  assert.equal(get(m, pool)[0], c + 2048, 'then d, the untouched block of page 2');
  assert.equal(pool.nr_pages, 2);
  get(m, pool);
  assert.equal(pool.nr_pages, 3, 'only an empty list adds a page');
});

test("the handle is the block's bus address: physical + the device's DMA offset", () => {
  const offset = 2 ** 44;
  const { m, k, dev } = setup({ dmaOffset: offset });
  const pool = create(m, dev, 100, 4, 0);
  for (let i = 0; i < 200; i++) {
    const [v, d] = get(m, pool);
    assert.equal(d, k.virt_to_phys(v) + offset);
    const page = pool.page_list.find((p) => v >= p.vaddr && v < p.vaddr + pool.allocation)!;
    assert.equal(d - page.dma, v - page.vaddr);
  }
});

test("the device's coherent mask is honoured", () => {
  const { m: m64, dev: d64 } = setup({ memory: '8G' });
  const [, hi] = get(m64, create(m64, d64, 4096, 0, 0));
  assert.ok(hi > 0xffffffff, 'precondition: an unrestricted device gets memory above 4 GiB');
  for (const mask of [0xffffffff, 2 ** 24 - 1]) {
    const { m, dev } = setup({ memory: '8G', dmaMask: mask });
    const pool = create(m, dev, 4096, 0, 0);
    for (let i = 0; i < 20; i++) {
      const [, d] = get(m, pool);
      assert.ok(d + 4096 - 1 <= mask, `dma ${d.toString(16)} beyond mask ${mask.toString(16)}`);
    }
  }
});

test('every block is aligned to `align` and crosses no multiple of `boundary` (absolute)', () => {
  const configs: [number, number, number][] = [
    [1000, 8, 2048],
    [68, 32, 4096],
    [100, 4, 1024],
    [24, 8, 64],
    [20, 1, 32],
    [16, 16, 16],
    [3000, 1, 4096],
    [6000, 2048, 8192],
  ];
  for (const [size, align, boundary] of configs) {
    const { m, dev } = setup({ dmaOffset: 0x40000 });
    const pool = create(m, dev, size, align, boundary);
    for (let i = 0; i < 300; i++) {
      const [v, d] = get(m, pool);
      const what = `${size}/${align}/${boundary}: dma ${d.toString(16)}`;
      assert.equal(d % align, 0, what);
      assert.equal(v % align, 0, what);
      assert.equal(Math.floor(d / boundary), Math.floor((d + size - 1) / boundary), what);
    }
  }
});

test('a non-zeroed block starts with the stale header {next (LE u64), dma}', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [a, da] = get(m, pool);
  let bytes = k.mem_read(a, 16);
  assert.equal(u64(bytes, 0), a + 64, 'next: the following block');
  assert.equal(u64(bytes, 8), da);
  let last = 0;
  for (let i = 1; i < 64; i++) last = get(m, pool)[0];
  bytes = k.mem_read(last, 16);
  assert.equal(last, a + 4032);
  assert.equal(u64(bytes, 0), 0, 'the last block pointed at the old (empty) list');
  // A block freed by the caller carries {old head, the dma passed to free}.
  k.dma_pool_free(pool, a, da);
  k.memset(last, 0x5a, 64);
  k.dma_pool_free(pool, last, da + 4032);
  bytes = k.mem_read(last, 64);
  assert.equal(u64(bytes, 0), a);
  assert.equal(u64(bytes, 8), da + 4032);
  assert.ok(
    bytes.subarray(16).every((x) => x === 0x5a),
    'free touches only the header',
  );
  const [again] = get(m, pool);
  assert.equal(again, last);
  assert.ok(
    k
      .mem_read(again, 64)
      .subarray(16)
      .every((x) => x === 0x5a),
    'no zeroing',
  );
});

test('dma_pool_zalloc zeroes exactly `size` bytes', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [a, da] = get(m, pool);
  k.memset(a, 0x5a, 64);
  k.dma_pool_free(pool, a, da);
  const h = { value: 0 };
  assert.equal(k.dma_pool_zalloc(pool, k.GFP_KERNEL, h), a);
  assert.equal(h.value, da);
  assert.ok(k.mem_read(a, 64).every((x) => x === 0));
  assert.equal(u64(k.mem_read(a + 64, 8), 0), a + 128, 'the next free block keeps its header');
  // __GFP_ZERO on dma_pool_alloc is the same thing.
  k.memset(a, 0x5a, 64);
  k.dma_pool_free(pool, a, da);
  assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL | k.__GFP_ZERO, h), a);
  assert.ok(k.mem_read(a, 64).every((x) => x === 0));
});

test("dma_pool_free stores the caller's dma: a wrong one is handed out later", () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [a, da] = get(m, pool);
  k.dma_pool_free(pool, a, 0x1234);
  const [again, d] = get(m, pool);
  assert.equal(again, a);
  assert.equal(d, 0x1234);
  assert.notEqual(d, da);
  k.dma_pool_free(pool, a, da);
  assert.deepEqual(get(m, pool), [a, da], 'the right dma comes back right');
});

test('a double free without debug is unchecked: the same block comes out twice', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [a, da] = get(m, pool);
  k.dma_pool_free(pool, a, da);
  k.dma_pool_free(pool, a, da);
  assert.deepEqual(m.dmesg(), [], 'nothing logged');
  assert.equal(get(m, pool)[0], a);
  assert.equal(get(m, pool)[0], a);
  // A single free gives the block once: the next one is its neighbour.
  const { m: m2, dev: dev2 } = setup();
  const p2 = create(m2, dev2, 64, 0, 0);
  const [b, db] = get(m2, p2);
  m2.kernel.dma_pool_free(p2, b, db);
  assert.equal(get(m2, p2)[0], b);
  assert.equal(get(m2, p2)[0], b + 64);
});

test('pages are never given back before destroy; nr_pages/nr_blocks never decrease', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 256, 0, 0);
  const live: [number, number][] = [];
  for (let i = 0; i < 1000; i++) live.push(get(m, pool));
  assert.equal(pool.nr_pages, 63, 'ceil(1000 / 16)');
  assert.equal(pool.nr_blocks, 1008);
  for (const [v, d] of live) {
    k.dma_pool_free(pool, v, d);
    assert.equal(pool.nr_pages, 63);
    assert.equal(pool.nr_blocks, 1008);
  }
  assert.equal(pool.nr_active, 0);
  assert.equal(m.dma.buffers(dev).length, 63);
});

test('alloc returns NULL and changes nothing when the new page cannot be had', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 2048, 0, 0);
  const h = { value: 777 };
  m.failNth('dma');
  assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, h), 0);
  assert.equal(h.value, 777, 'the handle is not written');
  assert.deepEqual([pool.nr_pages, pool.nr_blocks, pool.nr_active, pool.next_block], [0, 0, 0, 0]);
  assert.equal(m.dma.buffers(dev).length, 0);
  get(m, pool);
  get(m, pool);
  const state = [pool.nr_pages, pool.nr_blocks, pool.nr_active, pool.next_block];
  m.failNth('dma');
  assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, h), 0);
  m.failNth('kmalloc'); // the page descriptor
  assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, h), 0);
  assert.deepEqual([pool.nr_pages, pool.nr_blocks, pool.nr_active, pool.next_block], state);
  assert.equal(m.dma.buffers(dev).length, 1);
  get(m, pool);
  assert.equal(pool.nr_pages, 2, 'works again once memory is there');
});

test('destroy of a busy pool: dev_err "dma_pool_destroy <name> busy", memory leaked', () => {
  const { m, k, dev } = setup();
  const free0 = memFreeKb(m);
  const pool = create(m, dev, 2048, 0, 0, 'busy-pool');
  const blocks = [get(m, pool), get(m, pool), get(m, pool), get(m, pool), get(m, pool)];
  for (const [v, d] of blocks.slice(1)) k.dma_pool_free(pool, v, d);
  const bufs = m.dma.buffers(dev).map((b) => b.vaddr);
  assert.equal(bufs.length, 3);
  k.dma_pool_destroy(pool);
  assert.deepEqual(m.dmesg(), [`${dev.logPrefix}: dma_pool_destroy busy-pool busy`]);
  assert.deepEqual(
    m.dma.buffers(dev).map((b) => b.vaddr),
    bufs,
    'every buffer leaked',
  );
  assert.ok(free0 - memFreeKb(m) >= 3 * 4, 'MemFree does not get the 3 pages back');
  assert.ok(pool.destroyed);
  assert.equal(dev.dma_pools.length, 0);
  assert.throws(() => m.readFile('/sys/devices/dmatest/pools'), { code: 'ENOENT' });
});

test('destroy of an idle pool frees every buffer, silently', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 2048, 0, 0);
  const blocks = [get(m, pool), get(m, pool), get(m, pool), get(m, pool), get(m, pool)];
  for (const [v, d] of blocks) k.dma_pool_free(pool, v, d);
  const before = memFreeKb(m);
  k.dma_pool_destroy(pool);
  assert.deepEqual(m.dmesg(), []);
  assert.deepEqual(m.dma.buffers(dev), []);
  assert.ok(memFreeKb(m) - before >= 3 * 4, 'the 3 pages are back');
  assert.equal(m.dma.bytesInUse, 0);
});

test('dma_pool_destroy(NULL) is a no-op', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  k.dma_pool_destroy(null);
  assert.deepEqual(m.dmesg(), []);
  assert.equal(dev.dma_pools.length, 1);
  assert.ok(!pool.destroyed);
});

test('using a destroyed pool is a KernelBug; a fresh pool is fine', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [v, d] = get(m, pool);
  k.dma_pool_free(pool, v, d);
  k.dma_pool_destroy(pool);
  assert.throws(() => k.dma_pool_alloc(pool, k.GFP_KERNEL, { value: 0 }), KernelBug);
  assert.throws(() => k.dma_pool_free(pool, v, d), KernelBug);
  assert.throws(() => k.dma_pool_destroy(pool), KernelBug);
  get(m, create(m, dev, 64, 0, 0));
});

test('freeing an address outside the direct map faults and changes nothing', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const [v, d] = get(m, pool);
  for (const bad of [0, 0x1000, 0xc90000000000, PAGE_OFFSET - 64]) {
    assert.throws(() => k.dma_pool_free(pool, bad, d), PageFault, `0x${bad.toString(16)}`);
  }
  assert.equal(pool.nr_active, 1);
  assert.equal(pool.next_block, v + 64);
  k.dma_pool_free(pool, v, d);
  assert.equal(pool.nr_active, 0);
});

/** Little-endian bytes of the u64 `v` (below 2^53). */
function le64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

for (const memory of ['1G', '4G']) {
  test(`${memory}: a free block's overwritten link is followed as the kernel does`, () => {
    // Without debug nothing checks the list: the block whose link was overwritten comes out
    // normally, the garbage becomes the head, and the alloc after it uses the garbage.
    const { m, k, dev } = setup({ memory });
    const pool = create(m, dev, 64, 0, 0);
    const [v, d] = get(m, pool);
    const head = pool.next_block;
    const pastRam = PAGE_OFFSET + (memory === '1G' ? 2 : 6) * 2 ** 30; // no RAM there
    k.mem_write(head, le64(pastRam));
    assert.equal(get(m, pool)[0], head);
    assert.equal(pool.next_block, pastRam);
    // beyond RAM: the next alloc faults (the kernel oopses) and changes nothing
    assert.throws(() => get(m, pool), PageFault);
    assert.equal(pool.next_block, pastRam);
    assert.equal(pool.nr_active, 2);
    // an unaligned link into RAM: its header is read where it points, and handed out
    const pages = k.alloc_pages(k.GFP_KERNEL, 0);
    assert.ok(pages !== null);
    const odd = k.page_address(pages) + 2;
    k.mem_write(odd, new Uint8Array([...le64(v), ...le64(0x4242)]));
    k.mem_write(head, le64(odd));
    k.dma_pool_free(pool, head, d); // head's link is now the old head: pastRam
    k.mem_write(head, le64(odd)); // overwritten again after the free
    assert.equal(get(m, pool)[0], head);
    assert.equal(pool.next_block, odd);
    assert.deepEqual(get(m, pool), [odd, 0x4242]);
    assert.equal(pool.next_block, v, "the list goes on from the odd block's link");
    // a NULL link ends the list: the next alloc after v adds a page
    k.mem_write(v, le64(0));
    const pagesBefore = pool.nr_pages;
    assert.equal(get(m, pool)[0], v);
    assert.equal(pool.next_block, 0);
    const [fresh] = get(m, pool);
    assert.equal(pool.nr_pages, pagesBefore + 1);
    assert.notEqual(fresh, 0);
  });
}

for (const memory of ['1G', '4G']) {
  test(`${memory}: a foreign free whose header straddles a 64 KiB storage block is pushed whole`, () => {
    // Unchecked, as in the kernel: the 16-byte header goes where the caller says, even
    // across the simulator's 64 KiB storage blocks, and the next alloc hands it out.
    const { m, k, dev } = setup({ memory });
    const pool = create(m, dev, 64, 0, 0);
    const [v, d] = get(m, pool);
    const head = pool.next_block;
    const pages = k.alloc_pages(k.GFP_KERNEL, 5); // 128 KiB, 64 KiB-aligned
    assert.ok(pages !== null);
    const base = k.page_address(pages);
    const odd = base + 0x10000 - 8; // the header's second half is in the next block
    k.dma_pool_free(pool, odd, 0x1234_5678_9abc);
    assert.equal(pool.next_block, odd);
    const hdr = k.mem_read(odd, 16);
    assert.deepEqual([u64(hdr, 0), u64(hdr, 8)], [head, 0x1234_5678_9abc]);
    const handle = { value: 0 };
    assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, handle), odd);
    assert.equal(handle.value, 0x1234_5678_9abc);
    assert.equal(pool.next_block, head, 'the list continues past the straddling block');
    assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, handle), head);
    assert.equal(pool.nr_active, 2); // v, head (odd came and went)
    k.dma_pool_free(pool, v, d);
  });
}

test('GFP_KERNEL in interrupt context complains about sleeping; GFP_ATOMIC is silent', () => {
  const { m, k, dev } = setup();
  const pool = create(m, dev, 64, 0, 0);
  const h = { value: 0 };
  assert.notEqual(
    m.inInterrupt(() => k.dma_pool_alloc(pool, k.GFP_ATOMIC, h)),
    0,
  );
  assert.notEqual(
    m.inInterrupt(() => k.dma_pool_alloc(pool, k.GFP_ATOMIC, h)),
    0,
  );
  assert.deepEqual(m.dmesg(), []);
  assert.notEqual(k.dma_pool_alloc(pool, k.GFP_KERNEL, h), 0, 'process context: fine');
  assert.deepEqual(m.dmesg(), []);
  // A block is on the list, yet might_alloc complains before popping it.
  assert.notEqual(
    m.inInterrupt(() => k.dma_pool_alloc(pool, k.GFP_KERNEL, h)),
    0,
  );
  const lines = m.dmesg();
  assert.ok(lines.length > 0);
  assert.match(lines[0]!, /^BUG: sleeping function called from invalid context at /);
  assert.ok(lines.some((l) => l.startsWith('in_atomic(): 1, irqs_disabled(): 1')));
});

const DTS = '/dts-v1/;\n/ {\n\tdmadev {\n\t\tcompatible = "kmem,dmam-test";\n\t};\n};\n';

test('a dmam pool is destroyed when the driver detaches (device_release_driver)', () => {
  const m = new Machine();
  const k = m.kernel;
  m.loadDeviceTree(DTS);
  let pool: DmaPool | null = null;
  m.registerDriver({
    name: 'dmam-test',
    compatible: ['kmem,dmam-test'],
    probe(dev) {
      pool = k.dmam_pool_create('managed', dev, 64, 8, 0);
      return pool === null ? -12 : 0;
    },
  });
  const dev = m.platform.device('dmadev')!;
  assert.ok(pool !== null);
  const p = pool as DmaPool;
  get(m, p);
  assert.ok(m.readFile('/sys/devices/dmadev/pools').includes('managed'));
  assert.equal(dev.logPrefix, 'dmam-test dmadev', 'dev_driver_string: the bound driver');
  k.device_release_driver(dev);
  assert.ok(p.destroyed);
  assert.equal(dev.dma_pools.length, 0);
  // devres are released before dev->driver is cleared: the driver still names the line.
  assert.deepEqual(m.dmesg(), ['dmam-test dmadev: dma_pool_destroy managed busy']);
  assert.equal(dev.driver, null);
});

test('a dmam pool is destroyed by device_unregister, not by detaching no driver', () => {
  const { m, k, dev } = setup();
  const pool = k.dmam_pool_create('managed', dev, 64, 8, 0);
  assert.ok(pool !== null);
  const [v, d] = get(m, pool);
  k.dma_pool_free(pool, v, d);
  k.device_release_driver(dev); // no driver bound: nothing to release
  assert.ok(!pool.destroyed);
  k.device_unregister(dev);
  assert.ok(pool.destroyed);
  assert.deepEqual(m.dma.buffers(dev), []);
  assert.deepEqual(m.dmesg(), []);
});

test('dmam_pool_create returns NULL like dma_pool_create, with no devres left', () => {
  const { k, dev } = setup();
  assert.equal(k.dmam_pool_create('x', dev, 64, 3, 0), null);
  assert.equal(k.dmam_pool_create('x', null, 64, 8, 0), null);
  assert.deepEqual(dev.devresNames(), []);
});

test('dmam_pool_destroy destroys a managed pool; an unmanaged one WARNs and survives', () => {
  const { m, k, dev } = setup();
  const managed = k.dmam_pool_create('managed', dev, 64, 8, 0)!;
  k.dmam_pool_destroy(managed);
  assert.ok(managed.destroyed);
  assert.deepEqual(m.dmesg(), []);
  assert.deepEqual(dev.devresNames(), []);
  const plain = create(m, dev, 64, 8, 0, 'plain');
  k.dmam_pool_destroy(plain);
  const lines = m.dmesg();
  assert.equal(lines[0], '------------[ cut here ]------------');
  assert.ok(lines.some((l) => /^WARNING: CPU: \d+ PID: \d+ at mm\/dmapool\.c/.test(l)));
  assert.ok(!plain.destroyed);
  get(m, plain);
  k.device_unregister(dev); // the managed pool is not destroyed a second time
  assert.ok(!plain.destroyed);
});
