// SPDX-License-Identifier: GPL-2.0-only
/*
 * A brute-force model of the kernel's genpool, written from KERNEL-SPEC §1.1/§1.2 with the
 * kernel's own loops over a `boolean[]` per chunk. It shares no code with kmem: no bitmap
 * words, no index, no kmem algorithm. The model-based tests compare every placement,
 * every avail value and every BUG/WARN of kmem with it.
 *
 * Kernel: lib/genalloc.c gen_pool_add_owner, gen_pool_alloc_algo_owner, gen_pool_free_owner,
 * gen_pool_virt_to_phys, gen_pool_has_addr, gen_pool_avail, gen_pool_size and the five
 * algorithms; lib/bitmap.c bitmap_find_next_zero_area_off; lib/find_bit.c.
 *
 * Model of a BUG: the call reports it and changes nothing (kmem's documented DEVIATION; the
 * kernel would oops with a partially cleared bitmap).
 */

// ── The kernel's bitmap loops, over boolean[] ───────────────────────────────

/** find_next_bit(): the first set bit in [start, size), or size. */
export function boolFindNextBit(map: readonly boolean[], size: number, start: number): number {
  for (let i = start; i < size; i++) if (map[i] === true) return i;
  return size;
}

/** find_next_zero_bit(): the first clear bit in [start, size), or size. */
export function boolFindNextZeroBit(map: readonly boolean[], size: number, start: number): number {
  for (let i = start; i < size; i++) if (map[i] !== true) return i;
  return size;
}

/** The last set bit below `end`, or -1. */
export function boolFindPrevBit(map: readonly boolean[], end: number): number {
  for (let i = end - 1; i >= 0; i--) if (map[i] === true) return i;
  return -1;
}

/**
 * __ALIGN_MASK(x, mask) = (x + mask) & ~mask, literally, for the small non-negative values a
 * bit index takes (everything below 2^31 here).
 */
export function boolAlignMask(x: number, mask: number): number {
  const t = x + mask;
  if (t >= 2 ** 31 || mask < 0 || x < 0)
    throw new RangeError(`oracle: __ALIGN_MASK(${x}, ${mask}) out of range`);
  return (t & ~mask) >>> 0;
}

/**
 * bitmap_find_next_zero_area_off(), the loop of KERNEL-SPEC §1.2:
 * loop { index = first zero bit at or after start; index = round_up(index + align_offset,
 * align_mask + 1) - align_offset; end = index + nr; if end > size return end; if any bit in
 * [index, end) is set, start = (first such set bit) + 1 and repeat; otherwise return index }.
 */
export function boolFindNextZeroAreaOff(
  map: readonly boolean[],
  size: number,
  start: number,
  nr: number,
  alignMask: number,
  alignOffset: number,
): number {
  for (;;) {
    let index = boolFindNextZeroBit(map, size, start);
    index = boolAlignMask(index + alignOffset, alignMask) - alignOffset;
    const end = index + nr;
    if (end > size) return end;
    const i = boolFindNextBit(map, end, index);
    if (i < end) {
      start = i + 1;
      continue;
    }
    return index;
  }
}

/** bitmap_find_next_zero_area() = the _off variant with align_offset 0. */
export function boolFindNextZeroArea(
  map: readonly boolean[],
  size: number,
  start: number,
  nr: number,
  alignMask: number,
): number {
  return boolFindNextZeroAreaOff(map, size, start, nr, alignMask, 0);
}

