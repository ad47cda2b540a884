// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genalloc kernel API (`new Machine().kernel`), exercised the way driver code and the
 * kernel's own tests would: lib/genalloc.c and include/linux/genalloc.h under their names
 * and argument order, out-parameters as `{ value }`, NULL as null / 0, BUG as KernelBug,
 * WARN as a dmesg record. Every edge case of KERNEL-SPEC §1.3 is here.
 *
 * Kernel: lib/genalloc.c (mainline 6.x), include/linux/genalloc.h, include/linux/err.h.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createKernel,
  KernelBug,
  KernelWarning,
  Machine,
  type GenPool,
  type GenPoolChunk,
} from '../../src/index.js';
import type { Kernel } from '../../src/linux/kernel.js';
import type { genpool_algo_t } from '../../src/linux/genalloc.js';

/** struct gen_pool *pool = gen_pool_create(order, NUMA_NO_NODE); BUG_ON(!pool); */
function create(k: Kernel, order: number): GenPool {
  const pool = k.gen_pool_create(order, k.NUMA_NO_NODE);
  assert.ok(pool !== null, 'gen_pool_create failed');
  return pool;
}

/** Run `fn`, which must BUG; return the KernelBug. */
function expectBug(fn: () => void): KernelBug {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KernelBug, `expected a KernelBug, got ${String(caught)}`);
  return caught;
}

/** The allocated granules of the chunk holding `addr`. */
function usedBits(pool: GenPool, addr: number): number[] {
  const chunk = pool.chunks.find((c) => c.contains(addr));
  assert.ok(chunk !== undefined);
  const out: number[] = [];
  for (let i = 0; i < chunk.bits.length * 32; i++) {
    if (((chunk.bits[i >>> 5]! >>> (i & 31)) & 1) === 1) out.push(i);
  }
  return out;
}

/** A genpool_algo_t that records the chunk start of every call and answers with first fit. */
function recordingFirstFit(k: Kernel, calls: number[]): genpool_algo_t {
  return (map, size, start, nr, data, pool, start_addr) => {
    calls.push(start_addr);
    return k.gen_pool_first_fit(map, size, start, nr, data, pool, start_addr);
  };
}

// ── gen_pool_create / gen_pool_destroy ─────────────────────────────────────

test('gen_pool_create returns an empty first-fit pool, and NULL for a bad min_alloc_order', () => {
  const k = new Machine().kernel;
  const pool = k.gen_pool_create(5, k.NUMA_NO_NODE);
  assert.ok(pool !== null);
  assert.equal(pool.min_alloc_order, 5);
  assert.equal(pool.algo, k.gen_pool_first_fit);
  assert.equal(pool.data, null);
  assert.equal(pool.name, null);
  assert.equal(k.gen_pool_size(pool), 0);
  assert.equal(k.gen_pool_avail(pool), 0);
  assert.equal(k.gen_pool_alloc(pool, 32), 0);
  assert.equal(k.gen_pool_create(-1, k.NUMA_NO_NODE), null);
  assert.equal(k.gen_pool_create(41, 0), null);
  assert.equal(k.gen_pool_create(2.5, 0), null);
  assert.notEqual(k.gen_pool_create(0, 0), null);
});

test('gen_pool_destroy of a pool with no outstanding allocation succeeds', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  assert.equal(k.gen_pool_add(pool, 0x10000, 4096, -1), 0);
  const addr = k.gen_pool_alloc(pool, 64);
  k.gen_pool_free(pool, addr, 64);
  k.gen_pool_destroy(pool);
  assert.equal(pool.destroyed, true);
  assert.equal(k.dmesg().length, 0);
});

test('gen_pool_destroy of a busy pool BUGs; the pool stays inspectable and can be freed and destroyed', () => {
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const addr = k.gen_pool_alloc(pool, 100);
  const bug = expectBug(() => k.gen_pool_destroy(pool));
  assert.match(bug.message, /gen_pool_destroy: .*busy.*0x10000/);
  assert.ok(m.dmesg().includes('kernel BUG at lib/genalloc.c!'));
  assert.equal(pool.destroyed, false);
  assert.equal(k.gen_pool_avail(pool), 4096 - 128);
  assert.equal(k.gen_pool_size(pool), 4096);
  assert.equal(k.gen_pool_has_addr(pool, addr, 100), true);
  k.gen_pool_free(pool, addr, 100);
  k.gen_pool_destroy(pool);
  assert.equal(pool.destroyed, true);
});

// ── gen_pool_add* ──────────────────────────────────────────────────────────

