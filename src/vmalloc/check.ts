// SPDX-License-Identifier: GPL-2.0-only
/*
 * checkVaSpace(space): walk every tree, list and pool of a VaSpace and recompute what its
 * links, colours, augmented sizes, state tags and counters must be. Run by the model-based
 * tests after every operation, and by anyone who suspects the vmap-area allocator.
 *
 * Kernel: mm/vmalloc.c has only fragments of this: augment_tree_propagate_check() (V5,
 * under DEBUG_AUGMENT_PROPAGATE_CHECK) and find_vmap_lowest_match_check() (the tree search
 * against a list walk, VaSpace.crossCheck here); the red-black rules are lib/rbtree.c's.
 *
 * Data structure checked: the slots of `space.roots` — FREE_TREE (augmented with
 * subtree_max_size), BUSY_TREE, and LAZY_TREE0 + node for each vmap node — each a
 * red-black tree keyed by va_start plus an address-sorted list of the same areas; and, with
 * more than one node, nrNodes × MAX_VA_SIZE_PAGES size-class pools (lists only). Areas are
 * read only through the VaStore accessors, so the store's layout may change freely.
 *
 * Invariants (ids used in the messages; size(a) = end(a) - start(a)):
 *   V1  in every tree the in-order walk is strictly ascending: for consecutive a, b:
 *       end(a) <= start(b); every area is a non-empty integer range, start(a) >= 0
 *   V2  root.parent == NIL; child.parent == node for every link; every area is reachable
 *       exactly once over all trees and pools (no cycle, no area in two places)
 *   V3  root is black; a red node has no red child; every root-to-NIL path has the same
 *       number of black nodes
 *   V4  the list of slot t (listFirst(t), nextOf) is the in-order walk of tree t, and
 *       prevOf mirrors nextOf (prevOf(first) == NIL)
 *   V5  free tree: the subtree maxima a node's record keeps for its children equal their
 *       real values: leftMax(n) == realMax(left), rightMax(n) == realMax(right), where
 *       realMax(a) == max(size(a), realMax(left(a)), realMax(right(a))), realMax(NIL) = 0
 *       (so a stale copy anywhere, the root's children included, is caught)
 *   V6  free tree: for consecutive free areas a, b: end(a) < start(b) (touching areas merge)
 *   V7  state tags: free tree → VaState.free, busy → busy, lazy → lazy, pools → pooled; a
 *       lazy area sits on the tree of decode_vn_id(flags) if valid, else addr_to_node(start);
 *       a pooled area sits in the pool of its decoded node
 *   V8  free, busy, lazy and pooled areas never overlap one another
 *   V9  lazyPages == Σ size(a) / PAGE_SIZE over the lazy trees
 *   V10 a pooled area of node n is in class (size - 1) / PAGE_SIZE < MAX_VA_SIZE_PAGES and
 *       poolLen[n * MAX_VA_SIZE_PAGES + class] == the length of that pool's list
 *   V11 areas linked anywhere <= store.live (detached areas are live but linked nowhere);
 *       == store.live - detached when the caller says how many areas it holds detached
 *
 * Cost: O(n log n) for n linked areas (one sort for V8); allocates freely.
 */

// control-plane: invariant checker, run by tests and debug builds only; allocates freely

import { InvariantError } from '../base/errors.js';
import { hex, PAGE_SIZE } from '../base/units.js';
import { BUSY_TREE, FREE_TREE, LAZY_TREE0, MAX_VA_SIZE_PAGES, type VaSpace } from './va-space.js';
import { NIL, RB_BLACK, RB_RED, VaState, type VaStore } from './va-store.js';

/** Where an area was reached, for messages and for V8. */
interface Place {
  readonly what: string;
  readonly state: number;
}

function area(s: VaStore, va: number): string {
  return `area ${va} [${hex(s.startOf(va))}, ${hex(s.endOf(va))})`;
}

function slotName(t: number): string {
  if (t === FREE_TREE) return 'free tree';
  if (t === BUSY_TREE) return 'busy tree';
  return `lazy tree of node ${t - LAZY_TREE0}`;
}

