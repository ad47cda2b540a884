// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the buddy page allocator of one zone (src/machine/buddy.ts): exact splits and
 * merges, list order (LIFO frees, FIFO boot frees), boot decomposition, zones not aligned at
 * either end, misuse refused with the state unchanged, the invariant checker, and seeded
 * model-based runs against the naive model of test/helpers/buddy-oracle.ts.
 *
 * Kernel: mm/page_alloc.c __rmqueue_smallest, expand, __free_one_page; mm/memblock.c
 * __free_pages_memory.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BuddyError,
  BuddyZone,
  MAX_PAGE_ORDER,
  MAX_PFN,
  NR_PAGE_ORDERS,
  checkBuddyInvariants,
  type BuddyRawState,
} from '../../src/machine/buddy.js';
import { InvariantError, KernelBug } from '../../src/base/errors.js';
import { XorShift32 } from '../../src/base/rng.js';
import {
  NaiveBuddy,
  ORACLE_MAX_ORDER,
  canonicalBlocks,
  type Block,
} from '../helpers/buddy-oracle.js';

// ── Helpers ─────────────────────────────────────────────────────────────────

/** The free blocks of a zone, sorted by pfn. */
function blocksOf(z: BuddyZone): Block[] {
  const out: Block[] = [];
  z.debugState().freeLists.forEach((list, order) => {
    for (const pfn of list) out.push({ pfn, order });
  });
  return out.sort((a, b) => a.pfn - b.pfn);
}

/** The free lists of a zone, only the non-empty ones, as { order: [pfns head first] }. */
function listsOf(z: BuddyZone): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  z.debugState().freeLists.forEach((list, order) => {
    if (list.length > 0) out[order] = list;
  });
  return out;
}

function booted(start: number, end: number): BuddyZone {
  const z = new BuddyZone(start, end);
  z.freeRange(start, end);
  z.checkInvariants();
  return z;
}

// ── Constants and construction ───────────────────────────────────────────────

test('the order limits are the kernel MAX_PAGE_ORDER 10 and NR_PAGE_ORDERS 11', () => {
  assert.equal(MAX_PAGE_ORDER, 10);
  assert.equal(NR_PAGE_ORDERS, 11);
  assert.equal(ORACLE_MAX_ORDER, MAX_PAGE_ORDER);
});

test('a new zone has no free page, so alloc returns -1', () => {
  const z = new BuddyZone(100, 5000);
  assert.equal(z.spanned, 4900);
  assert.equal(z.present, 0);
  assert.equal(z.nrFree, 0);
  assert.equal(z.largestFreeOrder(), -1);
  for (let k = 0; k <= MAX_PAGE_ORDER; k++) assert.equal(z.alloc(k), -1);
  assert.equal(z.isFree(100), false);
  z.checkInvariants();
});

test('the constructor rejects bounds that are not integers in [0, 2^40] or too many pages', () => {
  assert.throws(() => new BuddyZone(10, 5), RangeError);
  assert.throws(() => new BuddyZone(-1, 5), RangeError);
  assert.throws(() => new BuddyZone(0.5, 5), RangeError);
  assert.throws(() => new BuddyZone(0, MAX_PFN + 1), RangeError);
  assert.throws(() => new BuddyZone(0, 2 ** 31), RangeError);
  const empty = new BuddyZone(7, 7);
  assert.equal(empty.alloc(0), -1);
  empty.freeRange(7, 7);
  empty.checkInvariants();
});

// ── Split and merge ─────────────────────────────────────────────────────────

test('alloc(0) from one order-10 block leaves one free block of each order 0..9', () => {
  const z = booted(0, 1024);
  assert.deepEqual(listsOf(z), { 10: [0] });
  assert.equal(z.alloc(0), 0);
  const expected: Record<number, number[]> = {};
  for (let k = 0; k < 10; k++) expected[k] = [2 ** k];
  assert.deepEqual(listsOf(z), expected);
  assert.equal(z.nrFree, 1023);
  for (let k = 0; k < 10; k++) assert.equal(z.nrFreeOfOrder(k), 1);
  assert.equal(z.nrFreeOfOrder(10), 0);
  assert.equal(z.largestFreeOrder(), 9);
  z.checkInvariants();
  z.free(0, 0);
  assert.deepEqual(listsOf(z), { 10: [0] });
  assert.equal(z.nrFree, 1024);
  z.checkInvariants();
});