/** roundup_pow_of_two(n) for n >= 1. */
export function boolRoundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function isPow2(n: number): boolean {
  if (!Number.isSafeInteger(n) || n <= 0) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

// ── The five algorithms (genpool_algo_t) ────────────────────────────────────

/** The algorithm names of the model. */
export type OracleAlgo = 'first_fit' | 'first_fit_align' | 'fixed' | 'order_align' | 'best_fit';

/** All of them, in a fixed order. */
export const ORACLE_ALGOS: readonly OracleAlgo[] = [
  'first_fit',
  'first_fit_align',
  'fixed',
  'order_align',
  'best_fit',
];

/** The algorithm's `data`: `{ align }` for first_fit_align, `{ offset }` for fixed. */
export type OracleData = { align: number } | { offset: number } | null;

/** What an algorithm sees of the pool: the order, and a WARN counter (gen_pool_fixed_alloc). */
interface AlgoContext {
  order: number;
  warns: number;
}

function algoFirstFit(map: boolean[], size: number, start: number, nr: number): number {
  return boolFindNextZeroArea(map, size, start, nr, 0);
}

function algoFirstFitAlign(
  map: boolean[],
  size: number,
  start: number,
  nr: number,
  align: number,
  ctx: AlgoContext,
  startAddr: number,
): number {
  if (!isPow2(align)) throw new RangeError(`oracle: align ${align} is not a power of two`);
  const unit = 2 ** ctx.order;
  // align_mask = ((align + (1UL << order) - 1) >> order) - 1
  const alignMask = Math.floor((align + unit - 1) / unit) - 1;
  // align_off = (start_addr & (align - 1)) >> order; for a power of two, & (align-1) is % align
  const alignOff = Math.floor((startAddr % align) / unit);
  return boolFindNextZeroAreaOff(map, size, start, nr, alignMask, alignOff);
}

function algoFixed(
  map: boolean[],
  size: number,
  start: number,
  nr: number,
  offset: number,
  ctx: AlgoContext,
): number {
  const unit = 2 ** ctx.order;
  const offsetBit = Math.floor(offset / unit);
  if (offset % unit !== 0) {
    ctx.warns++; // WARN_ON(offset & ((1UL << order) - 1))
    return size;
  }
  const startBit = boolFindNextZeroArea(map, size, start + offsetBit, nr, 0);
  return startBit === offsetBit ? startBit : size;
}

function algoOrderAlign(map: boolean[], size: number, start: number, nr: number): number {
  const alignMask = boolRoundupPowOfTwo(nr) - 1;
  return boolFindNextZeroArea(map, size, start, nr, alignMask);
}

function algoBestFit(map: boolean[], size: number, start: number, nr: number): number {
  let startBit = size;
  let len = size + 1;
  let index = boolFindNextZeroArea(map, size, start, nr, 0);
  while (index < size) {
    const nextBit = boolFindNextBit(map, size, index + nr);
    if (nextBit - index < len) {
      len = nextBit - index;
      startBit = index;
      if (len === nr) return startBit;
    }
    index = boolFindNextZeroArea(map, size, nextBit + 1, nr, 0);
  }
  return startBit;
}

// ── The pool ────────────────────────────────────────────────────────────────

/** One chunk of the model: `struct gen_pool_chunk`. */
export interface OracleChunk {
  readonly startAddr: number;
  /** Inclusive, as the kernel stores it. */
  readonly endAddr: number;
  readonly physAddr: number;
  readonly owner: unknown;
  /** Bits in the map: floor(size >> order). */
  readonly nbits: number;
  /** The bitmap, with storage rounded up to whole 64-bit longs (the tail stays false). */
  readonly bits: boolean[];
  avail: number;
}

/** The outcome of an allocation. */
export interface OracleAllocResult {
  /** The address, or 0. */
  readonly addr: number;
  /** The chunk's owner on success, else null. */
  readonly owner: unknown;
  /** WARNs logged by the algorithm (gen_pool_fixed_alloc, once per chunk tried). */
  readonly warns: number;
  /** Start addresses of the chunks whose algorithm was called, in order. */
  readonly searched: readonly number[];
}

/** Why a free BUGs. */
export type OracleBug = 'no-chunk' | 'past-end' | 'not-set';

/** The outcome of a free. */
export interface OracleFreeResult {
  /** null when the free went through. */
  readonly bug: OracleBug | null;
  /** The owner of the chunk freed into; null on a BUG. */
  readonly owner: unknown;
}

/** The kernel's `struct gen_pool`, modelled literally. */
export class GenPoolOracle {
  readonly order: number;
  readonly unit: number;
  /** Newest first: list_add_rcu inserts at the head. */
  readonly chunks: OracleChunk[] = [];

  constructor(minAllocOrder: number) {
    this.order = minAllocOrder;
    this.unit = 2 ** minAllocOrder;
  }

  /** gen_pool_add_owner(): avail = the raw size; bits = floor(size >> order), zeroed. */
  add(virt: number, phys: number, size: number, owner: unknown): void {
    const nbits = Math.floor(size / this.unit);
    const storage = Math.ceil(nbits / 64) * 64;
    const bits: boolean[] = new Array<boolean>(storage).fill(false);
    this.chunks.unshift({
      startAddr: virt,
      endAddr: virt + size - 1,
      physAddr: phys,
      owner,
      nbits,
      bits,
      avail: size,
    });
  }

  #algo(
    algo: OracleAlgo,
    data: OracleData,
    chunk: OracleChunk,
    endBit: number,
    nbits: number,
    ctx: AlgoContext,
  ): number {
    const map = chunk.bits;
    switch (algo) {
      case 'first_fit':
        return algoFirstFit(map, endBit, 0, nbits);
      case 'first_fit_align':
        if (data === null || !('align' in data))
          throw new TypeError('oracle: first_fit_align needs { align }');
        return algoFirstFitAlign(map, endBit, 0, nbits, data.align, ctx, chunk.startAddr);
      case 'fixed':
        if (data === null || !('offset' in data))
          throw new TypeError('oracle: fixed needs { offset }');
        return algoFixed(map, endBit, 0, nbits, data.offset, ctx);
      case 'order_align':
        return algoOrderAlign(map, endBit, 0, nbits);
      case 'best_fit':
        return algoBestFit(map, endBit, 0, nbits);
    }
  }

  /** gen_pool_alloc_algo_owner(). */
  alloc(size: number, algo: OracleAlgo, data: OracleData): OracleAllocResult {
    const ctx: AlgoContext = { order: this.order, warns: 0 };
    const searched: number[] = [];
    if (size === 0) return { addr: 0, owner: null, warns: 0, searched };
    const nbits = Math.ceil(size / this.unit);
    for (const chunk of this.chunks) {
      if (size > chunk.avail) continue; // the unrounded size
      const endBit = Math.floor((chunk.endAddr - chunk.startAddr + 1) / this.unit);
      searched.push(chunk.startAddr);
      const startBit = this.#algo(algo, data, chunk, endBit, nbits, ctx);
      if (startBit >= endBit) continue;
      for (let i = startBit; i < startBit + nbits; i++) {
        if (chunk.bits[i] === true) throw new Error(`oracle: ${algo} returned taken bit ${i}`);
        chunk.bits[i] = true;
      }
      chunk.avail -= nbits * this.unit; // the rounded size
      return {
        addr: chunk.startAddr + startBit * this.unit,
        owner: chunk.owner,
        warns: ctx.warns,
        searched,
      };
    }
    return { addr: 0, owner: null, warns: ctx.warns, searched };
  }

  /** gen_pool_free_owner(). */
  free(addr: number, size: number): OracleFreeResult {
    const nbits = Math.ceil(size / this.unit);
    for (const chunk of this.chunks) {
      if (addr >= chunk.startAddr && addr <= chunk.endAddr) {
        if (addr + size - 1 > chunk.endAddr) return { bug: 'past-end', owner: null };
        const startBit = Math.floor((addr - chunk.startAddr) / this.unit);
        for (let i = startBit; i < startBit + nbits; i++) {
          if (chunk.bits[i] !== true) return { bug: 'not-set', owner: null };
        }
        for (let i = startBit; i < startBit + nbits; i++) chunk.bits[i] = false;
        chunk.avail += nbits * this.unit;
        return { bug: null, owner: chunk.owner };
      }
    }
    return { bug: 'no-chunk', owner: null };
  }

  /** gen_pool_virt_to_phys(): phys_addr + (addr - start_addr) in 64-bit unsigned arithmetic. */
  virtToPhys(addr: number): number {
    for (const chunk of this.chunks) {
      if (addr >= chunk.startAddr && addr <= chunk.endAddr) {
        const v = BigInt.asUintN(64, BigInt(chunk.physAddr) + BigInt(addr - chunk.startAddr));
        return v === BigInt.asUintN(64, BigInt(-1)) ? -1 : Number(v);
      }
    }
    return -1;
  }

  /** gen_pool_has_addr(). */
  hasAddr(start: number, size: number): boolean {
    const end = start + size - 1;
    for (const chunk of this.chunks) {
      if (start >= chunk.startAddr && start <= chunk.endAddr && end <= chunk.endAddr) return true;
    }
    return false;
  }

  /** gen_pool_avail(). */
  avail(): number {
    let n = 0;
    for (const c of this.chunks) n += c.avail;
    return n;
  }

  /** gen_pool_size(). */
  size(): number {
    let n = 0;
    for (const c of this.chunks) n += c.endAddr - c.startAddr + 1;
    return n;
  }
}
