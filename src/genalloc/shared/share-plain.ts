// SPDX-License-Identifier: GPL-2.0-only
/*
 * GenPool.toShared(): copy a plain (single-threaded) genpool into the buffers of a shared
 * one — chunks in the same list order, bitmaps, avail, algorithm — and return the handle.
 *
 * Kernel: none (the kernel's pool is shared by construction). The copy is what makes a pool
 * built on one thread usable by many.
 *
 * The plain pool is not changed and stays usable, but it is a separate pool from then on:
 * the shared pool starts as a snapshot of it, and both would hand out the same addresses.
 * Use the plain pool no more for allocation once it has been shared (read-only queries are
 * harmless).
 *
 * Chunks keep their addresses, physical addresses, nids and avail (quirks included: the
 * difference between avail and the bitmap becomes the chunk's adjustment entry). A chunk
 * backed by a SharedArrayBuffer (or a shared WebAssembly.Memory's current buffer) keeps
 * that buffer, carried in the handle's `externals`; one backed by a plain ArrayBuffer
 * cannot be shared.
 *
 * Data structure: see layout.ts. Invariants: those of shared-core.ts, from the copy on.
 *
 * DEVIATION: chunk owners must be numbers or null, the algorithm one of the five built-ins.
 */

// control-plane: one copy per toShared() call
import type { GenPool } from '../gen-pool.js';
import { backingBuffer } from '../chunk.js';
import { addSharedChunk, createSharedBuffers, type SharedLayoutOptions } from './shared-admin.js';
import { algoIdOf, algoDataNumber } from './shared-algos.js';
import { F_ALGO_DATA, H_ALGO, MAX_SLOTS, type SharedGenPoolHandle } from './layout.js';

/**
 * Copy `pool` into new shared buffers.
 * @returns the handle of the new shared pool.
 * @throws {RangeError} when a chunk is backed by a non-shared buffer, an owner is not a
 *   number or null, the algorithm is not a built-in, or the pool has more chunks than
 *   `maxChunks`.
 */
export function sharePlainPool(pool: GenPool, options: SharedLayoutOptions): SharedGenPoolHandle {
  const chunks = pool.chunks;
  const externals: SharedArrayBuffer[] = [];
  const backingIds: number[] = [];
  for (const chunk of chunks) {
    const b = chunk.backing;
    if (chunk.owner !== null && typeof chunk.owner !== 'number') {
      throw new RangeError(`toShared: chunk owner ${String(chunk.owner)} is not a number`);
    }
    if (b === null) {
      backingIds.push(-1);
      continue;
    }
    const buf = backingBuffer(b);
    if (!(buf instanceof SharedArrayBuffer)) {
      throw new RangeError(
        `toShared: the chunk at 0x${chunk.startAddr.toString(16)} is backed by a non-shared ArrayBuffer`,
      );
    }
    let k = externals.indexOf(buf);
    if (k < 0) k = externals.push(buf) - 1;
    backingIds.push(k + 1);
  }
  const id = algoIdOf(pool.algorithm);
  if (id < 0) throw new RangeError('toShared: a custom algorithm cannot be shared');
  const maxChunks = Math.max(options.maxChunks ?? 256, chunks.length);
  const h = createSharedBuffers(
    pool.minAllocOrder,
    { ...options, maxChunks, nid: pool.nid },
    externals,
  );
  const unit = 2 ** pool.minAllocOrder;
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i]!;
    const err = addSharedChunk(h, MAX_SLOTS, {
      virt: c.startAddr,
      phys: c.physAddr,
      size: c.size,
      nid: c.nid,
      owner: c.owner as number | null,
      backing: backingIds[i]!,
      byteOffset: c.byteOffset,
      bits: c.bits,
      adjust: (c.avail - c.size) / unit,
    });
    if (err < 0) throw new RangeError(`toShared: cannot add the chunk (${err})`);
  }
  new Float64Array(h.meta, 0, 16)[F_ALGO_DATA] = algoDataNumber(id, pool.algorithmData);
  Atomics.store(new Int32Array(h.meta, 0, 16), H_ALGO, id);
  return h;
}
