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
 */

import { NIL, RB_BLACK, RB_RED, type VaStore } from './va-store.js';

/** max(va_size(node), children's subtree_max_size): the kernel's RBCOMPUTE. */
export function computeMax(s: VaStore, n: number): number {
  let m = s.end[n]! - s.start[n]!;
  const l = s.subtreeMax[s.left[n]!]!;
  const r = s.subtreeMax[s.right[n]!]!;
  if (l > m) m = l;
  if (r > m) m = r;
  return m;
}

/**
 * The augment "propagate" callback: recompute subtree_max_size from `n` towards the root,
 * stopping at `stop` or at the first node whose value did not change.
 */
export function propagate(s: VaStore, n: number, stop: number): void {
  const sub = s.subtreeMax;
  while (n !== stop) {
    const m = computeMax(s, n);
    if (sub[n] === m) break;
    sub[n] = m;
    n = s.parent[n]!;
  }
}

/** rb_link_node: hang `node` below `parent` (left or right), red, childless. */
export function rbLinkNode(
  s: VaStore,
  roots: Int32Array,
  t: number,
  node: number,
  parent: number,
  right: boolean,
): void {
  s.parent[node] = parent;
  s.color[node] = RB_RED;
  s.left[node] = NIL;
  s.right[node] = NIL;
  if (parent === NIL) roots[t] = node;
  else if (right) s.right[parent] = node;
  else s.left[parent] = node;
}

function changeChild(
  s: VaStore,
  roots: Int32Array,
  t: number,
  old: number,
  nu: number,
  parent: number,
): void {
  if (parent !== NIL) {
    if (s.left[parent] === old) s.left[parent] = nu;
    else s.right[parent] = nu;
  } else roots[t] = nu;
}

/** __rb_rotate_set_parents: `nu` takes `old`'s parent and colour; `old` hangs below `nu`. */
function rotateSetParents(
  s: VaStore,
  roots: Int32Array,
  t: number,
  old: number,
  nu: number,
  color: number,
): void {
  const parent = s.parent[old]!;
  s.parent[nu] = parent;
  s.color[nu] = s.color[old]!;
  s.parent[old] = nu;
  s.color[old] = color;
  changeChild(s, roots, t, old, nu, parent);
}

/** The augment "rotate" callback: `nu` replaced `old` at the top of the same subtree. */
function augRotate(s: VaStore, old: number, nu: number): void {
  s.subtreeMax[nu] = s.subtreeMax[old]!;
  s.subtreeMax[old] = computeMax(s, old);
}

function setParentColor(s: VaStore, n: number, p: number, color: number): void {
  s.parent[n] = p;
  s.color[n] = color;
}

/** __rb_insert: rebalance after `node` was linked as a red leaf. */
export function rbInsertColor(
  s: VaStore,
  roots: Int32Array,
  t: number,
  node: number,
  aug: boolean,
): void {
  let parent = s.parent[node]!;
  for (;;) {
    if (parent === NIL) {
      setParentColor(s, node, NIL, RB_BLACK);
      break;
    }
    if (s.color[parent] === RB_BLACK) break;
    const gparent = s.parent[parent]!;
    let tmp = s.right[gparent]!;
    if (parent !== tmp) {
      // parent is gparent's left child
      if (tmp !== NIL && s.color[tmp] === RB_RED) {
        setParentColor(s, tmp, gparent, RB_BLACK);
        setParentColor(s, parent, gparent, RB_BLACK);
        node = gparent;
        parent = s.parent[node]!;
        setParentColor(s, node, parent, RB_RED);
        continue;
      }
      tmp = s.right[parent]!;
      if (node === tmp) {
        tmp = s.left[node]!;
        s.right[parent] = tmp;
        s.left[node] = parent;
        if (tmp !== NIL) setParentColor(s, tmp, parent, RB_BLACK);
        setParentColor(s, parent, node, RB_RED);
        if (aug) augRotate(s, parent, node);
        parent = node;
        tmp = s.right[node]!;
      }
      s.left[gparent] = tmp;
      s.right[parent] = gparent;
      if (tmp !== NIL) setParentColor(s, tmp, gparent, RB_BLACK);
      rotateSetParents(s, roots, t, gparent, parent, RB_RED);
      if (aug) augRotate(s, gparent, parent);
      break;
    } else {
      tmp = s.left[gparent]!;
      if (tmp !== NIL && s.color[tmp] === RB_RED) {
        setParentColor(s, tmp, gparent, RB_BLACK);
        setParentColor(s, parent, gparent, RB_BLACK);
        node = gparent;
        parent = s.parent[node]!;
        setParentColor(s, node, parent, RB_RED);
        continue;
      }
      tmp = s.left[parent]!;
      if (node === tmp) {
        tmp = s.right[node]!;
        s.left[parent] = tmp;
        s.right[node] = parent;
        if (tmp !== NIL) setParentColor(s, tmp, parent, RB_BLACK);
        setParentColor(s, parent, node, RB_RED);
        if (aug) augRotate(s, parent, node);
        parent = node;
        tmp = s.left[node]!;
      }
      s.right[gparent] = tmp;
      s.left[parent] = gparent;
      if (tmp !== NIL) setParentColor(s, tmp, gparent, RB_BLACK);
      rotateSetParents(s, roots, t, gparent, parent, RB_RED);
      if (aug) augRotate(s, gparent, parent);
      break;
    }
  }
}