test('gen_pool_add, gen_pool_add_virt and gen_pool_add_owner return 0, or -EINVAL for a bad size', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  assert.equal(k.gen_pool_add(pool, 0x1000, 1024, -1), 0);
  assert.equal(k.gen_pool_add_virt(pool, 0x2000, 0x82000, 1024, -1), 0);
  assert.equal(k.gen_pool_add_owner(pool, 0x3000, 0x83000, 1024, -1, 'owner'), 0);
  assert.equal(k.gen_pool_add(pool, 0x4000, -1, -1), -k.EINVAL);
  assert.equal(k.gen_pool_add(pool, 0x4000, 10.5, -1), -k.EINVAL);
  assert.equal(k.gen_pool_add_virt(pool, 0x4000, 0, -64, -1), -k.EINVAL);
  assert.equal(k.gen_pool_add_owner(pool, 0x4000, 0, 0.5, -1, null), -k.EINVAL);
  // a bitmap of more than 2^30 granules cannot be allocated
  assert.equal(k.gen_pool_add(pool, 0x1_0000_0000, (2 ** 30 + 1) * 32, -1), -k.ENOMEM);
  assert.equal(k.gen_pool_size(pool), 3 * 1024);
  const starts: number[] = [];
  k.gen_pool_for_each_chunk(
    pool,
    (_pool, chunk: GenPoolChunk) => starts.push(chunk.start_addr),
    null,
  );
  assert.deepEqual(starts, [0x3000, 0x2000, 0x1000]);
});

test('gen_pool_for_each_chunk visits the chunks newest first and passes pool and data through', () => {
  const k = new Machine().kernel;
  const pool = create(k, 4);
  k.gen_pool_add_virt(pool, 0x1000, 0x91000, 256, -1);
  k.gen_pool_add_virt(pool, 0x2000, 0x92000, 512, -1);
  const data = { total: 0, seen: [] as string[] };
  k.gen_pool_for_each_chunk(
    pool,
    (p, chunk, d) => {
      assert.equal(p, pool);
      d.total += chunk.end_addr - chunk.start_addr + 1;
      d.seen.push(
        `${chunk.start_addr.toString(16)}-${chunk.end_addr.toString(16)}@${chunk.phys_addr.toString(16)}`,
      );
    },
    data,
  );
  assert.equal(data.total, 768);
  assert.deepEqual(data.seen, ['2000-21ff@92000', '1000-10ff@91000']);
});

// ── gen_pool_alloc: sizes, rounding, avail ─────────────────────────────────

test('gen_pool_alloc of 0 bytes returns 0 and changes nothing', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  assert.equal(k.gen_pool_alloc(pool, 0), 0);
  assert.equal(k.gen_pool_avail(pool), 4096);
  assert.equal(k.gen_pool_alloc(pool, 1), 0x10000);
  assert.equal(k.gen_pool_avail(pool), 4096 - 32);
});

test('gen_pool_alloc rounds to granules: avail drops and gen_pool_free restores the rounded size', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const a = k.gen_pool_alloc(pool, 65); // 3 granules
  const b = k.gen_pool_alloc(pool, 32); // 1 granule
  assert.equal(a, 0x10000);
  assert.equal(b, 0x10060);
  assert.equal(k.gen_pool_avail(pool), 4096 - 96 - 32);
  k.gen_pool_free(pool, a, 65);
  assert.equal(k.gen_pool_avail(pool), 4096 - 32);
  assert.equal(k.gen_pool_alloc(pool, 96), 0x10000, 'the freed three granules are reused');
  assert.equal(k.gen_pool_size(pool), 4096);
});

test('avail over-reports a chunk size that is not a multiple of the granule, and the tail is never allocatable', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 100, -1); // 3 granules + 4 bytes
  assert.equal(k.gen_pool_size(pool), 100);
  assert.equal(k.gen_pool_avail(pool), 100);
  assert.equal(k.gen_pool_alloc(pool, 97), 0, '97 <= avail, but 4 granules do not exist');
  assert.equal(k.gen_pool_alloc(pool, 96), 0x10000);
  assert.equal(k.gen_pool_avail(pool), 4);
  assert.equal(k.gen_pool_alloc(pool, 4), 0, 'avail says 4 bytes, the tail cannot be allocated');
  assert.equal(k.gen_pool_alloc(pool, 1), 0);
  k.gen_pool_free(pool, 0x10000, 96);
  assert.equal(k.gen_pool_avail(pool), 100);
});