test('alloc splits the smallest fitting block and keeps its lower half', () => {
  const z = booted(0, 1024);
  assert.equal(z.alloc(3), 0); // 1024 → 512|256|...|8 free
  assert.equal(z.alloc(1), 8); // the order-3 block at 8 splits: 10 (o1) and 12 (o2) go free
  assert.deepEqual(listsOf(z), {
    1: [10],
    2: [12],
    4: [16],
    5: [32],
    6: [64],
    7: [128],
    8: [256],
    9: [512],
  });
  assert.equal(z.alloc(0), 10); // o0 empty: o1 at 10 splits, 11 goes free
  assert.deepEqual(listsOf(z)[0], [11]);
  assert.equal(z.alloc(2), 12); // an exact fit is taken without a split
  assert.equal(z.nrFree, 1024 - 8 - 2 - 1 - 4);
  z.checkInvariants();
});

test('free merges with a free buddy above and below and stops at an allocated one', () => {
  const z = booted(0, 16);
  for (let p = 0; p < 16; p++) assert.equal(z.alloc(0), p);
  z.free(5, 0);
  assert.deepEqual(listsOf(z), { 0: [5] });
  z.free(4, 0); // buddy 5 is above
  assert.deepEqual(listsOf(z), { 1: [4] });
  z.free(7, 0); // buddy 6 allocated: no merge
  assert.deepEqual(listsOf(z), { 0: [7], 1: [4] });
  z.free(6, 0); // 6+7 → o1 at 6, whose buddy below (4) is free → o2 at 4
  assert.deepEqual(listsOf(z), { 2: [4] });
  z.free(1, 0);
  z.free(0, 0); // → o1 at 0; buddy 2 allocated
  assert.deepEqual(listsOf(z), { 1: [0], 2: [4] });
  z.free(3, 0);
  z.free(2, 0); // → o1 at 2 → o2 at 0 → o3 at 0 (with 4)
  assert.deepEqual(listsOf(z), { 3: [0] });
  z.checkInvariants();
});

test('free puts a block at the head of its list, so the last page freed is reused first', () => {
  const z = booted(0, 8);
  for (let p = 0; p < 8; p++) assert.equal(z.alloc(0), p);
  z.free(0, 0);
  z.free(2, 0);
  z.free(4, 0);
  assert.deepEqual(listsOf(z), { 0: [4, 2, 0] });
  assert.equal(z.alloc(0), 4);
  assert.equal(z.alloc(0), 2);
  assert.equal(z.alloc(0), 0);
  assert.equal(z.alloc(0), -1);
});

// ── Boot ─────────────────────────────────────────────────────────────────────

test('boot frees go to the tail, so separately freed ranges are used in the order given', () => {
  const z = new BuddyZone(0, 8);
  z.freeRange(4, 5);
  z.freeRange(0, 1);
  z.freeRange(2, 3);
  assert.deepEqual(listsOf(z), { 0: [4, 0, 2] });
  assert.equal(z.alloc(0), 4);
  assert.equal(z.alloc(0), 0);
  assert.equal(z.alloc(0), 2);
});

test('boot splits a range into the largest naturally aligned blocks, going upwards', () => {
  const z = booted(5, 20);
  assert.deepEqual(blocksOf(z), [
    { pfn: 5, order: 0 },
    { pfn: 6, order: 1 },
    { pfn: 8, order: 3 },
    { pfn: 16, order: 2 },
  ]);
  const big = booted(3000, 3000 + 5000);
  assert.deepEqual(
    blocksOf(big),
    canonicalBlocks(3000, 8000, () => true),
  );
  assert.equal(big.nrFreeOfOrder(10), 4); // 3072, 4096, 5120, 6144
  assert.deepEqual(blocksOf(big).slice(0, 2), [
    { pfn: 3000, order: 3 },
    { pfn: 3008, order: 6 },
  ]);
});

