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
 * zero-filled link is "no node". Record n is array-of-structs, so that one node visit
 * touches one record (64 bytes, one cache line):
 *
 *   f64[n * 8 + 0..3]    va_start, va_end, left max, right max       (bytes 0..31)
 *   i32[n * 16 + 8..12]  left, right, parent << 1 | colour, next,    (bytes 32..51)
 *                        prev
 *   i32[n * 16 + 13]     flags << 3 | state
 *   i32[n * 16 + 14]     link of the area hash chains (va-space.ts), or of the free
 *                        stack while the record is unused
 *   i32[n * 16 + 15]     a hint kept by va-space.ts (a free area's busy successor)
 *
 * The kernel's subtree_max_size of a free-tree node is kept in its PARENT's record: "left
 * max" and "right max" are the subtree_max_size of the left and right child (0 for NIL),
 * so a search step reads one record, not the node's and then its child's. A node's own
 * subtree_max_size is max(va_size, left max, right max) (rbtree.ts nodeMax); the root's
 * is stored nowhere else. To keep the record at 64 bytes, the colour shares a slot with
 * the parent index (the kernel's __rb_parent_color, RB_BLACK the low bit) and va->flags
 * one with the state tag (flags in the upper 29 bits: the kernel's VMAP_* bits and vn_id
 * << 8 fit easily).
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
/** subtree_max_size of the left child (free tree; 0 without one). */
const F_LMAX = 2;
/** subtree_max_size of the right child (free tree; 0 without one). */
const F_RMAX = 3;
const I_LEFT = 8;
const I_RIGHT = 9;
/** parent << 1 | colour (the kernel's __rb_parent_color). */
const I_PC = 10;
const I_NEXT = 11;
const I_PREV = 12;
/** flags << STATE_BITS | state. */
const I_STATE = 13;
/** Hash chain link (busy and free areas), or free-stack link (unused records). */
const I_HASH = 14;
/** A hint slot for va-space.ts (a free area's busy successor, checked before use). */
const I_HINT = 15;
/** Bits of the state tag below va->flags in slot I_STATE. */
const STATE_BITS = 3;
/**
 * The record layout, for the modules that copy it (va-space.ts and rbtree.ts check their
 * copies against it when they load).
 */
export const RECORD_LAYOUT = {
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
  I_HINT,
  STATE_BITS,
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
const STATE_MASK = (1 << STATE_BITS) - 1;

/** va->flags must be below this (they share an int32 with the state tag). */
export const FLAGS_LIMIT = 2 ** (32 - STATE_BITS);

const RECORD_BYTES = 64;

/** The areas of one address space. */
export class VaStore {
  /** Doubles of the records (va_start, va_end, children's maxima); replaced on growth. */
  f64: Float64Array;
  /** Int32s of the records (links, colour, flags and state, hash link, hint); replaced on growth. */
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
    // NIL) but the state: a double 0 clears two of them at a time (slots 8..15).
    const d = i << 3;
    f64[d | F_START] = start;
    f64[d | F_END] = end;
    f64[d | F_LMAX] = 0;
    f64[d | F_RMAX] = 0;
    f64[d | 4] = 0; // left, right
    f64[d | 5] = 0; // parent and colour (RB_RED), next
    f64[d | 6] = 0; // prev, flags and state
    f64[d | 7] = 0; // hash, hint
    this.i32[(i << 4) | I_STATE] = ST_DETACHED; // flags 0
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
  /**
   * subtree_max_size of area `i` as its record implies it (free tree): max(va_size, left
   * max, right max).
   */
  subtreeMaxOf(i: number): number {
    const d = i << 3;
    return Math.max(
      this.f64[d | F_END]! - this.f64[d | F_START]!,
      this.f64[d | F_LMAX]!,
      this.f64[d | F_RMAX]!,
    );
  }
  /** The subtree_max_size of the left child as `i`'s record holds it (free tree). */
  leftMaxOf(i: number): number {
    return this.f64[(i << 3) | F_LMAX]!;
  }
  /** The subtree_max_size of the right child as `i`'s record holds it (free tree). */
  rightMaxOf(i: number): number {
    return this.f64[(i << 3) | F_RMAX]!;
  }
  leftOf(i: number): number {
    return this.i32[(i << 4) | I_LEFT]!;
  }
  rightOf(i: number): number {
    return this.i32[(i << 4) | I_RIGHT]!;
  }
  parentOf(i: number): number {
    return this.i32[(i << 4) | I_PC]! >> 1;
  }
  /** RB_RED 0 or RB_BLACK 1. */
  colorOf(i: number): number {
    return this.i32[(i << 4) | I_PC]! & 1;
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
    return this.i32[(i << 4) | I_STATE]! >>> STATE_BITS;
  }
  /** Set va->flags: an integer in [0, 2^29) ({@link FLAGS_LIMIT}). */
  setFlags(i: number, flags: number): void {
    const k = (i << 4) | I_STATE;
    this.i32[k] = (flags << STATE_BITS) | (this.i32[k]! & STATE_MASK);
  }
  /** A {@link VaState} tag. */
  stateOf(i: number): number {
    return this.i32[(i << 4) | I_STATE]! & STATE_MASK;
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
