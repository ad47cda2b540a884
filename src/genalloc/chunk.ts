// SPDX-License-Identifier: GPL-2.0-only
/*
 * One chunk of a genpool: an address range, its bitmap of granules, its `avail` counter,
 * and kmem's search index over that bitmap.
 *
 * Kernel: lib/genalloc.c struct gen_pool_chunk (include/linux/genalloc.h).
 *
 * Data structure: granule i (2^order bytes at startAddr + i * 2^order) is allocated iff bit
 * i of `bits` is set. `bits` has floor(size / 2^order) meaningful bits, rounded up to whole
 * 64-bit longs as the kernel allocates it. Each index mirrors the bitmap from the first
 * search that needs it on: the fit tree (first fit, aligned fits), the aligned index
 * (order-align), the run index (best fit).
 *
 * Invariants (checked by check.ts):
 *   G1: avail == size - (allocated granules) * 2^order, while every allocation was freed
 *       with the size it was allocated with (the kernel's accounting, quirks included).
 *   G2: the fit tree matches the bitmap (T1, T2); the run index holds exactly its free
 *       runs (R1, R2).
 *
 * DEVIATION: the kernel stores `end_addr` inclusive; kmem stores `endAddr` exclusive and
 * exposes the kernel's inclusive value as `end_addr` (and `lastAddr`).
 */

import { bitmapWords, findNextBit, findNextZeroBit } from '../bitmap/bitmap.js';
import { FitTree } from './fit-tree.js';
import { RunIndex } from './run-index.js';
import { AlignedIndex } from './aligned-index.js';

/** A WebAssembly.Memory, or anything whose `buffer` may be replaced when it grows. */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** Memory that backs a chunk's bytes: a buffer, or a WebAssembly memory (which may grow). */
export type ChunkBacking = ArrayBuffer | SharedArrayBuffer | GrowableMemory;

/** Return the current buffer of a backing (a grown WebAssembly memory has a new one). */
export function backingBuffer(b: ChunkBacking): ArrayBuffer | SharedArrayBuffer {
  if (b instanceof ArrayBuffer) return b;
  if (typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer) return b;
  return (b as GrowableMemory).buffer;
}

/** A chunk of a {@link GenPool}; the kernel's `struct gen_pool_chunk`. */
export class GenPoolChunk {
  /** First address of the chunk. */
  readonly startAddr: number;
  /** One past the last address (exclusive). */
  readonly endAddr: number;
  /** Physical address of startAddr; -1 when added with gen_pool_add (unknown). */
  readonly physAddr: number;
  /** The opaque owner given at add time (gen_pool_add_owner), or null. */
  readonly owner: unknown;
  /** NUMA node the chunk's bookkeeping was asked for (-1: any). */
  readonly nid: number;
  /** Granules in the chunk: floor(size / 2^order). */
  readonly nbits: number;
  /** The allocation bitmap, one bit per granule, in whole 64-bit longs. */
  readonly bits: Uint32Array;
  /** Bytes still free, as the kernel counts them (atomic_long_t avail). */
  avail: number;
  /** True when indexes may answer searches (false: the kernel's scan, `{ index: false }`). */
  readonly indexed: boolean;
  /**
   * The first-fit and aligned-fit search index: built by the first search that needs it
   * (a chunk used only for best fit never builds it); null until then and in scan mode.
   */
  tree: FitTree | null = null;
  /** The best-fit index, built by the first best-fit search; null until then. */
  runs: RunIndex | null = null;
  /** The aligned-fit index, built by the first aligned search; null until then. */
  aligned: AlignedIndex | null = null;
  /** Start of the run the best-fit index chose in the last search of this chunk, or -1. */
  bestStart = -1;
  readonly #backing: ChunkBacking | null;
  readonly #byteOffset: number;
  /** A view of the chunk's bytes, made again only when the buffer changes (Wasm grow). */
  #view: Uint8Array | null = null;

  constructor(
    virt: number,
    phys: number,
    size: number,
    order: number,
    nid: number,
    owner: unknown,
    indexed: boolean,
    backing: ChunkBacking | null,
    byteOffset: number,
  ) {
    this.startAddr = virt;
    this.endAddr = virt + size;
    this.physAddr = phys;
    this.owner = owner;
    this.nid = nid;
    this.nbits = Math.floor(size / 2 ** order);
    this.bits = new Uint32Array(bitmapWords(this.nbits));
    this.avail = size;
    this.indexed = indexed;
    this.#backing = backing;
    this.#byteOffset = byteOffset;
  }

  /** Bytes in the chunk (end - start). */
  get size(): number {
    return this.endAddr - this.startAddr;
  }

  /** The last address of the chunk (inclusive), the kernel's `end_addr`. */
  get lastAddr(): number {
    return this.endAddr - 1;
  }

  /** Return true when `addr` lies in the chunk. */
  contains(addr: number): boolean {
    return addr >= this.startAddr && addr < this.endAddr;
  }

  /** The backing memory of the chunk, or null when it has none. */
  get backing(): ChunkBacking | null {
    return this.#backing;
  }

  /** Byte offset of startAddr in the backing memory. */
  get byteOffset(): number {
    return this.#byteOffset;
  }

  /**
   * Return a view of `len` backing bytes at `addr`.
   * @returns the view, or null when the chunk has no backing memory.
   */
  bytes(addr: number, len: number): Uint8Array | null {
    const b = this.#backing;
    if (b === null) return null;
    return new Uint8Array(backingBuffer(b), this.#byteOffset + (addr - this.startAddr), len);
  }

  /**
   * Fill `len` backing bytes at `addr` with `value`, through a cached view (no allocation
   * while the buffer stays the same).
   * @returns false when the chunk has no backing memory (nothing written).
   */
  fill(addr: number, value: number, len: number): boolean {
    const b = this.#backing;
    if (b === null) return false;
    const buffer = backingBuffer(b);
    let view = this.#view;
    if (view === null || view.buffer !== buffer) {
      view = new Uint8Array(buffer, this.#byteOffset, this.size); // control-plane: once per buffer
      this.#view = view;
    }
    const off = addr - this.startAddr;
    view.fill(value, off, off + len);
    return true;
  }

  /** Build the best-fit index from the bitmap (first best-fit search on this chunk). */
  enableRunIndex(): RunIndex {
    const runs = new RunIndex(this.nbits);
    const bits = this.bits;
    const nbits = this.nbits;
    let pos = findNextZeroBit(bits, nbits, 0);
    while (pos < nbits) {
      const end = findNextBit(bits, nbits, pos);
      runs.insert(end - pos, pos);
      pos = findNextZeroBit(bits, nbits, end);
    }
    this.runs = runs;
    return runs;
  }

  /** Build the fit tree from the bitmap (the first search that needs it on this chunk). */
  ensureTree(): FitTree {
    const tree = new FitTree(this.nbits);
    tree.rebuild(this.bits);
    this.tree = tree;
    return tree;
  }

  /** Build the aligned-fit index (first order-align or aligned search on this chunk). */
  enableAlignedIndex(j: number): AlignedIndex {
    const aligned = new AlignedIndex(this.nbits, this.bits, Math.max(7, j));
    this.aligned = aligned;
    return aligned;
  }

  // ── The kernel's field names ───────────────────────────────────────────────

  /** `chunk->start_addr`. */
  get start_addr(): number {
    return this.startAddr;
  }
  /** `chunk->end_addr`: the last address, inclusive. */
  get end_addr(): number {
    return this.endAddr - 1;
  }
  /** `chunk->phys_addr`. */
  get phys_addr(): number {
    return this.physAddr;
  }
}