test('ranges freed separately merge where they meet', () => {
  const z = new BuddyZone(0, 2048);
  z.freeRange(0, 512);
  z.freeRange(512, 1024);
  assert.deepEqual(listsOf(z), { 10: [0] });
  z.freeRange(1024 + 4, 2048);
  z.freeRange(1024, 1024 + 3);
  z.freeRange(1024 + 3, 1024 + 4); // the last page closes the second order-10 block
  assert.deepEqual(listsOf(z), { 10: [0, 1024] });
  assert.equal(z.present, 2048);
  z.checkInvariants();
});

test('repeated alloc(0) after booting a range returns ascending pfns from its lowest one', () => {
  // A DMA-like zone: pfn 0 stays reserved.
  const dma = new BuddyZone(0, 4096);
  dma.freeRange(1, 4096);
  for (let p = 1; p < 4096; p++) assert.equal(dma.alloc(0), p);
  assert.equal(dma.alloc(0), -1);
  dma.checkInvariants();
  // A large zone, several order-10 blocks at the tail of their list.
  const big = booted(0, 2 ** 20);
  for (let p = 0; p < 5000; p++) assert.equal(big.alloc(0), p);
  // A start aligned to nothing, near 2^40, ending on an order-10 boundary.
  const end = MAX_PFN - 1024 * 3;
  const high = booted(end - 3 * 1024 - 777, end);
  for (let p = end - 3 * 1024 - 777; p < end; p++) assert.equal(high.alloc(0), p);
  assert.equal(high.nrFree, 0);
  high.checkInvariants();
});

test('a range whose end is unaligned is allocated from its small tail blocks first, as the kernel does', () => {
  const z = booted(0, 1536); // o10 at 0, o9 at 1024: the smallest non-empty list wins
  assert.equal(z.alloc(0), 1024);
  assert.equal(z.alloc(0), 1025);
});

// ── Zone edges ───────────────────────────────────────────────────────────────

test('a zone starting at pfn 1 (pfn 0 reserved, like ZONE_DMA) never merges below its start', () => {
  for (const start of [0, 1]) {
    const z = new BuddyZone(start, 4096);
    z.freeRange(1, 4096);
    assert.equal(z.spanned, 4096 - start);
    assert.equal(z.present, 4095);
    assert.equal(z.nrFree, 4095);
    assert.equal(z.isFree(0), false);
    const expected: Block[] = [];
    for (let k = 0; k < 10; k++) expected.push({ pfn: 2 ** k, order: k });
    expected.push({ pfn: 1024, order: 10 }, { pfn: 2048, order: 10 }, { pfn: 3072, order: 10 });
    assert.deepEqual(blocksOf(z), expected);
    assert.equal(z.alloc(0), 1);
    z.free(1, 0); // its buddy, pfn 0, is reserved or outside the zone
    assert.deepEqual(blocksOf(z), expected);
    z.checkInvariants();
    if (start === 0) {
      assert.throws(() => z.free(0, 0), /pfn 0x0 order 0: never handed to the allocator/);
      z.freeRange(0, 1); // free_reserved_area: now every block merges
      assert.deepEqual(listsOf(z), { 10: [1024, 2048, 3072, 0] });
    } else {
      assert.throws(() => z.free(0, 0), /pfn 0x0 order 0: outside the zone/);
    }
    z.checkInvariants();
  }
});

test('a zone unaligned at both ends round-trips every page without merging across its edges', () => {
  const start = MAX_PFN - 2 ** 20 + 5; // buddies of the edge blocks lie outside the zone
  const end = start + 3000 - 8;
  const z = booted(start, end);
  const boot = blocksOf(z);
  assert.deepEqual(
    boot,
    canonicalBlocks(start, end, () => true),
  );
  const pfns: number[] = [];
  for (;;) {
    const p = z.alloc(0);
    if (p === -1) break;
    pfns.push(p);
  }
  assert.equal(pfns.length, end - start);
  const sorted = [...pfns].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) assert.equal(sorted[i], start + i);
  for (let i = pfns.length - 1; i >= 0; i -= 2) z.free(pfns[i]!, 0);
  for (let i = pfns.length - 2; i >= 0; i -= 2) z.free(pfns[i]!, 0);
  assert.deepEqual(blocksOf(z), boot);
  z.checkInvariants();
});

