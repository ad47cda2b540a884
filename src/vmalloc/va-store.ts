// SPDX-License-Identifier: GPL-2.0-only
/*
 * VaStore: every struct vmap_area of one address space, as structure-of-arrays in typed
 * arrays, with the red-black tree links (rb_node) and the list links (list_head) each area
 * carries in the kernel.
 *
 * Kernel: mm/vmalloc.c struct vmap_area { va_start, va_end, rb_node, list,
 * subtree_max_size | vm, flags } and its kmem_cache (vmap_area_cachep).
 *
 * An area is an int32 index; index 0 is NIL (the kernel's NULL), so a zero-filled link is
 * "no node" and subtreeMax[0] = 0 makes get_subtree_max_size(NULL) = 0 without a branch.
 * Freed indices go on a free stack; the arrays double when it runs dry (amortised, counted
 * growth). No operation allocates otherwise.
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

/** The areas of one address space. */
export class VaStore {
  start: Float64Array;
  end: Float64Array;
  /** subtree_max_size while in the free tree. */
  subtreeMax: Float64Array;
  left: Int32Array;
  right: Int32Array;
  parent: Int32Array;
  color: Uint8Array;
  /** list_head links; NIL-terminated, one list at a time. */
  next: Int32Array;
  prev: Int32Array;
  /** va->flags: VMAP_RAM 0x1, VMAP_BLOCK 0x2, (vmap node id + 1) << 8. */
  flags: Int32Array;
  state: Uint8Array;
  /** va->vm: the vm_struct (or vmap block) object bound to a busy area, by index. */
  readonly vm: unknown[] = [NIL];
  #freeStack: Int32Array;
  #freeTop = 0;
  #capacity: number;
  /** Areas handed out and not yet released. */
  live = 0;
  /** Times the arrays doubled. */
  growths = 0;

  constructor(capacity = 1024) {
    this.#capacity = Math.max(16, capacity);
    const n = this.#capacity;
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.subtreeMax = new Float64Array(n);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.color = new Uint8Array(n);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.flags = new Int32Array(n);
    this.state = new Uint8Array(n);
    this.#freeStack = new Int32Array(n);
    for (let i = n - 1; i >= 1; i--) this.#freeStack[this.#freeTop++] = i;
    for (let i = 1; i < n; i++) this.vm.push(null); // control-plane: sized once per growth
  }

  /** kmem_cache_alloc(vmap_area_cachep): a fresh unlinked area [start, end). */
  alloc(start: number, end: number): number {
    if (this.#freeTop === 0) this.#grow();
    const i = this.#freeStack[--this.#freeTop]!;
    this.start[i] = start;
    this.end[i] = end;
    this.subtreeMax[i] = 0;
    this.left[i] = NIL;
    this.right[i] = NIL;
    this.parent[i] = NIL;
    this.color[i] = RB_RED;
    this.next[i] = NIL;
    this.prev[i] = NIL;
    this.flags[i] = 0;
    this.state[i] = VaState.detached;
    this.live++;
    return i;
  }

  /** kmem_cache_free(vmap_area_cachep, va). */
  release(i: number): void {
    this.state[i] = VaState.unused;
    this.vm[i] = null;
    this.#freeStack[this.#freeTop++] = i;
    this.live--;
  }

  // Cold-path accessors: checkers, reports and tests read areas through these, so the
  // layout of the arrays can change without touching them.
  /** va_start of area `i`. */
  startOf(i: number): number {
    return this.start[i]!;
  }
  /** va_end (exclusive) of area `i`. */
  endOf(i: number): number {
    return this.end[i]!;
  }
  /** subtree_max_size of area `i` (meaningful in the free tree). */
  subtreeMaxOf(i: number): number {
    return this.subtreeMax[i]!;
  }
  leftOf(i: number): number {
    return this.left[i]!;
  }
  rightOf(i: number): number {
    return this.right[i]!;
  }
  parentOf(i: number): number {
    return this.parent[i]!;
  }
  /** RB_RED 0 or RB_BLACK 1. */
  colorOf(i: number): number {
    return this.color[i]!;
  }
  /** The next area on the list `i` is on, or NIL. */
  nextOf(i: number): number {
    return this.next[i]!;
  }
  prevOf(i: number): number {
    return this.prev[i]!;
  }
  /** va->flags. */
  flagsOf(i: number): number {
    return this.flags[i]!;
  }
  setFlags(i: number, flags: number): void {
    this.flags[i] = flags;
  }
  /** A {@link VaState} tag. */
  stateOf(i: number): number {
    return this.state[i]!;
  }

  /** Areas the store can hold before it grows again. */
  get capacity(): number {
    return this.#capacity;
  }

  #grow(): void {
    const old = this.#capacity;
    const n = old * 2;
    this.start = growF64(this.start, n);
    this.end = growF64(this.end, n);
    this.subtreeMax = growF64(this.subtreeMax, n);
    this.left = growI32(this.left, n);
    this.right = growI32(this.right, n);
    this.parent = growI32(this.parent, n);
    this.next = growI32(this.next, n);
    this.prev = growI32(this.prev, n);
    this.flags = growI32(this.flags, n);
    const color = new Uint8Array(n);
    color.set(this.color);
    this.color = color;
    const state = new Uint8Array(n);
    state.set(this.state);
    this.state = state;
    this.#freeStack = growI32(this.#freeStack, n);
    for (let i = n - 1; i >= old; i--) this.#freeStack[this.#freeTop++] = i;
    for (let i = old; i < n; i++) this.vm.push(null); // control-plane: amortised growth
    this.#capacity = n;
    this.growths++;
  }
}

function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
