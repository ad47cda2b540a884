// SPDX-License-Identifier: GPL-2.0-only
/*
 * Red-black trees over the VaStore's index links, with the kernel's exact rebalancing, and
 * the augmented variant that keeps subtree_max_size (the largest free area of a subtree).
 *
 * Kernel: lib/rbtree.c __rb_insert, __rb_erase_color, include/linux/rbtree_augmented.h
 * __rb_erase_augmented, rb_link_node, and RB_DECLARE_CALLBACKS_MAX (propagate, copy,
 * rotate) as mm/vmalloc.c instantiates it for free_vmap_area_rb_augment_cb.
 *
 * Exactness matters: vmalloc's search for alignments above a page depends on the tree's
 * shape (bench/WORKLOADS.md V-align), so every rotation and colour change happens where the
 * kernel's does. A tree is a slot of `roots`; `aug` selects the augmented callbacks.
 *
 * The functions take the store's record views (`i32` links, `f64` addresses) directly:
 * node n's links are at i32[(n << 4) | I_*], its addresses at f64[(n << 3) | F_*]
 * (va-store.ts). None of them allocates a record, so the views stay valid throughout.
 */

import { checkLayoutCopy } from './va-store.js';

// Module-local copies of va-store.ts's constants and record layout: V8 reloads and
// hole-checks an imported binding on every use, a module-local const folds away.
const NIL = 0; // va-store.ts NIL
const RB_RED = 0; // va-store.ts RB_RED
const RB_BLACK = 1; // va-store.ts RB_BLACK
const F_END = 1;
const F_MAX = 2;
const F_START = 0;
const I_COLOR = 9;
const I_LEFT = 6;
const I_PARENT = 8;
const I_RIGHT = 7;
// control-plane: once, when the module loads
checkLayoutCopy({
  NIL,
  RB_RED,
  RB_BLACK,
  F_START,
  F_END,
  F_MAX,
  I_LEFT,
  I_RIGHT,
  I_PARENT,
  I_COLOR,
});

/** max(va_size(node), children's subtree_max_size): the kernel's RBCOMPUTE. */
export function computeMax(i32: Int32Array, f64: Float64Array, n: number): number {
  const b = n << 4;
  const d = n << 3;
  let m = f64[d | F_END]! - f64[d | F_START]!;
  const l = f64[(i32[b | I_LEFT]! << 3) | F_MAX]!;
  const r = f64[(i32[b | I_RIGHT]! << 3) | F_MAX]!;
  if (l > m) m = l;
  if (r > m) m = r;
  return m;
}

/**
 * The augment "propagate" callback: recompute subtree_max_size from `n` towards the root,
 * stopping at `stop` or at the first node whose value did not change.
 */
export function propagate(i32: Int32Array, f64: Float64Array, n: number, stop: number): void {
  while (n !== stop) {
    const b = n << 4;
    const d = n << 3;
    let m = f64[d | F_END]! - f64[d | F_START]!;
    const l = f64[(i32[b | I_LEFT]! << 3) | F_MAX]!;
    const r = f64[(i32[b | I_RIGHT]! << 3) | F_MAX]!;
    if (l > m) m = l;
    if (r > m) m = r;
    if (f64[d | F_MAX] === m) break;
    f64[d | F_MAX] = m;
    n = i32[b | I_PARENT]!;
  }
}

/**
 * propagate() after the size of `n` grew, the tree being consistent before (every
 * subtree_max_size the max of its node's size and its children's values, as every
 * operation here leaves it). Then each recomputed value is max(old value, the child's new
 * value) and the walk stops where that is the old value — the kernel's result and stopping
 * point, without reading the siblings.
 */
export function propagateGrow(i32: Int32Array, f64: Float64Array, n: number): void {
  let d = n << 3;
  const m = f64[d | F_END]! - f64[d | F_START]!;
  if (m <= f64[d | F_MAX]!) return;
  for (;;) {
    f64[d | F_MAX] = m;
    n = i32[(n << 4) | I_PARENT]!;
    if (n === NIL) return;
    d = n << 3;
    if (f64[d | F_MAX]! >= m) return;
  }
}

/**
 * propagate() after the size of `n` shrank from `oldSize`, the tree being consistent
 * before. A node whose old value exceeded the shrunk child's old value keeps it (the walk
 * stops there without reading the sibling); otherwise it is recomputed as the kernel does.
 */
export function propagateShrink(
  i32: Int32Array,
  f64: Float64Array,
  n: number,
  oldSize: number,
): void {
  let old = f64[(n << 3) | F_MAX]!;
  if (oldSize < old) return;
  for (;;) {
    const m = computeMax(i32, f64, n);
    if (m === old) return;
    f64[(n << 3) | F_MAX] = m;
    n = i32[(n << 4) | I_PARENT]!;
    if (n === NIL) return;
    const pold = f64[(n << 3) | F_MAX]!;
    if (old < pold) return;
    old = pold;
  }
}