test('gen_pool_alloc searches the most recently added chunk first', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  k.gen_pool_add(pool, 0x20000, 1024, -1);
  assert.equal(k.gen_pool_alloc(pool, 32), 0x20000);
  assert.equal(k.gen_pool_alloc(pool, 1024), 0x10000, 'the newer chunk cannot hold it any more');
  assert.equal(k.gen_pool_alloc(pool, 992), 0x20020);
  assert.equal(k.gen_pool_alloc(pool, 32), 0, 'every chunk is full');
});

test('gen_pool_alloc skips a chunk whose avail is below the unrounded size, and searches it otherwise', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1); // older
  k.gen_pool_add(pool, 0x20000, 100, -1); // newer: avail 100, 3 granules
  const calls: number[] = [];
  const algo = recordingFirstFit(k, calls);
  // 97 <= 100 unrounded (128 rounded > 100): the newer chunk is searched, fails, the older fits
  assert.equal(k.gen_pool_alloc_algo(pool, 97, algo, null), 0x10000);
  assert.deepEqual(calls, [0x20000, 0x10000]);
  calls.length = 0;
  // 101 > 100: the newer chunk is skipped without calling the algorithm
  assert.equal(k.gen_pool_alloc_algo(pool, 101, algo, null), 0x10080);
  assert.deepEqual(calls, [0x10000]);
});

test('a fragmented chunk with enough avail is searched, fails, and the search moves on', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  k.gen_pool_add(pool, 0x20000, 128, -1); // 4 granules
  const a = k.gen_pool_alloc(pool, 32);
  const b = k.gen_pool_alloc(pool, 32);
  k.gen_pool_alloc(pool, 32);
  assert.deepEqual([a, b], [0x20000, 0x20020]);
  k.gen_pool_free(pool, a, 32); // free granules 0 and 3: avail 64, no 2-granule run
  const calls: number[] = [];
  assert.equal(k.gen_pool_alloc_algo(pool, 64, recordingFirstFit(k, calls), null), 0x10000);
  assert.deepEqual(calls, [0x20000, 0x10000]);
  assert.equal(k.gen_pool_alloc(pool, 32), 0x20000, 'the fragment still serves a fitting size');
});

// ── Owners ─────────────────────────────────────────────────────────────────

test('gen_pool_alloc_owner and gen_pool_alloc_algo_owner set *owner to NULL, then to the chunk owner', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  const dev_a = { name: 'sram0' };
  const dev_b = { name: 'sram1' };
  k.gen_pool_add_owner(pool, 0x10000, 0x80000, 64, -1, dev_a);
  k.gen_pool_add_owner(pool, 0x20000, 0x90000, 64, -1, dev_b);
  const owner: { value: unknown } = { value: 'garbage' };
  assert.equal(k.gen_pool_alloc_owner(pool, 64, owner), 0x20000);
  assert.equal(owner.value, dev_b);
  assert.equal(k.gen_pool_alloc_algo_owner(pool, 32, k.gen_pool_best_fit, null, owner), 0x10000);
  assert.equal(owner.value, dev_a);
  assert.equal(k.gen_pool_alloc_owner(pool, 64, owner), 0);
  assert.equal(owner.value, null, 'no chunk fits: *owner is NULL');
  owner.value = 'garbage';
  assert.equal(k.gen_pool_alloc_algo_owner(pool, 0, k.gen_pool_first_fit, null, owner), 0);
  assert.equal(owner.value, null, 'size 0: *owner is NULL');
  owner.value = 'garbage';
  k.gen_pool_free_owner(pool, 0x20000, 64, owner);
  assert.equal(owner.value, dev_b);
  owner.value = 'garbage';
  expectBug(() => k.gen_pool_free_owner(pool, 0x20000, 64, owner));
  assert.equal(owner.value, null, 'a BUGging free leaves *owner NULL');
  k.gen_pool_free_owner(pool, 0x10000, 32, null);
  assert.equal(k.gen_pool_avail(pool), 128);
});

// ── gen_pool_virt_to_phys, gen_pool_has_addr ───────────────────────────────

test('gen_pool_virt_to_phys after gen_pool_add (phys -1) gives -1 at offset 0 and offset - 1 after it', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0x10000), -1);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0x10001), 0);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0x10040), 0x3f);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0x10fff), 0xffe);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0x11000), -1, 'outside every chunk');
});

test('gen_pool_virt_to_phys after gen_pool_add_virt adds the offset to phys; -1 outside every chunk', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add_virt(pool, 0xc0000000, 0x1_0000_0000, 8192, -1);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0xc0000000), 0x1_0000_0000);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0xc0001234), 0x1_0000_1234);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0xbfffffff), -1);
  assert.equal(k.gen_pool_virt_to_phys(pool, 0xc0002000), -1);
});