function stateName(state: number): string {
  for (const [name, v] of Object.entries(VaState)) if (v === state) return name;
  return `unknown(${state})`;
}

/** Claim `va` for `place`; V2 if it was already reached from elsewhere. */
function visit(s: VaStore, seen: Map<number, string>, va: number, place: string): void {
  const before = seen.get(va);
  if (before !== undefined) {
    throw new InvariantError(
      `V2: ${area(s, va)} is reached twice: from the ${before} and from the ${place}`,
    );
  }
  seen.set(va, place);
}

function checkRange(s: VaStore, va: number, where: string): void {
  const start = s.startOf(va);
  const end = s.endOf(va);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
    throw new InvariantError(`V1: ${where}: ${area(s, va)} is not a non-empty integer range`);
  }
}

/**
 * Walk tree `t`: structure (V2), colours (V3), augmented sizes (V5 when `aug`).
 * @returns the in-order walk.
 */
function walkTree(space: VaSpace, t: number, seen: Map<number, string>, aug: boolean): number[] {
  const s = space.s;
  const where = slotName(t);
  const root = space.roots[t]!;
  if (root === NIL) return [];
  if (s.parentOf(root) !== NIL) {
    throw new InvariantError(
      `V2: ${where}: root ${area(s, root)} has parent ${s.parentOf(root)}, expected NIL`,
    );
  }
  if (s.colorOf(root) !== RB_BLACK) {
    throw new InvariantError(`V3: ${where}: root ${area(s, root)} is not black`);
  }
  // Pre-order with an explicit stack: a corrupted tree may be deep or cyclic.
  const pre: number[] = [];
  const stack: number[] = [root];
  visit(s, seen, root, where);
  while (stack.length > 0) {
    const n = stack.pop()!;
    pre.push(n);
    checkRange(s, n, where);
    const c = s.colorOf(n);
    if (c !== RB_RED && c !== RB_BLACK) {
      throw new InvariantError(`V3: ${where}: ${area(s, n)} has colour ${c}`);
    }
    for (const child of [s.rightOf(n), s.leftOf(n)]) {
      if (child === NIL) continue;
      visit(s, seen, child, where);
      if (s.parentOf(child) !== n) {
        throw new InvariantError(
          `V2: ${where}: ${area(s, child)} hangs below area ${n} but its parent is ${s.parentOf(child)}`,
        );
      }
      if (c === RB_RED && s.colorOf(child) === RB_RED) {
        throw new InvariantError(
          `V3: ${where}: red ${area(s, n)} has a red child ${area(s, child)}`,
        );
      }
      stack.push(child);
    }
  }
  // Children before parents: black heights and subtree maxima.
  const blackHeight = new Map<number, number>();
  blackHeight.set(NIL, 1);
  const realMax = new Map<number, number>();
  realMax.set(NIL, 0);
  for (let i = pre.length - 1; i >= 0; i--) {
    const n = pre[i]!;
    const l = s.leftOf(n);
    const r = s.rightOf(n);
    const bl = blackHeight.get(l)!;
    const br = blackHeight.get(r)!;
    if (bl !== br) {
      throw new InvariantError(
        `V3: ${where}: below ${area(s, n)} the left paths have ${bl} black nodes, the right ${br}`,
      );
    }
    blackHeight.set(n, bl + (s.colorOf(n) === RB_BLACK ? 1 : 0));
    if (aug) {
      const size = s.endOf(n) - s.startOf(n);
      const ml = realMax.get(l)!;
      const mr = realMax.get(r)!;
      if (s.leftMaxOf(n) !== ml || s.rightMaxOf(n) !== mr) {
        throw new InvariantError(
          `V5: ${where}: ${area(s, n)} keeps children's maxima left ${hex(s.leftMaxOf(n))} right ${hex(s.rightMaxOf(n))}, expected left ${hex(ml)} right ${hex(mr)}`,
        );
      }
      realMax.set(n, Math.max(size, ml, mr));
    }
  }
  // In-order walk (the tree is now known to be finite and acyclic).
  const order: number[] = [];
  const path: number[] = [];
  let n = root;
  while (n !== NIL || path.length > 0) {
    while (n !== NIL) {
      path.push(n);
      n = s.leftOf(n);
    }
    n = path.pop()!;
    order.push(n);
    n = s.rightOf(n);
  }
  for (let i = 1; i < order.length; i++) {
    const a = order[i - 1]!;
    const b = order[i]!;
    if (s.endOf(a) > s.startOf(b)) {
      throw new InvariantError(
        `V1: ${where}: in-order ${area(s, a)} is followed by ${area(s, b)} (out of order or overlapping)`,
      );
    }
  }
  return order;
}