/** rb_link_node: hang `node` below `parent` (left or right), red, childless. */
export function rbLinkNode(
  i32: Int32Array,
  roots: Int32Array,
  t: number,
  node: number,
  parent: number,
  right: boolean,
): void {
  const b = node << 4;
  i32[b | I_PARENT] = parent;
  i32[b | I_COLOR] = RB_RED;
  i32[b | I_LEFT] = NIL;
  i32[b | I_RIGHT] = NIL;
  if (parent === NIL) roots[t] = node;
  else i32[(parent << 4) | (right ? I_RIGHT : I_LEFT)] = node;
}

function changeChild(
  i32: Int32Array,
  roots: Int32Array,
  t: number,
  old: number,
  nu: number,
  parent: number,
): void {
  if (parent !== NIL) {
    const pb = parent << 4;
    if (i32[pb | I_LEFT] === old) i32[pb | I_LEFT] = nu;
    else i32[pb | I_RIGHT] = nu;
  } else roots[t] = nu;
}

/** __rb_rotate_set_parents: `nu` takes `old`'s parent and colour; `old` hangs below `nu`. */
function rotateSetParents(
  i32: Int32Array,
  roots: Int32Array,
  t: number,
  old: number,
  nu: number,
  color: number,
): void {
  const ob = old << 4;
  const nb = nu << 4;
  const parent = i32[ob | I_PARENT]!;
  i32[nb | I_PARENT] = parent;
  i32[nb | I_COLOR] = i32[ob | I_COLOR]!;
  i32[ob | I_PARENT] = nu;
  i32[ob | I_COLOR] = color;
  changeChild(i32, roots, t, old, nu, parent);
}

/** The augment "rotate" callback: `nu` replaced `old` at the top of the same subtree. */
function augRotate(i32: Int32Array, f64: Float64Array, old: number, nu: number): void {
  f64[(nu << 3) | F_MAX] = f64[(old << 3) | F_MAX]!;
  f64[(old << 3) | F_MAX] = computeMax(i32, f64, old);
}

function setParentColor(i32: Int32Array, n: number, p: number, color: number): void {
  const b = n << 4;
  i32[b | I_PARENT] = p;
  i32[b | I_COLOR] = color;
}

/** __rb_insert: rebalance after `node` was linked as a red leaf. */
export function rbInsertColor(
  i32: Int32Array,
  f64: Float64Array,
  roots: Int32Array,
  t: number,
  node: number,
  aug: boolean,
): void {
  let parent = i32[(node << 4) | I_PARENT]!;
  for (;;) {
    if (parent === NIL) {
      setParentColor(i32, node, NIL, RB_BLACK);
      break;
    }
    if (i32[(parent << 4) | I_COLOR] === RB_BLACK) break;
    const gparent = i32[(parent << 4) | I_PARENT]!;
    let tmp = i32[(gparent << 4) | I_RIGHT]!;
    if (parent !== tmp) {
      // parent is gparent's left child
      if (tmp !== NIL && i32[(tmp << 4) | I_COLOR] === RB_RED) {
        setParentColor(i32, tmp, gparent, RB_BLACK);
        setParentColor(i32, parent, gparent, RB_BLACK);
        node = gparent;
        parent = i32[(node << 4) | I_PARENT]!;
        setParentColor(i32, node, parent, RB_RED);
        continue;
      }
      tmp = i32[(parent << 4) | I_RIGHT]!;
      if (node === tmp) {
        tmp = i32[(node << 4) | I_LEFT]!;
        i32[(parent << 4) | I_RIGHT] = tmp;
        i32[(node << 4) | I_LEFT] = parent;
        if (tmp !== NIL) setParentColor(i32, tmp, parent, RB_BLACK);
        setParentColor(i32, parent, node, RB_RED);
        if (aug) augRotate(i32, f64, parent, node);
        parent = node;
        tmp = i32[(node << 4) | I_RIGHT]!;
      }
      i32[(gparent << 4) | I_LEFT] = tmp;
      i32[(parent << 4) | I_RIGHT] = gparent;
      if (tmp !== NIL) setParentColor(i32, tmp, gparent, RB_BLACK);
      rotateSetParents(i32, roots, t, gparent, parent, RB_RED);
      if (aug) augRotate(i32, f64, gparent, parent);
      break;
    } else {
      tmp = i32[(gparent << 4) | I_LEFT]!;
      if (tmp !== NIL && i32[(tmp << 4) | I_COLOR] === RB_RED) {
        setParentColor(i32, tmp, gparent, RB_BLACK);
        setParentColor(i32, parent, gparent, RB_BLACK);
        node = gparent;
        parent = i32[(node << 4) | I_PARENT]!;
        setParentColor(i32, node, parent, RB_RED);
        continue;
      }
      tmp = i32[(parent << 4) | I_LEFT]!;
      if (node === tmp) {
        tmp = i32[(node << 4) | I_RIGHT]!;
        i32[(parent << 4) | I_LEFT] = tmp;
        i32[(node << 4) | I_RIGHT] = parent;
        if (tmp !== NIL) setParentColor(i32, tmp, parent, RB_BLACK);
        setParentColor(i32, parent, node, RB_RED);
        if (aug) augRotate(i32, f64, parent, node);
        parent = node;
        tmp = i32[(node << 4) | I_LEFT]!;
      }
      i32[(gparent << 4) | I_RIGHT] = tmp;
      i32[(parent << 4) | I_LEFT] = gparent;
      if (tmp !== NIL) setParentColor(i32, tmp, gparent, RB_BLACK);
      rotateSetParents(i32, roots, t, gparent, parent, RB_RED);
      if (aug) augRotate(i32, f64, gparent, parent);
      break;
    }
  }
}

