// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control plane of a shared genpool: create its buffers, add a chunk under the pool's
 * add lock, and copy a plain GenPool into new buffers (GenPool.toShared).
 *
 * Kernel: lib/genalloc.c gen_pool_create() and gen_pool_add_owner(): the kernel allocates
 * the chunk (bitmap included) with vzalloc_node, fills it in, and list_add_rcu()s it under
 * pool->lock; readers walk the list without the lock. Here the chunk's region is carved
 * from the meta buffer (grown if needed), filled in, and published by storing the new
 * chunk count (layout.ts L1); only adders take the lock.
 *
 * Data structure: see layout.ts. The add lock is the header word H_LOCK: 0 free, else the
 * slot + 1 of the holder (so recover() can release the lock of a dead slot). A waiter
 * sleeps on the word with Atomics.wait (1 ms at a time).
 *
 * DEVIATION: a pool takes at most `maxChunks` chunks (default 256) and its meta and memory
 * buffers grow to at most the maxima given at creation; beyond them gen_pool_add is
 * -ENOMEM. Chunks backed by a non-shared ArrayBuffer cannot be shared: toShared() of such
 * a pool is a RangeError.
 */

// control-plane: pool creation, chunk addition and conversion; never per allocation
import { ENOMEM } from '../../base/errno.js';
import { KernelBug } from '../../base/errors.js';
import { alignUp, TWO_POW_32 } from '../../base/units.js';
import { bitmapWords, MAX_BITMAP_BITS } from '../../bitmap/bitmap.js';
import {
  align64,
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
  chunkRegionBytes,
  DELTA_ADJUST,
  DELTA_STRIDE,
  DESC_DOUBLES,
  DESTROYED,
  F_MEM_USED,
  F_META_USED,
  F_NEXT_BASE,
  H_COUNT,
  H_LOCK,
  H_MAGIC,
  H_MAX_CHUNKS,
  H_NID,
  H_ORDER,
  headerBytes,
  MAGIC,
  newGrowableSab,
  type GrowableSab,
  type SharedGenPoolHandle,
} from './layout.js';

/** Sizes of a new shared pool. */
export interface SharedLayoutOptions {
  /** @defaultValue 256 */
  readonly maxChunks?: number;
  /** Largest size of the meta buffer (header, logs, bitmaps). @defaultValue 256 MiB */
  readonly maxMetaBytes?: number;
  /** Largest size of the memory buffer (addMemory(size) chunks). @defaultValue 256 MiB */
  readonly maxMemoryBytes?: number;
  /** @defaultValue -1 */
  readonly nid?: number;
}

const MIB = 1024 * 1024;

/**
 * Create the buffers of an empty shared pool.
 * @returns the handle.
 * @throws {RangeError} when an option is out of range.
 */
export function createSharedBuffers(
  order: number,
  options: SharedLayoutOptions,
  externals: readonly SharedArrayBuffer[],
): SharedGenPoolHandle {
  const maxChunks = options.maxChunks ?? 256;
  if (!Number.isInteger(order) || order < 0 || order > 40) {
    throw new RangeError(`gen_pool_create: min_alloc_order ${order} is not in 0..40`);
  }
  if (!Number.isInteger(maxChunks) || maxChunks < 1 || maxChunks > 1 << 16) {
    throw new RangeError(`shared genpool: maxChunks ${maxChunks} is not in 1..65536`);
  }
  const hb = headerBytes(maxChunks);
  const meta = newGrowableSab(hb, Math.max(hb, options.maxMetaBytes ?? 256 * MIB));
  const memory = newGrowableSab(0, options.maxMemoryBytes ?? 256 * MIB);
  const h32 = new Int32Array(meta, 0, 16);
  const h64 = new Float64Array(meta, 0, 16);
  h32[H_ORDER] = order;
  h32[H_MAX_CHUNKS] = maxChunks;
  h32[H_NID] = options.nid ?? -1;
  h64[F_META_USED] = hb;
  h64[F_MEM_USED] = 0;
  h64[F_NEXT_BASE] = TWO_POW_32;
  Atomics.store(h32, H_MAGIC, MAGIC);
  return { kind: 'kmem-genpool', version: 1, meta, memory, externals };
}