/** V4: the list of slot `t` is the in-order walk `order`. */
function checkList(space: VaSpace, t: number, order: readonly number[]): void {
  const s = space.s;
  const where = `list of the ${slotName(t)}`;
  let va = space.listFirst(t);
  let prev = NIL;
  for (let i = 0; i < order.length; i++) {
    if (va !== order[i]) {
      const got = va === NIL ? 'the end of the list' : area(s, va);
      throw new InvariantError(
        `V4: ${where}: entry ${i} is ${got}, the tree has ${area(s, order[i]!)}`,
      );
    }
    if (s.prevOf(va) !== prev) {
      throw new InvariantError(
        `V4: ${where}: ${area(s, va)} has prev ${s.prevOf(va)}, expected ${prev}`,
      );
    }
    prev = va;
    va = space.next(va);
  }
  if (va !== NIL) {
    throw new InvariantError(
      `V4: ${where}: ${area(s, va)} follows the last of the tree's ${order.length} areas`,
    );
  }
}

/** Options of {@link checkVaSpace}. */
export interface CheckVaSpaceOptions {
  /**
   * Areas the caller knows to be live but linked nowhere (unlinked from the busy tree and
   * not yet freed, or leaked by an overlap report). When given, V11 becomes an equation, so
   * an area the allocator dropped on the floor is found.
   * @defaultValue undefined (V11 only checks linked <= live)
   */
  readonly detached?: number;
}

/**
 * Check every invariant (V1–V11 in this file's header) of a vmap-area space.
 *
 * Kernel: none as such; mm/vmalloc.c's augment_tree_propagate_check() covers V5 only.
 * Context: control plane; O(n log n) in the linked areas; allocates.
 *
 * @param space - the allocator to check; it is only read.
 * @param options - see {@link CheckVaSpaceOptions}.
 * @returns nothing; the space is consistent when it returns.
 * @throws {InvariantError} naming the invariant id, the tree or pool, the area (index and
 *   range) and the values that disagree.
 */