test('gen_pool_has_addr and addr_in_gen_pool are false for a range spanning two adjacent chunks', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x1000, 0x1000, -1);
  k.gen_pool_add(pool, 0x2000, 0x1000, -1);
  assert.equal(k.gen_pool_has_addr(pool, 0x1f00, 0x100), true);
  assert.equal(k.gen_pool_has_addr(pool, 0x2000, 0x1000), true);
  assert.equal(k.gen_pool_has_addr(pool, 0x1f00, 0x200), false);
  assert.equal(k.gen_pool_has_addr(pool, 0x1000, 0x2000), false);
  assert.equal(k.gen_pool_has_addr(pool, 0x3000, 1), false);
  assert.equal(k.addr_in_gen_pool(pool, 0x1f00, 0x100), true);
  assert.equal(k.addr_in_gen_pool(pool, 0x1f00, 0x200), false);
});

// ── gen_pool_set_algo and the algorithms through a pool ────────────────────

test('gen_pool_set_algo(pool, NULL, data) selects first fit and keeps data', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const fixed = { offset: 0x100 };
  k.gen_pool_set_algo(pool, k.gen_pool_fixed_alloc, fixed);
  assert.equal(k.gen_pool_alloc(pool, 32), 0x10100);
  k.gen_pool_set_algo(pool, null, fixed);
  assert.equal(pool.algo, k.gen_pool_first_fit);
  assert.equal(pool.data, fixed);
  assert.equal(k.gen_pool_alloc(pool, 32), 0x10000);
  k.gen_pool_set_algo(pool, k.gen_pool_best_fit, null);
  assert.equal(pool.algo, k.gen_pool_best_fit);
  assert.equal(pool.data, null);
});

test('gen_pool_fixed_alloc allocates at the offset in each chunk, and fails when that range is taken', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  k.gen_pool_add(pool, 0x20000, 1024, -1);
  const fixed = { offset: 0x40 };
  assert.equal(k.gen_pool_alloc_algo(pool, 64, k.gen_pool_fixed_alloc, fixed), 0x20040);
  assert.equal(
    k.gen_pool_alloc_algo(pool, 64, k.gen_pool_fixed_alloc, fixed),
    0x10040,
    'same offset, next chunk',
  );
  assert.equal(
    k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x60 }),
    0,
    'taken in every chunk',
  );
  assert.equal(
    k.gen_pool_alloc_algo(pool, 64, k.gen_pool_fixed_alloc, { offset: 0x3e0 }),
    0,
    'runs past the end',
  );
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x3e0 }), 0x203e0);
});

test('gen_pool_fixed_alloc with an offset off the granule grid WARNs in dmesg and fails', () => {
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  assert.equal(m.dmesg().length, 0);
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x10 }), 0);
  const log = m.dmesg();
  assert.equal(log[0], '------------[ cut here ]------------');
  assert.equal(
    log[log.length - 1],
    'WARNING: CPU: 0 PID: 0 at lib/genalloc.c gen_pool_fixed_alloc',
  );
  assert.equal(m.log.count('warn'), 1);
  assert.equal(m.log.records()[0]!.site, 'gen_pool_fixed_alloc');
  assert.deepEqual(k.dmesg(), m.dmesg());
  assert.equal(k.gen_pool_avail(pool), 1024);
  k.gen_pool_add(pool, 0x20000, 1024, -1);
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x10 }), 0);
  assert.equal(m.log.count('warn'), 3, 'one WARN per chunk tried');
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x20 }), 0x20020);
  assert.equal(m.log.count('warn'), 3);
});

test('gen_pool_fixed_alloc WARNs through WARN_ON: dmesg shows only the cut-here and WARNING lines, no message', () => {
  // lib/genalloc.c: if (WARN_ON(fixed_data->offset & ((1UL << order) - 1))) return size;
  // WARN_ON prints no format line (KernelLog.warn: a message is for WARN(cond, fmt) only).
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x10 }), 0);
  assert.deepEqual(m.dmesg(), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 0 at lib/genalloc.c gen_pool_fixed_alloc',
  ]);
});

test('with panicOnWarn the fixed_alloc WARN is a thrown KernelWarning and nothing is allocated', () => {
  const m = new Machine({ panicOnWarn: true });
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  assert.throws(
    () => k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x10 }),
    (e: unknown) => e instanceof KernelWarning && e.message.includes('gen_pool_fixed_alloc'),
  );
  assert.ok(m.dmesg().includes('WARNING: CPU: 0 PID: 0 at lib/genalloc.c gen_pool_fixed_alloc'));
  assert.equal(k.gen_pool_avail(pool), 1024);
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_fixed_alloc, { offset: 0x20 }), 0x10020);
});

