// SPDX-License-Identifier: GPL-2.0-only
/*
 * The search index of a genpool chunk: a segment tree over the bitmap's 32-bit words that
 * finds the kernel's first-fit placement (and aligned placements) without scanning.
 *
 * Kernel: none — this replaces the linear scan of bitmap_find_next_zero_area_off() for the
 * built-in algorithms, and must return exactly what that scan returns (algos.ts).
 *
 * Structure: a complete binary tree in structure-of-arrays form. Node 1 is the root, node n
 * has children 2n and 2n+1, and the leaves L..2L-1 are the bitmap words (L = the word count
 * rounded up to a power of two). Every node describes the free bits (zero bits) of its span:
 *
 *   pre[n]  free bits at the low end of the span      span of node n
 *   suf[n]  free bits at the high end                 ┌────────────────────────────┐
 *   max[n]  longest free run inside the span          │ pre │ ..... max ..... │ suf │
 *                                                     └────────────────────────────┘
 *   pre = pre[a] == span(a) ? span(a) + pre[b] : pre[a]            (a = 2n, b = 2n+1)
 *   suf = suf[b] == span(b) ? span(b) + suf[a] : suf[b]
 *   max = max(max[a], max[b], suf[a] + pre[b])
 *
 * Bits past the end of the map (the tail of the last word, padding leaves) count as used.
 *
 * Saturation: a value above `cap` is stored as `cap`, except the value of an entirely free
 * node, which stays its span (so "entirely free" is exact). Searches only ever ask "is it
 * at least nr?" with nr <= cap, and only read exact positions from values below nr, so the
 * answers are unchanged — but a long free run that shrinks or grows (the frontier of a
 * fill, a big free tail) stops changing its ancestors once it is above cap, and updates end
 * early. The pool raises cap (and rebuilds) before a search for more than cap bits.
 *
 * Invariants (checked by check.ts):
 *   T1: every leaf equals the values computed from its bitmap word.
 *   T2: every inner node equals the combination of its children.
 *
 * First fit for nr bits descends once: go left if max[left] >= nr, else answer at the run
 * crossing the middle if suf[left] + pre[right] >= nr, else go right — O(log words).
 * Aligned fits sweep the nodes left to right, skipping every subtree whose longest run is
 * shorter than nr, carrying the start of the free run that reaches the current position.
 *
 * Internals are TypeScript `private` (`_name`), not `#private`: measured faster on this
 * per-operation path (docs/ARCHITECTURE.md, "#private or TypeScript private on hot paths").
 */

import { KernelBug } from '../base/errors.js';
import { firstWordMask, lastWordMask } from '../bitmap/bitmap.js';

/** The deepest tree kmem builds: 2^30 bits / 32 = 2^25 leaves, so 26 levels. */
const MAX_DEPTH = 32;

/** Number of trailing one bits of a 32-bit word. */
function trailingOnes(z: number): number {
  const t = ~z;
  return t === 0 ? 32 : 31 - Math.clz32(t & -t);
}

/** LONGEST[h]: the longest run of one bits in the 16-bit value h (64 KiB, built once). */
const LONGEST = longestRuns16();

/** Build LONGEST: a run of h starts at bit 0, or lies in h >>> 1. */
function longestRuns16(): Uint8Array {
  const table = new Uint8Array(1 << 16);
  for (let h = 1; h < 1 << 16; h++) {
    const r = trailingOnes(h);
    const rest = table[h >>> 1]!;
    table[h] = r > rest ? r : rest;
  }
  return table;
}

/**
 * Length of the longest run of one bits in a word: the longest of the low half's, the high
 * half's (two independent table reads) and the run across the middle (leading ones of the
 * low half plus trailing ones of the high half), with branch-free maxima. Replaces a
 * five-step bit-doubling search whose serial chain cost about twice as much per edge word.
 */
