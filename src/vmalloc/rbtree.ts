// SPDX-License-Identifier: GPL-2.0-only
/*
 * Red-black trees over the VaStore's index links, with the kernel's exact rebalancing, and
 * the augmented variant that keeps subtree_max_size (the largest free area of a subtree).
 *
 * Augmented values live in the parent: a node's record holds its left and right child's
 * subtree_max_size (F_LMAX, F_RMAX; 0 for NIL), so a search step reads one record. A
 * node's own value is nodeMax() of its record; the root's is stored nowhere. The kernel's
 * callbacks map onto this as follows: propagate writes each recomputed value into the
 * parent's slot for the node; rotate needs only the two rotated records (the subtree that
 * moves between them carries its value along, the new top's slot in its parent is
 * unchanged); copy (erase's successor taking the erased node's place) takes over the erased
 * node's slots for the children it inherits. Every operation leaves all slots equal to the
 * children's real subtree maxima (the invariant checker's V5).
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
const F_LMAX = 2;
const F_RMAX = 3; // F_LMAX + 1 (maxSlot)
const F_START = 0;
const I_LEFT = 8;
/** parent << 1 | colour: the kernel's __rb_parent_color. */
const I_PC = 10;
const I_RIGHT = 9;
// control-plane: once, when the module loads
checkLayoutCopy({
  NIL,
  RB_RED,
  RB_BLACK,
  F_START,
  F_END,
  F_LMAX,
  F_RMAX,
  I_LEFT,
  I_RIGHT,
  I_PC,
});

/** subtree_max_size of `n`: max(va_size(n), its children's values), the kernel's RBCOMPUTE. */
export function nodeMax(f64: Float64Array, n: number): number {
  const d = n << 3;
  let m = f64[d | F_END]! - f64[d | F_START]!;
  const l = f64[d | F_LMAX]!;
  const r = f64[d | F_RMAX]!;
  if (l > m) m = l;
  if (r > m) m = r;
  return m;
}

/**
 * The f64 index of the slot of `p` that holds the value of its child `n`: F_LMAX or F_RMAX,
 * chosen without a branch (which side a walk comes from is a coin toss for the predictor).
 */
function maxSlot(i32: Int32Array, p: number, n: number): number {
  const x = i32[(p << 4) | I_LEFT]! ^ n; // 0 when n is the left child, else positive
  return (p << 3) | (F_LMAX + ((x | -x) >>> 31));
}

/**
 * The augment "propagate" callback: recompute subtree_max_size from `n` towards the root,
 * each into the parent's slot for the node, stopping at `stop` or at the first node whose
 * value did not change.
 */
export function propagate(i32: Int32Array, f64: Float64Array, n: number, stop: number): void {
  while (n !== stop) {
    const m = nodeMax(f64, n);
    const p = i32[(n << 4) | I_PC]! >> 1;
    if (p === NIL) return;
    const k = maxSlot(i32, p, n);
    if (f64[k] === m) return;
    f64[k] = m;
    n = p;
  }
}

/**
 * propagate() after the size of `n` grew, the tree being consistent before (every slot
 * the real subtree_max_size of its child, as every operation here leaves it). Then each
 * recomputed value is max(old value, the new size) and the walk stops where that is the
 * old value — the kernel's result, reading one record per level.
 */
export function propagateGrow(i32: Int32Array, f64: Float64Array, n: number): void {
  const d = n << 3;
  const m = f64[d | F_END]! - f64[d | F_START]!;
  for (;;) {
    const p = i32[(n << 4) | I_PC]! >> 1;
    if (p === NIL) return;
    const k = maxSlot(i32, p, n);
    if (f64[k]! >= m) return;
    f64[k] = m;
    n = p;
  }
}

/**
 * propagate() after the size of `n` shrank from `oldSize`, the tree being consistent
 * before. At each level the parent's slot holds the node's old value: when that exceeds
 * the shrunk part's old value (`oldSize`, then the child's old value), it came from
 * elsewhere and the walk stops; otherwise the value is recomputed and the walk stops where
 * it did not change, as the kernel's does.
 */
