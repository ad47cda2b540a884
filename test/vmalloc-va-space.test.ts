// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmap-area allocator (VaSpace) on its own, with checkVaSpace after every step:
 *
 *   - the four fit types of va_clip (FL, LE, RE, NE) and their failures;
 *   - merge on free (__merge_or_add_vmap_area) with the previous, the next, both and
 *     neither neighbour; the "vmalloc bug" overlap report, which leaves the trees intact;
 *   - lazy areas (free_vmap_area_noflush) that stay unusable until purge, and purge's one
 *     TLB flush over the union range; the per-node size-class pools (node_pool_add_va,
 *     node_pool_del_va, decay_va_pool_node); containment lookups (__find_vmap_area,
 *     __find_vmap_area_exceed_addr); the node id encoding;
 *   - the checker's own failure side, through the public fields it reads;
 *   - the red-black trees through VaSpace (ascending inserts, random erases);
 *   - model-based runs (100,000 seeded operations over the whole space, 30,000 in a 4 GiB
 *     space under pressure) against a sorted-interval oracle that follows the kernel's
 *     placement rules: the lowest fit for align <= PAGE_SIZE and exact windows; for the
 *     `size + align - 1` search, a result inside one free interval at its aligned start,
 *     with no lower interval holding `size + align - 1` usable bytes.
 *
 * Areas are read only through the VaStore accessors and VaSpace's public methods, so these
 * tests survive changes of the store's layout; the one test that corrupts a record on
 * purpose (a stale child maximum) writes it through RECORD_LAYOUT.
 *
 * Tests that fail against va-space.ts as written when this file was added (each names the
 * kernel behaviour it expects):
 *   - pool class index not rounded down ((size - 1) / PAGE_SIZE used as a typed-array
 *     index): purged areas vanish instead of reaching a pool, poolTake never succeeds —
 *     every test that reaches a pool, and checkVaSpace finds the leak as V11;
 *   - "adjacent lazily freed areas stay separate (insert_vmap_area) …": addLazy merges
 *     touching lazy areas; the kernel (6.9+) does not;
 *   - "pool decay returns areas to the free tree in address order …": decay merges each
 *     size class's VAs into the free tree class by class; the kernel collects them on one
 *     address-sorted list first, and the insert order changes the tree's shape and so the
 *     placement of searches with alignments above a page.
 *
 * Kernel: mm/vmalloc.c (6.15-era, KERNEL-SPEC §3.1–3.4): find_vmap_lowest_match, va_clip,
 * va_alloc, __alloc_vmap_area, __merge_or_add_vmap_area, free_vmap_area,
 * free_vmap_area_noflush, __purge_vmap_area_lazy, purge_vmap_node, decay_va_pool_node,
 * node_pool_del_va, __find_vmap_area, __find_vmap_area_exceed_addr.
 *
 * A model failure names the seed and the operation index.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvariantError } from '../src/base/errors.js';
import { XorShift32 } from '../src/base/rng.js';
import { PAGE_SIZE } from '../src/base/units.js';
import { checkVaSpace } from '../src/vmalloc/check.js';
import {
  BUSY_TREE,
  FREE_TREE,
  LAZY_TREE0,
  MAX_VA_SIZE_PAGES,
  VA_CEILING,
  VaSpace,
} from '../src/vmalloc/va-space.js';
import { NIL, RECORD_LAYOUT, VaState } from '../src/vmalloc/va-store.js';

const P = PAGE_SIZE;
/** The x86-64 vmalloc range, as 48-bit numbers (bench/WORKLOADS.md). */
const START = 0xc90000000000;
const END = START + 32 * 2 ** 40;

type Range = [start: number, end: number];

/** The ranges of a list, walked with VaSpace.next from `first`. */
function rangesFrom(space: VaSpace, first: number): Range[] {
  const out: Range[] = [];
  for (let va = first; va !== NIL; va = space.next(va)) {
    out.push([space.s.startOf(va), space.s.endOf(va)]);
  }
  return out;
}

function freeRanges(space: VaSpace): Range[] {
  return rangesFrom(space, space.freeFirst());
}

function busyRanges(space: VaSpace): Range[] {
  return rangesFrom(space, space.busyFirst());
}

/** allocRange + insertBusy, the success half of alloc_vmap_area; asserts success. */
function allocBusy(
  space: VaSpace,
  size: number,
  align = P,
  vstart = START,
  vend = END,
  flags = 0,
): number {
  const addr = space.allocRange(size, align, vstart, vend);
  assert.ok(addr >= 0, `allocRange(${size}, ${align}) failed`);
  const va = space.insertBusy(addr, size, flags);
  assert.notEqual(va, NIL);
  check(space);
  return va;
}

/** unlinkBusy + addLazy, the bookkeeping of free_unmap_vmap_area. */
function freeLazy(space: VaSpace, va: number): number {
  space.unlinkBusy(va);
  const n = space.addLazy(va);
  check(space);
  return n;
}

/** checkVaSpace with exact accounting: `detached` areas are live and linked nowhere. */
function check(space: VaSpace, detached = 0): void {
  checkVaSpace(space, { detached });
}

/** Areas in all pools, from poolLen. */
function pooledCount(space: VaSpace): number {
  let n = 0;
  for (let i = 0; i < space.poolLen.length; i++) n += space.poolLen[i]!;
  return n;
}

function noFlush(): void {
  assert.fail('no TLB flush expected');
}

// ── Fit types (va_clip) ─────────────────────────────────────────────────────

test('FL fit: a request of exactly the free area takes it whole and releases the area object', () => {
  const space = new VaSpace({ lo: START, hi: START + 4 * P });
  check(space);
  assert.equal(space.s.live, 1);
  assert.equal(space.allocRange(5 * P, P, START, END), -1, 'larger than every free area');
  assert.deepEqual(freeRanges(space), [[START, START + 4 * P]]);
  assert.equal(space.allocRange(4 * P, P, START, END), START);
  assert.equal(space.freeFirst(), NIL);
  assert.equal(space.roots[FREE_TREE], NIL);
  assert.equal(space.s.live, 0);
  check(space);
  assert.equal(space.allocRange(P, P, START, END), -1, 'nothing left');
  assert.equal(space.allocRange(P, 1, 1, VA_CEILING), -1, 'not even in the widest window');
  check(space);
});

test('LE fit: a request at the free area start moves va_start up in the same area', () => {
  const space = new VaSpace({ lo: START, hi: START + 16 * P });
  const va = space.freeFirst();
  assert.equal(space.allocRange(3 * P, P, START, END), START);
  assert.deepEqual(freeRanges(space), [[START + 3 * P, START + 16 * P]]);
  assert.equal(space.freeFirst(), va, 'the free area shrank in place');
  assert.equal(space.s.subtreeMaxOf(va), 13 * P);
  check(space);
  assert.equal(space.allocRange(14 * P, P, START, END), -1, 'only 13 pages are left');
  assert.equal(space.allocRange(P, P, START, START + 3 * P), -1, 'nothing free below vend');
  assert.deepEqual(freeRanges(space), [[START + 3 * P, START + 16 * P]]);
  check(space);
});

