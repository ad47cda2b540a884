// SPDX-License-Identifier: GPL-2.0-only
/*
 * VaSpace: the vmap-area allocator — the free space of the kernel's virtual address space
 * in an augmented red-black tree, busy areas by containment, lazily freed areas per vmap
 * node, the per-node size-class pools, and the purge that returns lazy areas to the free
 * tree after one TLB flush.
 *
 * Kernel: mm/vmalloc.c free_vmap_area_root/list, find_va_links, get_va_next_sibling,
 * __link_va, __unlink_va, augment_tree_propagate_from, insert_vmap_area(_augment),
 * __merge_or_add_vmap_area, is_within_this_va, find_vmap_lowest_match,
 * classify_va_fit_type, va_clip, va_alloc, __alloc_vmap_area, node_alloc/node_pool_del_va,
 * free_vmap_area, free_vmap_area_noflush (lazy part), __purge_vmap_area_lazy,
 * purge_vmap_node, decay_va_pool_node, reclaim_list_global, __find_vmap_area,
 * find_vmap_area_exceed_addr, vmap_init_free_space.
 *
 * Placement is the kernel's to the letter (the checksums of bench/WORKLOADS.md prove it):
 * lowest address that fits for alignments up to a page; for larger ones the kernel's
 * search for `size + align - 1`, which follows the tree's shape. Addresses are exact
 * integers in doubles; nothing here allocates per operation (areas live in VaStore).
 *
 * The lazy and pool paths follow the 6.9+ code (KERNEL-SPEC §3.4): a lazily freed area is
 * linked into its node's lazy tree unmerged (insert_vmap_area), a purged area goes to the
 * size-class pool (size - 1) / PAGE_SIZE rounded down, and pool decay gathers the decayed
 * areas of all classes on one address-sorted, merged decay list before they return to the
 * free tree (decay_va_pool_node, reclaim_list_global).
 *
 * Errors are not logged here: the vmalloc layer above owns the log and the retry policy.
 * An overlapping insert (a kernel bug) is reported through `onOverlap`.
 */

import { PAGE_SIZE as UNITS_PAGE_SIZE } from '../base/units.js';
import {
  augLinkLeaf,
  propagateGrow,
  propagateShrink,
  rbErase,
  rbFirst,
  rbInsertColor,
  rbLinkNode,
  rbNext,
} from './rbtree.js';
import { checkLayoutCopy, VaStore } from './va-store.js';

// Module-local copies of the constants the hot paths use. V8 reloads and hole-checks an
// imported binding on every use; a module-local const with a known value folds away.
const NIL = 0; // va-store.ts NIL
const PAGE_SIZE = 4096; // base/units.ts PAGE_SIZE (x86-64)
const RB_RED = 0; // va-store.ts RB_RED
const RB_BLACK = 1; // va-store.ts RB_BLACK
const ST_FREE = 1; // the VaState tags of va-store.ts
const ST_BUSY = 2;
const ST_LAZY = 3;
const ST_POOLED = 4;
const ST_DETACHED = 5;
// The record layout of va-store.ts: doubles at (n << 3) | F_*, int32s at (n << 4) | I_*
// (the low bits of a shifted index are zero, so `|` adds without an overflow check).
const F_START = 0;
const F_END = 1;
/** subtree_max_size of the left child; of the right child (rbtree.ts). */
const F_LMAX = 2;
const F_RMAX = 3;
const I_LEFT = 8;
const I_RIGHT = 9;
/** parent << 1 | colour (the kernel's __rb_parent_color). */
const I_PC = 10;
const I_NEXT = 11;
const I_PREV = 12;
/** va->flags << STATE_BITS | the state tag: read through stateAt / flagsAt. */
const I_STATE = 13;
const I_HASH = 14;
/**
 * A free area's busy successor (the busy area starting at its va_end), as last known; a
 * detached or lazy area's busy successor when it left the busy list, which it keeps as a
 * free area after the purge. Checked before every use.
 */
const I_SUCC = 15;
const STATE_BITS = 3;
const STATE_MASK = 7;

/** The state tag of area `va`. */
function stateAt(i32: Int32Array, va: number): number {
  return i32[(va << 4) | I_STATE]! & STATE_MASK;
}

/** Set the state tag of area `va`, keeping its flags. */
function setState(i32: Int32Array, va: number, st: number): void {
  const k = (va << 4) | I_STATE;
  i32[k] = (i32[k]! & ~STATE_MASK) | st;
}

/** va->flags of area `va`. */
function flagsAt(i32: Int32Array, va: number): number {
  return i32[(va << 4) | I_STATE]! >>> STATE_BITS;
}

// control-plane: once, when the module loads
checkLayoutCopy({
  NIL,
  RB_RED,
  RB_BLACK,
  ST_FREE,
  ST_BUSY,
  ST_LAZY,
  ST_POOLED,
  ST_DETACHED,
  F_START,
  F_END,
  F_LMAX,
  F_RMAX,
  I_LEFT,
  I_RIGHT,
  I_PC,
  I_NEXT,
  I_PREV,
  I_STATE,
  I_HASH,
  I_HINT: I_SUCC,
  STATE_BITS,
});
if (STATE_MASK !== (1 << STATE_BITS) - 1) throw new Error('vmalloc: STATE_MASK is stale');
if (PAGE_SIZE !== UNITS_PAGE_SIZE) throw new Error('vmalloc: PAGE_SIZE copy is stale');

/** Tree and list slots: the free tree, the busy tree, then one lazy tree per vmap node. */
const FREE = 0;
const BUSY = 1;
const LAZY0 = 2;

/** Size classes of the per-node pools: MAX_VA_SIZE_PAGES. */
export const MAX_VA_SIZE_PAGES = 256;
/** vmap_zone_size: addr_to_node_id groups addresses in zones of 16 pages. */
export const VMAP_ZONE_SIZE = 16 * PAGE_SIZE;

/** The top of the modelled address space (the kernel uses ULONG_MAX). */
export const VA_CEILING = 2 ** 52;

/** Fibonacci hashing multiplier (2^32 / golden ratio) of the area hashes. */
const HASH_MUL = 0x9e3779b1 | 0;
/** Initial buckets of each area hash (log2). */
const HASH_BITS0 = 10;
/** Busy areas a free walks past, looking for its free neighbours, before it descends. */
const WALK_LIMIT = 8;

/**
 * Bucket of address `x` in a table of 2^(32 - shift) buckets: the low 32 bits of its page
 * number, Fibonacci-hashed. (A hash may truncate; the chains compare whole addresses.)
 */
function hashSlot(x: number, shift: number): number {
  return Math.imul((x / PAGE_SIZE) | 0, HASH_MUL) >>> shift;
}

/** Options of a {@link VaSpace}. */
export interface VaSpaceOptions {
  /** nr_vmap_nodes. @defaultValue 1 */
  readonly nodes?: number;
  /** Initial free range start. @defaultValue 1 (vmap_init_free_space) */
  readonly lo?: number;
  /** Initial free range end. @defaultValue {@link VA_CEILING} */
  readonly hi?: number;
  /** The range node pools serve ([VMALLOC_START, VMALLOC_END)). */
  readonly poolStart?: number;
  readonly poolEnd?: number;
  /** Areas to reserve room for. @defaultValue 1024 */
  readonly capacity?: number;
  /** Called on an overlapping insert, with the two ranges (the kernel's "vmalloc bug" WARN). */
  readonly onOverlap?: (s: number, e: number, os: number, oe: number) => void;
}