function longestRun(z: number): number {
  let m = LONGEST[z & 0xffff]!;
  let d = LONGEST[z >>> 16]! - m;
  m += d & ~(d >> 31);
  d = Math.clz32(~(z << 16)) + trailingOnes(z >>> 16) - m;
  return m + (d & ~(d >> 31));
}

/** Set leaf n's (pre, suf, max) from its free-bit word z. */
function setLeaf(t: Int32Array, n: number, z: number): void {
  const i = 4 * n;
  if (z === -1) {
    t[i] = 32;
    t[i + 1] = 32;
    t[i + 2] = 32;
  } else if (z === 0) {
    t[i] = 0;
    t[i + 1] = 0;
    t[i + 2] = 0;
  } else {
    t[i] = trailingOnes(z);
    t[i + 1] = Math.clz32(~z);
    t[i + 2] = longestRun(z);
  }
}

/** combine's result when only the node's max changed (2 is or'ed in when pre or suf did). */
const CHANGED_MAX = 1;

/**
 * Recompute inner node n from its children (each of `span` bits), saturating above cap
 * unless the node is entirely free.
 *
 * Branch-free (data-dependent branches mispredict on every other node and cost more than
 * the arithmetic): with e = (x - span) >> 31, 0 when a child is entirely free and -1
 * otherwise, pre = pa + (pb & ~ea), suf = sb + (sa & ~eb), and
 * max(x, y) = x - ((x - y) & ((x - y) >> 31)). Values stay below 2^30: no overflow.
 *
 * @returns 2 when pre or suf changed, or'ed with CHANGED_MAX (1) when max changed; 0 when
 *   the node did not change.
 */
function combine(t: Int32Array, n: number, span: number, cap: number): number {
  const a = n << 3; // left child 2n at 4 * 2n; right child right after it
  const i = n << 2;
  const pa = t[a]!;
  const sa = t[a + 1]!;
  const ma = t[a + 2]!;
  const pb = t[a + 4]!;
  const sb = t[a + 5]!;
  const mb = t[a + 6]!;
  let p = pa + (pb & ~((pa - span) >> 31));
  let s = sb + (sa & ~((sb - span) >> 31));
  // max(ma, mb, sa + pb); `| 0` keeps it int32 (no overflow checks: values stay < 2^30)
  let m = (sa + pb) | 0;
  let d = (m - ma) | 0;
  m -= d & (d >> 31);
  d = (m - mb) | 0;
  m -= d & (d >> 31);
  // Saturate (see the header); m < full whenever p or s is, so one test guards all three.
  if (m > cap && m !== span << 1) {
    m = cap;
    if (p > cap) p = cap;
    if (s > cap) s = cap;
  }
  const ps = (p ^ t[i]!) | (s ^ t[i + 1]!);
  const md = m ^ t[i + 2]!;
  t[i] = p;
  t[i + 1] = s;
  t[i + 2] = m;
  // (x | -x) >>> 31 is 1 when x !== 0, without a branch
  return (((ps | -ps) >>> 31) << 1) | ((md | -md) >>> 31);
}

/**
 * Mark the bits of a free-bit word that start nr free bits in a row inside the word
 * (1 <= nr <= 32), by doubling: y &= y >>> have marks runs of twice the length.
 */