test('RE fit: an exact window at the free area end moves va_end down in the same area', () => {
  const space = new VaSpace({ lo: START, hi: START + 16 * P });
  const va = space.freeFirst();
  const lo = START + 13 * P;
  assert.equal(space.allocRange(3 * P, P, lo, lo + 3 * P), lo);
  assert.deepEqual(freeRanges(space), [[START, START + 13 * P]]);
  assert.equal(space.freeFirst(), va);
  check(space);
  assert.equal(space.allocRange(3 * P, P, lo, lo + 3 * P), -1, 'the same window is now busy');
  assert.equal(space.allocRange(3 * P, P, lo - P, lo + 2 * P), -1, 'a window straddling it');
  assert.equal(
    space.allocRange(3 * P, 1 << 20, lo, lo + 3 * P),
    -1,
    'exact window, alignment above a page: not adjusted, and nothing fits',
  );
  assert.deepEqual(freeRanges(space), [[START, START + 13 * P]]);
  check(space);
});

test('NE fit: a request inside the free area splits it and links the left remainder as a new area', () => {
  const space = new VaSpace({ lo: START, hi: START + 16 * P });
  const va = space.freeFirst();
  assert.equal(space.allocRange(2 * P, P, START + 4 * P, END), START + 4 * P);
  assert.deepEqual(freeRanges(space), [
    [START, START + 4 * P],
    [START + 6 * P, START + 16 * P],
  ]);
  assert.equal(space.s.startOf(va), START + 6 * P, 'the original area keeps the right part');
  assert.equal(space.s.live, 2, 'one new area for the left remainder');
  check(space);
  assert.equal(
    space.allocRange(5 * P, P, START, START + 6 * P),
    -1,
    'the lowest fit lies beyond vend',
  );
  check(space);
});

test('NE fit by alignment: the aligned start lies inside the area', () => {
  const space = new VaSpace({ lo: START + P, hi: START + 64 * P });
  assert.equal(space.allocRange(P, 16 * P, START, END), START + 16 * P);
  assert.deepEqual(freeRanges(space), [
    [START + P, START + 16 * P],
    [START + 17 * P, START + 64 * P],
  ]);
  check(space);
  assert.equal(
    space.allocRange(P, 2 ** 30, START, START + 64 * P),
    -1,
    'an alignment larger than the range (align_shift_alloc_test)',
  );
  assert.equal(space.allocRange(64 * P, P, START, END), -1);
  assert.equal(space.s.live, 2);
  check(space);
});

test('an adjusted search (align above a page) skips a lower area off its path that fits exactly', () => {
  // Free areas B = [33P, 35P) (the root, inserted first), A = [0, 4P) and C = [64P, 128P),
  // relative to START. A 4-page request aligned to 4 pages fits A exactly, but the search
  // asks for 4P + 4P - 1 bytes: the root's left subtree (A, max 4P) is too small to enter,
  // the root does not fit, so it goes right to C.
  //
  //          B [33P, 35P)
  //         /            \
  //   A [0, 4P)      C [64P, 128P)
  const space = new VaSpace({ lo: START + 33 * P, hi: START + 35 * P });
  const b = space.freeFirst();
  assert.notEqual(space.insertFreeRange(START, START + 4 * P), NIL);
  assert.notEqual(space.insertFreeRange(START + 64 * P, START + 128 * P), NIL);
  assert.equal(space.roots[FREE_TREE], b);
  check(space);
  assert.equal(space.findLowestLinear(4 * P, 4 * P, START), space.freeFirst(), 'A would fit');
  assert.equal(space.allocRange(4 * P, 4 * P, START, END), START + 64 * P);
  check(space);
  assert.equal(
    space.allocRange(4 * P, 4 * P, START, START + 4 * P),
    START,
    'an exact window is not adjusted and finds A',
  );
  check(space);
  assert.equal(space.allocRange(2 * P, 4 * P, START, END), START + 68 * P, 'B is not aligned');
  assert.equal(
    space.allocRange(2 * P, P, START, END),
    START + 33 * P,
    'page alignment: lowest fit',
  );
  check(space);
});

// ── Merge on free (__merge_or_add_vmap_area) ───────────────────────────────

test('free merges with neither, the next, the previous and both neighbours', () => {
  const space = new VaSpace({ lo: START, hi: START + 10 * P });
  const x: number[] = [];
  for (let i = 0; i < 5; i++) x.push(allocBusy(space, P));
  assert.deepEqual(
    busyRanges(space).map((r) => r[0]),
    [0, 1, 2, 3, 4].map((i) => START + i * P),
  );
  assert.deepEqual(freeRanges(space), [[START + 5 * P, START + 10 * P]]);
  const tail = space.freeFirst();

  space.freeNow(x[2]!); // neither neighbour is free
  check(space);
  assert.deepEqual(freeRanges(space), [
    [START + 2 * P, START + 3 * P],
    [START + 5 * P, START + 10 * P],
  ]);
  assert.equal(space.s.stateOf(x[2]!), VaState.free);
  const mid = space.freeFirst();
  assert.equal(mid, x[2], 'linked as a new free area');
  const live = space.s.live;

  space.freeNow(x[1]!); // next is free: it grows downwards
  check(space);
  assert.deepEqual(freeRanges(space), [
    [START + P, START + 3 * P],
    [START + 5 * P, START + 10 * P],
  ]);
  assert.equal(space.freeFirst(), mid, 'the next area absorbed the freed one');
  assert.equal(space.s.live, live - 1, 'the freed area object was released');

  space.freeNow(x[3]!); // previous is free: it grows upwards
  check(space);
  assert.deepEqual(freeRanges(space), [
    [START + P, START + 4 * P],
    [START + 5 * P, START + 10 * P],
  ]);
  assert.equal(space.freeFirst(), mid, 'the previous area absorbed the freed one');
  assert.equal(space.s.live, live - 2);

  space.freeNow(x[4]!); // both: next is unlinked, previous takes everything
  check(space);
  assert.deepEqual(freeRanges(space), [[START + P, START + 10 * P]]);
  assert.equal(space.freeFirst(), mid);
  assert.equal(space.s.stateOf(tail), VaState.unused, 'the next area was released');
  assert.equal(space.s.subtreeMaxOf(mid), 9 * P);

  space.unlinkBusy(x[0]!); // detached, then merged (free_vmap_area in two halves)
  assert.equal(space.s.stateOf(x[0]!), VaState.detached);
  assert.equal(space.busyFirst(), NIL);
  check(space, 1);
  space.freeDetached(x[0]!);
  check(space);
  assert.deepEqual(freeRanges(space), [[START, START + 10 * P]]);
  assert.equal(space.s.live, 1);
});

test('an overlapping insert is reported through onOverlap and leaves the trees intact', () => {
  const reports: number[][] = [];
  const space = new VaSpace({
    lo: START,
    hi: START + 10 * P,
    onOverlap: (s, e, os, oe) => reports.push([s, e, os, oe]),
  });
  // A busy area the free tree still covers: freeing it overlaps (the kernel's WARN).
  const bogus = space.insertBusy(START + 2 * P, 2 * P, 0);
  assert.notEqual(bogus, NIL);
  assert.deepEqual(reports, [], 'the busy tree had no overlap');
  space.freeNow(bogus);
  assert.deepEqual(reports, [[START + 2 * P, START + 4 * P, START, START + 10 * P]]);
  assert.deepEqual(freeRanges(space), [[START, START + 10 * P]]);
  assert.equal(space.s.stateOf(bogus), VaState.detached, 'the insert was skipped, the area leaked');
  check(space, 1);

  // Two busy areas that overlap: the second insert fails.
  assert.equal(space.allocRange(2 * P, P, START, END), START);
  const a = space.insertBusy(START, 2 * P, 0);
  assert.notEqual(a, NIL);
  assert.equal(space.insertBusy(START + P, 2 * P, 0), NIL);
  assert.deepEqual(reports[1], [START + P, START + 3 * P, START, START + 2 * P]);
  assert.deepEqual(busyRanges(space), [[START, START + 2 * P]]);
  check(space, 1);

  // A free range over free space.
  assert.equal(space.insertFreeRange(START + 5 * P, START + 6 * P), NIL);
  assert.equal(reports.length, 3);
  assert.deepEqual(reports[2], [START + 5 * P, START + 6 * P, START + 2 * P, START + 10 * P]);
  assert.deepEqual(freeRanges(space), [[START + 2 * P, START + 10 * P]]);
  check(space, 1);

  // No report when nothing overlaps.
  assert.notEqual(space.insertFreeRange(START + 20 * P, START + 21 * P), NIL);
  assert.notEqual(space.insertBusy(START + 30 * P, P, 0), NIL);
  assert.equal(reports.length, 3);
  check(space, 1);
});