function ignoreOverlap(_s: number, _e: number, _os: number, _oe: number): void {}

/**
 * The address-space allocator of one machine (or of a benchmark).
 *
 * The free tree is the kernel's, node for node: every placement, rotation and colour is
 * the one mm/vmalloc.c makes. Around it, accelerators that never change a decision:
 *
 * - two hashes chained through the records' I_HASH slot: busy areas by va_start (answers
 *   __find_vmap_area for an area's own start without a descent) and free areas by va_end
 *   (finds the free areas a freed range touches);
 * - a placement hint from the last allocRange (the clipped free area's end): the busy area
 *   starting there is the new area's successor, so insertBusy needs no find_va_links;
 * - on free_vmap_area, the free neighbours from the free hash and a short walk of the busy
 *   list, instead of find_va_links in the free tree;
 * - the busy red-black tree is built from the (sorted) busy list the first time something
 *   needs it — a lookup by an interior address, find_vmap_area_exceed_addr, an insert
 *   that is neither hinted nor past the last busy area, a tree walk, or a reader of
 *   `roots` (the checker) — and maintained from then on. Until then the busy list and
 *   hash are the whole busy index; the busy tree's shape decides nothing (only the free
 *   tree's does).
 * - likewise each node's lazy tree: lazily freed areas in ascending order (the common
 *   case) only join the sorted lazy list; the tree is built from it when an area arrives
 *   out of order (find_va_links must place it and catch an overlap) or a reader of
 *   `roots` wants it, and dropped again by the purge that empties the list;
 * - on purge, the free area the previous (higher) lazy area went into as the next one's
 *   successor in the free list, checked, instead of find_va_links in the free tree;
 *
 * Every shortcut is checked against the sorted lists before it is trusted (the
 * predecessor must end at or before the area, the successor start at or after it, the
 * two adjacent on their list); if a check fails the kernel's descent runs. In a binary
 * search tree the leaf slot between two in-order neighbours is unique — the predecessor's
 * right link if it is empty, else the successor's left link — so linking there gives
 * exactly the tree find_va_links would have given, rotations and colours included.
 *
 * Calling convention of the hot paths: addresses (doubles above 2^31) are read from the
 * records, not passed between functions, which V8 would box on every call.
 */
export class VaSpace {
  readonly s: VaStore;
  /** Tree roots by slot: FREE, BUSY, LAZY0 + node, then the decay slot (internal). */
  readonly #roots: Int32Array;
  /** The public view of #roots: FREE, BUSY, LAZY0 + node. */
  readonly #rootsView: Int32Array;
  /** decay_va_pool_node's decay_root / decay_list, a slot after the lazy ones. */
  readonly #decay: number;
  /** List heads and tails, by the same slots as the trees. */
  readonly #head: Int32Array;
  readonly #tail: Int32Array;
  readonly nrNodes: number;
  /** Pools: (node * MAX_VA_SIZE_PAGES + class) → head, tail, length. */
  readonly #poolHead: Int32Array;
  readonly #poolTail: Int32Array;
  readonly poolLen: Int32Array;
  readonly #poolStart: number;
  readonly #poolEnd: number;
  /** vmap_lazy_nr: pages in the lazy trees. */
  lazyPages = 0;
  /** Debug: cross-check every search against a linear scan of the free list. */
  crossCheck = false;
  readonly #onOverlap: (s: number, e: number, os: number, oe: number) => void;
  // find_va_links results (no per-call objects)
  #linkParent = NIL;
  #linkRight = false;
  /** Whether the busy red-black tree exists (it is built on first need). */
  #busyTree = false;
  /** Per vmap node: whether its lazy red-black tree exists (built on first need). */
  readonly #lazyTree: Uint8Array;
  // busy areas by va_start: bucket heads, 32 - log2(buckets), entries
  #bHash: Int32Array;
  #bShift: number;
  #bCount = 0;
  // free areas by va_end: bucket heads, 32 - log2(buckets), entries
  #fHash: Int32Array;
  #fShift: number;
  #fCount = 0;
  // placement hint of the last allocRange: its address, the clipped free area's end and
  // that area's remembered busy successor (checked before use)
  #hintAddr = -1;
  #hintNext = -1;
  #hintSucc = NIL;

  constructor(options: VaSpaceOptions = {}) {
    this.nrNodes = options.nodes ?? 1;
    this.s = new VaStore(options.capacity ?? 1024);
    this.#decay = LAZY0 + this.nrNodes;
    this.#roots = new Int32Array(this.#decay + 1);
    this.#rootsView = this.#roots.subarray(0, this.#decay);
    this.#head = new Int32Array(this.#decay + 1);
    this.#lazyTree = new Uint8Array(this.nrNodes);
    this.#tail = new Int32Array(this.#decay + 1);
    const pools = this.nrNodes > 1 ? this.nrNodes * MAX_VA_SIZE_PAGES : 0;
    this.#poolHead = new Int32Array(pools);
    this.#poolTail = new Int32Array(pools);
    this.poolLen = new Int32Array(pools);
    this.#poolStart = options.poolStart ?? -1;
    this.#poolEnd = options.poolEnd ?? -1;
    this.#onOverlap = options.onOverlap ?? ignoreOverlap;
    this.#bHash = new Int32Array(1 << HASH_BITS0);
    this.#bShift = 32 - HASH_BITS0;
    this.#fHash = new Int32Array(1 << HASH_BITS0);
    this.#fShift = 32 - HASH_BITS0;
    const lo = options.lo ?? 1;
    const hi = options.hi ?? VA_CEILING;
    if (hi > lo) this.insertFreeRange(lo, hi);
  }

  /** Tree roots: FREE, BUSY, LAZY0 + node (reading them builds the busy and lazy trees). */
  get roots(): Int32Array {
    this.#buildTrees();
    return this.#rootsView;
  }

  /** Build every tree not built yet (the busy tree, the lazy trees). */
  // control-plane: the checker and tree walks
  #buildTrees(): void {
    if (!this.#busyTree) this.#buildBusyTree();
    for (let n = 0; n < this.nrNodes; n++) if (this.#lazyTree[n] === 0) this.#buildLazyTree(n);
  }

  // ── lists ────────────────────────────────────────────────────────────────────

  /** First area of list `t` (FREE 0, BUSY 1, lazy of node n: 2 + n), or NIL. */
  listFirst(t: number): number {
    return this.#head[t]!;
  }

  #listInsertAfter(i32: Int32Array, t: number, va: number, after: number): void {
    const nx = after === NIL ? this.#head[t]! : i32[(after << 4) | I_NEXT]!;
    const b = va << 4;
    i32[b | I_PREV] = after;
    i32[b | I_NEXT] = nx;
    if (after === NIL) this.#head[t] = va;
    else i32[(after << 4) | I_NEXT] = va;
    if (nx === NIL) this.#tail[t] = va;
    else i32[(nx << 4) | I_PREV] = va;
  }