/** A chunk to add (see {@link addSharedChunk}). */
export interface ChunkRequest {
  /** Virtual address, or -1: the next default base (addMemory). */
  virt: number;
  /** Physical address, or NaN: the byte offset in the memory buffer (addMemory). */
  phys: number;
  size: number;
  nid: number;
  owner: number | null;
  /** -1 none, 0 carve the bytes from the memory buffer, k >= 1 external buffer k - 1. */
  backing: number;
  byteOffset: number;
  /** Bitmap to copy (toShared), or null for an empty chunk. */
  bits: Uint32Array | null;
  /** Initial avail - size, in granules (toShared), else 0. */
  adjust: number;
}

/**
 * Add a chunk under the add lock, held for `slot`, and publish it.
 * @returns the chunk's index, or -ENOMEM when the pool has maxChunks chunks or a buffer
 *   would grow past its maximum.
 * @throws {KernelBug} when the pool was destroyed.
 */
export function addSharedChunk(h: SharedGenPoolHandle, slot: number, req: ChunkRequest): number {
  const h32 = new Int32Array(h.meta, 0, 16);
  lockAdd(h32, slot);
  try {
    return addLocked(h, req);
  } finally {
    Atomics.store(h32, H_LOCK, 0);
    Atomics.notify(h32, H_LOCK);
  }
}

function lockAdd(h32: Int32Array, slot: number): void {
  for (;;) {
    const seen = Atomics.compareExchange(h32, H_LOCK, 0, slot + 1);
    if (seen === 0) return;
    Atomics.wait(h32, H_LOCK, seen, 1);
  }
}

function addLocked(h: SharedGenPoolHandle, req: ChunkRequest): number {
  const meta = h.meta as GrowableSab;
  const h32 = new Int32Array(meta, 0, 16);
  const h64 = new Float64Array(meta, 0, 16);
  const count = Atomics.load(h32, H_COUNT);
  if ((count & DESTROYED) !== 0) throw new KernelBug('gen_pool_add: the pool was destroyed');
  if (count >= h32[H_MAX_CHUNKS]!) return -ENOMEM;
  const order = h32[H_ORDER]!;
  const nbits = Math.floor(req.size / 2 ** order);
  if (nbits > MAX_BITMAP_BITS) return -ENOMEM;
  const words = bitmapWords(nbits);
  const used = h64[F_META_USED]!;
  const need = used + chunkRegionBytes(words);
  if (need > meta.maxByteLength) return -ENOMEM;
  let byteOffset = req.byteOffset;
  let virt = req.virt;
  let phys = req.phys;
  if (req.backing === 0) {
    const memory = h.memory as GrowableSab;
    byteOffset = align64(h64[F_MEM_USED]!);
    if (byteOffset + req.size > memory.maxByteLength) return -ENOMEM;
    if (byteOffset + req.size > memory.byteLength) memory.grow(byteOffset + req.size);
    h64[F_MEM_USED] = byteOffset + req.size;
    if (virt < 0) {
      virt = h64[F_NEXT_BASE]!;
      h64[F_NEXT_BASE] = virt + alignUp(Math.max(req.size, 1), TWO_POW_32);
    }
    if (Number.isNaN(phys)) phys = byteOffset;
  }
  if (need > meta.byteLength) meta.grow(need);
  const bitsOff = used;
  const deltaOff = used + align64(words * 4);
  if (req.bits !== null) {
    const bitmap = new Int32Array(meta, bitsOff, words);
    bitmap.set(new Int32Array(req.bits.buffer, req.bits.byteOffset, words));
  }
  new Int32Array(meta, deltaOff, (DELTA_ADJUST + 1) * DELTA_STRIDE)[DELTA_ADJUST * DELTA_STRIDE] =
    req.adjust | 0;
  const d = new Float64Array(meta, CHUNKS_BYTE + count * DESC_DOUBLES * 8, DESC_DOUBLES);
  d[C_START] = virt;
  d[C_END] = virt + req.size;
  d[C_PHYS] = phys;
  d[C_NBITS] = nbits;
  d[C_WORDS] = words;
  d[C_BITS_OFF] = bitsOff;
  d[C_DELTA_OFF] = deltaOff;
  d[C_BACKING] = req.backing;
  d[C_BYTE_OFF] = byteOffset;
  d[C_NID] = req.nid;
  d[C_OWNER] = req.owner === null ? NaN : req.owner;
  h64[F_META_USED] = need;
  Atomics.store(h32, H_COUNT, count + 1); // publishes the chunk (L1)
  return count;
}