// ── Lazy areas and purge ───────────────────────────────────────────────────

test('a lazily freed area is not reusable until purge', () => {
  const space = new VaSpace({ lo: START, hi: START + 8 * P });
  const a = allocBusy(space, 2 * P);
  assert.equal(freeLazy(space, a), 2, 'addLazy returns vmap_lazy_nr');
  assert.equal(space.lazyPages, 2);
  assert.equal(space.s.stateOf(a), VaState.lazy);
  assert.equal(space.lazyFirst(0), a);
  assert.equal(space.findBusy(START), NIL, 'no longer busy');
  assert.equal(space.allocRange(2 * P, P, START, END), START + 2 * P, 'not the lazy range');
  assert.equal(space.allocRange(3 * P, P, START, END), START + 4 * P);
  assert.equal(space.allocRange(2 * P, P, START, END), -1, 'one page is left outside it');
  assert.equal(space.allocRange(P, P, START, START + 2 * P), -1, 'its window is all lazy');
  check(space);
  const flushes: Range[] = [];
  assert.equal(
    space.purge(VA_CEILING, 0, false, (s, e) => flushes.push([s, e])),
    true,
  );
  assert.deepEqual(flushes, [[START, START + 2 * P]]);
  assert.equal(space.lazyPages, 0);
  assert.equal(space.lazyFirst(0), NIL);
  check(space);
  assert.equal(space.allocRange(2 * P, P, START, END), START, 'reusable after the purge');
  check(space);
});

test('purge flushes once over the union of the lazy ranges and the given range', () => {
  const space = new VaSpace();
  const a = allocBusy(space, P);
  allocBusy(space, 3 * P);
  const c = allocBusy(space, 2 * P);
  allocBusy(space, P);
  freeLazy(space, c);
  freeLazy(space, a);
  assert.equal(space.lazyPages, 3);
  assert.deepEqual(rangesFrom(space, space.lazyFirst(0)), [
    [START, START + P],
    [START + 4 * P, START + 6 * P],
  ]);
  const flushes: Range[] = [];
  const flush = (s: number, e: number): void => {
    flushes.push([s, e]);
  };
  assert.equal(space.purge(VA_CEILING, 0, false, flush), true);
  assert.deepEqual(flushes, [[START, START + 6 * P]], 'one flush, first start to last end');
  assert.deepEqual(freeRanges(space).slice(0, 2), [
    [1, START + P],
    [START + 4 * P, START + 6 * P],
  ]);
  check(space);

  assert.equal(space.purge(VA_CEILING, 0, false, noFlush), false, 'nothing lazy: no flush');
  assert.equal(space.purge(START, END, false, noFlush), false, 'not even with a given range');

  // The caller's range widens the flush (vm_unmap_aliases passes its dirty range).
  const d = space.findBusy(START + P);
  freeLazy(space, d);
  assert.equal(space.purge(START - P, START + 100 * P, false, flush), true);
  assert.deepEqual(flushes[1], [START - P, START + 100 * P]);
  assert.equal(space.purge(START + 2 * P, START + 3 * P, false, flush), false);
  assert.equal(flushes.length, 2);
  check(space);
});

test('with several vmap nodes, lazy areas sit on their node and purge flushes all of them once', () => {
  const space = new VaSpace({ nodes: 4, poolStart: START, poolEnd: END });
  const zone = 16 * P;
  // Busy areas in zones 0, 1, 2 (nodes 0, 1, 2), none tagged.
  const vas = [0, 1, 2].map((z) => {
    const addr = space.allocRange(P, P, START + z * zone, END);
    assert.equal(addr, START + z * zone);
    return space.insertBusy(addr, P, 0);
  });
  // A fourth area, tagged for node 0 although its address is in node 2's zone.
  const tagged = space.insertBusy(
    space.allocRange(P, P, START + 2 * zone + 4 * P, END),
    P,
    VaSpace.encodeNode(0),
  );
  check(space);
  for (const va of vas) freeLazy(space, va);
  freeLazy(space, tagged);
  assert.deepEqual(rangesFrom(space, space.lazyFirst(0)), [
    [START, START + P],
    [START + 2 * zone + 4 * P, START + 2 * zone + 5 * P],
  ]);
  assert.deepEqual(rangesFrom(space, space.lazyFirst(1)), [[START + zone, START + zone + P]]);
  assert.deepEqual(rangesFrom(space, space.lazyFirst(2)), [
    [START + 2 * zone, START + 2 * zone + P],
  ]);
  assert.equal(space.lazyFirst(3), NIL);
  const flushes: Range[] = [];
  assert.equal(
    space.purge(VA_CEILING, 0, false, (s, e) => flushes.push([s, e])),
    true,
  );
  assert.deepEqual(flushes, [[START, START + 2 * zone + 5 * P]]);
  assert.equal(space.poolLen[0], 1, 'the tagged area went to node 0, class 0');
  check(space);
});

// ── Node pools ─────────────────────────────────────────────────────────────

test('pools serve only the exact pool range and only with more than one node', () => {
  const space = new VaSpace({ nodes: 4, poolStart: START, poolEnd: END });
  assert.equal(space.poolsServe(START, END), true);
  assert.equal(space.poolsServe(START, END - P), false);
  assert.equal(space.poolsServe(START + P, END), false);
  const one = new VaSpace({ poolStart: START, poolEnd: END });
  assert.equal(one.poolsServe(START, END), false);
  assert.equal(one.poolLen.length, 0);
  assert.equal(one.poolFirst(0, 0), NIL);
  assert.equal(one.poolTake(0, P, P), -1);
});

test('encodeNode, decodeNode and addrToNode follow encode_vn_id, decode_vn_id, addr_to_node_id', () => {
  const space = new VaSpace({ nodes: 4 });
  assert.equal(VaSpace.encodeNode(0), 0x100);
  assert.equal(VaSpace.encodeNode(3), 0x400);
  assert.equal(space.decodeNode(0x100), 0);
  assert.equal(space.decodeNode(0x403), 3, 'VMAP_RAM | VMAP_BLOCK bits are ignored');
  assert.equal(space.decodeNode(0), -1, 'no node');
  assert.equal(space.decodeNode(VaSpace.encodeNode(4)), -1, 'beyond nr_vmap_nodes');
  assert.equal(space.addrToNode(START), 0);
  assert.equal(space.addrToNode(START + 16 * P - 1), 0);
  assert.equal(space.addrToNode(START + 16 * P), 1);
  assert.equal(space.addrToNode(START + 48 * P), 3);
  assert.equal(space.addrToNode(START + 64 * P), 0);
});