test('a 64 GiB zone (16M pages) boots into order-10 blocks and allocates from its start', () => {
  const n = 2 ** 24;
  const z = booted(2 ** 24, 2 ** 24 + n);
  assert.equal(z.nrFreeOfOrder(10), n / 1024);
  assert.equal(z.alloc(10), 2 ** 24);
  assert.equal(z.alloc(0), 2 ** 24 + 1024);
  assert.equal(z.nrFree, n - 1025);
  z.free(2 ** 24, 10);
  z.free(2 ** 24 + 1024, 0);
  assert.equal(z.nrFree, n);
  z.checkInvariants();
});

// ── Misuse ───────────────────────────────────────────────────────────────────

test('misuse of free throws a BuddyError naming pfn and order and changes nothing', () => {
  const z = new BuddyZone(0, 64);
  z.freeRange(0, 32); // 32..63 reserved
  const a = z.alloc(2); // 0
  const b = z.alloc(0); // 4
  const c = z.alloc(3); // 8
  assert.deepEqual([a, b, c], [0, 4, 8]);
  z.free(b, 0); // merges with 5 and 6..7 into an order-2 block at 4
  assert.deepEqual(listsOf(z), { 2: [4], 4: [16] });
  const before = z.debugState();
  const cases: [pfn: number, order: number, why: RegExp][] = [
    [64, 0, /pfn 0x40 order 0: outside the zone \[0x0, 0x40\)/],
    [-1, 0, /pfn -1 order 0: outside the zone/],
    [1.5, 0, /outside the zone/],
    [NaN, 0, /pfn NaN order 0: outside the zone/],
    [2, 2, /pfn 0x2 order 2: misaligned/],
    [4, 0, /pfn 0x4 order 0: already free, order 2$/],
    [4, 2, /pfn 0x4 order 2: already free, order 2$/],
    [6, 0, /pfn 0x6 order 0: already free, order 2 \(inside the free block at pfn 0x4\)/],
    [7, 0, /pfn 0x7 order 0: already free, order 2 \(inside the free block at pfn 0x4\)/],
    [16, 3, /pfn 0x10 order 3: already free, order 4$/],
    [20, 0, /pfn 0x14 order 0: already free, order 4 \(inside the free block at pfn 0x10\)/],
    [0, 1, /pfn 0x0 order 1: the block was allocated with order 2/],
    [0, 3, /pfn 0x0 order 3: the block was allocated with order 2/],
    [8, 0, /pfn 0x8 order 0: the block was allocated with order 3/],
    [9, 0, /pfn 0x9 order 0: not an allocated block head/],
    [12, 2, /pfn 0xc order 2: not an allocated block head/],
    [48, 0, /pfn 0x30 order 0: never handed to the allocator/],
  ];
  for (const [pfn, order, why] of cases) {
    assert.throws(
      () => z.free(pfn, order),
      (e: unknown) => {
        assert.ok(e instanceof BuddyError, `${pfn}/${order}: ${String(e)}`);
        assert.ok(e instanceof KernelBug);
        assert.match(e.message, why);
        assert.equal(e.pfn, pfn);
        assert.equal(e.order, order);
        return true;
      },
    );
    assert.deepEqual(z.debugState(), before, `free(${pfn}, ${order}) changed the zone`);
  }
  z.checkInvariants();
  z.free(a, 2); // the valid frees still work afterwards
  z.free(c, 3);
  assert.deepEqual(listsOf(z), { 5: [0] });
});

test('freeRange of pages outside the zone or already handed over throws and changes nothing', () => {
  const z = new BuddyZone(100, 200);
  z.freeRange(120, 128);
  const p = z.alloc(0);
  const before = z.debugState();
  const cases: [s: number, e: number, why: RegExp][] = [
    [99, 110, /\[0x63, 0x6e\) is not inside the zone \[0x64, 0xc8\)/],
    [190, 201, /not inside the zone/],
    [150, 140, /not inside the zone/],
    [110.5, 115, /not inside the zone/],
    [110, 121, /pfn 0x78 was already handed to the allocator/], // allocated page 120
    [127, 131, /pfn 0x7f was already handed to the allocator/], // free page 127
    [100, 200, /pfn 0x78 was already handed/],
  ];
  assert.equal(p, 120);
  for (const [s, e, why] of cases) {
    assert.throws(
      () => z.freeRange(s, e),
      (err: unknown) => err instanceof BuddyError && why.test(err.message),
    );
    assert.deepEqual(z.debugState(), before, `freeRange(${s}, ${e}) changed the zone`);
  }
});