test('gen_pool_first_fit_align aligns the absolute address of a non-aligned chunk; order_align aligns relative to the chunk', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10020, 4096, -1); // 32-byte aligned only
  const align = { align: 0x100 };
  const a = k.gen_pool_alloc_algo(pool, 32, k.gen_pool_first_fit_align, align);
  assert.equal(a, 0x10100, 'absolute 256-byte alignment, offset 0xe0 in the chunk');
  assert.equal(a % 0x100, 0);
  assert.equal(
    k.gen_pool_alloc_algo(pool, 32, k.gen_pool_first_fit_align, { align: 16 }),
    0x10020,
    'align below the granule: no extra alignment',
  );
  // order align: 4 granules → a multiple of 4 granules from the chunk start; granules 0 and 7
  // are used, so granule 8 → 0x10020 + 0x100
  const b = k.gen_pool_alloc_algo(pool, 128, k.gen_pool_first_fit_order_align, null);
  assert.equal(b, 0x10120);
  assert.notEqual(b % 0x80, 0, 'not absolutely aligned');
  assert.equal((b - 0x10020) % 0x80, 0, 'aligned relative to the chunk start');
  assert.equal(k.gen_pool_alloc_algo(pool, 4096, k.gen_pool_first_fit_align, align), 0);
});

test('gen_pool_best_fit takes the smallest fitting hole and the lowest of equal holes', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 1024, -1);
  const blocks: number[] = [];
  for (let i = 0; i < 10; i++) blocks.push(k.gen_pool_alloc(pool, 96)); // 3 granules each
  k.gen_pool_free(pool, blocks[1]!, 96); // hole of 3 at granule 3
  k.gen_pool_free(pool, blocks[4]!, 96); // hole of 3 at granule 12
  k.gen_pool_free(pool, blocks[6]!, 64); // hole of 2 at granule 18; granule 20 stays used
  // holes: [3,6) [12,15) [18,20) [30,32)
  k.gen_pool_set_algo(pool, k.gen_pool_best_fit, null);
  assert.equal(k.gen_pool_alloc(pool, 64), 0x10000 + 18 * 32, 'exact fit, the lower of two');
  assert.equal(k.gen_pool_alloc(pool, 96), 0x10000 + 3 * 32, 'equal holes: the lowest');
  assert.equal(k.gen_pool_alloc(pool, 96), 0x10000 + 12 * 32);
  assert.equal(k.gen_pool_alloc(pool, 32), 0x10000 + 30 * 32, 'the last hole');
  assert.equal(k.gen_pool_alloc(pool, 64), 0, 'granule 31 alone is too small');
  assert.equal(k.gen_pool_alloc(pool, 1024), 0);
});

// ── gen_pool_free: sizes and BUGs ──────────────────────────────────────────

test('gen_pool_free with a smaller size frees only those granules; the rest stays allocated', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const addr = k.gen_pool_alloc(pool, 128);
  k.gen_pool_free(pool, addr, 40); // 2 granules
  assert.deepEqual(usedBits(pool, addr), [2, 3]);
  assert.equal(k.gen_pool_avail(pool), 4096 - 64);
  assert.equal(k.gen_pool_alloc(pool, 96), 0x10080, 'the 2-granule hole is too small for 3');
  assert.equal(k.gen_pool_alloc(pool, 64), 0x10000);
});

test('gen_pool_free with a larger size silently frees the neighbouring allocation', () => {
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const a = k.gen_pool_alloc(pool, 64);
  const b = k.gen_pool_alloc(pool, 64);
  k.gen_pool_free(pool, a, 128);
  assert.deepEqual(usedBits(pool, a), []);
  assert.equal(k.gen_pool_avail(pool), 4096);
  assert.equal(m.dmesg().length, 0, 'no diagnostic');
  assert.equal(k.gen_pool_alloc(pool, 32), a);
  expectBug(() => k.gen_pool_free(pool, b, 64)); // b was freed by the oversized free
});

test('gen_pool_free with a larger size over free granules BUGs and changes nothing', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const a = k.gen_pool_alloc(pool, 64);
  const bug = expectBug(() => k.gen_pool_free(pool, a, 96));
  assert.ok(bug.message.includes('0x10000'));
  assert.deepEqual(usedBits(pool, a), [0, 1]);
  assert.equal(k.gen_pool_avail(pool), 4096 - 64);
});