/** A 4-node space and `n` lazily freed areas of `pages` pages tagged for `node`, apart. */
function pooledSpace(n: number, pages: number, node: number): { space: VaSpace; starts: number[] } {
  const space = new VaSpace({ nodes: 4, poolStart: START, poolEnd: END });
  const vas: number[] = [];
  for (let i = 0; i < n; i++) {
    vas.push(allocBusy(space, pages * P, P, START, END, VaSpace.encodeNode(node)));
    allocBusy(space, P); // a busy spacer, so that no two lazy areas touch
  }
  const starts = vas.map((va) => space.s.startOf(va));
  for (const va of vas) freeLazy(space, va);
  assert.equal(space.lazyPages, n * pages);
  assert.equal(
    space.purge(VA_CEILING, 0, false, () => {}),
    true,
  );
  check(space);
  return { space, starts };
}

test('after purge, tagged areas go to their node pool, newest first, out of the free tree', () => {
  const { space, starts } = pooledSpace(3, 2, 2);
  const c = 1; // (2 pages - 1) / PAGE_SIZE
  assert.equal(space.poolLen[2 * MAX_VA_SIZE_PAGES + c], 3);
  assert.deepEqual(
    rangesFrom(space, space.poolFirst(2, c)).map((r) => r[0]),
    [starts[2], starts[1], starts[0]],
    'list_add: the purge list is walked in address order, each pushed at the head',
  );
  for (let va = space.poolFirst(2, c); va !== NIL; va = space.next(va)) {
    assert.equal(space.s.stateOf(va), VaState.pooled);
  }
  assert.equal(space.lazyPages, 0);
  for (const [s, e] of freeRanges(space)) {
    for (const a of starts) assert.ok(a + 2 * P <= s || a >= e, 'a pooled range is not free');
  }
  assert.equal(pooledCount(space), 3);
  for (let node = 0; node < 4; node++) {
    if (node !== 2) assert.equal(space.poolFirst(node, c), NIL);
  }
});

test('poolTake reuses an aligned head, rotates a misaligned head to the tail, and fails on empty pools', () => {
  const { space, starts } = pooledSpace(3, 2, 2);
  // starts[0] = START, starts[1] = START + 3P, starts[2] = START + 6P; the list is [2, 1, 0].
  assert.deepEqual(starts, [START, START + 3 * P, START + 6 * P]);
  assert.equal(space.poolTake(2, 2 * P, P), starts[2]);
  assert.equal(space.poolLen[2 * MAX_VA_SIZE_PAGES + 1], 2);
  assert.notEqual(space.insertBusy(starts[2]!, 2 * P, VaSpace.encodeNode(2)), NIL);
  check(space);

  const head = (): number => space.s.startOf(space.poolFirst(2, 1));
  assert.equal(head(), starts[1]);
  assert.equal(space.poolTake(2, 2 * P, 2 * P), -1, 'START + 3P is not 2-page aligned');
  assert.equal(head(), starts[0], 'the misaligned head moved to the tail');
  assert.deepEqual(
    rangesFrom(space, space.poolFirst(2, 1)).map((r) => r[0]),
    [starts[0], starts[1]],
  );
  assert.equal(space.poolLen[2 * MAX_VA_SIZE_PAGES + 1], 2, 'a rotation keeps the length');
  check(space);
  assert.equal(space.poolTake(2, 2 * P, 2 * P), starts[0]);
  assert.equal(space.poolTake(2, 2 * P, 2 * P), -1, 'the only one left is misaligned');
  assert.equal(head(), starts[1], 'a single misaligned area stays where it is');
  check(space);

  assert.equal(space.poolTake(1, 2 * P, P), -1, 'node 1 has nothing pooled');
  assert.equal(space.poolTake(2, 3 * P, P), -1, 'class 2 is empty');
  assert.equal(space.poolTake(2, (MAX_VA_SIZE_PAGES + 1) * P, P), -1, 'no class that large');
  assert.equal(space.poolTake(2, 2 * P, P), starts[1]);
  assert.equal(pooledCount(space), 0);
  check(space);
});

test('a normal purge decays a quarter of each pool (newest first), a full one all of it', () => {
  const { space, starts } = pooledSpace(8, 1, 1);
  assert.equal(space.poolLen[1 * MAX_VA_SIZE_PAGES], 8);
  assert.equal(space.purge(VA_CEILING, 0, false, noFlush), false, 'no lazy areas');
  check(space);
  assert.equal(space.poolLen[1 * MAX_VA_SIZE_PAGES], 6, '8 >> 2 went back to the free tree');
  const freeStarts = new Set(freeRanges(space).map((r) => r[0]));
  assert.ok(freeStarts.has(starts[7]!) && freeStarts.has(starts[6]!), 'the two newest');
  assert.ok(!freeStarts.has(starts[5]!));
  space.purge(VA_CEILING, 0, false, noFlush);
  assert.equal(space.poolLen[1 * MAX_VA_SIZE_PAGES], 5, '6 >> 2 = 1');
  space.purge(VA_CEILING, 0, false, noFlush);
  space.purge(VA_CEILING, 0, false, noFlush);
  assert.equal(space.poolLen[1 * MAX_VA_SIZE_PAGES], 3, '5 >> 2 = 1, 4 >> 2 = 1');
  space.purge(VA_CEILING, 0, false, noFlush);
  assert.equal(space.poolLen[1 * MAX_VA_SIZE_PAGES], 3, 'fewer than 4: a normal decay moves none');
  check(space);
  space.purge(VA_CEILING, 0, true, noFlush);
  assert.equal(pooledCount(space), 0, 'a full decay empties the pools');
  check(space);
});

test('a full purge and areas above MAX_VA_SIZE_PAGES bypass the pools', () => {
  const space = new VaSpace({ nodes: 4, poolStart: START, poolEnd: END });
  const small = allocBusy(space, P, P, START, END, VaSpace.encodeNode(3));
  allocBusy(space, P);
  const big = allocBusy(space, (MAX_VA_SIZE_PAGES + 1) * P, P, START, END, VaSpace.encodeNode(3));
  allocBusy(space, P);
  const max = allocBusy(space, MAX_VA_SIZE_PAGES * P, P, START, END, VaSpace.encodeNode(3));
  allocBusy(space, P);
  const untagged = allocBusy(space, P);
  allocBusy(space, P);
  const bigStart = space.s.startOf(big);
  const maxStart = space.s.startOf(max);
  freeLazy(space, big);
  freeLazy(space, max);
  freeLazy(space, untagged);
  assert.equal(
    space.purge(VA_CEILING, 0, false, () => {}),
    true,
  );
  check(space);
  assert.equal(space.poolLen[3 * MAX_VA_SIZE_PAGES + MAX_VA_SIZE_PAGES - 1], 1, '256 pages pool');
  assert.equal(pooledCount(space), 1, 'the 257-page and the untagged area went to the free tree');
  assert.ok(freeRanges(space).some(([s, e]) => s <= bigStart && bigStart < e));
  assert.ok(!freeRanges(space).some(([s, e]) => s <= maxStart && maxStart < e));

  freeLazy(space, small);
  assert.equal(
    space.purge(VA_CEILING, 0, true, () => {}),
    true,
  );
  assert.equal(pooledCount(space), 0, 'skip_populate: the lazy area was not pooled either');
  check(space);
});

