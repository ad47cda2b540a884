// SPDX-License-Identifier: GPL-2.0-only
/*
 * VaStore: every struct vmap_area of one address space, one 64-byte record per area in a
 * single ArrayBuffer, with the red-black tree links (rb_node) and the list links
 * (list_head) each area carries in the kernel.
 *
 * Kernel: mm/vmalloc.c struct vmap_area { va_start, va_end, rb_node, list,
 * subtree_max_size | vm, flags } and its kmem_cache (vmap_area_cachep).
 *
 * An area is an int32 index; index 0 is NIL (the kernel's NULL), an all-zero record, so a
 * zero-filled link is "no node" and the subtree_max_size of NIL is 0 without a branch.
 * Record n is array-of-structs, so that one node visit touches one record:
 *
 *   f64[n * 8 + 0..2]    va_start, va_end, subtree_max_size          (bytes 0..23)
 *   i32[n * 16 + 6..13]  left, right, parent, colour, next, prev,    (bytes 24..55)
 *                        flags, state
 *   i32[n * 16 + 14]     link of the area hash chains (va-space.ts), or of the free
 *                        stack while the record is unused
 *   i32[n * 16 + 15]     a hint kept by va-space.ts (a free area's busy successor)
 *
 * Released records form a LIFO free stack threaded through slot 14; the buffer doubles
 * when it runs dry (amortised, counted growth), which replaces `f64` and `i32` — hot code
 * reloads them after every alloc(). No operation allocates otherwise.
 *
 * Addresses are doubles holding exact integers below 2^53 (never 32-bit bitwise ops).
 */

/** The kernel's NULL for a vmap_area index. */
export const NIL = 0;

/** Colours of lib/rbtree.c (RB_RED 0, RB_BLACK 1). */
export const RB_RED = 0;
export const RB_BLACK = 1;

/** Where an area currently lives (kmem bookkeeping, checked by the invariant checker). */
export const VaState = {
  unused: 0,
  free: 1,
  busy: 2,
  lazy: 3,
  pooled: 4,
  /** Allocated from the store but linked nowhere (in flight, or leaked by the kernel rules). */
  detached: 5,
} as const;
export type VaStateTag = (typeof VaState)[keyof typeof VaState];

// Record layout: doubles at (n << 3) | F_*, int32s at (n << 4) | I_* (the low bits of a
// shifted index are zero, so `|` adds without an overflow check). Module-local and
// not exported: V8 reads an exported binding through its module cell, with a hole check,
// on every use; va-space.ts and rbtree.ts keep their own copies.
/** va_start. */
const F_START = 0;
/** va_end (exclusive). */
const F_END = 1;
/** subtree_max_size (free tree). */
const F_MAX = 2;
const I_LEFT = 6;
const I_RIGHT = 7;
const I_PARENT = 8;
const I_COLOR = 9;
const I_NEXT = 10;
const I_PREV = 11;
const I_FLAGS = 12;
const I_STATE = 13;
/** Hash chain link (busy and free areas), or free-stack link (unused records). */
const I_HASH = 14;
/** A hint slot for va-space.ts (a free area's busy successor, checked before use). */
const I_HINT = 15;
/**
 * The record layout, for the modules that copy it (va-space.ts and rbtree.ts check their
 * copies against it when they load).
 */
export const RECORD_LAYOUT = {
  F_START,
  F_END,
  F_MAX,
  I_LEFT,
  I_RIGHT,
  I_PARENT,
  I_COLOR,
  I_NEXT,
  I_PREV,
  I_FLAGS,
  I_STATE,
  I_HASH,
  I_HINT,
} as const;

/** Throw unless `copy` agrees with {@link RECORD_LAYOUT} and the exported constants. */
export function checkLayoutCopy(copy: Readonly<Record<string, number>>): void {
  const ref: Readonly<Record<string, number>> = {
    ...RECORD_LAYOUT, // control-plane: once per module load
    NIL,
    RB_RED,
    RB_BLACK,
    ST_FREE: VaState.free,
    ST_BUSY: VaState.busy,
    ST_LAZY: VaState.lazy,
    ST_POOLED: VaState.pooled,
    ST_DETACHED: VaState.detached,
  };
  for (const k of Object.keys(copy)) {
    if (ref[k] !== copy[k])
      throw new Error(`vmalloc: stale copy of ${k} (${copy[k]}, expected ${ref[k]})`);
  }
}

// Module-local copies of the exported constants, for the same reason.
const NIL_ = 0;
const ST_UNUSED = 0;
const ST_DETACHED = 5;

const RECORD_BYTES = 64;

