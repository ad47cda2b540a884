// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared-memory layout of a lock-free genpool: where every word of the pool's state lives
 * in its SharedArrayBuffers, so that any number of attached copies (one per worker thread)
 * read and write the same state.
 *
 * Kernel: lib/genalloc.c struct gen_pool and struct gen_pool_chunk, laid out flat: the kernel
 * keeps them in ordinary kernel memory shared by every CPU; a worker thread shares nothing but
 * SharedArrayBuffers, so every field the kernel shares is a slot in one of them.
 *
 * Data structure: two growable SharedArrayBuffers (a handle carries both, plus any external
 * buffers that back chunks carried over from a plain pool):
 *
 *   meta    [ header 128 B | slots 64 x 128 B | chunk table maxChunks x 128 B |
 *             change logs 64 x 128 KiB | arena ... ]
 *   memory  [ chunk bytes of addMemory(size) chunks, bump-allocated, 64-byte aligned ]
 *
 *   header  Int32: magic, order, count (| DESTROYED), add lock, algorithm id, slot
 *           high-water mark, maxChunks, pool nid; Float64 (byte 64): meta arena used, memory used, algorithm
 *           data (align or offset), next default virtual base of addMemory.
 *   slot s  Int32 at 128 + 128 s: state (0 free, 1 attached), and the journal of the
 *           operation in flight: op (IDLE, CLAIM, FREE), chunk, lo, hi — [lo, hi) are the
 *           bits the slot holds in the bitmap and has not yet accounted (see shared-core.ts)
 *           — and the head of its change log. 128 bytes apart: each worker writes its own
 *           slot on every operation.
 *   log s   LOG_ENTRIES entries of 4 Int32 (chunk, first word, last word, sequence k + 1):
 *           the words the slot changed, in order; entry k at k mod LOG_ENTRIES
 *           (change-log.ts). Only the slot's owner writes it; every other copy reads it.
 *   chunk c Float64 x 16 at the chunk table: start, end, phys, nbits, words, byte
 *           offsets of its bitmap and avail deltas in the arena, backing (-1 none,
 *           0 the memory buffer, k >= 1 external buffer k - 1), byte offset in the backing,
 *           nid, owner (NaN: null). Written once, before the count that publishes it.
 *   arena   per chunk: the bitmap (Int32 words, rounded to whole 64-bit longs), the avail
 *           deltas ((MAX_SLOTS + 1) Int32 entries, 64 bytes
 *           apart: entry s is slot s's net granules freed minus allocated, modulo 2^32;
 *           entry MAX_SLOTS is the adjustment of recover(), detach() and toShared()).
 *
 * Invariants:
 *   L1: a chunk's descriptor and arena regions are fully written before the count that
 *       includes it is stored (Atomics.store: everything before it happens-before any
 *       reader that loads the new count).
 *   L2: regions never move or shrink: the buffers only grow, under the add lock.
 *
 * DEVIATION: the kernel's chunk owner is any pointer; a shared chunk's owner is a number or
 * null (an object cannot be read by another thread).
 */

/** The first word of a shared pool's meta buffer. */
export const MAGIC = 0x6b6d6770; // 'kmgp'

/** Attached copies at once (worker threads plus the creating thread). */
export const MAX_SLOTS = 64;

/** The most chunks a shared pool takes unless created with another maxChunks. */
export const DEFAULT_MAX_CHUNKS = 256;

/** Bit of the count word set by destroy(). */
export const DESTROYED = 1 << 30;

// ── Header (Int32 indices) ──────────────────────────────────────────────────
export const H_MAGIC = 0;
export const H_ORDER = 1;
export const H_COUNT = 2;
export const H_LOCK = 3;
export const H_ALGO = 4;
export const H_SLOTS = 5;
export const H_MAX_CHUNKS = 6;
export const H_NID = 7;
// ── Header (Float64 indices) ────────────────────────────────────────────────
export const F_META_USED = 8;
export const F_MEM_USED = 9;
export const F_ALGO_DATA = 10;
export const F_NEXT_BASE = 11;

// ── Slots (Int32 offsets inside a slot; a slot is SLOT_INTS Int32s) ─────────
export const SLOTS_BYTE = 128;
export const SLOT_INTS = 32;
export const S_STATE = 0;
export const S_OP = 1;
export const S_CHUNK = 2;
export const S_LO = 3;
export const S_HI = 4;
export const S_HEAD = 5;