test('adjacent lazily freed areas stay separate (insert_vmap_area) and each returns to its pool', () => {
  // mm/vmalloc.c 6.9+ free_vmap_area_noflush links a VA into its node's lazy tree with
  // insert_vmap_area(), which never merges: each VA keeps its own size class and node id
  // and goes back to node_pool_add_va() whole. Areas with guard pages touch, so this is
  // the common case (two vmalloc(4096) calls on one CPU, then two vfree).
  const space = new VaSpace({ nodes: 4, poolStart: START, poolEnd: END });
  const a = allocBusy(space, P, P, START, END, VaSpace.encodeNode(0));
  const b = allocBusy(space, P, P, START, END, VaSpace.encodeNode(0));
  assert.equal(space.s.endOf(a), space.s.startOf(b), 'the two areas touch');
  freeLazy(space, a);
  freeLazy(space, b);
  assert.deepEqual(
    rangesFrom(space, space.lazyFirst(0)),
    [
      [START, START + P],
      [START + P, START + 2 * P],
    ],
    'two VAs on the lazy tree of node 0',
  );
  space.purge(VA_CEILING, 0, false, () => {});
  check(space);
  assert.equal(space.poolLen[0], 2, 'both one-page areas in node 0, class 0');
  assert.equal(space.poolLen[1], 0, 'no two-page area in class 1');
});

test('pool decay returns areas to the free tree in address order, as decay_va_pool_node does', () => {
  // decay_va_pool_node() collects the decayed VAs of every size class of a node on one
  // address-sorted decay list (merge_or_add_vmap_area into decay_root) and only then
  // merges them into the free tree in address order (reclaim_list_global). The order of
  // the inserts shapes the red-black tree, and the shape decides adjusted searches.
  //
  // Layout in pages from START: U [0,2) freed, then tagged areas (class 1 at 2, 5, 8, 17;
  // class 0 at 11, 13, 15, 20), each followed by a busy one-page spacer; free [22, 1024).
  // The free tree before the decay is [22,1024) black with [0,2) red on its left. A normal
  // decay takes the newest of each pool: [20,21) (class 0) and [17,19) (class 1).
  //   kernel order [17,19), [20,21):  root [17,19), left [0,2), right [22,1024) with
  //                                   [20,21) red on its left
  //   class order  [20,21), [17,19):  root [20,21), left [0,2) with [17,19) red on its
  //                                   right, right [22,1024)
  // A one-page request aligned to two pages searches for 3 pages - 1: the root's left
  // subtree (largest 2 pages) is not entered, and the root fits: START + 18P in the kernel.
  const build = (): VaSpace => {
    const space = new VaSpace({
      nodes: 2,
      poolStart: START,
      poolEnd: END,
      lo: START,
      hi: START + 1024 * P,
    });
    const u = allocBusy(space, 2 * P);
    const tagged: number[] = [];
    for (const pages of [2, 2, 2, 1, 1, 1, 2, 1]) {
      tagged.push(allocBusy(space, pages * P, P, START, END, VaSpace.encodeNode(0)));
      allocBusy(space, P);
    }
    space.freeNow(u);
    for (const va of tagged) freeLazy(space, va);
    assert.equal(
      space.purge(VA_CEILING, 0, false, () => {}),
      true,
    );
    check(space);
    assert.deepEqual([space.poolLen[0], space.poolLen[1]], [4, 4]);
    return space;
  };
  // The kernel's order, by hand: take the same two areas out of the pools and merge them
  // into the free tree lowest first.
  const kernel = build();
  const c0 = kernel.poolTake(0, P, 1);
  const c1 = kernel.poolTake(0, 2 * P, 1);
  assert.deepEqual([c0, c1], [START + 20 * P, START + 17 * P], 'the newest of each class');
  kernel.freeNow(kernel.insertBusy(c1, 2 * P, 0));
  kernel.freeNow(kernel.insertBusy(c0, P, 0));
  check(kernel);
  assert.equal(kernel.s.startOf(kernel.roots[FREE_TREE]!), START + 17 * P);
  assert.equal(kernel.allocRange(P, 2 * P, START, END), START + 18 * P);

  const space = build();
  space.purge(VA_CEILING, 0, false, noFlush);
  check(space);
  assert.deepEqual([space.poolLen[0], space.poolLen[1]], [3, 3]);
  assert.equal(space.s.startOf(space.roots[FREE_TREE]!), START + 17 * P, 'free tree root');
  assert.equal(space.allocRange(P, 2 * P, START, END), START + 18 * P);
});

// ── Lookups ─────────────────────────────────────────────────────────────────

test('findBusy finds the area containing an interior address; findBusyEndingAfter the first ending above', () => {
  const space = new VaSpace();
  assert.equal(space.findBusy(START), NIL, 'empty busy tree');
  assert.equal(space.findBusyEndingAfter(0), NIL);
  const a = allocBusy(space, 2 * P);
  allocBusy(space, P); // freed below, leaving a gap
  const b = allocBusy(space, P);
  const c = allocBusy(space, 4 * P);
  space.freeNow(space.findBusy(START + 2 * P));
  check(space);
  assert.deepEqual(busyRanges(space), [
    [START, START + 2 * P],
    [START + 3 * P, START + 4 * P],
    [START + 4 * P, START + 8 * P],
  ]);
  assert.equal(space.findBusy(START), a);
  assert.equal(space.findBusy(START + 1), a);
  assert.equal(space.findBusy(START + 2 * P - 1), a);
  assert.equal(space.findBusy(START + 2 * P), NIL, 'in the gap');
  assert.equal(space.findBusy(START + 3 * P + 5), b);
  assert.equal(space.findBusy(START + 4 * P), c, 'a shared boundary belongs to the upper area');
  assert.equal(space.findBusy(START + 8 * P - 1), c);
  assert.equal(space.findBusy(START + 8 * P), NIL, 'va_end is exclusive');
  assert.equal(space.findBusy(START - 1), NIL);

  assert.equal(space.findBusyEndingAfter(0), a);
  assert.equal(space.findBusyEndingAfter(START + P), a);
  assert.equal(space.findBusyEndingAfter(START + 2 * P), b, 'end == addr does not count');
  assert.equal(space.findBusyEndingAfter(START + 3 * P - 1), b);
  assert.equal(space.findBusyEndingAfter(START + 4 * P - 1), b);
  assert.equal(space.findBusyEndingAfter(START + 4 * P), c);
  assert.equal(space.findBusyEndingAfter(START + 8 * P - 1), c);
  assert.equal(space.findBusyEndingAfter(START + 8 * P), NIL);
});

// ── The checker's failure side ─────────────────────────────────────────────

function smallSpace(): VaSpace {
  const space = new VaSpace({ nodes: 2, poolStart: START, poolEnd: END });
  for (let i = 0; i < 6; i++) allocBusy(space, (1 + i) * P, P, START, END, VaSpace.encodeNode(1));
  freeLazy(space, space.findBusy(START));
  freeLazy(space, space.findBusy(START + 6 * P));
  return space;
}

test('checkVaSpace passes on fresh, empty, one-node and many-node spaces', () => {
  checkVaSpace(new VaSpace());
  checkVaSpace(new VaSpace({ lo: 0, hi: 0 }));
  checkVaSpace(new VaSpace({ nodes: 128, poolStart: START, poolEnd: END }));
  checkVaSpace(smallSpace());
});

test('checkVaSpace reports a wrong lazy page count (V9)', () => {
  const space = smallSpace();
  space.lazyPages += 1;
  assert.throws(
    () => checkVaSpace(space),
    (e: unknown) => {
      assert.ok(e instanceof InvariantError);
      assert.match(e.message, /^V9: lazyPages is 6, the lazy trees hold 5 pages$/);
      return true;
    },
  );
});