/** The areas of one address space. */
export class VaStore {
  /** Doubles of the records (va_start, va_end, subtree_max_size); replaced on growth. */
  f64: Float64Array;
  /** Int32s of the records (links, colour, flags, state); replaced on growth. */
  i32: Int32Array;
  /** va->vm: the vm_struct (or vmap block) object bound to a busy area, by index. */
  readonly vm: unknown[] = [NIL_];
  /** Top of the free stack (a released or never used index), NIL when empty. */
  #freeTop = NIL_;
  #capacity: number;
  /** Areas handed out and not yet released. */
  live = 0;
  /** Times the buffer doubled. */
  growths = 0;

  constructor(capacity = 1024) {
    this.#capacity = Math.max(16, capacity);
    const n = this.#capacity;
    const buf = new ArrayBuffer(n * RECORD_BYTES);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.#thread(1, n);
    for (let i = 1; i < n; i++) this.vm.push(null); // control-plane: sized once per growth
  }

  /** Put the fresh records [from, to) on the free stack, `from` on top. */
  #thread(from: number, to: number): void {
    const i32 = this.i32;
    for (let i = from; i < to; i++) i32[(i << 4) | I_HASH] = i + 1 < to ? i + 1 : this.#freeTop;
    this.#freeTop = from;
  }

  /** kmem_cache_alloc(vmap_area_cachep): a fresh unlinked area [start, end). */
  alloc(start: number, end: number): number {
    if (this.#freeTop === NIL_) this.#grow();
    const i = this.#freeTop;
    const f64 = this.f64;
    this.#freeTop = this.i32[(i << 4) | I_HASH]!;
    // Every int32 field of a fresh area is 0 (NIL links, RB_RED, flags 0, hash and hint
    // NIL) but the state: a double 0 clears two of them at a time (slots 6..15).
    const d = i << 3;
    f64[d | F_START] = start;
    f64[d | F_END] = end;
    f64[d | F_MAX] = 0;
    f64[d | 3] = 0; // left, right
    f64[d | 4] = 0; // parent, colour (RB_RED)
    f64[d | 5] = 0; // next, prev
    f64[d | 6] = 0; // flags, state
    f64[d | 7] = 0; // hash, hint
    this.i32[(i << 4) | I_STATE] = ST_DETACHED;
    this.live++;
    return i;
  }

  /** kmem_cache_free(vmap_area_cachep, va). */
  release(i: number): void {
    const b = i << 4;
    this.i32[b | I_STATE] = ST_UNUSED;
    this.i32[b | I_HASH] = this.#freeTop;
    this.#freeTop = i;
    this.vm[i] = null;
    this.live--;
  }

  // Cold-path accessors: checkers, reports and tests read areas through these, so the
  // layout of the records can change without touching them.
  /** va_start of area `i`. */
  startOf(i: number): number {
    return this.f64[(i << 3) | F_START]!;
  }
  /** va_end (exclusive) of area `i`. */
  endOf(i: number): number {
    return this.f64[(i << 3) | F_END]!;
  }
  /** subtree_max_size of area `i` (meaningful in the free tree). */
  subtreeMaxOf(i: number): number {
    return this.f64[(i << 3) | F_MAX]!;
  }
  leftOf(i: number): number {
    return this.i32[(i << 4) | I_LEFT]!;
  }
  rightOf(i: number): number {
    return this.i32[(i << 4) | I_RIGHT]!;
  }
  parentOf(i: number): number {
    return this.i32[(i << 4) | I_PARENT]!;
  }
  /** RB_RED 0 or RB_BLACK 1. */
  colorOf(i: number): number {
    return this.i32[(i << 4) | I_COLOR]!;
  }
  /** The next area on the list `i` is on, or NIL. */
  nextOf(i: number): number {
    return this.i32[(i << 4) | I_NEXT]!;
  }
  prevOf(i: number): number {
    return this.i32[(i << 4) | I_PREV]!;
  }
  /** va->flags. */
  flagsOf(i: number): number {
    return this.i32[(i << 4) | I_FLAGS]!;
  }
  setFlags(i: number, flags: number): void {
    this.i32[(i << 4) | I_FLAGS] = flags;
  }
  /** A {@link VaState} tag. */
  stateOf(i: number): number {
    return this.i32[(i << 4) | I_STATE]!;
  }

  /** Areas the store can hold before it grows again. */
  get capacity(): number {
    return this.#capacity;
  }

  #grow(): void {
    const old = this.#capacity;
    const n = old * 2;
    const buf = new ArrayBuffer(n * RECORD_BYTES);
    const f64 = new Float64Array(buf);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buf);
    this.#thread(old, n);
    for (let i = old; i < n; i++) this.vm.push(null); // control-plane: amortised growth
    this.#capacity = n;
    this.growths++;
  }
}