export function runStarts(z: number, nr: number): number {
  let y = z;
  let have = 1;
  while (have < nr) {
    const sh = have < nr - have ? have : nr - have;
    y &= y >>> sh;
    have += sh;
  }
  return y;
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** A segment tree over the free bits of one chunk's bitmap. */
export class FitTree {
  /** Bits in the map. */
  readonly nbits: number;
  /** Words holding those bits. */
  readonly nWords: number;
  /** Leaves of the tree (a power of two >= nWords). */
  readonly leaves: number;
  /**
   * The nodes, interleaved so that one node is 16 bytes and two siblings share a cache
   * line: pre at 4n, suf at 4n + 1, max at 4n + 2 (4n + 3 is padding).
   */
  readonly node: Int32Array;
  private readonly _tailMask: number;
  private readonly _totalBits: number;
  /** Saturation bound of stored values (see the header); at least 64. */
  private _cap: number;
  /** DFS stack of the aligned sweep; each pop pushes at most two, so depth + 1 suffices. */
  private readonly _stack = new Int32Array(MAX_DEPTH * 2);

  constructor(nbits: number, cap = 64) {
    this.nbits = nbits;
    this._cap = cap;
    this.nWords = Math.ceil(nbits / 32);
    let leaves = 1;
    while (leaves < this.nWords) leaves *= 2;
    this.leaves = leaves;
    this._totalBits = leaves * 32;
    this.node = new Int32Array(8 * leaves);
    this._tailMask = lastWordMask(nbits);
  }

  /** Return the free-bit word (1 = free) of word `w` of `map`, tail bits counted as used. */
  freeWord(map: Uint32Array, w: number): number {
    if (w >= this.nWords) return 0;
    const z = ~map[w]!;
    return w === this.nWords - 1 ? z & this._tailMask : z;
  }

  /** The saturation bound: searches may ask for at most this many bits. */
  get cap(): number {
    return this._cap;
  }

  /** Raise the saturation bound to at least `nr` and rebuild from `map`. */
  raiseCap(map: Uint32Array, nr: number): void {
    let cap = this._cap;
    while (cap < nr) cap *= 2;
    this._cap = cap;
    this.rebuild(map);
  }

  /** Recompute the whole tree from `map` (chunk creation, index rebuild). */
  rebuild(map: Uint32Array): void {
    const L = this.leaves;
    for (let w = 0; w < L; w++) setLeaf(this.node, L + w, this.freeWord(map, w));
    let span = 32;
    for (let lo = L >> 1; lo >= 1; lo >>= 1) {
      for (let n = lo; n < 2 * lo; n++) combine(this.node, n, span, this._cap);
      span *= 2;
    }
  }

  /**
   * Recompute the leaves of the words holding bits [start, start + nr) and their ancestors,
   * stopping at the first level where no node changed.
   *
   * Two phases. While pre or suf change, whole nodes are recombined, level by level (the
   * lowest levels may hold two or three touched nodes). Once a single node is left whose
   * pre and suf did not change, no ancestor's pre or suf can change either (they depend on
   * pre and suf alone), so the climb goes on with max alone: the parent's max is the
   * child's new max against the sibling's max and the run crossing the parent's middle,
   * both unchanged and read off the dependency chain, with the child's max carried in a
   * register (about half the cost of a combine per level; most levels of a first-fit
   * workload change only a max).
   *
   * Context: data plane; O(levels changed), allocation-free.
   *
   * Size: this method's bytecode is kept above V8's limit for inlining (460 bytes; the
   * range check below takes it there). Compiled on its own, it inlines combine and the
   * leaf helpers; inlined into a caller (the shared pool's SlotOps did so), the caller's
   * inlining budget ran out and combine was called out of line on every level (measured:
   * shared-pool G-steady 190-198 -> 172-179 ns/op, 2026-11-21).
   * @throws {KernelBug} when [start, start + nr) is not inside the map's bits.
   */
  update(map: Uint32Array, start: number, nr: number): void {
    if (nr <= 0) return;
    if (!(start >= 0 && start + nr <= this.nbits)) {
      throw new KernelBug(
        `fit tree: update of bits [${start}, ${start + nr}) outside the chunk's ${this.nbits} bits`,
      );
    }
    const t = this.node;
    const L = this.leaves;
    const wFirst = start >>> 5;
    const wLast = (start + nr - 1) >>> 5;
    const lastWord = this.nWords - 1;
    for (let w = wFirst; w <= wLast; w++) {
      const z = ~map[w]!;
      setLeaf(t, L + w, w === lastWord ? z & this._tailMask : z);
    }
    let lo = (L + wFirst) >> 1;
    let hi = (L + wLast) >> 1;
    let span = 32;
    const cap = this._cap;
    // Keep one call site of combine here: update, combine and the leaf helpers just fit
    // V8's inlining budget (a second site, or a larger combine, puts the leaf helpers out
    // of line, two calls per leaf).
    while (lo >= 1) {
      let diff = 0;
      for (let n = lo; n <= hi; n++) diff |= combine(t, n, span, cap);
      if (diff === 0) return; // ancestors depend only on these nodes
      if (diff === CHANGED_MAX && lo === hi) break; // one node, only its max changed
      lo >>= 1;
      hi >>= 1;
      span <<= 1;
    }
    if (lo <= 1) return; // the root was recombined
    // The max-only climb from node lo. A parent is never entirely free here (its children
    // would be, with pre and suf unchanged, so max unchanged too): saturate at cap. The
    // child's max is already saturated; the sibling's and the crossing run may not be.
    let m = t[(lo << 2) + 2]!;
    for (let c = lo; c > 1; c >>= 1) {
      const a = (c >> 1) << 3; // the parent's left child
      let o = (t[a + 1]! + t[a + 4]!) | 0; // the run crossing the parent's middle
      let d = (o - t[((c ^ 1) << 2) + 2]!) | 0;
      o -= d & (d >> 31); // max with the sibling's max
      d = (cap - o) | 0;
      o += d & (d >> 31); // min with cap
      d = (m - o) | 0;
      m -= d & (d >> 31); // max with the child's: the only step on the chain
      const j = (a >> 1) + 2; // the parent's max
      if (m === t[j]!) return;
      t[j] = m;
    }
  }

  /** Free bits at the low end of node n's span. */
  pre(n: number): number {
    return this.node[4 * n]!;
  }

  /** Free bits at the high end of node n's span. */
  suf(n: number): number {
    return this.node[4 * n + 1]!;
  }

  /** Longest free run inside node n's span. */
  max(n: number): number {
    return this.node[4 * n + 2]!;
  }

  /** The longest free run of the chunk, in bits. */
  longestRun(): number {
    return this.node[6]!;
  }

  /**
   * Find the lowest bit i with [i, i + nr) free: the kernel's first fit from bit 0.
   * @returns the bit index, or -1 when no run of nr free bits exists.
   */
  findFirst(map: Uint32Array, nr: number): number {
    const t = this.node;
    if (t[6]! < nr) return -1;
    const L = this.leaves;
    let n = 1;
    let base = 0;
    let span = this._totalBits;
    while (n < L) {
      const half = span >>> 1; // int32 arithmetic throughout: spans are at most 2^30
      const ia = n << 3; // left child 2n
      const goRight = (t[ia + 2]! - nr) >>> 31; // 1 when the left child has no run of nr
      // The run crossing the middle fits only on the way right (rare: a predictable branch).
      if ((goRight & ((nr - 1 - t[ia + 1]! - t[ia + 4]!) >>> 31)) !== 0) {
        return base + half - t[ia + 1]!;
      }
      n = (n << 1) + goRight;
      base += half & -goRight;
      span = half;
    }
    // A leaf whose longest run is >= nr, so nr <= 32.
    return base + lowestBit(runStarts(this.freeWord(map, n - L), nr));
  }

  /**
   * Find the lowest bit i >= start with [i, i + nr) free and (i + off) a multiple of
   * `align` (a power of two): bitmap_find_next_zero_area_off() with mask align - 1.
   *
   * Context: allocation-free; visits only subtrees holding a run of at least nr free bits.
   * @returns the bit index, or -1 when nothing fits.
   */
  findAligned(map: Uint32Array, nr: number, align: number, off: number, start: number): number {
    const t = this.node;
    if (t[6]! < nr) return -1;
    const stack = this._stack;
    const L = this.leaves;
    const total = this._totalBits;
    let runStart = -1; // start of the free run reaching the current position, or -1
    let sp = 0;
    stack[sp++] = 1;
    while (sp > 0) {
      const n = stack[--sp]!;
      const depth = 31 - Math.clz32(n);
      const span = total / 2 ** depth;
      const b = (n - 2 ** depth) * span;
      const e = b + span;
      if (e <= start) {
        runStart = -1;
        continue;
      }
      const m = t[4 * n + 2]!;
      if (b >= start) {
        if (m === span) {
          if (runStart < 0) runStart = b;
          const p = alignFrom(runStart, align, off);
          if (p + nr <= e) return p;
          continue;
        }
        if (m < nr) {
          const pr = t[4 * n]!;
          if (runStart >= 0 || pr > 0) {
            const p = alignFrom(runStart >= 0 ? runStart : b, align, off);
            if (p + nr <= b + pr) return p;
          }
          const sf = t[4 * n + 1]!;
          runStart = sf > 0 ? e - sf : -1;
          continue;
        }
      }
      if (n < L) {
        stack[sp++] = 2 * n + 1;
        stack[sp++] = 2 * n;
        continue;
      }
      // A leaf: walk its free runs, the first one joining the carried run.
      let x = this.freeWord(map, n - L);
      if (b < start) x &= firstWordMask(start - b);
      if ((x & 1) === 0) runStart = -1;
      while (x !== 0) {
        const s = lowestBit(x);
        const used = ~x & firstWordMask(s);
        const eb = used === 0 ? 32 : lowestBit(used);
        const rs = s === 0 && runStart >= 0 ? runStart : b + s;
        const p = alignFrom(rs, align, off);
        if (p + nr <= b + eb) return p;
        if (eb === 32) {
          runStart = rs;
          break;
        }
        runStart = -1;
        x &= ~lastWordMask(eb);
      }
    }
    return -1;
  }

  /**
   * Return the first bit of the free run that ends just before `pos`: one past the last used
   * bit below `pos`, or 0. Climbs to the nearest left sibling that is not entirely free,
   * then descends to its last used bit (exact "entirely free" tests only: values may be
   * saturated).
   */
  runStartBefore(map: Uint32Array, pos: number): number {
    const L = this.leaves;
    const w = pos >>> 5;
    const r = pos & 31;
    if (w < this.nWords && r !== 0) {
      const used = ~this.freeWord(map, w) & ((1 << r) - 1);
      if (used !== 0) return w * 32 + 32 - Math.clz32(used);
    }
    let n = L + w;
    let span = 32;
    while (n > 1) {
      if ((n & 1) === 1 && this.max(n - 1) !== span) {
        let x = n - 1; // not entirely free: find its last used bit
        while (x < L) {
          span /= 2;
          x = this.max(2 * x + 1) !== span ? 2 * x + 1 : 2 * x;
        }
        const used = ~this.freeWord(map, x - L);
        return (x - L) * 32 + 32 - Math.clz32(used);
      }
      n >>= 1;
      span *= 2;
    }
    return 0;
  }

  /** Return the first used bit at or after `pos`, or nbits. */
  runEndFrom(map: Uint32Array, pos: number): number {
    if (pos >= this.nbits) return this.nbits;
    const L = this.leaves;
    const w = pos >>> 5;
    const used = ~this.freeWord(map, w) & firstWordMask(pos & 31);
    if (used !== 0) return Math.min(this.nbits, w * 32 + lowestBit(used));
    let n = L + w;
    let span = 32;
    while (n > 1) {
      if ((n & 1) === 0 && this.max(n + 1) !== span) {
        let x = n + 1; // not entirely free: find its first used bit
        while (x < L) {
          span /= 2;
          x = this.max(2 * x) !== span ? 2 * x : 2 * x + 1;
        }
        const u = ~this.freeWord(map, x - L);
        return Math.min(this.nbits, (x - L) * 32 + lowestBit(u));
      }
      n >>= 1;
      span *= 2;
    }
    return this.nbits;
  }
}

/** Return the lowest i >= x with (i + off) a multiple of align (align a power of two). */
function alignFrom(x: number, align: number, off: number): number {
  if (align === 1) return x;
  const t = x + off + align - 1;
  return t - (t % align) - off;
}