/** __rb_erase_color: restore the black heights after a black node left below `parent`. */
function eraseColor(s: VaStore, roots: Int32Array, t: number, parent: number, aug: boolean): void {
  let node = NIL;
  for (;;) {
    let sibling = s.right[parent]!;
    if (node !== sibling) {
      // node is parent's left child
      if (s.color[sibling] === RB_RED) {
        const tmp1 = s.left[sibling]!;
        s.right[parent] = tmp1;
        s.left[sibling] = parent;
        setParentColor(s, tmp1, parent, RB_BLACK);
        rotateSetParents(s, roots, t, parent, sibling, RB_RED);
        if (aug) augRotate(s, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = s.right[sibling]!;
      if (tmp1 === NIL || s.color[tmp1] === RB_BLACK) {
        const tmp2 = s.left[sibling]!;
        if (tmp2 === NIL || s.color[tmp2] === RB_BLACK) {
          setParentColor(s, sibling, parent, RB_RED);
          if (s.color[parent] === RB_RED) s.color[parent] = RB_BLACK;
          else {
            node = parent;
            parent = s.parent[node]!;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = s.right[tmp2]!;
        s.left[sibling] = tmp1;
        s.right[tmp2] = sibling;
        s.right[parent] = tmp2;
        if (tmp1 !== NIL) setParentColor(s, tmp1, sibling, RB_BLACK);
        if (aug) augRotate(s, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = s.left[sibling]!;
      s.right[parent] = tmp2;
      s.left[sibling] = parent;
      setParentColor(s, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) s.parent[tmp2] = parent;
      rotateSetParents(s, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotate(s, parent, sibling);
      break;
    } else {
      sibling = s.left[parent]!;
      if (s.color[sibling] === RB_RED) {
        const tmp1 = s.right[sibling]!;
        s.left[parent] = tmp1;
        s.right[sibling] = parent;
        setParentColor(s, tmp1, parent, RB_BLACK);
        rotateSetParents(s, roots, t, parent, sibling, RB_RED);
        if (aug) augRotate(s, parent, sibling);
        sibling = tmp1;
      }
      let tmp1 = s.left[sibling]!;
      if (tmp1 === NIL || s.color[tmp1] === RB_BLACK) {
        const tmp2 = s.right[sibling]!;
        if (tmp2 === NIL || s.color[tmp2] === RB_BLACK) {
          setParentColor(s, sibling, parent, RB_RED);
          if (s.color[parent] === RB_RED) s.color[parent] = RB_BLACK;
          else {
            node = parent;
            parent = s.parent[node]!;
            if (parent !== NIL) continue;
          }
          break;
        }
        tmp1 = s.left[tmp2]!;
        s.right[sibling] = tmp1;
        s.left[tmp2] = sibling;
        s.left[parent] = tmp2;
        if (tmp1 !== NIL) setParentColor(s, tmp1, sibling, RB_BLACK);
        if (aug) augRotate(s, sibling, tmp2);
        tmp1 = sibling;
        sibling = tmp2;
      }
      const tmp2 = s.right[sibling]!;
      s.left[parent] = tmp2;
      s.right[sibling] = parent;
      setParentColor(s, tmp1, sibling, RB_BLACK);
      if (tmp2 !== NIL) s.parent[tmp2] = parent;
      rotateSetParents(s, roots, t, parent, sibling, RB_BLACK);
      if (aug) augRotate(s, parent, sibling);
      break;
    }
  }
}

/** rb_erase / rb_erase_augmented: unlink `node` and rebalance. */
export function rbErase(s: VaStore, roots: Int32Array, t: number, node: number, aug: boolean): void {
  let child = s.right[node]!;
  let tmp = s.left[node]!;
  let parent: number;
  let rebalance: number;
  if (tmp === NIL) {
    // at most one child, on the right
    const pcParent = s.parent[node]!;
    const pcColor = s.color[node]!;
    parent = pcParent;
    changeChild(s, roots, t, node, child, parent);
    if (child !== NIL) {
      s.parent[child] = pcParent;
      s.color[child] = pcColor;
      rebalance = NIL;
    } else rebalance = pcColor === RB_BLACK ? parent : NIL;
    tmp = parent;
  } else if (child === NIL) {
    // one child, on the left
    const pcParent = s.parent[node]!;
    s.parent[tmp] = pcParent;
    s.color[tmp] = s.color[node]!;
    parent = pcParent;
    changeChild(s, roots, t, node, tmp, parent);
    rebalance = NIL;
    tmp = parent;
  } else {
    let successor = child;
    let child2: number;
    tmp = s.left[child]!;
    if (tmp === NIL) {
      // the successor is the right child
      parent = successor;
      child2 = s.right[successor]!;
      if (aug) s.subtreeMax[successor] = s.subtreeMax[node]!;
    } else {
      // the successor is the leftmost node of the right subtree
      do {
        parent = successor;
        successor = tmp;
        tmp = s.left[tmp]!;
      } while (tmp !== NIL);
      child2 = s.right[successor]!;
      s.left[parent] = child2;
      s.right[successor] = child;
      s.parent[child] = successor;
      if (aug) {
        s.subtreeMax[successor] = s.subtreeMax[node]!;
        propagate(s, parent, successor);
      }
    }
    tmp = s.left[node]!;
    s.left[successor] = tmp;
    s.parent[tmp] = successor;
    const pcParent = s.parent[node]!;
    const pcColor = s.color[node]!;
    changeChild(s, roots, t, node, successor, pcParent);
    if (child2 !== NIL) {
      s.parent[successor] = pcParent;
      s.color[successor] = pcColor;
      setParentColor(s, child2, parent, RB_BLACK);
      rebalance = NIL;
    } else {
      const succColor = s.color[successor]!;
      s.parent[successor] = pcParent;
      s.color[successor] = pcColor;
      rebalance = succColor === RB_BLACK ? parent : NIL;
    }
    tmp = successor;
  }
  if (aug) propagate(s, tmp, NIL);
  if (rebalance !== NIL) eraseColor(s, roots, t, rebalance, aug);
}

/** rb_first: the leftmost node of tree `t`, or NIL. */
export function rbFirst(s: VaStore, roots: Int32Array, t: number): number {
  let n = roots[t]!;
  if (n === NIL) return NIL;
  while (s.left[n] !== NIL) n = s.left[n]!;
  return n;
}

/** rb_next: the in-order successor of `n`, or NIL. */
export function rbNext(s: VaStore, n: number): number {
  let r = s.right[n]!;
  if (r !== NIL) {
    while (s.left[r] !== NIL) r = s.left[r]!;
    return r;
  }
  let p = s.parent[n]!;
  while (p !== NIL && n === s.right[p]) {
    n = p;
    p = s.parent[p]!;
  }
  return p;
}