/** __rb_erase_color: restore the black heights after a black node left below `parent`. */
function eraseColor(
  i32: Int32Array,
  f64: Float64Array,
  roots: Int32Array,
  t: number,
  parent: number,
  aug: boolean,
): void {
  let node = NIL;
  for (;;) {
    let sibling = i32[(parent << 4) | I_RIGHT]!;
    if (node !== sibling) {
      // node is parent's left child
      if (i32[(sibling << 4) | I_COLOR] === RB_RED) {
        const tmp1 = i32[(sibling << 4) | I_LEFT]!;
        i32[(parent << 4) | I_RIGHT] = tmp1;
        i32[(sibling << 4) | I_LEFT] = parent;
        setParentColor(i32, tmp1, parent, RB_BLACK);
        rotateSetParents(i32, roots, t, parent, sibling, RB_RED);
        if (aug) augRotate(i32, f64, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = i32[(sibling << 4) | I_RIGHT]!;
      if (tmp1 === NIL || i32[(tmp1 << 4) | I_COLOR] === RB_BLACK) {
        const tmp2 = i32[(sibling << 4) | I_LEFT]!;
        if (tmp2 === NIL || i32[(tmp2 << 4) | I_COLOR] === RB_BLACK) {
          setParentColor(i32, sibling, parent, RB_RED);
          if (i32[(parent << 4) | I_COLOR] === RB_RED) i32[(parent << 4) | I_COLOR] = RB_BLACK;
          else {
            node = parent;
            parent = i32[(node << 4) | I_PARENT]!;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = i32[(tmp2 << 4) | I_RIGHT]!;
        i32[(sibling << 4) | I_LEFT] = tmp1;
        i32[(tmp2 << 4) | I_RIGHT] = sibling;
        i32[(parent << 4) | I_RIGHT] = tmp2;
        if (tmp1 !== NIL) setParentColor(i32, tmp1, sibling, RB_BLACK);
        if (aug) augRotate(i32, f64, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = i32[(sibling << 4) | I_LEFT]!;
      i32[(parent << 4) | I_RIGHT] = tmp2;
      i32[(sibling << 4) | I_LEFT] = parent;
      setParentColor(i32, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) i32[(tmp2 << 4) | I_PARENT] = parent;
      rotateSetParents(i32, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotate(i32, f64, parent, sibling);
      break;
    } else {
      sibling = i32[(parent << 4) | I_LEFT]!;
      if (i32[(sibling << 4) | I_COLOR] === RB_RED) {
        const tmp1 = i32[(sibling << 4) | I_RIGHT]!;
        i32[(parent << 4) | I_LEFT] = tmp1;
        i32[(sibling << 4) | I_RIGHT] = parent;
        setParentColor(i32, tmp1, parent, RB_BLACK);
        rotateSetParents(i32, roots, t, parent, sibling, RB_RED);
        if (aug) augRotate(i32, f64, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = i32[(sibling << 4) | I_LEFT]!;
      if (tmp1 === NIL || i32[(tmp1 << 4) | I_COLOR] === RB_BLACK) {
        const tmp2 = i32[(sibling << 4) | I_RIGHT]!;
        if (tmp2 === NIL || i32[(tmp2 << 4) | I_COLOR] === RB_BLACK) {
          setParentColor(i32, sibling, parent, RB_RED);
          if (i32[(parent << 4) | I_COLOR] === RB_RED) i32[(parent << 4) | I_COLOR] = RB_BLACK;
          else {
            node = parent;
            parent = i32[(node << 4) | I_PARENT]!;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = i32[(tmp2 << 4) | I_LEFT]!;
        i32[(sibling << 4) | I_RIGHT] = tmp1;
        i32[(tmp2 << 4) | I_LEFT] = sibling;
        i32[(parent << 4) | I_LEFT] = tmp2;
        if (tmp1 !== NIL) setParentColor(i32, tmp1, sibling, RB_BLACK);
        if (aug) augRotate(i32, f64, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = i32[(sibling << 4) | I_RIGHT]!;
      i32[(parent << 4) | I_LEFT] = tmp2;
      i32[(sibling << 4) | I_RIGHT] = parent;
      setParentColor(i32, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) i32[(tmp2 << 4) | I_PARENT] = parent;
      rotateSetParents(i32, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotate(i32, f64, parent, sibling);
      break;
    }
  }
}

/** rb_erase / rb_erase_augmented: unlink `node` and rebalance. */
export function rbErase(
  i32: Int32Array,
  f64: Float64Array,
  roots: Int32Array,
  t: number,
  node: number,
  aug: boolean,
): void {
  const nb = node << 4;
  let child = i32[nb | I_RIGHT]!;
  let tmp = i32[nb | I_LEFT]!;
  let parent: number;
  let rebalance: number;
  if (tmp === NIL) {
    // at most one child, on the right
    const pcParent = i32[nb | I_PARENT]!;
    const pcColor = i32[nb | I_COLOR]!;
    parent = pcParent;
    changeChild(i32, roots, t, node, child, parent);
    if (child !== NIL) {
      setParentColor(i32, child, pcParent, pcColor);
      rebalance = NIL;
    } else rebalance = pcColor === RB_BLACK ? parent : NIL;
    tmp = parent;
  } else if (child === NIL) {
    // one child, on the left
    const pcParent = i32[nb | I_PARENT]!;
    setParentColor(i32, tmp, pcParent, i32[nb | I_COLOR]!);
    parent = pcParent;
    changeChild(i32, roots, t, node, tmp, parent);
    rebalance = NIL;
    tmp = parent;
  } else {
    let successor = child;
    let child2: number;
    tmp = i32[(child << 4) | I_LEFT]!;
    if (tmp === NIL) {
      // the successor is the right child
      parent = successor;
      child2 = i32[(successor << 4) | I_RIGHT]!;
      if (aug) f64[(successor << 3) | F_MAX] = f64[(node << 3) | F_MAX]!;
    } else {
      // the successor is the leftmost node of the right subtree
      do {
        parent = successor;
        successor = tmp;
        tmp = i32[(tmp << 4) | I_LEFT]!;
      } while (tmp !== NIL);
      child2 = i32[(successor << 4) | I_RIGHT]!;
      i32[(parent << 4) | I_LEFT] = child2;
      i32[(successor << 4) | I_RIGHT] = child;
      i32[(child << 4) | I_PARENT] = successor;
      if (aug) {
        f64[(successor << 3) | F_MAX] = f64[(node << 3) | F_MAX]!;
        propagate(i32, f64, parent, successor);
      }
    }
    tmp = i32[nb | I_LEFT]!;
    i32[(successor << 4) | I_LEFT] = tmp;
    i32[(tmp << 4) | I_PARENT] = successor;
    const pcParent = i32[nb | I_PARENT]!;
    const pcColor = i32[nb | I_COLOR]!;
    changeChild(i32, roots, t, node, successor, pcParent);
    if (child2 !== NIL) {
      setParentColor(i32, successor, pcParent, pcColor);
      setParentColor(i32, child2, parent, RB_BLACK);
      rebalance = NIL;
    } else {
      const succColor = i32[(successor << 4) | I_COLOR]!;
      setParentColor(i32, successor, pcParent, pcColor);
      rebalance = succColor === RB_BLACK ? parent : NIL;
    }
    tmp = successor;
  }
  if (aug) propagate(i32, f64, tmp, NIL);
  if (rebalance !== NIL) eraseColor(i32, f64, roots, t, rebalance, aug);
}

/** rb_first: the leftmost node of tree `t`, or NIL. */
export function rbFirst(i32: Int32Array, roots: Int32Array, t: number): number {
  let n = roots[t]!;
  if (n === NIL) return NIL;
  while (i32[(n << 4) | I_LEFT] !== NIL) n = i32[(n << 4) | I_LEFT]!;
  return n;
}

/** rb_next: the in-order successor of `n`, or NIL. */
export function rbNext(i32: Int32Array, n: number): number {
  let r = i32[(n << 4) | I_RIGHT]!;
  if (r !== NIL) {
    while (i32[(r << 4) | I_LEFT] !== NIL) r = i32[(r << 4) | I_LEFT]!;
    return r;
  }
  let p = i32[(n << 4) | I_PARENT]!;
  while (p !== NIL && n === i32[(p << 4) | I_RIGHT]) {
    n = p;
    p = i32[(p << 4) | I_PARENT]!;
  }
  return p;
}