export function checkVaSpace(space: VaSpace, options: CheckVaSpaceOptions = {}): void {
  const s = space.s;
  const seen = new Map<number, string>();
  const all: Array<[va: number, place: Place]> = [];

  // Trees and their lists: V1–V7.
  for (let t = 0; t < space.roots.length; t++) {
    const aug = t === FREE_TREE;
    const order = walkTree(space, t, seen, aug);
    checkList(space, t, order);
    const place: Place = {
      what: slotName(t),
      state: t === FREE_TREE ? VaState.free : t === BUSY_TREE ? VaState.busy : VaState.lazy,
    };
    for (let i = 0; i < order.length; i++) {
      const va = order[i]!;
      if (s.stateOf(va) !== place.state) {
        throw new InvariantError(
          `V7: ${place.what}: ${area(s, va)} is tagged ${stateName(s.stateOf(va))}, expected ${stateName(place.state)}`,
        );
      }
      if (t >= LAZY_TREE0) {
        const id = space.decodeNode(s.flagsOf(va));
        const node = id >= 0 ? id : space.addrToNode(s.startOf(va));
        if (node !== t - LAZY_TREE0) {
          throw new InvariantError(
            `V7: ${place.what}: ${area(s, va)} (flags ${hex(s.flagsOf(va))}) belongs on the lazy tree of node ${node}`,
          );
        }
      }
      if (aug && i > 0 && s.endOf(order[i - 1]!) === s.startOf(va)) {
        throw new InvariantError(
          `V6: free tree: ${area(s, order[i - 1]!)} touches ${area(s, va)}; they should have merged`,
        );
      }
      all.push([va, place]);
    }
  }

  // Pools: V2, V7, V10.
  const pooledPlace: Place = { what: 'pools', state: VaState.pooled };
  if (space.nrNodes > 1) {
    if (space.poolLen.length !== space.nrNodes * MAX_VA_SIZE_PAGES) {
      throw new InvariantError(
        `V10: poolLen has ${space.poolLen.length} entries, expected ${space.nrNodes} × ${MAX_VA_SIZE_PAGES}`,
      );
    }
    for (let node = 0; node < space.nrNodes; node++) {
      for (let c = 0; c < MAX_VA_SIZE_PAGES; c++) {
        const where = `pool of node ${node} class ${c}`;
        const len = space.poolLen[node * MAX_VA_SIZE_PAGES + c]!;
        let count = 0;
        let prev = NIL;
        for (let va = space.poolFirst(node, c); va !== NIL; va = space.next(va)) {
          visit(s, seen, va, where);
          checkRange(s, va, where);
          if (s.prevOf(va) !== prev) {
            throw new InvariantError(
              `V10: ${where}: ${area(s, va)} has prev ${s.prevOf(va)}, expected ${prev}`,
            );
          }
          if (s.stateOf(va) !== VaState.pooled) {
            throw new InvariantError(
              `V7: ${where}: ${area(s, va)} is tagged ${stateName(s.stateOf(va))}, expected pooled`,
            );
          }
          const size = s.endOf(va) - s.startOf(va);
          const want = Math.floor((size - 1) / PAGE_SIZE);
          if (want !== c) {
            throw new InvariantError(
              `V10: ${where}: ${area(s, va)} of ${size / PAGE_SIZE} pages belongs in class ${want}`,
            );
          }
          const id = space.decodeNode(s.flagsOf(va));
          if (id !== node) {
            throw new InvariantError(
              `V7: ${where}: ${area(s, va)} carries node id ${id} (flags ${hex(s.flagsOf(va))})`,
            );
          }
          all.push([va, pooledPlace]);
          prev = va;
          count++;
        }
        if (count !== len) {
          throw new InvariantError(`V10: ${where}: poolLen says ${len}, the list holds ${count}`);
        }
      }
    }
  } else {
    for (let i = 0; i < space.poolLen.length; i++) {
      if (space.poolLen[i] !== 0) {
        throw new InvariantError(`V10: one vmap node but poolLen[${i}] = ${space.poolLen[i]}`);
      }
    }
  }

  // V8: nothing overlaps across kinds (within a tree V1 already holds).
  all.sort((a, b) => s.startOf(a[0]) - s.startOf(b[0]));
  for (let i = 1; i < all.length; i++) {
    const [a, pa] = all[i - 1]!;
    const [b, pb] = all[i]!;
    if (s.endOf(a) > s.startOf(b)) {
      throw new InvariantError(
        `V8: ${area(s, a)} in the ${pa.what} overlaps ${area(s, b)} in the ${pb.what}`,
      );
    }
  }

  // V9: the lazy page counter.
  let lazyPages = 0;
  for (const [va, p] of all) {
    if (p.state === VaState.lazy) lazyPages += (s.endOf(va) - s.startOf(va)) / PAGE_SIZE;
  }
  if (space.lazyPages !== lazyPages) {
    throw new InvariantError(
      `V9: lazyPages is ${space.lazyPages}, the lazy trees hold ${lazyPages} pages`,
    );
  }

  // V11: nothing linked that the store does not count as live.
  if (seen.size > s.live) {
    throw new InvariantError(`V11: ${seen.size} areas are linked but the store has ${s.live} live`);
  }
  const detached = options.detached;
  if (detached !== undefined && seen.size + detached !== s.live) {
    throw new InvariantError(
      `V11: the store has ${s.live} live areas, ${seen.size} are linked and ${detached} detached: ${s.live - seen.size - detached} unaccounted for`,
    );
  }
}