test('gen_pool_free of an address inside a granule frees from the granule start', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const a = k.gen_pool_alloc(pool, 64);
  k.gen_pool_free(pool, a + 40, 20); // inside granule 1, one granule
  assert.deepEqual(usedBits(pool, a), [0]);
  assert.equal(k.gen_pool_avail(pool), 4096 - 32);
});

test('gen_pool_free of 0 bytes inside a chunk is a no-op', () => {
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const a = k.gen_pool_alloc(pool, 32);
  k.gen_pool_free(pool, a, 0);
  k.gen_pool_free(pool, 0x10800, 0); // a free granule: still nothing to clear
  assert.deepEqual(usedBits(pool, a), [0]);
  assert.equal(k.gen_pool_avail(pool), 4096 - 32);
  assert.equal(m.dmesg().length, 0);
  expectBug(() => k.gen_pool_free(pool, 0x20000, 0)); // but the address must be in a chunk
});

for (const c of [
  { what: 'a double free', addr: 0x10000, size: 64, prepare: true },
  { what: 'an address outside every chunk', addr: 0x30000, size: 32, prepare: false },
  { what: 'a range past the end of the chunk', addr: 0x10fe0, size: 64, prepare: false },
]) {
  test(`gen_pool_free of ${c.what} is a KernelBug naming the address, logged in dmesg, pool unchanged`, () => {
    const m = new Machine();
    const k = m.kernel;
    const pool = create(k, 5);
    k.gen_pool_add(pool, 0x10000, 4096, -1);
    const a = k.gen_pool_alloc(pool, 64);
    k.gen_pool_alloc(pool, 4096 - 96); // leave one granule at the end
    if (c.prepare) k.gen_pool_free(pool, a, 64);
    const bitsBefore = usedBits(pool, 0x10000);
    const availBefore = k.gen_pool_avail(pool);
    const bug = expectBug(() => k.gen_pool_free(pool, c.addr, c.size));
    assert.ok(bug.message.includes(`0x${c.addr.toString(16)}`), bug.message);
    assert.ok(bug.message.startsWith('gen_pool_free_owner: '), bug.message);
    const log = m.dmesg();
    assert.deepEqual(log.slice(0, 2), [
      '------------[ cut here ]------------',
      'kernel BUG at lib/genalloc.c!',
    ]);
    assert.equal(log[2], bug.message);
    assert.deepEqual(usedBits(pool, 0x10000), bitsBefore);
    assert.equal(k.gen_pool_avail(pool), availBefore);
    // the good free of the same pool still works
    assert.equal(k.gen_pool_alloc(pool, 32), c.prepare ? 0x10000 : 0x10fe0);
  });
}

// ── The gen_pool_dma_* family ──────────────────────────────────────────────

test('gen_pool_dma_alloc sets *dma to gen_pool_virt_to_phys of the block; NULL pool or no space gives 0', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add_virt(pool, 0xffff0000, 0x3000_0000, 4096, -1);
  const dma = { value: 0 };
  const vaddr = k.gen_pool_dma_alloc(pool, 100, dma);
  assert.equal(vaddr, 0xffff0000);
  assert.equal(dma.value, k.gen_pool_virt_to_phys(pool, vaddr));
  assert.equal(dma.value, 0x3000_0000);
  assert.equal(k.gen_pool_dma_alloc(pool, 32, null), 0xffff0080, 'dma may be NULL');
  dma.value = 12345;
  assert.equal(k.gen_pool_dma_alloc(pool, 8192, dma), 0);
  assert.equal(dma.value, 12345, '*dma untouched on failure');
  assert.equal(k.gen_pool_dma_alloc(null, 32, dma), 0);
  assert.equal(k.gen_pool_dma_alloc_algo(null, 32, dma, k.gen_pool_first_fit, null), 0);
  assert.equal(k.gen_pool_dma_alloc_align(null, 32, dma, 64), 0);
  assert.equal(k.gen_pool_dma_zalloc(null, 32, dma), 0);
  assert.equal(k.gen_pool_dma_zalloc_algo(null, 32, dma, k.gen_pool_first_fit, null), 0);
  assert.equal(k.gen_pool_dma_zalloc_align(null, 32, dma, 64), 0);
  assert.equal(dma.value, 12345);
});