export function propagateShrink(
  i32: Int32Array,
  f64: Float64Array,
  n: number,
  oldSize: number,
): void {
  for (;;) {
    const p = i32[(n << 4) | I_PC]! >> 1;
    if (p === NIL) return;
    const k = maxSlot(i32, p, n);
    const old = f64[k]!;
    if (oldSize < old) return; // a larger value was not n's own: unchanged
    const m = nodeMax(f64, n);
    if (m === old) return;
    f64[k] = m;
    n = p;
    oldSize = old;
  }
}

/**
 * The augmented half of linking `node` as a childless leaf below its parent (__link_va's
 * rb_insert_augmented and augment_tree_propagate_from, before the rebalancing): its own
 * slots become 0 and its size goes into the slots above it, so that the tree is
 * consistent before the rotations, which keep it so.
 */
export function augLinkLeaf(i32: Int32Array, f64: Float64Array, node: number): void {
  const d = node << 3;
  f64[d | F_LMAX] = 0;
  f64[d | F_RMAX] = 0;
  propagateGrow(i32, f64, node);
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
  i32[b | I_PC] = (parent << 1) | RB_RED;
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
  const pc = i32[ob | I_PC]!;
  i32[nb | I_PC] = pc;
  i32[ob | I_PC] = (nu << 1) | color;
  changeChild(i32, roots, t, old, nu, pc >> 1);
}

/**
 * The augment "rotate" callback of a left rotation: `nu`, `old`'s right child, replaced it
 * at the top of the same subtree (its value, in the slot of the common parent, is
 * unchanged) and `old` is now `nu`'s left child. The subtree that was `nu`'s left is
 * `old`'s right and takes its value along; `nu`'s left slot gets `old`'s new value. (The
 * kernel's single callback becomes two: each call site knows the direction statically, so
 * no branch tests it.)
 */
function augRotateLeft(f64: Float64Array, old: number, nu: number): void {
  const od = old << 3;
  const nd = nu << 3;
  f64[od | F_RMAX] = f64[nd | F_LMAX]!;
  f64[nd | F_LMAX] = nodeMax(f64, old);
}

/** The mirror image of {@link augRotateLeft}: `nu` was `old`'s left child. */
function augRotateRight(f64: Float64Array, old: number, nu: number): void {
  const od = old << 3;
  const nd = nu << 3;
  f64[od | F_LMAX] = f64[nd | F_RMAX]!;
  f64[nd | F_RMAX] = nodeMax(f64, old);
}

/** changeChild in the augmented tree: `nu`, of subtree_max_size `m`, replaces `old`. */
function changeChildMax(
  i32: Int32Array,
  f64: Float64Array,
  roots: Int32Array,
  t: number,
  old: number,
  nu: number,
  parent: number,
  m: number,
): void {
  if (parent !== NIL) {
    const pb = parent << 4;
    if (i32[pb | I_LEFT] === old) {
      i32[pb | I_LEFT] = nu;
      f64[(parent << 3) | F_LMAX] = m;
    } else {
      i32[pb | I_RIGHT] = nu;
      f64[(parent << 3) | F_RMAX] = m;
    }
  } else roots[t] = nu;
}

function setParentColor(i32: Int32Array, n: number, p: number, color: number): void {
  i32[(n << 4) | I_PC] = (p << 1) | color;
}