test('orders outside [0, MAX_PAGE_ORDER] or not integers are a RangeError', () => {
  const z = booted(0, 1024);
  for (const bad of [-1, 11, 1.5, NaN, Infinity]) {
    assert.throws(() => z.alloc(bad), RangeError, `alloc(${bad})`);
    assert.throws(() => z.free(0, bad), RangeError, `free(0, ${bad})`);
    assert.throws(() => z.nrFreeOfOrder(bad), RangeError, `nrFreeOfOrder(${bad})`);
    assert.throws(() => z.split(0, bad), RangeError, `split(0, ${bad})`);
  }
  assert.deepEqual(listsOf(z), { 10: [0] });
});

test('alloc returns -1 when no block is large enough and when the zone is exhausted', () => {
  const z = booted(0, 12); // o3 at 0, o2 at 8
  assert.equal(z.alloc(4), -1);
  assert.equal(z.alloc(10), -1);
  assert.equal(z.alloc(3), 0);
  assert.equal(z.alloc(3), -1);
  assert.equal(z.alloc(1), 8);
  assert.equal(z.alloc(1), 10);
  assert.equal(z.alloc(0), -1);
  assert.equal(z.nrFree, 0);
  assert.deepEqual(listsOf(z), {});
  z.free(8, 1);
  assert.equal(z.alloc(2), -1); // 10 is still allocated
  assert.equal(z.alloc(0), 8);
  z.checkInvariants();
});

test('split turns an allocated block into single pages that free back into the block', () => {
  const z = booted(0, 16);
  assert.equal(z.alloc(3), 0);
  assert.throws(() => z.split(0, 2), BuddyError);
  assert.throws(() => z.split(8, 3), /split of pfn 0x8 order 3: not an allocated block/);
  z.split(0, 3);
  z.checkInvariants();
  assert.throws(() => z.free(0, 3), /allocated with order 0/);
  for (let p = 0; p < 8; p++) assert.equal(z.allocatedOrder(p), 0);
  for (const p of [7, 0, 3, 5, 1, 6, 2]) z.free(p, 0);
  assert.deepEqual(listsOf(z), { 0: [5], 1: [6], 2: [0], 3: [8] });
  z.free(4, 0);
  assert.deepEqual(listsOf(z), { 4: [0] });
  z.checkInvariants();
});

test('isFree, allocatedOrder and largestFreeOrder describe the blocks', () => {
  const z = new BuddyZone(0, 64);
  z.freeRange(0, 32);
  assert.equal(z.largestFreeOrder(), 5);
  const p = z.alloc(2);
  assert.equal(p, 0);
  assert.equal(z.allocatedOrder(0), 2);
  assert.equal(z.allocatedOrder(1), -1);
  assert.equal(z.allocatedOrder(4), -1);
  assert.equal(z.allocatedOrder(99), -1);
  for (let q = 0; q < 4; q++) assert.equal(z.isFree(q), false);
  for (let q = 4; q < 32; q++) assert.equal(z.isFree(q), true);
  for (let q = 32; q < 64; q++) assert.equal(z.isFree(q), false);
  assert.equal(z.isFree(-5), false);
  assert.equal(z.isFree(64), false);
  assert.equal(z.largestFreeOrder(), 4);
});

// ── The invariant checker ────────────────────────────────────────────────────

/** A small zone in a known state: o0 free at 5, o1 free at 6, o2 allocated at 0, 8..15 free. */
function sample(): { z: BuddyZone; raw: () => BuddyRawState } {
  const z = booted(0, 16);
  assert.equal(z.alloc(2), 0);
  assert.equal(z.alloc(0), 4);
  assert.deepEqual(listsOf(z), { 0: [5], 1: [6], 3: [8] });
  return { z, raw: () => z.debugState().raw };
}