test('gen_pool_dma_alloc_algo and gen_pool_dma_alloc_align use their algorithm and report the phys address', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  k.gen_pool_add_virt(pool, 0x10020, 0x80020, 4096, -1);
  const dma = { value: 0 };
  assert.equal(
    k.gen_pool_dma_alloc_algo(pool, 32, dma, k.gen_pool_fixed_alloc, { offset: 0x200 }),
    0x10220,
  );
  assert.equal(dma.value, 0x80220);
  assert.equal(k.gen_pool_dma_alloc_align(pool, 32, dma, 0x400), 0x10400, 'absolute alignment');
  assert.equal(dma.value, 0x80400);
  assert.equal(k.gen_pool_dma_alloc_align(pool, 8192, dma, 0x400), 0);
  assert.equal(dma.value, 0x80400);
  assert.equal(
    k.gen_pool_dma_alloc(pool, 32, dma),
    0x10020,
    'the pool algorithm is still first fit',
  );
});

test('gen_pool_dma_zalloc, _zalloc_algo and _zalloc_align zero exactly the requested bytes of a backed chunk', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  const sram = new ArrayBuffer(4096);
  const raw = new Uint8Array(sram);
  raw.fill(0xff);
  pool.addMemory(sram, { virt: 0x40000000, phys: 0xfe000000 });
  const dma = { value: 0 };
  const a = k.gen_pool_dma_zalloc(pool, 20, dma);
  assert.equal(a, 0x40000000);
  assert.equal(dma.value, 0xfe000000);
  const b = k.gen_pool_dma_zalloc_algo(pool, 33, dma, k.gen_pool_fixed_alloc, { offset: 0x100 });
  assert.equal(b, 0x40000100);
  assert.equal(dma.value, 0xfe000100);
  const c = k.gen_pool_dma_zalloc_align(pool, 64, dma, 0x200);
  assert.equal(c, 0x40000200);
  assert.equal(dma.value, 0xfe000200);
  assert.ok(raw.subarray(0, 20).every((x) => x === 0));
  assert.ok(
    raw.subarray(20, 32).every((x) => x === 0xff),
    'rounded-up bytes are not zeroed',
  );
  assert.ok(raw.subarray(0x100, 0x121).every((x) => x === 0));
  assert.equal(raw[0x121], 0xff);
  assert.ok(raw.subarray(0x200, 0x240).every((x) => x === 0));
  assert.equal(raw[0x240], 0xff);
  assert.equal(k.gen_pool_dma_zalloc(pool, 8192, dma), 0);
  assert.equal(dma.value, 0xfe000200);
});

// ── The algorithms called directly on a bitmap ─────────────────────────────

test('the five genpool_algo_t functions work on a bare bitmap and return >= size for no fit', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  // unsigned long map[2]: 128 bits; bits 0-3 and 9 used
  const map = new Uint32Array(4);
  map[0] = 0x0000020f;
  const size = 128;
  assert.equal(k.gen_pool_first_fit(map, size, 0, 4, null, pool, 0), 4);
  assert.equal(k.gen_pool_first_fit(map, size, 0, 5, null, pool, 0), 4, 'exactly the hole [4, 9)');
  assert.equal(k.gen_pool_first_fit(map, size, 0, 6, null, pool, 0), 10);
  assert.equal(k.gen_pool_first_fit(map, size, 5, 2, null, pool, 0), 5, 'searching from start');
  assert.ok(k.gen_pool_first_fit(map, size, 0, 200, null, pool, 0) >= size);
  // align 256 bytes = 8 granules; chunk at 0x1020 → align_off 1 → (bit + 1) % 8 == 0
  assert.equal(k.gen_pool_first_fit_align(map, size, 0, 2, { align: 256 }, pool, 0x1020), 7);
  assert.equal(k.gen_pool_first_fit_align(map, size, 0, 2, { align: 256 }, pool, 0x1000), 16);
  assert.ok(k.gen_pool_first_fit_align(map, size, 0, 121, { align: 256 }, pool, 0x1000) >= size);
  assert.equal(k.gen_pool_fixed_alloc(map, size, 0, 2, { offset: 5 * 32 }, pool, 0), 5);
  assert.equal(
    k.gen_pool_fixed_alloc(map, size, 0, 2, { offset: 8 * 32 }, pool, 0),
    size,
    '9 is taken',
  );
  assert.equal(
    k.gen_pool_fixed_alloc(map, size, 0, 2, { offset: 127 * 32 }, pool, 0),
    size,
    'past the end',
  );
  assert.equal(k.gen_pool_first_fit_order_align(map, size, 0, 3, null, pool, 0), 4);
  assert.equal(k.gen_pool_first_fit_order_align(map, size, 0, 5, null, pool, 0), 16);
  assert.ok(k.gen_pool_first_fit_order_align(map, size, 0, 65, null, pool, 0) >= size);
  // holes: [4,9) 5 bits, [10,128) 118 bits
  assert.equal(k.gen_pool_best_fit(map, size, 0, 5, null, pool, 0), 4);
  assert.equal(k.gen_pool_best_fit(map, size, 0, 6, null, pool, 0), 10);
  assert.equal(k.gen_pool_best_fit(map, size, 0, 119, null, pool, 0), size);
  assert.equal(map[0], 0x0000020f, 'the algorithms only search');
  assert.equal(k.dmesg().length, 0);
  assert.equal(k.gen_pool_fixed_alloc(map, size, 0, 1, { offset: 7 }, pool, 0), size);
  assert.equal(pool.log.count('warn'), 1);
});