/** rb_set_parent: `n`'s parent becomes `p`, its colour stays. */
function setParent(i32: Int32Array, n: number, p: number): void {
  const k = (n << 4) | I_PC;
  i32[k] = (p << 1) | (i32[k]! & 1);
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
  let parent = i32[(node << 4) | I_PC]! >> 1;
  for (;;) {
    if (parent === NIL) {
      setParentColor(i32, node, NIL, RB_BLACK);
      break;
    }
    const ppc = i32[(parent << 4) | I_PC]!;
    if ((ppc & 1) === RB_BLACK) break;
    const gparent = ppc >> 1;
    let tmp = i32[(gparent << 4) | I_RIGHT]!;
    if (parent !== tmp) {
      // parent is gparent's left child
      if (tmp !== NIL && (i32[(tmp << 4) | I_PC]! & 1) === RB_RED) {
        setParentColor(i32, tmp, gparent, RB_BLACK);
        setParentColor(i32, parent, gparent, RB_BLACK);
        node = gparent;
        parent = i32[(node << 4) | I_PC]! >> 1;
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
        if (aug) augRotateLeft(f64, parent, node);
        parent = node;
        tmp = i32[(node << 4) | I_RIGHT]!;
      }
      i32[(gparent << 4) | I_LEFT] = tmp;
      i32[(parent << 4) | I_RIGHT] = gparent;
      if (tmp !== NIL) setParentColor(i32, tmp, gparent, RB_BLACK);
      rotateSetParents(i32, roots, t, gparent, parent, RB_RED);
      if (aug) augRotateRight(f64, gparent, parent);
      break;
    } else {
      tmp = i32[(gparent << 4) | I_LEFT]!;
      if (tmp !== NIL && (i32[(tmp << 4) | I_PC]! & 1) === RB_RED) {
        setParentColor(i32, tmp, gparent, RB_BLACK);
        setParentColor(i32, parent, gparent, RB_BLACK);
        node = gparent;
        parent = i32[(node << 4) | I_PC]! >> 1;
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
        if (aug) augRotateRight(f64, parent, node);
        parent = node;
        tmp = i32[(node << 4) | I_LEFT]!;
      }
      i32[(gparent << 4) | I_RIGHT] = tmp;
      i32[(parent << 4) | I_LEFT] = gparent;
      if (tmp !== NIL) setParentColor(i32, tmp, gparent, RB_BLACK);
      rotateSetParents(i32, roots, t, gparent, parent, RB_RED);
      if (aug) augRotateLeft(f64, gparent, parent);
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
      if ((i32[(sibling << 4) | I_PC]! & 1) === RB_RED) {
        const tmp1 = i32[(sibling << 4) | I_LEFT]!;
        i32[(parent << 4) | I_RIGHT] = tmp1;
        i32[(sibling << 4) | I_LEFT] = parent;
        setParentColor(i32, tmp1, parent, RB_BLACK);
        rotateSetParents(i32, roots, t, parent, sibling, RB_RED);
        if (aug) augRotateLeft(f64, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = i32[(sibling << 4) | I_RIGHT]!;
      if (tmp1 === NIL || (i32[(tmp1 << 4) | I_PC]! & 1) === RB_BLACK) {
        const tmp2 = i32[(sibling << 4) | I_LEFT]!;
        if (tmp2 === NIL || (i32[(tmp2 << 4) | I_PC]! & 1) === RB_BLACK) {
          setParentColor(i32, sibling, parent, RB_RED);
          const ppc = i32[(parent << 4) | I_PC]!;
          if ((ppc & 1) === RB_RED) i32[(parent << 4) | I_PC] = ppc | RB_BLACK;
          else {
            node = parent;
            parent = i32[(node << 4) | I_PC]! >> 1;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = i32[(tmp2 << 4) | I_RIGHT]!;
        i32[(sibling << 4) | I_LEFT] = tmp1;
        i32[(tmp2 << 4) | I_RIGHT] = sibling;
        i32[(parent << 4) | I_RIGHT] = tmp2;
        if (tmp1 !== NIL) setParentColor(i32, tmp1, sibling, RB_BLACK);
        if (aug) augRotateRight(f64, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = i32[(sibling << 4) | I_LEFT]!;
      i32[(parent << 4) | I_RIGHT] = tmp2;
      i32[(sibling << 4) | I_LEFT] = parent;
      setParentColor(i32, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) setParent(i32, tmp2, parent);
      rotateSetParents(i32, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotateLeft(f64, parent, sibling);
      break;
    } else {
      sibling = i32[(parent << 4) | I_LEFT]!;
      if ((i32[(sibling << 4) | I_PC]! & 1) === RB_RED) {
        const tmp1 = i32[(sibling << 4) | I_RIGHT]!;
        i32[(parent << 4) | I_LEFT] = tmp1;
        i32[(sibling << 4) | I_RIGHT] = parent;
        setParentColor(i32, tmp1, parent, RB_BLACK);
        rotateSetParents(i32, roots, t, parent, sibling, RB_RED);
        if (aug) augRotateRight(f64, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = i32[(sibling << 4) | I_LEFT]!;
      if (tmp1 === NIL || (i32[(tmp1 << 4) | I_PC]! & 1) === RB_BLACK) {
        const tmp2 = i32[(sibling << 4) | I_RIGHT]!;
        if (tmp2 === NIL || (i32[(tmp2 << 4) | I_PC]! & 1) === RB_BLACK) {
          setParentColor(i32, sibling, parent, RB_RED);
          const ppc = i32[(parent << 4) | I_PC]!;
          if ((ppc & 1) === RB_RED) i32[(parent << 4) | I_PC] = ppc | RB_BLACK;
          else {
            node = parent;
            parent = i32[(node << 4) | I_PC]! >> 1;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = i32[(tmp2 << 4) | I_LEFT]!;
        i32[(sibling << 4) | I_RIGHT] = tmp1;
        i32[(tmp2 << 4) | I_LEFT] = sibling;
        i32[(parent << 4) | I_LEFT] = tmp2;
        if (tmp1 !== NIL) setParentColor(i32, tmp1, sibling, RB_BLACK);
        if (aug) augRotateLeft(f64, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = i32[(sibling << 4) | I_RIGHT]!;
      i32[(parent << 4) | I_LEFT] = tmp2;
      i32[(sibling << 4) | I_RIGHT] = parent;
      setParentColor(i32, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) setParent(i32, tmp2, parent);
      rotateSetParents(i32, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotateRight(f64, parent, sibling);
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
    const pc = i32[nb | I_PC]!;
    const pcParent = pc >> 1;
    const pcColor = pc & 1;
    parent = pcParent;
    if (aug) changeChildMax(i32, f64, roots, t, node, child, parent, f64[(node << 3) | F_RMAX]!);
    else changeChild(i32, roots, t, node, child, parent);
    if (child !== NIL) {
      setParentColor(i32, child, pcParent, pcColor);
      rebalance = NIL;
    } else rebalance = pcColor === RB_BLACK ? parent : NIL;
    tmp = parent;
  } else if (child === NIL) {
    // one child, on the left
    const pc = i32[nb | I_PC]!;
    const pcParent = pc >> 1;
    i32[(tmp << 4) | I_PC] = pc;
    parent = pcParent;
    if (aug) changeChildMax(i32, f64, roots, t, node, tmp, parent, f64[(node << 3) | F_LMAX]!);
    else changeChild(i32, roots, t, node, tmp, parent);
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
      // (augmented: the successor keeps its right slot, takes the left one below)
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
      setParent(i32, child, successor);
      if (aug) {
        // parent's left is child2 now; the successor takes the erased node's right slot,
        // which propagate() corrects from parent up
        f64[(parent << 3) | F_LMAX] = f64[(successor << 3) | F_RMAX]!;
        f64[(successor << 3) | F_RMAX] = f64[(node << 3) | F_RMAX]!;
        propagate(i32, f64, parent, successor);
      }
    }
    tmp = i32[nb | I_LEFT]!;
    i32[(successor << 4) | I_LEFT] = tmp;
    if (aug) f64[(successor << 3) | F_LMAX] = f64[(node << 3) | F_LMAX]!;
    setParent(i32, tmp, successor);
    const pc = i32[nb | I_PC]!;
    const pcParent = pc >> 1;
    const pcColor = pc & 1;
    changeChild(i32, roots, t, node, successor, pcParent);
    if (child2 !== NIL) {
      setParentColor(i32, successor, pcParent, pcColor);
      setParentColor(i32, child2, parent, RB_BLACK);
      rebalance = NIL;
    } else {
      const succColor = i32[(successor << 4) | I_PC]! & 1;
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
  let p = i32[(n << 4) | I_PC]! >> 1;
  while (p !== NIL && n === i32[(p << 4) | I_RIGHT]) {
    n = p;
    p = i32[(p << 4) | I_PC]! >> 1;
  }
  return p;
}
