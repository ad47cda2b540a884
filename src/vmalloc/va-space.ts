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
 * Errors are not logged here: the vmalloc layer above owns the log and the retry policy.
 * An overlapping insert (a kernel bug) is reported through `onOverlap`.
 */

import { PAGE_SIZE } from '../base/units.js';
import {
  propagate,
  rbErase,
  rbFirst,
  rbInsertColor,
  rbLinkNode,
  rbNext,
} from './rbtree.js';
import { NIL, VaState, VaStore } from './va-store.js';

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

/** The address-space allocator of one machine (or of a benchmark). */
export class VaSpace {
  readonly s: VaStore;
  /** Tree roots: FREE, BUSY, LAZY0 + node. */
  readonly roots: Int32Array;
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

  constructor(options: VaSpaceOptions = {}) {
    this.nrNodes = options.nodes ?? 1;
    this.s = new VaStore(options.capacity ?? 1024);
    this.roots = new Int32Array(LAZY0 + this.nrNodes);
    this.#head = new Int32Array(LAZY0 + this.nrNodes);
    this.#tail = new Int32Array(LAZY0 + this.nrNodes);
    const pools = this.nrNodes > 1 ? this.nrNodes * MAX_VA_SIZE_PAGES : 0;
    this.#poolHead = new Int32Array(pools);
    this.#poolTail = new Int32Array(pools);
    this.poolLen = new Int32Array(pools);
    this.#poolStart = options.poolStart ?? -1;
    this.#poolEnd = options.poolEnd ?? -1;
    this.#onOverlap = options.onOverlap ?? (() => {});
    const lo = options.lo ?? 1;
    const hi = options.hi ?? VA_CEILING;
    if (hi > lo) this.insertFreeRange(lo, hi);
  }

  // ── lists ────────────────────────────────────────────────────────────────────

  /** First area of list `t` (FREE 0, BUSY 1, lazy of node n: 2 + n), or NIL. */
  listFirst(t: number): number {
    return this.#head[t]!;
  }