test('gen_pool_first_fit_align with a non-power-of-two align follows the kernel arithmetic literally', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  const map = new Uint32Array(2);
  map[0] = 0x1; // bit 0 used
  // align 96: align_mask = 3 - 1 = 2, __ALIGN_MASK(1, 2) = (1 + 2) & ~2 = 1
  assert.equal(k.gen_pool_first_fit_align(map, 64, 0, 1, { align: 96 }, pool, 0), 1);
  map[0] = 0x3; // bits 0-1 used: __ALIGN_MASK(2, 2) = 4 & ~2 = 4
  assert.equal(k.gen_pool_first_fit_align(map, 64, 0, 1, { align: 96 }, pool, 0), 4);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  k.gen_pool_alloc(pool, 64);
  assert.equal(k.gen_pool_alloc_algo(pool, 32, k.gen_pool_first_fit_align, { align: 96 }), 0x10080);
});

test('a custom genpool_algo_t that always returns a taken position is a KernelBug instead of a hang', () => {
  const m = new Machine();
  const k = m.kernel;
  const pool = create(k, 5);
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const first = k.gen_pool_alloc(pool, 32);
  const always_zero: genpool_algo_t = () => 0;
  const bug = expectBug(() => k.gen_pool_alloc_algo(pool, 32, always_zero, null));
  assert.match(bug.message, /gen_pool_alloc_algo_owner: .*taken/);
  assert.ok(m.dmesg().includes('kernel BUG at lib/genalloc.c!'));
  assert.equal(k.gen_pool_avail(pool), 4096 - 32);
  k.gen_pool_free(pool, first, 32);
  assert.equal(
    k.gen_pool_alloc_algo(pool, 32, always_zero, null),
    0x10000,
    'position 0 is free now',
  );
});

test('machine.kernel is one object per machine, the same as createKernel(machine)', () => {
  const m = new Machine();
  assert.equal(m.kernel, m.kernel);
  assert.equal(createKernel(m), m.kernel);
  assert.notEqual(new Machine().kernel, m.kernel);
  const pool = create(m.kernel, 5);
  assert.equal(pool.log, m.log, 'pools of the kernel API log to the machine dmesg');
});

// ── include/linux/err.h ────────────────────────────────────────────────────

test('IS_ERR, PTR_ERR, ERR_PTR and IS_ERR_OR_NULL follow include/linux/err.h', () => {
  const k = new Machine().kernel;
  const pool = create(k, 5);
  const err = k.ERR_PTR(-k.ENOMEM);
  assert.equal(k.IS_ERR(err), true);
  assert.equal(k.PTR_ERR(err), -12);
  assert.equal(k.IS_ERR(k.ERR_PTR(-k.EINVAL)), true);
  assert.equal(k.PTR_ERR(k.ERR_PTR(-k.EINVAL)), -22);
  assert.equal(k.IS_ERR(-k.MAX_ERRNO), true);
  assert.equal(k.IS_ERR(-k.MAX_ERRNO - 1), false, 'below -MAX_ERRNO is not an error pointer');
  assert.equal(k.IS_ERR(pool), false);
  assert.equal(k.IS_ERR(null), false);
  assert.equal(k.IS_ERR(0), false);
  assert.equal(k.IS_ERR(0x10000), false);
  assert.equal(k.IS_ERR_OR_NULL(null), true);
  assert.equal(k.IS_ERR_OR_NULL(0), true);
  assert.equal(k.IS_ERR_OR_NULL(err), true);
  assert.equal(k.IS_ERR_OR_NULL(pool), false);
  assert.equal(k.IS_ERR_OR_NULL(0x10000), false);
  assert.equal(k.PTR_ERR(pool), 0);
});