/** Journal operations. */
export const OP_IDLE = 0;
export const OP_CLAIM = 1;
export const OP_FREE = 2;

// ── Chunk table (Float64 offsets inside a descriptor of DESC_DOUBLES) ───────
export const CHUNKS_BYTE = SLOTS_BYTE + MAX_SLOTS * SLOT_INTS * 4;
export const DESC_DOUBLES = 16;
export const C_START = 0;
export const C_END = 1;
export const C_PHYS = 2;
export const C_NBITS = 3;
export const C_WORDS = 4;
export const C_BITS_OFF = 6;
export const C_DELTA_OFF = 8;
export const C_BACKING = 9;
export const C_BYTE_OFF = 10;
export const C_NID = 11;
export const C_OWNER = 12;

/** Int32 stride between two avail-delta entries of a chunk (64 bytes: one cache line). */
export const DELTA_STRIDE = 16;
/** Index of the recovery adjustment among a chunk's delta entries. */
export const DELTA_ADJUST = MAX_SLOTS;

/** Built-in algorithm ids stored in the header (setAlgo is pool-wide). */
export const ALGO_FIRST_FIT = 0;
export const ALGO_FIRST_FIT_ALIGN = 1;
export const ALGO_FIXED = 2;
export const ALGO_ORDER_ALIGN = 3;
export const ALGO_BEST_FIT = 4;

/** A growable SharedArrayBuffer (ES2024; Node 20 has it, the es2022 lib does not name it). */
export interface GrowableSab extends SharedArrayBuffer {
  readonly growable: boolean;
  readonly maxByteLength: number;
  grow(newLength: number): void;
}

const GrowableSabCtor = SharedArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => GrowableSab;

/** Return a new growable SharedArrayBuffer of `length` bytes that may grow to `max`. */
export function newGrowableSab(length: number, max: number): GrowableSab {
  return new GrowableSabCtor(length, { maxByteLength: max });
}

/**
 * What {@link SharedGenPool.toShared} returns and {@link SharedGenPool.attach} takes: plain
 * data, so it can be posted to a worker (structured clone shares the buffers).
 */
export interface SharedGenPoolHandle {
  readonly kind: 'kmem-genpool';
  /** Layout version of the buffers. */
  readonly version: 1;
  /** Header, slots, chunk table, change logs, bitmaps and avail deltas. */
  readonly meta: SharedArrayBuffer;
  /** The bytes of chunks added with addMemory(size). */
  readonly memory: SharedArrayBuffer;
  /** Buffers that back chunks carried over from a plain pool (backing id k is entry k - 1). */
  readonly externals: readonly SharedArrayBuffer[];
}

/** Entries of a slot's change log (a power of two). */
export const LOG_ENTRIES = 8192;
/** Int32s per change-log entry. */
export const ENTRY_INTS = 4;

/** Byte offset of the change logs in a meta buffer. */
export function logsByte(maxChunks: number): number {
  return align64(CHUNKS_BYTE + maxChunks * DESC_DOUBLES * 8);
}

/** Byte size of the fixed part of a meta buffer (header, slots, chunk table, logs). */
export function headerBytes(maxChunks: number): number {
  return logsByte(maxChunks) + MAX_SLOTS * LOG_ENTRIES * ENTRY_INTS * 4;
}

/** Round a byte count up to a multiple of 64 (a cache line). */
export function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Bytes of the arena region of a chunk with `words` bitmap words: bitmap, deltas. */
export function chunkRegionBytes(words: number): number {
  return align64(words * 4) + (MAX_SLOTS + 1) * DELTA_STRIDE * 4;
}

/** True when `h` looks like a {@link SharedGenPoolHandle}. */
export function isSharedHandle(h: unknown): h is SharedGenPoolHandle {
  if (h === null || typeof h !== 'object') return false;
  const x = h as { kind?: unknown; meta?: unknown; memory?: unknown; externals?: unknown };
  return (
    x.kind === 'kmem-genpool' &&
    x.meta instanceof SharedArrayBuffer &&
    x.memory instanceof SharedArrayBuffer &&
    Array.isArray(x.externals)
  );
}
