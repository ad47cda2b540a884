// SPDX-License-Identifier: GPL-2.0-only
/*
 * One chunk of a shared genpool as a thread sees it: typed-array views over the chunk's
 * descriptor, bitmap and avail deltas in the pool's meta buffer and over its bytes, plus
 * this thread's replica of the chunk's search index (a FitTree over the shared bitmap,
 * kept in step by change-log.ts). Each attached copy of the pool builds its own
 * SharedGenPoolChunk objects; the state behind them is shared.
 *
 * Kernel: lib/genalloc.c struct gen_pool_chunk (include/linux/genalloc.h): start_addr,
 * end_addr, phys_addr, owner, avail, bits[].
 *
 * Data structure: granule i is allocated iff bit i of `words` is set (bit i & 31 of word
 * i >>> 5, as in src/bitmap). `avail` is not one counter but the sum, modulo 2^32, of one
 * Int32 entry per slot plus the adjustment entry (layout.ts): each thread adds to its own
 * entry, so no cache line is written by two threads on every operation.
 *
 *   avail bytes = size + 2^order * (sum of the MAX_SLOTS + 1 delta entries, as an int32)
 *
 * Invariants (checked by recover.ts when quiescent): G1 avail == size - (set bits) *
 * 2^order (every allocation freed with its size, no operation in flight); G3 no bit at or
 * past nbits is set.
 *
 * DEVIATION: the kernel stores `end_addr` inclusive; kmem stores `endAddr` exclusive and
 * exposes the kernel's value as `end_addr` (and `lastAddr`). The owner is a number or null.
 *
 * Internals are TypeScript `private` (`_name`), not `#private`: measured faster on this
 * per-operation path (docs/ARCHITECTURE.md, "#private or TypeScript private on hot paths").
 */

import { FitTree } from '../fit-tree.js';
import {
  C_BACKING,
  C_BITS_OFF,
  C_BYTE_OFF,
  C_DELTA_OFF,
  C_END,
  C_NBITS,
  C_NID,
  C_OWNER,
  C_PHYS,
  C_START,
  C_WORDS,
  CHUNKS_BYTE,
  DELTA_STRIDE,
  DESC_DOUBLES,
  MAX_SLOTS,
} from './layout.js';

/** A chunk of a {@link SharedGenPool}, seen from one thread. */
export class SharedGenPoolChunk {
  /** Position in the shared chunk table (0: the first chunk added). */
  readonly index: number;
  /** First address of the chunk. */
  readonly startAddr: number;
  /** One past the last address (exclusive). */
  readonly endAddr: number;
  /** Physical address of startAddr; -1 when unknown. */
  readonly physAddr: number;
  /** The owner given at add time: a number, or null. */
  readonly owner: number | null;
  /** NUMA node of the chunk (-1: any). */
  readonly nid: number;
  /** Granules in the chunk. */
  readonly nbits: number;
  /** The shared bitmap as Int32 words (Atomics). */
  readonly words: Int32Array;
  /** The same bitmap as Uint32 words (what genpool_algo_t functions read). */
  readonly bits: Uint32Array;
  /** This thread's replica of the first-fit index over the shared bitmap (a hint). */
  readonly tree: FitTree;
  /** The avail delta entries: entry s at s * DELTA_STRIDE. */
  readonly deltas: Int32Array;
  private readonly _unit: number;
  private readonly _backing: SharedArrayBuffer | null;
  private readonly _byteOffset: number;
  private _view: Uint8Array | null = null;

  /** Build the view of chunk `index` from the descriptor in `meta` (the chunk is published). */
  constructor(
    meta: SharedArrayBuffer,
    index: number,
    order: number,
    memory: SharedArrayBuffer,
    externals: readonly SharedArrayBuffer[],
  ) {
    const d = new Float64Array(meta, CHUNKS_BYTE + index * DESC_DOUBLES * 8, DESC_DOUBLES);
    this.index = index;
    this.startAddr = d[C_START]!;
    this.endAddr = d[C_END]!;
    this.physAddr = d[C_PHYS]!;
    this.owner = Number.isNaN(d[C_OWNER]!) ? null : d[C_OWNER]!;
    this.nid = d[C_NID]!;
    this.nbits = d[C_NBITS]!;
    this.words = new Int32Array(meta, d[C_BITS_OFF]!, d[C_WORDS]!);
    this.bits = new Uint32Array(meta, d[C_BITS_OFF]!, d[C_WORDS]!);
    this.tree = new FitTree(this.nbits);
    this.tree.rebuild(this.bits);
    this.deltas = new Int32Array(meta, d[C_DELTA_OFF]!, (MAX_SLOTS + 1) * DELTA_STRIDE);
    this._unit = 2 ** order;
    const backing = d[C_BACKING]!;
    this._backing = backing < 0 ? null : backing === 0 ? memory : externals[backing - 1]!;
    this._byteOffset = d[C_BYTE_OFF]!;
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

  /**
   * Bytes still free, as the kernel counts them: exact once no operation is in flight.
   * Kernel: atomic_long_read(&chunk->avail).
   */
  get avail(): number {
    return this.size + this._unit * this.availDelta();
  }

  /**
   * Bring this thread's index in step with bitmap words wFirst..wLast (clamped to the map).
   * Context: data plane; allocation-free.
   */
  refresh(wFirst: number, wLast: number): void {
    const last = Math.min(wLast, Math.ceil(this.nbits / 32) - 1);
    if (wFirst < 0 || wFirst > last) return;
    // the last word of a map whose bits are not a multiple of 32 is partial: stop at nbits
    const end = Math.min((last + 1) * 32, this.nbits);
    this.tree.update(this.bits, wFirst * 32, end - wFirst * 32);
  }

  /** Sum of the delta entries, as an int32: (avail - size) in granules. */
  availDelta(): number {
    const d = this.deltas;
    let sum = 0;
    for (let s = 0; s <= MAX_SLOTS; s++) sum = (sum + d[s * DELTA_STRIDE]!) | 0;
    return sum;
  }

  /** The shared buffer holding the chunk's bytes, or null when it has none. */
  get backing(): SharedArrayBuffer | null {
    return this._backing;
  }

  /** Byte offset of startAddr in the backing buffer. */
  get byteOffset(): number {
    return this._byteOffset;
  }

  /**
   * Return a view of `len` bytes at `addr`.
   * @returns the view, or null when the chunk has no backing buffer.
   */
  bytes(addr: number, len: number): Uint8Array | null {
    const b = this._backing;
    if (b === null) return null;
    return new Uint8Array(b, this._byteOffset + (addr - this.startAddr), len);
  }

  /**
   * Fill `len` bytes at `addr` with `value` through a cached view.
   * @returns false when the chunk has no backing buffer (nothing written).
   */
  fill(addr: number, value: number, len: number): boolean {
    const b = this._backing;
    if (b === null) return false;
    let view = this._view;
    if (view === null) {
      view = new Uint8Array(b, this._byteOffset, this.size); // control-plane: once per chunk
      this._view = view;
    }
    const off = addr - this.startAddr;
    view.fill(value, off, off + len);
    return true;
  }

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