test('checkVaSpace reports a list that is not the tree (V4) and a tree with foreign areas (V5)', () => {
  const space = smallSpace();
  const root = space.roots[BUSY_TREE]!;
  space.roots[BUSY_TREE] = NIL;
  assert.throws(
    () => checkVaSpace(space),
    /^InvariantError: V4: list of the busy tree: .* follows the last of the tree's 0 areas/,
  );
  space.roots[BUSY_TREE] = root;
  check(space);
  const free = space.roots[FREE_TREE]!;
  space.roots[FREE_TREE] = root;
  space.roots[BUSY_TREE] = free;
  assert.throws(() => checkVaSpace(space), /^InvariantError: V5: free tree: area \d+ \[0x/);
  space.roots[FREE_TREE] = free;
  space.roots[BUSY_TREE] = root;
  check(space);
});

test('checkVaSpace reports a stale child maximum in a parent record, at every level (V5)', () => {
  // nine free areas (eight single pages between busy pages, and the tail): a free tree of
  // three levels below the root
  const space = new VaSpace({ lo: START, hi: START + 64 * P });
  const busy: number[] = [];
  for (let i = 0; i < 16; i++) busy.push(allocBusy(space, P));
  for (let i = 0; i < 16; i += 2) space.freeNow(busy[i]!);
  check(space);
  const s = space.s;
  const { F_LMAX, F_RMAX } = RECORD_LAYOUT;
  let corrupted = 0;
  for (let n = space.freeFirst(); n !== NIL; n = space.next(n)) {
    for (const [slot, child] of [
      [F_LMAX, s.leftOf(n)],
      [F_RMAX, s.rightOf(n)],
    ] as const) {
      const k = (n << 3) | slot;
      const saved = s.f64[k]!;
      assert.equal(saved, child === NIL ? 0 : s.subtreeMaxOf(child), `slot ${slot} of ${n}`);
      s.f64[k] = saved + P; // stale: larger than the child's real subtree maximum
      assert.throws(
        () => checkVaSpace(space),
        /^InvariantError: V5: free tree: area \d+ \[0x[0-9a-f]+, 0x[0-9a-f]+\) keeps children's maxima/,
      );
      s.f64[k] = saved;
      if (saved > 0) {
        s.f64[k] = saved - 1; // stale the other way
        assert.throws(() => checkVaSpace(space), /^InvariantError: V5: /);
        s.f64[k] = saved;
      }
      corrupted++;
    }
  }
  assert.equal(corrupted, 18);
  check(space);
});

test('a merge that makes an inner free area the largest reaches every copy above it', () => {
  // free single pages between busy ones, then grow the one at page 16 by freeing its busy
  // neighbours: its new size must reach its parent's copy and every copy above, or the
  // search (which below the lowest area reads only the copies) would not find it
  const space = new VaSpace({ lo: START, hi: START + 40 * P });
  const busy: number[] = [];
  for (let i = 0; i < 40; i++) busy.push(allocBusy(space, P));
  for (let i = 0; i < 32; i += 2) space.freeNow(busy[i]!);
  check(space);
  assert.equal(space.allocRange(2 * P, P, START, END), -1, 'no two free pages touch yet');
  space.freeNow(busy[17]!);
  space.freeNow(busy[19]!);
  check(space);
  const grown = space.next(
    space.next(
      space.next(space.next(space.next(space.next(space.next(space.next(space.freeFirst())))))),
    ),
  );
  assert.equal(space.s.startOf(grown), START + 16 * P);
  assert.equal(space.s.endOf(grown), START + 21 * P);
  assert.equal(space.allocRange(5 * P, P, START, END), START + 16 * P, 'found through the copies');
  check(space);
});

test('checkVaSpace reports one area reached from two trees (V2) and a lazy tree moved to another node (V4)', () => {
  const space = smallSpace();
  const lazy = space.roots[LAZY_TREE0 + 1]!;
  const busy = space.roots[BUSY_TREE]!;
  space.roots[LAZY_TREE0] = busy;
  assert.throws(
    () => checkVaSpace(space),
    /^InvariantError: V2: area \d+ .* is reached twice: from the busy tree and from the lazy tree of node 0$/,
  );
  space.roots[LAZY_TREE0] = NIL;
  space.roots[LAZY_TREE0 + 1] = NIL;
  space.roots[LAZY_TREE0] = lazy;
  assert.throws(
    () => checkVaSpace(space),
    /^InvariantError: V4: list of the lazy tree of node 0: entry 0 is the end of the list/,
  );
  space.roots[LAZY_TREE0] = NIL;
  space.roots[LAZY_TREE0 + 1] = lazy;
  check(space);
});

test('checkVaSpace with a detached count reports an area linked nowhere (V11)', () => {
  const space = smallSpace();
  check(space);
  const va = space.findBusy(START + P);
  space.unlinkBusy(va);
  check(space, 1);
  assert.throws(
    () => checkVaSpace(space, { detached: 0 }),
    /^InvariantError: V11: the store has \d+ live areas, \d+ are linked and 0 detached: 1 unaccounted for$/,
  );
  checkVaSpace(space);
});

test('checkVaSpace reports a pool length that disagrees with the pool list (V10)', () => {
  const { space } = pooledSpace(2, 3, 1);
  const i = 1 * MAX_VA_SIZE_PAGES + 2;
  assert.equal(space.poolLen[i], 2);
  space.poolLen[i] = 3;
  assert.throws(
    () => checkVaSpace(space),
    /^InvariantError: V10: pool of node 1 class 2: poolLen says 3, the list holds 2$/,
  );
  space.poolLen[i] = 2;
  check(space);
});

// ── Red-black trees through VaSpace ────────────────────────────────────────

/** Height of tree `t` (root-to-leaf nodes on the longest path). */
function height(space: VaSpace, t: number): number {
  let best = 0;
  const stack: Array<[number, number]> = [];
  if (space.roots[t] !== NIL) stack.push([space.roots[t]!, 1]);
  while (stack.length > 0) {
    const [n, d] = stack.pop()!;
    if (d > best) best = d;
    const l = space.s.leftOf(n);
    const r = space.s.rightOf(n);
    if (l !== NIL) stack.push([l, d + 1]);
    if (r !== NIL) stack.push([r, d + 1]);
  }
  return best;
}

test('ascending inserts and random erases keep both trees red-black and balanced', () => {
  const space = new VaSpace({ lo: 0, hi: 0 });
  const n = 2000;
  const vas: number[] = [];
  for (let i = 0; i < n; i++) {
    vas.push(space.insertBusy(START + 2 * i * P, P, 0));
    if (i % 7 === 0) check(space);
  }
  check(space);
  assert.ok(height(space, BUSY_TREE) <= 2 * Math.log2(n + 1), `height ${height(space, BUSY_TREE)}`);
  const rng = new XorShift32(12345);
  for (let i = vas.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [vas[i], vas[j]] = [vas[j]!, vas[i]!];
  }
  // Erase from busy, insert into the augmented free tree (no neighbours touch: 1-page gaps).
  for (let i = 0; i < n; i++) {
    space.freeNow(vas[i]!);
    if (i % 7 === 0) check(space);
    if (i === n / 2) {
      const k = n / 2 + 1;
      assert.ok(height(space, FREE_TREE) <= 2 * Math.log2(k + 1));
      assert.ok(height(space, BUSY_TREE) <= 2 * Math.log2(n - k + 1));
    }
  }
  check(space);
  assert.equal(space.busyFirst(), NIL);
  assert.equal(freeRanges(space).length, n);
  // Fill the gaps in random order: every free merges with both neighbours but the ends.
  const gaps: number[] = [];
  for (let i = 0; i + 1 < n; i++) gaps.push(START + (2 * i + 1) * P);
  for (let i = gaps.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [gaps[i], gaps[j]] = [gaps[j]!, gaps[i]!];
  }
  for (let i = 0; i < gaps.length; i++) {
    space.freeNow(space.insertBusy(gaps[i]!, P, 0));
    if (i % 7 === 0) check(space);
  }
  check(space);
  assert.deepEqual(freeRanges(space), [[START, START + (2 * n - 1) * P]]);
  assert.equal(space.s.live, 1);
});

// ── Model-based test ───────────────────────────────────────────────────────

/** The oracle: free intervals, sorted and merged, as two parallel arrays. */
class FreeIntervals {
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  /** The index of the first interval with end > x (starts.length if none). */
  firstEndAbove(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Take [a, b) out of interval i, which must contain it. */
  take(i: number, a: number, b: number): void {
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    assert.ok(s <= a && b <= e, 'oracle: take outside the interval');
    if (s === a && e === b) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (s === a) this.starts[i] = b;
    else if (e === b) this.ends[i] = a;
    else {
      this.starts.splice(i + 1, 0, b);
      this.ends.splice(i + 1, 0, e);
      this.ends[i] = a;
    }
  }

  /** Give [a, b) back, merging with touching neighbours. */
  give(a: number, b: number): void {
    const i = this.firstEndAbove(a);
    assert.ok(i === this.starts.length || this.starts[i]! >= b, 'oracle: double free');
    const joinPrev = i > 0 && this.ends[i - 1] === a;
    const joinNext = i < this.starts.length && this.starts[i] === b;
    if (joinPrev && joinNext) {
      this.ends[i - 1] = this.ends[i]!;
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (joinPrev) this.ends[i - 1] = b;
    else if (joinNext) this.starts[i] = a;
    else {
      this.starts.splice(i, 0, a);
      this.ends.splice(i, 0, b);
    }
  }

  total(): number {
    let t = 0;
    for (let i = 0; i < this.starts.length; i++) t += this.ends[i]! - this.starts[i]!;
    return t;
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * The kernel's answer for a non-adjusted search (align <= PAGE_SIZE or an exact window):
 * the lowest interval where the aligned request fits, failing if it ends beyond vend.
 */
function lowestFit(
  o: FreeIntervals,
  size: number,
  align: number,
  vstart: number,
  vend: number,
): number {
  for (let i = o.firstEndAbove(vstart); i < o.starts.length; i++) {
    const nva = alignUp(Math.max(o.starts[i]!, vstart), align);
    if (nva + size <= o.ends[i]!) return nva + size <= vend ? nva : -1;
  }
  return -1;
}

/** For an adjusted search: the lowest interval with `length` usable bytes above vstart. */
function lowestRoomy(o: FreeIntervals, length: number, vstart: number): number {
  for (let i = o.firstEndAbove(vstart); i < o.starts.length; i++) {
    if (o.ends[i]! - Math.max(o.starts[i]!, vstart) >= length) return i;
  }
  return -1;
}

/** One model run. */
interface ModelConfig {
  readonly seed: number;
  readonly ops: number;
  /** Ops checked in full (checkVaSpace + free list vs oracle); then every 50th. */
  readonly fullCheckOps: number;
  /** Ops [fullCheckOps, crossCheckEnd) run with space.crossCheck on. */
  readonly crossCheckEnd: number;
  /** The initial free range (the default VaSpace has [1, VA_CEILING)). */
  readonly lo: number;
  readonly hi: number;
  readonly liveCap: number;
  /** Per mille of requests drawn from the large class, and its largest size in pages. */
  readonly largeRate: number;
  readonly largePages: number;
}

type ModelStats = Record<
  'ok' | 'fail' | 'wholeFail' | 'adjusted' | 'exact' | 'sub' | 'frees' | 'lazy' | 'purges',
  number
>;

/**
 * Run `cfg.ops` seeded operations on a VaSpace and on the oracle: allocRange (+ insertBusy)
 * with random sizes, alignments and windows, freeNow of a random live area, lazy frees
 * (unlinkBusy + addLazy) and purges. @returns the operation counts.
 */
function runModel(cfg: ModelConfig): ModelStats {
  const MODEL_SEED = cfg.seed;
  const MODEL_OPS = cfg.ops;
  const FULL_CHECK_OPS = cfg.fullCheckOps;
  const LIVE_CAP = cfg.liveCap;
  const rng = new XorShift32(MODEL_SEED);
  const space =
    cfg.lo === 1 && cfg.hi === VA_CEILING
      ? new VaSpace({ capacity: 4096 })
      : new VaSpace({ capacity: 4096, lo: cfg.lo, hi: cfg.hi });
  const free = new FreeIntervals();
  free.give(cfg.lo, cfg.hi);
  const liveAddr: number[] = [];
  const liveSize: number[] = [];
  const lazy: Range[] = [];
  let lazyPages = 0;
  let hiWater = START;
  const stats = {
    ok: 0,
    fail: 0,
    wholeFail: 0,
    adjusted: 0,
    exact: 0,
    sub: 0,
    frees: 0,
    lazy: 0,
    purges: 0,
  };

  const pickSize = (): number => {
    const r = rng.below(1000);
    if (r < cfg.largeRate) return P * (1 + rng.below(cfg.largePages));
    if (r < 975) return P * (1 + rng.below(64));
    return P * (65 + rng.below(4096));
  };
  const pickAlign = (): number => {
    const r = rng.below(10);
    if (r < 2) return 1;
    if (r < 6) return P;
    return P << (1 + rng.below(8)); // 8 KiB .. 1 MiB
  };

  const fullCheck = (i: number): void => {
    check(space);
    const got = freeRanges(space);
    assert.equal(got.length, free.starts.length, `op ${i}: free area count`);
    for (let k = 0; k < got.length; k++) {
      if (got[k]![0] !== free.starts[k] || got[k]![1] !== free.ends[k]) {
        assert.fail(
          `op ${i}: free area ${k} is [${got[k]![0]}, ${got[k]![1]}), oracle [${free.starts[k]}, ${free.ends[k]})`,
        );
      }
    }
    let busy = 0;
    for (let va = space.busyFirst(); va !== NIL; va = space.busyNext(va)) busy++;
    assert.equal(busy, liveAddr.length, `op ${i}: busy area count`);
  };

  const alloc = (i: number): void => {
    const size = pickSize();
    const align = pickAlign();
    let vstart = START;
    let vend = END;
    const w = rng.below(100);
    const spanPages = (hiWater - START) / P;
    if (w >= 85 && w < 95) {
      // A random sub-window around the used part of the range.
      stats.sub++;
      vstart = START + P * rng.below(spanPages + 1);
      const k = rng.below(3);
      const slack = k === 0 ? rng.below(17) : k === 1 ? rng.below(1025) : rng.below(spanPages + 1);
      vend = Math.min(vstart + size + P * slack - (rng.below(8) === 0 ? P : 0), END);
    } else if (w >= 95 && w < 99) {
      // An exact window (vend - vstart == size): inside a free interval or anywhere.
      stats.exact++;
      const lo = free.firstEndAbove(START);
      const hi = Math.min(free.starts.length, free.firstEndAbove(hiWater) + 1);
      if (rng.below(2) === 0 && hi > lo) {
        const j = lo + rng.below(hi - lo);
        const s = Math.max(free.starts[j]!, START);
        const e = Math.min(free.ends[j]!, END);
        vstart = s + P * rng.below(Math.max(1, (e - s) / P));
        if (rng.below(2) === 0) vstart = alignUp(vstart, align);
      } else vstart = START + P * rng.below(spanPages + 1);
      vend = vstart + size;
    } else if (w === 99) {
      // A window below the vmalloc range (free since boot, as in vmalloc_init).
      vstart = 2 ** 32;
      vend = 2 ** 32 + 2 ** 34;
    }
    const adjusted = align > P && vend - vstart !== size;
    const addr = space.allocRange(size, align, vstart, vend);
    const ctx = `seed ${MODEL_SEED} op ${i}: allocRange(${size}, ${align}, ${vstart}, ${vend})`;
    if (!adjusted) {
      const want = lowestFit(free, size, align, vstart, vend);
      assert.equal(addr, want, `${ctx}: lowest fit`);
    } else {
      stats.adjusted++;
      const roomy = lowestRoomy(free, size + align - 1, vstart);
      if (addr >= 0) {
        const k = free.firstEndAbove(addr);
        assert.ok(k < free.starts.length, `${ctx} = ${addr}: not in a free interval`);
        const s = free.starts[k]!;
        assert.ok(
          s <= addr && addr + size <= free.ends[k]!,
          `${ctx} = ${addr}: not inside [${s}, ${free.ends[k]})`,
        );
        assert.equal(
          addr,
          alignUp(Math.max(s, vstart), align),
          `${ctx}: not the aligned start of its interval`,
        );
        assert.ok(addr + size <= vend, `${ctx} = ${addr}: beyond vend`);
        assert.ok(roomy === -1 || roomy >= k, `${ctx} = ${addr}: interval ${roomy} below has room`);
      } else if (roomy !== -1) {
        const nva = alignUp(Math.max(free.starts[roomy]!, vstart), align);
        assert.ok(
          nva + size > vend,
          `${ctx} failed, but [${free.starts[roomy]}, ${free.ends[roomy]}) places ${nva}`,
        );
      }
    }
    if (addr < 0) {
      stats.fail++;
      if (vstart === START && vend === END) stats.wholeFail++;
      return;
    }
    stats.ok++;
    assert.equal(addr % Math.max(align, 1), 0, `${ctx}: misaligned`);
    assert.ok(addr >= vstart && addr + size <= vend, `${ctx}: outside the window`);
    assert.notEqual(space.insertBusy(addr, size, 0), NIL, `${ctx}: busy overlap`);
    free.take(free.firstEndAbove(addr), addr, addr + size);
    liveAddr.push(addr);
    liveSize.push(size);
    if (addr + size > hiWater && addr + size <= END && addr >= START) hiWater = addr + size;
  };

  const takeLive = (): [addr: number, size: number, va: number] => {
    const j = rng.below(liveAddr.length);
    const addr = liveAddr[j]!;
    const size = liveSize[j]!;
    liveAddr[j] = liveAddr[liveAddr.length - 1]!;
    liveSize[j] = liveSize[liveSize.length - 1]!;
    liveAddr.pop();
    liveSize.pop();
    const at = rng.below(2) === 0 ? addr : addr + rng.below(size);
    const va = space.findBusy(at);
    assert.ok(va !== NIL && space.s.startOf(va) === addr, `findBusy(${at}) in [${addr}, +${size})`);
    return [addr, size, va];
  };

  const purge = (i: number): void => {
    stats.purges++;
    const flushes: Range[] = [];
    const any = space.purge(VA_CEILING, 0, false, (s, e) => flushes.push([s, e]));
    if (lazy.length === 0) {
      assert.equal(any, false, `op ${i}: purge with nothing lazy`);
      assert.equal(flushes.length, 0);
      return;
    }
    let lo = Infinity;
    let hi = 0;
    for (const [s, e] of lazy) {
      lo = Math.min(lo, s);
      hi = Math.max(hi, e);
      free.give(s, e);
    }
    assert.equal(any, true, `op ${i}: purge`);
    assert.deepEqual(flushes, [[lo, hi]], `op ${i}: one flush over the union`);
    lazy.length = 0;
    lazyPages = 0;
    assert.equal(space.lazyPages, 0);
  };

  for (let i = 0; i < MODEL_OPS; i++) {
    space.crossCheck = i >= FULL_CHECK_OPS && i < cfg.crossCheckEnd;
    const r = rng.below(1000);
    const n = liveAddr.length;
    if (n === 0 || (r < 520 && n < LIVE_CAP)) alloc(i);
    else if (r < 940) {
      stats.frees++;
      const [addr, size, va] = takeLive();
      space.freeNow(va);
      free.give(addr, addr + size);
    } else if (r < 990) {
      stats.lazy++;
      const [addr, size, va] = takeLive();
      space.unlinkBusy(va);
      lazyPages += size / P;
      assert.equal(space.addLazy(va), lazyPages, `op ${i}: addLazy returns vmap_lazy_nr`);
      lazy.push([addr, addr + size]);
    } else purge(i);
    if (i < FULL_CHECK_OPS || i % 50 === 0) {
      try {
        fullCheck(i);
      } catch (e) {
        if (e instanceof Error) e.message = `seed ${MODEL_SEED} op ${i}: ${e.message}`;
        throw e;
      }
    }
  }
  purge(MODEL_OPS);
  fullCheck(MODEL_OPS);
  let total = 0;
  for (const [s, e] of freeRanges(space)) total += e - s;
  assert.equal(total, free.total(), 'free bytes: allocator vs oracle');
  let busy = 0;
  for (let k = 0; k < liveSize.length; k++) busy += liveSize[k]!;
  assert.equal(total + busy, cfg.hi - cfg.lo, 'free + busy covers [lo, hi)');
  return stats;
}

test('model: 100,000 seeded operations agree with a sorted-interval oracle under the kernel rules', () => {
  const stats = runModel({
    seed: 0x5eed7a11,
    ops: 100_000,
    fullCheckOps: 20_000,
    crossCheckEnd: 60_000,
    lo: 1,
    hi: VA_CEILING,
    liveCap: 1500,
    largeRate: 5,
    largePages: 2 ** 28, // up to 1 TiB
  });
  // The run must have exercised every path (the seed is fixed, these are sanity bounds).
  const all = JSON.stringify(stats);
  assert.ok(stats.fail > 1000 && stats.ok > 40_000, all);
  assert.ok(stats.adjusted > 10_000 && stats.exact > 1000 && stats.sub > 3000, all);
  assert.ok(stats.lazy > 2000 && stats.purges > 400, all);
});

test('model: a 4 GiB space under pressure fails and recovers like the oracle', () => {
  // 3% of the requests up to 1 GiB in a 4 GiB space: whole-window requests fail for want
  // of room, and the free list fragments and coalesces around the large areas.
  const stats = runModel({
    seed: 0x0ddba11,
    ops: 30_000,
    fullCheckOps: 10_000,
    crossCheckEnd: 20_000,
    lo: START,
    hi: START + 2 ** 32,
    liveCap: 1500,
    largeRate: 30,
    largePages: 2 ** 18, // up to 1 GiB
  });
  assert.ok(stats.wholeFail > 100 && stats.ok > 10_000, JSON.stringify(stats));
});