test('checkBuddyInvariants accepts the real state and reports each broken invariant by id', () => {
  const { raw } = sample();
  checkBuddyInvariants(raw());
  const corrupt = (id: string, edit: (s: BuddyRawState) => BuddyRawState): void => {
    assert.throws(
      () => checkBuddyInvariants(edit(raw())),
      (e: unknown) => e instanceof InvariantError && e.message.startsWith(`${id}: `),
      `expected ${id}`,
    );
  };
  corrupt('B1', (s) => {
    s.prev[6] = 5; // order-1 head with a prev link
    return s;
  });
  corrupt('B1', (s) => {
    s.tail[3] = 5;
    return s;
  });
  corrupt('B1', (s) => {
    s.nrBlocks[0] = 2;
    return s;
  });
  corrupt('B1', (s) => {
    s.next[8] = 8; // a cycle
    return s;
  });
  corrupt('B2', (s) => {
    s.tag[6] = 1; // listed as order 1, tagged order 0
    return s;
  });
  corrupt('B2', (s) => {
    s.tag[0] = 3; // the allocated order-2 block tagged as a free head that is on no list
    return s;
  });
  corrupt('B3', (s) => {
    // move the order-1 block from 6 to 5 (misaligned): relink 5 as the o1 head
    s.head[1] = 5;
    s.tail[1] = 5;
    s.prev[5] = -1;
    s.next[5] = -1;
    s.head[0] = -1;
    s.tail[0] = -1;
    s.nrBlocks[0] = 0;
    s.tag[5] = 2;
    s.tag[6] = 0;
    return s;
  });
  corrupt('B4', (s) => {
    // page 4 (allocated) put on the order-0 list next to its free buddy 5
    s.tag[4] = 1;
    s.next[4] = 5;
    s.prev[5] = 4;
    s.prev[4] = -1;
    s.head[0] = 4;
    s.nrBlocks[0] = 2;
    return { ...s, nrFree: s.nrFree + 1 };
  });
  corrupt('B5', (s) => {
    s.tag[9] = -1; // an allocated page inside the free block at 8
    return s;
  });
  corrupt('B5', (s) => {
    s.managed[0] &= ~(1 << 12); // a free page that was never handed over
    return s;
  });
  corrupt('B5', (s) => {
    s.tag[4] = 0; // the allocated page at 4 is in no block
    return s;
  });
  corrupt('B6', (s) => ({ ...s, nrFree: s.nrFree + 1 }));
  corrupt('B6', (s) => ({ ...s, present: s.present - 1 }));
});

test('debugState returns copies: corrupting them leaves the live zone intact', () => {
  const { z } = sample();
  const s = z.debugState();
  s.raw.tag.fill(0);
  s.raw.head.fill(-1);
  s.freeLists[0]!.push(99);
  z.checkInvariants();
  assert.deepEqual(listsOf(z), { 0: [5], 1: [6], 3: [8] });
});

// ── Model-based runs ─────────────────────────────────────────────────────────

interface ModelOptions {
  readonly seed: number;
  readonly ops: number;
  /** Run checkInvariants and compare every free list with the model every this many ops. */
  readonly checkEvery: number;
  /** Also hand reserved holes over during the run (then the end state is the canonical one). */
  readonly hotAdd: boolean;
}

interface ModelStats {
  allocs: number;
  failedAllocs: number;
  frees: number;
  misuses: number;
  splits: number;
}