  #listDel(i32: Int32Array, t: number, va: number): void {
    const b = va << 4;
    const p = i32[b | I_PREV]!;
    const n = i32[b | I_NEXT]!;
    if (p === NIL) this.#head[t] = n;
    else i32[(p << 4) | I_NEXT] = n;
    if (n === NIL) this.#tail[t] = p;
    else i32[(n << 4) | I_PREV] = p;
    i32[b | I_PREV] = NIL;
    i32[b | I_NEXT] = NIL;
  }

  // ── the area hashes (keys read from the records) ─────────────────────────────

  /** The busy area whose va_start is exactly `x`, or NIL. */
  #busyAt(x: number): number {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    let n = this.#bHash[hashSlot(x, this.#bShift)]!;
    while (n !== NIL && f64[n << 3] !== x) n = i32[(n << 4) | I_HASH]!;
    return n;
  }

  /** The free area whose va_end is exactly `x`, or NIL. */
  #freeEndingAt(x: number): number {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    let n = this.#fHash[hashSlot(x, this.#fShift)]!;
    while (n !== NIL && f64[(n << 3) | F_END] !== x) n = i32[(n << 4) | I_HASH]!;
    return n;
  }

  /** Hash busy area `va` by its va_start. */
  #busyHashAdd(i32: Int32Array, f64: Float64Array, va: number): void {
    const h = hashSlot(f64[va << 3]!, this.#bShift);
    i32[(va << 4) | I_HASH] = this.#bHash[h]!;
    this.#bHash[h] = va;
    if (++this.#bCount > this.#bHash.length) this.#growBusyHash();
  }

  #growBusyHash(): void {
    this.#bHash = this.#rehash(BUSY, F_START, this.#bHash.length * 2);
    this.#bShift--;
  }

  /** Hash free area `va` by its va_end. */
  #freeHashAdd(i32: Int32Array, f64: Float64Array, va: number): void {
    const h = hashSlot(f64[(va << 3) | F_END]!, this.#fShift);
    i32[(va << 4) | I_HASH] = this.#fHash[h]!;
    this.#fHash[h] = va;
    if (++this.#fCount > this.#fHash.length) this.#growFreeHash();
  }

  #growFreeHash(): void {
    this.#fHash = this.#rehash(FREE, F_END, this.#fHash.length * 2);
    this.#fShift--;
  }

  #busyHashDel(i32: Int32Array, f64: Float64Array, va: number): void {
    if (chainDel(this.#bHash, hashSlot(f64[va << 3]!, this.#bShift), i32, va)) this.#bCount--;
  }

  /** Unhash free area `va` (under its current va_end: call before changing it). */
  #freeHashDel(i32: Int32Array, f64: Float64Array, va: number): void {
    const h = hashSlot(f64[(va << 3) | F_END]!, this.#fShift);
    if (chainDel(this.#fHash, h, i32, va)) this.#fCount--;
  }

  /** New buckets (a power of two) for the areas of list `t`, keyed by field `key`. */
  // control-plane: amortised growth of a hash
  #rehash(t: number, key: number, buckets: number): Int32Array {
    const table = new Int32Array(buckets);
    const shift = 32 - Math.log2(buckets);
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    for (let va = this.#head[t]!; va !== NIL; va = i32[(va << 4) | I_NEXT]!) {
      const h = hashSlot(f64[(va << 3) | key]!, shift);
      i32[(va << 4) | I_HASH] = table[h]!;
      table[h] = va;
    }
    return table;
  }

  // ── tree linking (find_va_links, __link_va, __unlink_va) ────────────────────

  /** find_va_links from the root of `t` (or from `from`): false on overlap (reported). */
  #findLinks(va: number, t: number, from: number): boolean {
    if (t === BUSY && !this.#busyTree) this.#buildBusyTree();
    else if (t >= LAZY0 && t < this.#decay && this.#lazyTree[t - LAZY0] === 0) {
      this.#buildLazyTree(t - LAZY0);
    }
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    let n = from === NIL ? this.#roots[t]! : from;
    const vs = f64[va << 3]!;
    const ve = f64[(va << 3) | F_END]!;
    let parent = NIL;
    let right = false;
    while (n !== NIL) {
      parent = n;
      const d = n << 3;
      if (ve <= f64[d]!) {
        right = false;
        n = i32[(n << 4) | I_LEFT]!;
      } else if (vs >= f64[d | F_END]!) {
        right = true;
        n = i32[(n << 4) | I_RIGHT]!;
      } else break;
    }
    if (n !== NIL) {
      this.#onOverlap(vs, ve, f64[n << 3]!, f64[(n << 3) | F_END]!);
      return false;
    }
    this.#linkParent = parent;
    this.#linkRight = right;
    return true;
  }

  /** __link_va: link `va` at the found place of tree/list `t` (FREE or a lazy tree). */
  #link(va: number, t: number, parent: number, right: boolean, aug: boolean): void {
    const s = this.s;
    const i32 = s.i32;
    const f64 = s.f64;
    // list position: after parent if we hang on its right, else before it
    const after = parent === NIL ? NIL : right ? parent : i32[(parent << 4) | I_PREV]!;
    rbLinkNode(i32, this.#roots, t, va, parent, right);
    // augmented: va's size enters its parent's slots before the rotations (which keep
    // them exact), so no augment_tree_propagate_from is needed after the link
    if (aug) augLinkLeaf(i32, f64, va);
    rbInsertColor(i32, f64, this.#roots, t, va, aug);
    this.#listInsertAfter(i32, t, va, after);
    if (t === FREE) this.#freeHashAdd(i32, f64, va);
  }

  /** __unlink_va from tree/list `t` (FREE or a lazy tree). */
  #unlink(va: number, t: number, aug: boolean): void {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    if (t === FREE) this.#freeHashDel(i32, f64, va);
    rbErase(i32, f64, this.#roots, t, va, aug);
    this.#listDel(i32, t, va);
  }

  /** insert_vmap_area_augment: add a free range without merging (boot). */
  insertFreeRange(start: number, end: number): number {
    const s = this.s;
    const va = s.alloc(start, end);
    if (!this.#findLinks(va, FREE, NIL)) {
      s.release(va);
      return NIL;
    }
    this.#link(va, FREE, this.#linkParent, this.#linkRight, true);
    setState(s.i32, va, ST_FREE);
    return va;
  }

  /**
   * __merge_or_add_vmap_area into tree `t` (the free tree augmented, a lazy tree plain):
   * merge `va` with the next and/or previous area when they touch, else link it.
   * @returns the area that now holds the range, or NIL on overlap (the range is dropped).
   */
  #mergeOrAdd(va: number, t: number, aug: boolean, state: number): number {
    if (!this.#findLinks(va, t, NIL)) return NIL;
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    const parent = this.#linkParent;
    const right = this.#linkRight;
    let next = NIL;
    let prev = NIL;
    if (parent !== NIL) {
      // get_va_next_sibling: the list entry that will follow va; the one before it
      next = right ? i32[(parent << 4) | I_NEXT]! : parent;
      const before =
        next !== NIL ? i32[(next << 4) | I_PREV]! : right ? parent : i32[(parent << 4) | I_PREV]!;
      if (next !== NIL && f64[next << 3] !== f64[(va << 3) | F_END]) next = NIL;
      if (before !== NIL && f64[(before << 3) | F_END] === f64[va << 3]) prev = before;
    }
    return this.#merge(va, t, aug, state, next, prev, parent, right);
  }

  /**
   * The second half of __merge_or_add_vmap_area, once `next` (the area starting at va_end,
   * or NIL) and `prev` (the area ending at va_start, or NIL) are known, with the link
   * place (`parent`, `right`) for when neither touches. The order of the kernel's steps is
   * kept: next takes va's start, is unlinked if prev merges too, then prev takes the end.
   */
  #merge(
    va: number,
    t: number,
    aug: boolean,
    state: number,
    next: number,
    prev: number,
    parent: number,
    right: boolean,
  ): number {
    const s = this.s;
    const f64 = s.f64;
    let merged = false;
    if (next !== NIL) {
      f64[next << 3] = f64[va << 3]!;
      s.release(va);
      va = next;
      merged = true;
    }
    if (prev !== NIL) {
      if (merged) this.#unlink(va, t, aug);
      if (t === FREE) this.#freeHashDel(s.i32, f64, prev);
      f64[(prev << 3) | F_END] = f64[(va << 3) | F_END]!;
      s.i32[(prev << 4) | I_SUCC] = s.i32[(va << 4) | I_SUCC]!; // prev now ends where va did
      if (t === FREE) this.#freeHashAdd(s.i32, f64, prev);
      s.release(va);
      va = prev;
      merged = true;
    }
    if (!merged) {
      this.#link(va, t, parent, right, aug);
      setState(s.i32, va, state);
    } else if (aug) propagateGrow(s.i32, f64, va);
    return va;
  }

  /**
   * merge_or_add_vmap_area_augment for a range that was busy until now, whose busy
   * successor was `bn`: find the free neighbours without find_va_links when the hashes
   * and the busy list can tell them for certain, else fall back to the descent.
   */
  #freeBusyRange(va: number, bp: number, bn: number): void {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    const vs = f64[va << 3]!;
    const ve = f64[(va << 3) | F_END]!;
    // the free area starting at ve: known when the busy successor starts right there
    // (then none) or the gap before it is one free area; -1 when unknown
    let next = -1;
    if (bn !== NIL) {
      const bs = f64[bn << 3]!;
      if (bs === ve) next = NIL;
      else {
        const c = this.#freeEndingAt(bs);
        if (c !== NIL && f64[c << 3] === ve) next = c;
      }
    } else {
      const tl = this.#tail[FREE]!;
      if (tl === NIL || f64[(tl << 3) | F_END]! <= vs) next = NIL;
      else if (f64[tl << 3] === ve) next = tl;
    }
    // the area that grew (and whose cached maxima go up), NIL while none
    let grown = NIL;
    if (next >= 0) {
      const s = this.s;
      // the free area ending at vs: none when the busy predecessor ends right there
      const prev = bp !== NIL && f64[(bp << 3) | F_END] === vs ? NIL : this.#freeEndingAt(vs);
      if (next !== NIL) {
        // the list predecessor of next must be prev, or (none ends at vs) end below vs
        const p = i32[(next << 4) | I_PREV]!;
        if (p === prev || (prev === NIL && (p === NIL || f64[(p << 3) | F_END]! < vs))) {
          // merge with next: it takes va's start
          f64[next << 3] = vs;
          s.release(va);
          grown = next;
          if (prev !== NIL) {
            // and with prev: next leaves the tree first, then prev takes its end
            this.#unlink(next, FREE, true);
            this.#freeHashDel(i32, f64, prev);
            f64[(prev << 3) | F_END] = f64[(next << 3) | F_END]!;
            this.#freeHashAdd(i32, f64, prev);
            i32[(prev << 4) | I_SUCC] = i32[(next << 4) | I_SUCC]!;
            s.release(next);
            grown = prev;
          }
        }
      } else if (prev !== NIL) {
        // the list successor of prev must start above ve (none starts at ve)
        const n = i32[(prev << 4) | I_NEXT]!;
        if (n === NIL || f64[n << 3]! > ve) {
          this.#freeHashDel(i32, f64, prev);
          f64[(prev << 3) | F_END] = ve;
          this.#freeHashAdd(i32, f64, prev);
          i32[(prev << 4) | I_SUCC] = bn;
          s.release(va);
          grown = prev;
        }
      } else if (this.#freeNeighbours(va, bn)) {
        this.#merge(va, FREE, true, ST_FREE, NIL, NIL, this.#linkParent, this.#linkRight);
        i32[(va << 4) | I_SUCC] = bn;
        return;
      }
    }
    if (grown !== NIL) propagateGrow(i32, f64, grown);
    else this.#mergeOrAdd(va, FREE, true, ST_FREE);
  }

  /**
   * The link place of `va` in the free tree when nothing free touches it, from the first
   * gap after it in the busy list (busy areas from `bn` on): the free area ending at that
   * gap's end is the successor if it lies in the gap and its list predecessor ends at or
   * below va_start. Sets #linkParent / #linkRight; false when it cannot tell.
   */
  #freeNeighbours(va: number, bn: number): boolean {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    const vs = f64[va << 3]!;
    let ye = f64[(va << 3) | F_END]!;
    let x = bn;
    let succ = -1;
    for (let k = 0; k < WALK_LIMIT; k++) {
      if (x === NIL) {
        // past the last busy area: the successor is the free tail if it lies beyond
        const tl = this.#tail[FREE]!;
        succ = tl !== NIL && f64[tl << 3]! >= ye ? tl : NIL;
        break;
      }
      const xs = f64[x << 3]!;
      if (xs !== ye) {
        const c = this.#freeEndingAt(xs);
        if (c !== NIL && f64[c << 3]! >= ye) succ = c;
        break;
      }
      ye = f64[(x << 3) | F_END]!;
      x = i32[(x << 4) | I_NEXT]!;
    }
    // nothing free may touch or overlap va: the successor starts above va_end, its list
    // predecessor ends below va_start
    if (succ < 0 || (succ !== NIL && f64[succ << 3]! <= f64[(va << 3) | F_END]!)) return false;
    const pred = succ !== NIL ? i32[(succ << 4) | I_PREV]! : this.#tail[FREE]!;
    if (pred !== NIL && f64[(pred << 3) | F_END]! >= vs) return false;
    if (pred !== NIL && i32[(pred << 4) | I_RIGHT] === NIL) {
      this.#linkParent = pred;
      this.#linkRight = true;
    } else {
      this.#linkParent = succ;
      this.#linkRight = false;
    }
    return true;
  }

  // ── the search (is_within_this_va, find_vmap_lowest_match) ──────────────────

  /** is_within_this_va. */
  #isWithin(va: number, size: number, align: number, vstart: number): boolean {
    const f64 = this.s.f64;
    const vs = f64[va << 3]!;
    const nva = Math.ceil((vs > vstart ? vs : vstart) / align) * align;
    if (nva < vstart) return false;
    return nva + size <= f64[(va << 3) | F_END]!;
  }

  /** find_vmap_lowest_match: the free area the kernel's search settles on, or NIL. */
  findLowestMatch(size: number, align: number, vstart: number, adjust: boolean): number {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    const sz = size + 0; // float64 from here on (the arguments may arrive boxed)
    const al = align + 0;
    let lo = vstart + 0;
    const length = adjust ? sz + al - 1 : sz;
    let node = this.#roots[FREE]!;
    // The descent from the root goes left at every node while the left subtree's max is
    // >= length and lo < va_start. When the leftmost area is itself >= length (so every
    // left subtree on the way holds a max >= length) and lo is below its parent's start
    // (the smallest va_start on the way), the descent ends at the leftmost area: start
    // there (vmalloc_init's [1, VMALLOC_START) makes this the common case).
    const first = this.#head[FREE]!;
    if (first !== NIL && length > 0) {
      const d = first << 3;
      const p = i32[(first << 4) | I_PC]! >> 1;
      if (f64[d | F_END]! - f64[d]! >= length && (p === NIL || lo < f64[p << 3]!)) node = first;
    }
    // The children's subtree_max_size are in the node's own record (F_LMAX, F_RMAX), so a
    // step reads one record.
    for (;;) {
      // descend: left while it can serve, else this node, else right
      for (;;) {
        if (node === NIL) return NIL;
        const b = node << 4;
        const d = node << 3;
        const vs = f64[d]!;
        if (f64[d | F_LMAX]! >= length && lo < vs) {
          node = i32[b | I_LEFT]!;
          continue;
        }
        const nva = Math.ceil((vs > lo ? vs : lo) / al) * al;
        if (nva >= lo && nva + sz <= f64[d | F_END]!) return node;
        if (f64[d | F_RMAX]! < length) break;
        node = i32[b | I_RIGHT]!;
      }
      // roll back towards the root for the first right subtree that can serve
      for (;;) {
        node = i32[(node << 4) | I_PC]! >> 1;
        if (node === NIL) return NIL;
        const d = node << 3;
        const vs = f64[d]!;
        const nva = Math.ceil((vs > lo ? vs : lo) / al) * al;
        if (nva >= lo && nva + sz <= f64[d | F_END]!) return node;
        if (f64[d | F_RMAX]! >= length && lo <= vs) {
          lo = vs + 1;
          node = i32[(node << 4) | I_RIGHT]!;
          break;
        }
      }
    }
  }

  /** find_vmap_lowest_linear_match: the same question by a walk of the free list. */
  findLowestLinear(size: number, align: number, vstart: number): number {
    const i32 = this.s.i32;
    for (let va = this.#head[FREE]!; va !== NIL; va = i32[(va << 4) | I_NEXT]!)
      if (this.#isWithin(va, size, align, vstart)) return va;
    return NIL;
  }

  /**
   * __alloc_vmap_area: carve [nva, nva + size) out of the free tree.
   * @returns the start address, or -1 when nothing fits in [vstart, vend).
   */
  allocRange(size: number, align: number, vstart: number, vend: number): number {
    const adjust = !(align <= PAGE_SIZE || vend - vstart === size);
    const va = this.findLowestMatch(size, align, vstart, adjust);
    if (this.crossCheck) this.#checkLowest(va, size, align, vstart, adjust);
    if (va === NIL) return -1;
    const s = this.s;
    const f64 = s.f64;
    const d = va << 3;
    const vs = f64[d]!;
    const ve = f64[d | F_END]!;
    const nva = Math.ceil((vs > vstart ? vs : vstart) / align) * align;
    if (nva + size > vend) return -1;
    this.#hintAddr = nva;
    this.#hintNext = ve;
    this.#hintSucc = s.i32[(va << 4) | I_SUCC]!;
    this.#clip(va, nva - vs, size);
    return nva;
  }

  /**
   * va_clip (classify_va_fit_type): take [va_start + off, + size) out of free area `va`. The
   * area keeps its place in the tree unless the request takes all of it (FL); for NE the
   * left remainder becomes a new area, linked after the area's own values are updated,
   * as the kernel does. One call site per step, so that V8 inlines the common ones.
   */
  #clip(va: number, off: number, size: number): void {
    const s = this.s;
    const vs = s.f64[va << 3]!;
    const ve = s.f64[(va << 3) | F_END]!;
    const nva = vs + off;
    const ne = nva + size;
    let lva = NIL;
    if (vs === nva) {
      if (ve === ne) {
        this.#clipAll(va); // FL_FIT
        return;
      }
      s.f64[va << 3] = ne; // LE_FIT
    } else if (ve === ne) {
      const i32 = s.i32; // RE_FIT
      this.#freeHashDel(i32, s.f64, va);
      s.f64[(va << 3) | F_END] = nva;
      this.#freeHashAdd(i32, s.f64, va);
    } else {
      lva = s.alloc(vs, nva); // NE_FIT (may grow the store: the views are read after it)
      s.f64[va << 3] = ne;
    }
    propagateShrink(s.i32, s.f64, va, ve - vs);
    if (lva !== NIL) this.#linkRemainder(lva, va);
  }

  /** va_clip's NE_FIT, second half: link the left remainder `lva` below `va`. */
  #linkRemainder(lva: number, va: number): void {
    const s = this.s;
    if (this.#findLinks(lva, FREE, va)) {
      this.#link(lva, FREE, this.#linkParent, this.#linkRight, true);
      setState(s.i32, lva, ST_FREE);
    } else s.release(lva);
  }

  /**
   * va_clip on a given free area (pcpu_get_vm_areas carves its areas this way): take
   * [nva, nva + size) out of free area `va`. @returns false, changing nothing, when `va`
   * is not a free area or the range is not inside it (NOTHING_FIT, the kernel's -EINVAL).
   */
  clipFree(va: number, nva: number, size: number): boolean {
    const s = this.s;
    if (va === NIL || stateAt(s.i32, va) !== ST_FREE) return false;
    const f64 = s.f64;
    const d = va << 3;
    const vs = f64[d]!;
    const ve = f64[d | F_END]!;
    const ne = nva + size;
    if (nva < vs || ne > ve) return false;
    this.#hintAddr = nva;
    this.#hintNext = ve;
    this.#hintSucc = s.i32[(va << 4) | I_SUCC]!;
    this.#clip(va, nva - vs, size);
    return true;
  }

  /** va_clip's FL_FIT: the free area goes away whole. */
  #clipAll(va: number): void {
    this.#unlink(va, FREE, true);
    this.s.release(va);
  }

  #checkLowest(va: number, size: number, align: number, vstart: number, adjust: boolean): void {
    if (adjust) return; // the kernel's adjusted search is shape-dependent by design
    const lin = this.findLowestLinear(size, align, vstart);
    if (lin !== va)
      throw new Error(
        `vmap search not lowest: tree ${va} linear ${lin} for size ${size} align ${align}`,
      );
  }

  // ── busy areas ───────────────────────────────────────────────────────────────

  /**
   * alloc_vmap_area's success half: a busy area [addr, addr + size) with `flags` (va->flags,
   * below FLAGS_LIMIT of va-store.ts).
   * @returns its index, or NIL if it overlaps a busy area (reported).
   */
  insertBusy(addr: number, size: number, flags: number): number {
    const s = this.s;
    let succ = -1;
    if (addr !== this.#hintAddr) {
      // no hint: past the last busy area (vmalloc_init's address-sorted early areas), the
      // busy successor is "none" (NIL), which #linkBusy checks against the tail
      const tl = this.#tail[BUSY]!;
      if (tl === NIL || s.f64[(tl << 3) | F_END]! <= addr) succ = NIL;
    } else {
      this.#hintAddr = -1;
      // the busy area starting at the clipped free area's end: the one it remembered, if
      // that is still busy and starts there, else the hash's answer
      succ = this.#hintSucc;
      if (succ === NIL || stateAt(s.i32, succ) !== ST_BUSY || s.f64[succ << 3] !== this.#hintNext)
        succ = this.#busyAt(this.#hintNext);
      if (!this.#busyTree) {
        // the successor (or, none starting there, the tail) and its list predecessor
        // must bracket [addr, addr + size); then the busy list and hash are all to update
        const i32 = s.i32;
        const f64 = s.f64;
        const pred = succ !== NIL ? i32[(succ << 4) | I_PREV]! : this.#tail[BUSY]!;
        if (
          (succ === NIL || f64[succ << 3]! >= addr + size) &&
          (pred === NIL || f64[(pred << 3) | F_END]! <= addr)
        ) {
          const va = s.alloc(addr, addr + size);
          const j32 = s.i32; // alloc may have grown the store
          const b = va << 4;
          j32[b | I_STATE] = (flags << STATE_BITS) | ST_BUSY;
          j32[b | I_PREV] = pred;
          j32[b | I_NEXT] = succ;
          if (pred === NIL) this.#head[BUSY] = va;
          else j32[(pred << 4) | I_NEXT] = va;
          if (succ === NIL) this.#tail[BUSY] = va;
          else j32[(succ << 4) | I_PREV] = va;
          this.#busyHashAdd(j32, s.f64, va);
          return va;
        }
      }
    }
    const va = s.alloc(addr, addr + size);
    s.i32[(va << 4) | I_STATE] = (flags << STATE_BITS) | ST_DETACHED;
    return this.#linkBusy(va, succ);
  }

  /**
   * Link the detached area `va` as busy. `succ` is a guess at its in-order successor (NIL:
   * none, va goes after the busy tail), or -1 for no guess. The guess is checked against
   * the busy list — the successor must start at or after va_end and its list predecessor
   * end at or before va_start — and if it does not hold, find_va_links decides (building
   * the busy tree first if it does not exist yet). @returns va, or NIL on overlap
   * (reported, va released).
   */
  #linkBusy(va: number, succ: number): number {
    const s = this.s;
    const i32 = s.i32;
    const f64 = s.f64;
    let after = -1;
    if (succ >= 0) {
      // the successor, or (none starting there) the tail, and its list predecessor must
      // bracket [va_start, va_end)
      const pred = succ !== NIL ? i32[(succ << 4) | I_PREV]! : this.#tail[BUSY]!;
      if (
        (succ === NIL || f64[succ << 3]! >= f64[(va << 3) | F_END]!) &&
        (pred === NIL || f64[(pred << 3) | F_END]! <= f64[va << 3]!)
      ) {
        after = pred;
        if (this.#busyTree) {
          // the unique empty slot between pred and succ
          if (pred !== NIL && i32[(pred << 4) | I_RIGHT] === NIL) {
            rbLinkNode(i32, this.#roots, BUSY, va, pred, true);
          } else rbLinkNode(i32, this.#roots, BUSY, va, succ, false);
          rbInsertColor(i32, f64, this.#roots, BUSY, va, false);
        }
      }
    }
    if (after < 0) {
      if (!this.#findLinks(va, BUSY, NIL)) {
        s.release(va);
        return NIL;
      }
      const parent = this.#linkParent;
      const right = this.#linkRight;
      after = parent === NIL ? NIL : right ? parent : i32[(parent << 4) | I_PREV]!;
      rbLinkNode(i32, this.#roots, BUSY, va, parent, right);
      rbInsertColor(i32, f64, this.#roots, BUSY, va, false);
    }
    this.#listInsertAfter(i32, BUSY, va, after);
    setState(i32, va, ST_BUSY);
    this.#busyHashAdd(i32, f64, va);
    return va;
  }

  // control-plane: once per VaSpace, on the first need of the busy tree
  #buildBusyTree(): void {
    this.#busyTree = true;
    this.#buildTree(BUSY);
  }

  /**
   * Build the lazy red-black tree of `node` from its sorted lazy list. Like the busy tree's,
   * its shape decides nothing (purge walks the list; an insert only needs the neighbours):
   * ascending frees append to the list alone until something needs the tree.
   */
  // control-plane: an out-of-order lazy free, or the checker, once per purge period at most
  #buildLazyTree(node: number): void {
    this.#lazyTree[node] = 1;
    this.#buildTree(LAZY0 + node);
  }

  /**
   * Build the red-black tree of slot `t` from its sorted list: balanced, every level black
   * but an incomplete last one, which is red (equal black heights, red nodes with black
   * parents). Maintained incrementally from then on.
   */
  #buildTree(t: number): void {
    const i32 = this.s.i32;
    let n = 0;
    for (let va = this.#head[t]!; va !== NIL; va = i32[(va << 4) | I_NEXT]!) n++;
    let levels = 0; // levels of a tree of n nodes built by halving: ceil(log2(n + 1))
    while (2 ** levels - 1 < n) levels++;
    // a perfect tree (n = 2^levels - 1) is all black; otherwise the last level is red
    const redDepth = 2 ** levels - 1 === n ? -1 : levels - 1;
    this.#buildCursor = this.#head[t]!;
    this.#roots[t] = this.#buildSubtree(i32, n, NIL, 0, redDepth);
  }

  #buildCursor = NIL;

  /** The next `n` areas of a list (from #buildCursor) as a subtree at `depth`. */
  #buildSubtree(i32: Int32Array, n: number, parent: number, depth: number, red: number): number {
    if (n === 0) return NIL;
    const nl = (n - 1) >> 1;
    const left = this.#buildSubtree(i32, nl, NIL, depth + 1, red);
    const va = this.#buildCursor;
    this.#buildCursor = i32[(va << 4) | I_NEXT]!;
    const right = this.#buildSubtree(i32, n - 1 - nl, va, depth + 1, red);
    const b = va << 4;
    i32[b | I_LEFT] = left;
    i32[b | I_RIGHT] = right;
    i32[b | I_PC] = (parent << 1) | (depth === red && depth > 0 ? RB_RED : RB_BLACK);
    if (left !== NIL) i32[(left << 4) | I_PC] = (va << 1) | (i32[(left << 4) | I_PC]! & 1);
    return va;
  }

  /** __find_vmap_area: the busy area containing `addr`, or NIL. */
  findBusy(addr: number): number {
    const f64 = this.s.f64;
    const h = this.#busyAt(addr);
    if (h !== NIL && f64[(h << 3) | F_END]! > addr) return h;
    return this.#findBusyInterior(addr);
  }

  /** __find_vmap_area by the busy tree (an interior address, or none). */
  #findBusyInterior(addr: number): number {
    if (!this.#busyTree) this.#buildBusyTree();
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    let n = this.#roots[BUSY]!;
    while (n !== NIL) {
      if (addr < f64[n << 3]!) n = i32[(n << 4) | I_LEFT]!;
      else if (addr >= f64[(n << 3) | F_END]!) n = i32[(n << 4) | I_RIGHT]!;
      else return n;
    }
    return NIL;
  }

  /** find_vmap_area_exceed_addr: the lowest busy area with va_end > addr, or NIL. */
  findBusyEndingAfter(addr: number): number {
    if (!this.#busyTree) this.#buildBusyTree();
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    let n = this.#roots[BUSY]!;
    let found = NIL;
    while (n !== NIL) {
      if (f64[(n << 3) | F_END]! > addr) {
        found = n;
        if (f64[n << 3]! <= addr) break;
        n = i32[(n << 4) | I_LEFT]!;
      } else n = i32[(n << 4) | I_RIGHT]!;
    }
    return found;
  }

  /** The busy area after `va` in address order, or NIL. */
  busyNext(va: number): number {
    return this.s.i32[(va << 4) | I_NEXT]!;
  }

  /** The lowest busy area, or NIL. */
  busyFirst(): number {
    return this.#head[BUSY]!;
  }

  /** Take a busy area out of the busy tree (it is then detached). */
  unlinkBusy(va: number): void {
    const i32 = this.s.i32;
    const f64 = this.s.f64;
    this.#busyHashDel(i32, f64, va);
    if (this.#busyTree) rbErase(i32, f64, this.#roots, BUSY, va, false);
    i32[(va << 4) | I_SUCC] = i32[(va << 4) | I_NEXT]!;
    this.#listDel(i32, BUSY, va);
    setState(i32, va, ST_DETACHED);
  }

  /** free_vmap_area's second half: merge a detached area into the free tree. */
  freeDetached(va: number): void {
    this.#mergeOrAdd(va, FREE, true, ST_FREE);
  }

  /** free_vmap_area: unlink from busy and merge into the free tree at once. */
  freeNow(va: number): void {
    const i32 = this.s.i32;
    if (stateAt(i32, va) !== ST_BUSY) {
      // not on the busy list: no neighbours to go by
      this.unlinkBusy(va);
      this.#mergeOrAdd(va, FREE, true, ST_FREE);
      return;
    }
    const bp = i32[(va << 4) | I_PREV]!;
    const bn = i32[(va << 4) | I_NEXT]!;
    this.unlinkBusy(va);
    this.#freeBusyRange(va, bp, bn);
  }

  // ── vmap nodes, lazy areas, pools ────────────────────────────────────────────

  /** addr_to_node_id. */
  addrToNode(addr: number): number {
    const z = Math.floor(addr / VMAP_ZONE_SIZE);
    return z - Math.floor(z / this.nrNodes) * this.nrNodes;
  }

  /** encode_vn_id: the flags bits that tie an area to vmap node `node`. */
  static encodeNode(node: number): number {
    return (node + 1) << 8;
  }

  /** decode_vn_id: the node an area is tied to, or -1. */
  decodeNode(flags: number): number {
    const id = (flags >>> 8) - 1;
    return id >= 0 && id < this.nrNodes ? id : -1;
  }

  /**
   * free_vmap_area_noflush's bookkeeping: put a detached area on the lazy tree of its node
   * (insert_vmap_area: touching lazy areas stay separate). @returns the new vmap_lazy_nr.
   */
  addLazy(va: number): number {
    const s = this.s;
    const d = va << 3;
    const pages = (s.f64[d | F_END]! - s.f64[d]!) / PAGE_SIZE;
    this.lazyPages += pages;
    const id = this.decodeNode(flagsAt(s.i32, va));
    const node = id >= 0 ? id : this.addrToNode(s.f64[d]!);
    // insert_vmap_area: linked as it is, never merged (each VA keeps its size class and
    // node id for the pools); on an overlap it is reported and left out
    const t = LAZY0 + node;
    // Ascending frees (the common case) hang below the list tail, the tree's maximum: the
    // one empty slot find_va_links would reach, found without the descent.
    // Until the tree is needed (#buildLazyTree) the list alone takes them.
    const tail = this.#tail[t]!;
    if (tail === NIL || s.f64[d]! >= s.f64[(tail << 3) | F_END]!) {
      if (this.#lazyTree[node] !== 0) this.#link(va, t, tail, true, false);
      else this.#listInsertAfter(s.i32, t, va, tail);
      setState(s.i32, va, ST_LAZY);
    } else if (this.#findLinks(va, t, NIL)) {
      this.#link(va, t, this.#linkParent, this.#linkRight, false);
      setState(s.i32, va, ST_LAZY);
    }
    return this.lazyPages;
  }

  /** The first lazy area of node `node` (address order), or NIL. */
  lazyFirst(node: number): number {
    return this.#head[LAZY0 + node]!;
  }

  /** node_alloc's pool half: true when pools serve requests for [vstart, vend). */
  poolsServe(vstart: number, vend: number): boolean {
    return this.nrNodes > 1 && vstart === this.#poolStart && vend === this.#poolEnd;
  }

  /**
   * node_pool_del_va: reuse the first pooled area of `size` on `node` if it is aligned;
   * a misaligned one is rotated to the tail. @returns its start address, or -1.
   */
  poolTake(node: number, size: number, align: number): number {
    const idx = Math.floor((size - 1) / PAGE_SIZE); // size_to_va_pool
    if (!(idx >= 0 && idx < MAX_VA_SIZE_PAGES)) return -1;
    const p = node * MAX_VA_SIZE_PAGES + idx;
    const va = this.#poolHead[p]!;
    if (va === NIL) return -1;
    const s = this.s;
    const start = s.f64[va << 3]!;
    if (start - Math.floor(start / align) * align !== 0) {
      if (this.#poolTail[p] !== va) {
        this.#poolDel(p, va);
        this.#poolAppend(p, va);
      }
      return -1;
    }
    if (s.f64[(va << 3) | F_END]! - start !== size) return -1; // the kernel's WARN_ON_ONCE sanity check
    this.#poolDel(p, va);
    this.poolLen[p]!--;
    s.release(va);
    return start;
  }

  #poolDel(p: number, va: number): void {
    const i32 = this.s.i32;
    const b = va << 4;
    const pr = i32[b | I_PREV]!;
    const nx = i32[b | I_NEXT]!;
    if (pr === NIL) this.#poolHead[p] = nx;
    else i32[(pr << 4) | I_NEXT] = nx;
    if (nx === NIL) this.#poolTail[p] = pr;
    else i32[(nx << 4) | I_PREV] = pr;
    i32[b | I_PREV] = NIL;
    i32[b | I_NEXT] = NIL;
  }

  #poolAppend(p: number, va: number): void {
    const i32 = this.s.i32;
    const t = this.#poolTail[p]!;
    i32[(va << 4) | I_PREV] = t;
    i32[(va << 4) | I_NEXT] = NIL;
    if (t === NIL) this.#poolHead[p] = va;
    else i32[(t << 4) | I_NEXT] = va;
    this.#poolTail[p] = va;
  }

  #poolPush(p: number, va: number): void {
    const i32 = this.s.i32;
    const h = this.#poolHead[p]!;
    i32[(va << 4) | I_PREV] = NIL;
    i32[(va << 4) | I_NEXT] = h;
    if (h === NIL) this.#poolTail[p] = va;
    else i32[(h << 4) | I_PREV] = va;
    this.#poolHead[p] = va;
    this.poolLen[p]!++;
    setState(i32, va, ST_POOLED);
  }

  /**
   * decay_va_pool_node: take ~25% (or all) of each pool of `node`, most recently pooled
   * first, onto one decay tree and list (merge_or_add_vmap_area, so touching VAs merge),
   * then return them to the free tree in address order (reclaim_list_global).
   */
  #decayPools(node: number, full: boolean): void {
    const s = this.s;
    const t = this.#decay;
    for (let c = 0; c < MAX_VA_SIZE_PAGES; c++) {
      const p = node * MAX_VA_SIZE_PAGES + c;
      if (this.#poolHead[p] === NIL) continue;
      let n = this.poolLen[p]!;
      if (!full) n >>= 2;
      for (let i = 0; i < n; i++) {
        const va = this.#poolHead[p]!;
        this.#poolDel(p, va);
        this.poolLen[p]!--;
        setState(s.i32, va, ST_DETACHED);
        this.#mergeOrAdd(va, t, false, ST_DETACHED);
      }
    }
    let va = this.#head[t]!;
    this.#head[t] = NIL;
    this.#tail[t] = NIL;
    this.#roots[t] = NIL;
    while (va !== NIL) {
      const i32 = s.i32;
      const b = va << 4;
      const nx = i32[b | I_NEXT]!;
      i32[b | I_LEFT] = NIL;
      i32[b | I_RIGHT] = NIL;
      i32[b | I_PC] = NIL; // and RB_RED
      i32[b | I_NEXT] = NIL;
      i32[b | I_PREV] = NIL;
      setState(i32, va, ST_DETACHED);
      this.#mergeOrAdd(va, FREE, true, ST_FREE);
      va = nx;
    }
  }

  /**
   * __purge_vmap_area_lazy: decay the pools, take every node's lazy list, flush the TLBs
   * once over the union of [start, end) and the purged ranges, then send each area to its
   * node's pool (when it carries a node id and pools are populated) or back to the free
   * tree. @returns whether any area was purged.
   */
  purge(
    start: number,
    end: number,
    fullDecay: boolean,
    flush: (s: number, e: number) => void,
  ): boolean {
    const s = this.s;
    let any = false;
    for (let n = 0; n < this.nrNodes; n++) {
      if (this.nrNodes > 1) this.#decayPools(n, fullDecay);
      const h = this.#head[LAZY0 + n]!;
      if (h === NIL) continue;
      any = true;
      const hs = s.f64[h << 3]!;
      if (hs < start) start = hs;
      const tl = this.#tail[LAZY0 + n]!;
      const te = s.f64[(tl << 3) | F_END]!;
      if (te > end) end = te;
    }
    if (!any) return false;
    flush(start, end);
    for (let n = 0; n < this.nrNodes; n++) this.#purgeNode(n, fullDecay);
    return true;
  }

  /** purge_vmap_node + reclaim_list_global for one node's lazy list. */
  #purgeNode(node: number, skipPopulate: boolean): void {
    const s = this.s;
    const t = LAZY0 + node;
    let va = this.#head[t]!;
    this.#head[t] = NIL;
    this.#tail[t] = NIL;
    this.#roots[t] = NIL;
    this.#lazyTree[node] = 0;
    let reversed = NIL; // local_list, built by list_add
    while (va !== NIL) {
      const i32 = s.i32;
      const f64 = s.f64;
      const b = va << 4;
      const nx = i32[b | I_NEXT]!;
      const size = f64[(va << 3) | F_END]! - f64[va << 3]!;
      this.lazyPages -= size / PAGE_SIZE;
      i32[b | I_LEFT] = NIL;
      i32[b | I_RIGHT] = NIL;
      i32[b | I_PC] = NIL; // and RB_RED
      const id = this.decodeNode(flagsAt(s.i32, va));
      if (id >= 0 && !skipPopulate && this.nrNodes > 1 && size <= MAX_VA_SIZE_PAGES * PAGE_SIZE) {
        this.#poolPush(node * MAX_VA_SIZE_PAGES + Math.floor((size - 1) / PAGE_SIZE), va);
      } else {
        i32[b | I_NEXT] = reversed;
        reversed = va;
      }
      va = nx;
    }
    // local_list runs in descending address order, so the free area the previous step
    // merged into (or linked) is the next one's in-order successor unless a free area lies
    // between them: #mergeAbove checks that and falls back to find_va_links.
    let above = NIL;
    while (reversed !== NIL) {
      const v = reversed;
      const i32 = s.i32;
      reversed = i32[(v << 4) | I_NEXT]!;
      i32[(v << 4) | I_NEXT] = NIL;
      i32[(v << 4) | I_PREV] = NIL;
      setState(i32, v, ST_DETACHED);
      above = this.#mergeAbove(v, above);
    }
  }

  /**
   * merge_or_add_vmap_area_augment of the detached area `va` into the free tree, given
   * `succ`, a free area (or NIL) that may be its in-order successor. When `succ` starts at
   * or above va_end and its list predecessor ends at or below va_start, the two are va's
   * neighbours in the free list, which is all the kernel's step needs: the areas it merges
   * with, and the link place (the unique empty slot between two in-order neighbours — the
   * predecessor's right link if empty, else the successor's left). Otherwise, or with no
   * guess, find_va_links decides. @returns the area that now holds the range, or NIL.
   */
  #mergeAbove(va: number, succ: number): number {
    if (succ !== NIL) {
      const i32 = this.s.i32;
      const f64 = this.s.f64;
      const vs = f64[va << 3]!;
      const ve = f64[(va << 3) | F_END]!;
      const ss = f64[succ << 3]!;
      const pred = i32[(succ << 4) | I_PREV]!;
      if (
        stateAt(i32, succ) === ST_FREE &&
        ss >= ve &&
        (pred === NIL || f64[(pred << 3) | F_END]! <= vs)
      ) {
        const next = ss === ve ? succ : NIL;
        const prev = pred !== NIL && f64[(pred << 3) | F_END] === vs ? pred : NIL;
        const right = pred !== NIL && i32[(pred << 4) | I_RIGHT] === NIL;
        return this.#merge(va, FREE, true, ST_FREE, next, prev, right ? pred : succ, right);
      }
    }
    return this.#mergeOrAdd(va, FREE, true, ST_FREE);
  }

  /** Pages held in node pools (ready for reuse, not in the free tree). */
  pooledAreas(): number {
    let n = 0;
    for (let i = 0; i < this.poolLen.length; i++) n += this.poolLen[i]!;
    return n;
  }

  /** The pooled areas of `node` and size class `c` (for reports and checks). */
  poolFirst(node: number, c: number): number {
    return this.nrNodes > 1 ? this.#poolHead[node * MAX_VA_SIZE_PAGES + c]! : NIL;
  }

  /** First area of the free list (address order). */
  freeFirst(): number {
    return this.#head[FREE]!;
  }

  /** Walk helper: the area after `va` in whatever list it is on. */
  next(va: number): number {
    return this.s.i32[(va << 4) | I_NEXT]!;
  }

  /** The lowest area of tree `t` by the tree itself (for the checker). */
  treeFirst(t: number): number {
    return rbFirst(this.s.i32, this.roots, t);
  }

  /** The in-order successor in a tree (for the checker). */
  treeNext(va: number): number {
    this.#buildTrees();
    return rbNext(this.s.i32, va);
  }
}

/** Remove `va` from the chain of bucket `h`; false if it was not there. */
function chainDel(table: Int32Array, h: number, i32: Int32Array, va: number): boolean {
  const nx = i32[(va << 4) | I_HASH]!;
  let n = table[h]!;
  if (n === va) {
    table[h] = nx;
    return true;
  }
  while (n !== NIL) {
    const m = i32[(n << 4) | I_HASH]!;
    if (m === va) {
      i32[(n << 4) | I_HASH] = nx;
      return true;
    }
    n = m;
  }
  return false;
}

export { FREE as FREE_TREE, BUSY as BUSY_TREE, LAZY0 as LAZY_TREE0 };