  #listInsertAfter(t: number, va: number, after: number): void {
    const s = this.s;
    const nx = after === NIL ? this.#head[t]! : s.next[after]!;
    s.prev[va] = after;
    s.next[va] = nx;
    if (after === NIL) this.#head[t] = va;
    else s.next[after] = va;
    if (nx === NIL) this.#tail[t] = va;
    else s.prev[nx] = va;
  }

  #listDel(t: number, va: number): void {
    const s = this.s;
    const p = s.prev[va]!;
    const n = s.next[va]!;
    if (p === NIL) this.#head[t] = n;
    else s.next[p] = n;
    if (n === NIL) this.#tail[t] = p;
    else s.prev[n] = p;
    s.prev[va] = NIL;
    s.next[va] = NIL;
  }

  // ── tree linking (find_va_links, __link_va, __unlink_va) ────────────────────

  /** find_va_links from the root of `t` (or from `from`): false on overlap (reported). */
  #findLinks(va: number, t: number, from: number): boolean {
    const s = this.s;
    let n = from === NIL ? this.roots[t]! : from;
    const vs = s.start[va]!;
    const ve = s.end[va]!;
    let parent = NIL;
    let right = false;
    while (n !== NIL) {
      parent = n;
      if (ve <= s.start[n]!) {
        right = false;
        n = s.left[n]!;
      } else if (vs >= s.end[n]!) {
        right = true;
        n = s.right[n]!;
      } else {
        this.#onOverlap(vs, ve, s.start[n]!, s.end[n]!);
        return false;
      }
    }
    this.#linkParent = parent;
    this.#linkRight = right;
    return true;
  }

  /** __link_va: link `va` at the found place of tree/list `t`. */
  #link(va: number, t: number, parent: number, right: boolean, aug: boolean): void {
    const s = this.s;
    // list position: after parent if we hang on its right, else before it
    const after = parent === NIL ? NIL : right ? parent : s.prev[parent]!;
    rbLinkNode(s, this.roots, t, va, parent, right);
    rbInsertColor(s, this.roots, t, va, aug);
    if (aug) s.subtreeMax[va] = 0;
    this.#listInsertAfter(t, va, after);
  }

  #unlink(va: number, t: number, aug: boolean): void {
    rbErase(this.s, this.roots, t, va, aug);
    this.#listDel(t, va);
  }

  /** insert_vmap_area_augment: add a free range without merging (boot, NE split). */
  insertFreeRange(start: number, end: number): number {
    const va = this.s.alloc(start, end);
    if (!this.#findLinks(va, FREE, NIL)) {
      this.s.release(va);
      return NIL;
    }
    this.#link(va, FREE, this.#linkParent, this.#linkRight, true);
    this.s.state[va] = VaState.free;
    propagate(this.s, va, NIL);
    return va;
  }

  /**
   * __merge_or_add_vmap_area into tree `t` (the free tree augmented, a lazy tree plain):
   * merge `va` with the next and/or previous area when they touch, else link it.
   * @returns the area that now holds the range, or NIL on overlap (the range is dropped).
   */
  #mergeOrAdd(va: number, t: number, aug: boolean, state: number): number {
    const s = this.s;
    if (!this.#findLinks(va, t, NIL)) return NIL;
    const parent = this.#linkParent;
    const right = this.#linkRight;
    let merged = false;
    if (parent !== NIL) {
      // get_va_next_sibling: the list entry that will follow va
      const next = right ? s.next[parent]! : parent;
      if (next !== NIL && s.start[next] === s.end[va]) {
        s.start[next] = s.start[va]!;
        s.release(va);
        va = next;
        merged = true;
      }
      const prev = next !== NIL ? s.prev[next]! : this.#tail[t]!;
      if (prev !== NIL && s.end[prev] === s.start[va]) {
        if (merged) this.#unlink(va, t, aug);
        s.end[prev] = s.end[va]!;
        s.release(va);
        va = prev;
        merged = true;
      }
    }
    if (!merged) {
      this.#link(va, t, parent, right, aug);
      s.state[va] = state;
    }
    if (aug) propagate(s, va, NIL);
    return va;
  }

  // ── the search (is_within_this_va, find_vmap_lowest_match) ──────────────────

  #isWithin(va: number, size: number, align: number, vstart: number): boolean {
    const vs = this.s.start[va]!;
    const base = vs > vstart ? vs : vstart;
    const nva = Math.ceil(base / align) * align;
    if (nva < vstart) return false;
    return nva + size <= this.s.end[va]!;
  }

  /** find_vmap_lowest_match: the free area the kernel's search settles on, or NIL. */
  findLowestMatch(size: number, align: number, vstart: number, adjust: boolean): number {
    const s = this.s;
    const sub = s.subtreeMax;
    const length = adjust ? size + align - 1 : size;
    let node = this.roots[FREE]!;
    while (node !== NIL) {
      if (sub[s.left[node]!]! >= length && vstart < s.start[node]!) {
        node = s.left[node]!;
        continue;
      }
      if (this.#isWithin(node, size, align, vstart)) return node;
      if (sub[s.right[node]!]! >= length) {
        node = s.right[node]!;
        continue;
      }
      // roll back towards the root for the first right subtree that can serve
      for (;;) {
        node = s.parent[node]!;
        if (node === NIL) return NIL;
        if (this.#isWithin(node, size, align, vstart)) return node;
        if (sub[s.right[node]!]! >= length && vstart <= s.start[node]!) {
          vstart = s.start[node]! + 1;
          node = s.right[node]!;
          break;
        }
      }
    }
    return NIL;
  }

  /** find_vmap_lowest_linear_match: the same question by a walk of the free list. */
  findLowestLinear(size: number, align: number, vstart: number): number {
    for (let va = this.#head[FREE]!; va !== NIL; va = this.s.next[va]!)
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
    const vs = s.start[va]!;
    const nva = Math.ceil((vs > vstart ? vs : vstart) / align) * align;
    if (nva + size > vend) return -1;
    this.#clip(va, nva, size);
    return nva;
  }

  /** va_clip: take [nva, nva + size) out of free area `va` (FL / LE / RE / NE fit). */
  #clip(va: number, nva: number, size: number): void {
    const s = this.s;
    const vs = s.start[va]!;
    const ve = s.end[va]!;
    if (vs === nva) {
      if (ve === nva + size) {
        this.#unlink(va, FREE, true);
        s.release(va);
        return;
      }
      s.start[va] = nva + size;
      propagate(s, va, NIL);
      return;
    }
    if (ve === nva + size) {
      s.end[va] = nva;
      propagate(s, va, NIL);
      return;
    }
    // NE_FIT: the left remainder becomes a new free area, linked below va
    const lva = s.alloc(vs, nva);
    s.start[va] = nva + size;
    propagate(s, va, NIL);
    if (this.#findLinks(lva, FREE, va)) {
      this.#link(lva, FREE, this.#linkParent, this.#linkRight, true);
      s.state[lva] = VaState.free;
      propagate(s, lva, NIL);
    } else s.release(lva);
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
   * alloc_vmap_area's success half: a busy area [addr, addr + size) with `flags`.
   * @returns its index, or NIL if it overlaps a busy area (reported).
   */
  insertBusy(addr: number, size: number, flags: number): number {
    const s = this.s;
    const va = s.alloc(addr, addr + size);
    s.flags[va] = flags;
    if (!this.#findLinks(va, BUSY, NIL)) {
      s.release(va);
      return NIL;
    }
    this.#link(va, BUSY, this.#linkParent, this.#linkRight, false);
    s.state[va] = VaState.busy;
    return va;
  }

  /** __find_vmap_area: the busy area containing `addr`, or NIL. */
  findBusy(addr: number): number {
    const s = this.s;
    let n = this.roots[BUSY]!;
    while (n !== NIL) {
      if (addr < s.start[n]!) n = s.left[n]!;
      else if (addr >= s.end[n]!) n = s.right[n]!;
      else return n;
    }
    return NIL;
  }

  /** find_vmap_area_exceed_addr: the lowest busy area with va_end > addr, or NIL. */
  findBusyEndingAfter(addr: number): number {
    const s = this.s;
    let n = this.roots[BUSY]!;
    let found = NIL;
    while (n !== NIL) {
      if (s.end[n]! > addr) {
        found = n;
        if (s.start[n]! <= addr) break;
        n = s.left[n]!;
      } else n = s.right[n]!;
    }
    return found;
  }

  /** The busy area after `va` in address order, or NIL. */
  busyNext(va: number): number {
    return this.s.next[va]!;
  }

  /** The lowest busy area, or NIL. */
  busyFirst(): number {
    return this.#head[BUSY]!;
  }

  /** Take a busy area out of the busy tree (it is then detached). */
  unlinkBusy(va: number): void {
    this.#unlink(va, BUSY, false);
    this.s.state[va] = VaState.detached;
  }

  /** free_vmap_area's second half: merge a detached area into the free tree. */
  freeDetached(va: number): void {
    this.#mergeOrAdd(va, FREE, true, VaState.free);
  }

  /** free_vmap_area: unlink from busy and merge into the free tree at once. */
  freeNow(va: number): void {
    this.unlinkBusy(va);
    this.#mergeOrAdd(va, FREE, true, VaState.free);
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
   * (merging with touching lazy areas). @returns the new vmap_lazy_nr.
   */
  addLazy(va: number): number {
    const s = this.s;
    const pages = (s.end[va]! - s.start[va]!) / PAGE_SIZE;
    this.lazyPages += pages;
    const id = this.decodeNode(s.flags[va]!);
    const node = id >= 0 ? id : this.addrToNode(s.start[va]!);
    this.#mergeOrAdd(va, LAZY0 + node, false, VaState.lazy);
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
    const idx = (size - 1) / PAGE_SIZE;
    if (idx >= MAX_VA_SIZE_PAGES) return -1;
    const p = node * MAX_VA_SIZE_PAGES + idx;
    const va = this.#poolHead[p]!;
    if (va === NIL) return -1;
    const s = this.s;
    const start = s.start[va]!;
    if (start - Math.floor(start / align) * align !== 0) {
      if (this.#poolTail[p] !== va) {
        this.#poolDel(p, va);
        this.#poolAppend(p, va);
      }
      return -1;
    }
    if (s.end[va]! - start !== size) return -1; // the kernel's WARN_ON_ONCE sanity check
    this.#poolDel(p, va);
    this.poolLen[p]!--;
    s.release(va);
    return start;
  }

  #poolDel(p: number, va: number): void {
    const s = this.s;
    const pr = s.prev[va]!;
    const nx = s.next[va]!;
    if (pr === NIL) this.#poolHead[p] = nx;
    else s.next[pr] = nx;
    if (nx === NIL) this.#poolTail[p] = pr;
    else s.prev[nx] = pr;
    s.prev[va] = NIL;
    s.next[va] = NIL;
  }

  #poolAppend(p: number, va: number): void {
    const s = this.s;
    const t = this.#poolTail[p]!;
    s.prev[va] = t;
    s.next[va] = NIL;
    if (t === NIL) this.#poolHead[p] = va;
    else s.next[t] = va;
    this.#poolTail[p] = va;
  }

  #poolPush(p: number, va: number): void {
    const s = this.s;
    const h = this.#poolHead[p]!;
    s.prev[va] = NIL;
    s.next[va] = h;
    if (h === NIL) this.#poolTail[p] = va;
    else s.prev[h] = va;
    this.#poolHead[p] = va;
    this.poolLen[p]!++;
    s.state[va] = VaState.pooled;
  }

  /** decay_va_pool_node: return ~25% (or all) of each pool of `node` to the free tree. */
  #decayPools(node: number, full: boolean): void {
    const s = this.s;
    for (let c = 0; c < MAX_VA_SIZE_PAGES; c++) {
      const p = node * MAX_VA_SIZE_PAGES + c;
      if (this.#poolHead[p] === NIL) continue;
      let n = this.poolLen[p]!;
      if (!full) n >>= 2;
      // the first n go to a list built by list_add (so reversed), then back to the tree
      let reversed = NIL;
      for (let i = 0; i < n; i++) {
        const va = this.#poolHead[p]!;
        this.#poolDel(p, va);
        this.poolLen[p]!--;
        s.next[va] = reversed;
        reversed = va;
      }
      while (reversed !== NIL) {
        const va = reversed;
        reversed = s.next[va]!;
        s.next[va] = NIL;
        s.state[va] = VaState.detached;
        this.#mergeOrAdd(va, FREE, true, VaState.free);
      }
    }
  }

  /**
   * __purge_vmap_area_lazy: decay the pools, take every node's lazy list, flush the TLBs
   * once over the union of [start, end) and the purged ranges, then send each area to its
   * node's pool (when it carries a node id and pools are populated) or back to the free
   * tree. @returns whether any area was purged.
   */
  purge(start: number, end: number, fullDecay: boolean, flush: (s: number, e: number) => void): boolean {
    const s = this.s;
    let any = false;
    for (let n = 0; n < this.nrNodes; n++) {
      if (this.nrNodes > 1) this.#decayPools(n, fullDecay);
      const h = this.#head[LAZY0 + n]!;
      if (h === NIL) continue;
      any = true;
      if (s.start[h]! < start) start = s.start[h]!;
      const tl = this.#tail[LAZY0 + n]!;
      if (s.end[tl]! > end) end = s.end[tl]!;
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
    this.roots[t] = NIL;
    let reversed = NIL; // local_list, built by list_add
    while (va !== NIL) {
      const nx = s.next[va]!;
      this.lazyPages -= (s.end[va]! - s.start[va]!) / PAGE_SIZE;
      s.left[va] = s.right[va] = s.parent[va] = NIL;
      const id = this.decodeNode(s.flags[va]!);
      const size = s.end[va]! - s.start[va]!;
      if (id >= 0 && !skipPopulate && this.nrNodes > 1 && size <= MAX_VA_SIZE_PAGES * PAGE_SIZE) {
        this.#poolPush(node * MAX_VA_SIZE_PAGES + (size - 1) / PAGE_SIZE, va);
      } else {
        s.next[va] = reversed;
        reversed = va;
      }
      va = nx;
    }
    while (reversed !== NIL) {
      const v = reversed;
      reversed = s.next[v]!;
      s.next[v] = NIL;
      s.prev[v] = NIL;
      s.state[v] = VaState.detached;
      this.#mergeOrAdd(v, FREE, true, VaState.free);
    }
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
    return this.s.next[va]!;
  }

  /** The lowest area of tree `t` by the tree itself (for the checker). */
  treeFirst(t: number): number {
    return rbFirst(this.s, this.roots, t);
  }

  /** The in-order successor in a tree (for the checker). */
  treeNext(va: number): number {
    return rbNext(this.s, va);
  }
}

export { FREE as FREE_TREE, BUSY as BUSY_TREE, LAZY0 as LAZY_TREE0 };