/** Run one seeded sequence against BuddyZone and NaiveBuddy; a failure names seed and op. */
function runModel(o: ModelOptions): ModelStats {
  const rng = new XorShift32(o.seed);
  const end = MAX_PFN - 5; // high pfns: 32-bit arithmetic on pfns would break everything
  const start = end - 6000 - 391;
  const z = new BuddyZone(start, end);
  const m = new NaiveBuddy(start, end);
  const n = end - start;
  // Boot: three ranges; two holes stay reserved (or are hot-added later).
  const holes: [number, number][] = [
    [start + 1000, start + 1037],
    [start + 3500, start + 3540],
  ];
  const pendingHoles = holes.slice();
  const ranges: [number, number][] = [
    [start, holes[0]![0]],
    [holes[0]![1], holes[1]![0]],
    [holes[1]![1], end],
  ];
  for (const [s, e] of ranges) {
    z.freeRange(s, e);
    assert.equal(m.freeRange(s, e), null);
  }
  z.checkInvariants();
  const boot = blocksOf(z);
  assert.deepEqual(z.debugState().freeLists, m.lists, 'boot free lists');
  assert.deepEqual(boot, m.freeBlocks());

  const owner = new Uint8Array(n); // independent overlap check: 1 = page of a live block
  const livePfn: number[] = [];
  const liveOrder: number[] = [];
  const recentlyFreed: [number, number][] = [];
  const stats: ModelStats = { allocs: 0, failedAllocs: 0, frees: 0, misuses: 0, splits: 0 };
  let livePages = 0;
  let filling = true;

  const take = (pfn: number, order: number): void => {
    assert.ok(pfn >= start && pfn + 2 ** order <= end, `block ${pfn}/${order} outside the zone`);
    assert.equal(pfn % 2 ** order, 0, `block ${pfn}/${order} misaligned`);
    for (let q = pfn - start; q < pfn - start + 2 ** order; q++) {
      assert.equal(owner[q], 0, `block ${pfn}/${order} overlaps a live block at ${start + q}`);
      assert.ok(m.managed[q], `block ${pfn}/${order} holds a reserved page`);
      owner[q] = 1;
    }
    livePfn.push(pfn);
    liveOrder.push(order);
    livePages += 2 ** order;
  };
  const release = (i: number): void => {
    const pfn = livePfn[i]!;
    const order = liveOrder[i]!;
    z.free(pfn, order);
    assert.equal(m.free(pfn, order), null);
    owner.fill(0, pfn - start, pfn - start + 2 ** order);
    livePfn[i] = livePfn.at(-1)!;
    liveOrder[i] = liveOrder.at(-1)!;
    livePfn.pop();
    liveOrder.pop();
    livePages -= 2 ** order;
    recentlyFreed.push([pfn, order]);
    if (recentlyFreed.length > 16) recentlyFreed.shift();
    stats.frees++;
  };
  const randomOrder = (): number => {
    const r = rng.below(100);
    if (r < 55) return 0;
    if (r < 80) return 1 + rng.below(3);
    if (r < 95) return 4 + rng.below(4);
    return 8 + rng.below(3);
  };
  const misuse = (): void => {
    let pfn: number;
    let order: number;
    const kind = rng.below(5);
    if (kind === 0 && recentlyFreed.length > 0) {
      [pfn, order] = recentlyFreed[rng.below(recentlyFreed.length)]!; // double free
    } else if (kind === 1 && livePfn.length > 0) {
      const i = rng.below(livePfn.length); // wrong order, or a tail page
      pfn = livePfn[i]!;
      order = liveOrder[i]!;
      if (order > 0 && rng.below(2) === 0) {
        pfn += 2 ** rng.below(order);
        order = 0;
      } else {
        order = order === MAX_PAGE_ORDER ? order - 1 : order + 1;
      }
    } else if (kind === 2) {
      pfn = start - 10 + rng.below(n + 20); // anywhere, maybe outside the zone
      order = rng.below(NR_PAGE_ORDERS);
    } else {
      const h = holes[rng.below(holes.length)]!; // reserved, or hot-added since
      pfn = h[0] + rng.below(h[1] - h[0]);
      order = 0;
    }
    const refusal = m.freeRefusal(pfn, order);
    if (refusal === null) return; // valid after all (e.g. reallocated with the same order)
    const before = z.debugState();
    assert.throws(() => z.free(pfn, order), BuddyError, `free(${pfn}, ${order}): ${refusal}`);
    if (stats.misuses % 8 === 0)
      assert.deepEqual(z.debugState(), before, 'misuse changed the zone');
    assert.equal(z.nrFree, before.raw.nrFree);
    stats.misuses++;
  };

  for (let op = 0; op < o.ops; op++) {
    try {
      if (op % 2000 === 0) filling = rng.below(3) !== 0;
      const r = rng.below(1000);
      const allocShare = filling ? 700 : 350;
      if (r < allocShare) {
        const order = randomOrder();
        const pfn = z.alloc(order);
        assert.equal(pfn, m.alloc(order), `alloc(${order})`);
        if (pfn === -1) stats.failedAllocs++;
        else {
          take(pfn, order);
          stats.allocs++;
        }
      } else if (r < 940) {
        if (livePfn.length > 0) release(rng.below(livePfn.length));
      } else if (r < 970) {
        misuse();
      } else if (r < 985) {
        if (livePfn.length > 0) {
          const i = rng.below(livePfn.length);
          const pfn = livePfn[i]!;
          const order = liveOrder[i]!;
          z.split(pfn, order);
          assert.equal(m.split(pfn, order), null);
          liveOrder[i] = 0;
          for (let q = 1; q < 2 ** order; q++) {
            livePfn.push(pfn + q);
            liveOrder.push(0);
          }
          stats.splits++;
        }
      } else if (r < 990) {
        const bad = rng.below(2) === 0 ? -1 - rng.below(3) : NR_PAGE_ORDERS + rng.below(3);
        assert.throws(() => z.alloc(bad), RangeError);
      } else if (r < 995) {
        const q = start - 2 + rng.below(n + 4);
        assert.equal(z.isFree(q), m.blockContaining(q) !== null, `isFree(${q})`);
      } else if (o.hotAdd && r < 996 && pendingHoles.length > 0) {
        const [s, e] = pendingHoles.pop()!; // free_reserved_area()
        z.freeRange(s, e);
        assert.equal(m.freeRange(s, e), null);
      }
      assert.equal(z.nrFree, m.nrFree, 'nrFree');
      assert.equal(z.nrFree + livePages, z.present, 'nrFree + live pages = present');
      if (op % o.checkEvery === 0) {
        z.checkInvariants();
        assert.deepEqual(z.debugState().freeLists, m.lists, 'free lists');
        assert.equal(z.present, m.present, 'present');
        for (let k = 0; k <= MAX_PAGE_ORDER; k++) {
          assert.equal(z.nrFreeOfOrder(k), m.lists[k]!.length, `nrFreeOfOrder(${k})`);
        }
        let largest = MAX_PAGE_ORDER;
        while (largest >= 0 && m.lists[largest]!.length === 0) largest--;
        assert.equal(z.largestFreeOrder(), largest);
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`seed ${o.seed}, op ${op}: ${msg}`, { cause: e });
    }
  }
  // Free everything: the zone must come back to the fully merged state.
  while (livePfn.length > 0) release(rng.below(livePfn.length));
  z.checkInvariants();
  assert.equal(z.nrFree, z.present);
  assert.deepEqual(z.debugState().freeLists, m.lists, 'final free lists');
  const managed = (p: number): boolean => m.managed[p - start] === true;
  assert.deepEqual(blocksOf(z), canonicalBlocks(start, end, managed), 'final blocks');
  if (!o.hotAdd) assert.deepEqual(blocksOf(z), boot, 'final blocks = boot blocks');
  return stats;
}

test('model: 60,000 seeded random operations agree with the naive buddy, back to boot state', () => {
  const stats = runModel({ seed: 2463534242, ops: 60_000, checkEvery: 64, hotAdd: false });
  // The run must have exercised every path, or it proves little.
  assert.ok(stats.allocs > 10_000, `allocs ${stats.allocs}`);
  assert.ok(stats.failedAllocs > 100, `failed allocs ${stats.failedAllocs}`);
  assert.ok(stats.misuses > 500, `misuses ${stats.misuses}`);
  assert.ok(stats.splits > 200, `splits ${stats.splits}`);
});

test('model: invariants after every operation, with reserved holes handed over mid-run', () => {
  for (const seed of [1, 0xdeadbeef, 12345]) {
    const stats = runModel({ seed, ops: 4000, checkEvery: 1, hotAdd: true });
    assert.ok(stats.allocs > 500 && stats.frees > 500, `seed ${seed}: ${JSON.stringify(stats)}`);
  }
});
