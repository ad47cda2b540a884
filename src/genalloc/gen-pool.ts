// SPDX-License-Identifier: GPL-2.0-only
/*
 * GenPool: the kernel's general-purpose special-memory allocator — chunks of address space,
 * a bitmap of 2^order-byte granules per chunk, pluggable fit algorithms, owners, virtual to
 * physical translation — with a search index that finds the kernel's placements without
 * scanning the bitmap.
 *
 * Kernel: lib/genalloc.c (mainline 6.x): gen_pool_create, gen_pool_add_owner,
 * gen_pool_alloc_algo_owner, gen_pool_dma_alloc_algo, gen_pool_dma_zalloc_algo,
 * gen_pool_free_owner, gen_pool_virt_to_phys, gen_pool_for_each_chunk, gen_pool_has_addr,
 * gen_pool_avail, gen_pool_size, gen_pool_set_algo, gen_pool_destroy.
 *
 * Data structure: `#chunks` is the kernel's chunk list, newest first (list_add_rcu inserts at
 * the head), so the most recently added chunk is searched first. Each chunk owns its bitmap
 * and index (chunk.ts). An allocation rounds the size up to whole granules, skips chunks
 * whose avail is smaller than the unrounded size, asks the algorithm for a start bit, claims
 * the bits with bitmap_set_ll (rolling back and asking again from the failed position if a
 * long was already taken), and charges avail with the rounded size.
 *
 * Invariants: G1, G2 of chunk.ts, for every chunk; checkInvariants() in check.ts.
 *
 * DEVIATION (each keeps the state consistent where the kernel would oops or corrupt):
 *   - A BUG in gen_pool_free leaves the bitmap as it was before the call (the kernel may
 *     have cleared some longs before it noticed); the KernelBug names the values.
 *   - On one thread a claim of free bits cannot lose a race, so the bits are checked and
 *     set in one pass (bitmapClaim) and released likewise (bitmapRelease); the kernel's
 *     long-by-long bitmap_set_ll/bitmap_clear_ll with rollback and retry (ll.ts) runs when
 *     a custom algorithm returns a taken run. The outcome is the same.
 *   - gen_pool_destroy of a busy pool keeps the busy chunk and the chunks after it in the
 *     pool (the kernel had unlinked the busy one), so it can be inspected and freed.
 *   - A custom algorithm that returns a run past the end of the map, or keeps returning a
 *     taken run, is a KernelBug here (the kernel would corrupt memory or livelock).
 *   - Sizes and addresses must be safe integers; anything else is -EINVAL (add) or a
 *     failure value (alloc) or a KernelBug (free). min_alloc_order must be 0..40 (the
 *     kernel checks nothing); a pool takes at most MAX_CHUNKS chunks and a chunk at most
 *     MAX_BITMAP_BITS granules, else gen_pool_add is -ENOMEM.
 *   - Addresses are not 64-bit: the wrap of `addr + size - 1` is modelled where it matters
 *     (free(0, 0) BUGs, has_addr(0, 0) is false), but a size-0 chunk at address 0, whose
 *     end_addr is ULONG_MAX in the kernel (it holds every address), holds nothing here.
 *   - dmaZalloc zeroes the chunk's backing buffer, or the pool's `memory`; a pool with
 *     neither (gen_pool_create before the machine has memory) has no bytes to zero.
 */

import { EINVAL, ENOMEM } from '../base/errno.js';
import { KernelBug } from '../base/errors.js';
import { KernelLog } from '../base/log.js';
import { DEBUG } from '../base/debug.js';
import type { Out } from '../base/out.js';
import { alignUp, hex, TWO_POW_32 } from '../base/units.js';
import { bitmapClearLl, bitmapSetLl } from '../bitmap/ll.js';
import { bitmapClaim, bitmapRelease, findNextBit, MAX_BITMAP_BITS } from '../bitmap/bitmap.js';
import {
  gen_pool_best_fit,
  gen_pool_first_fit,
  gen_pool_first_fit_align,
  gen_pool_first_fit_order_align,
  type GenPoolAlgo,
  type GenPoolAlgoPool,
  type GenPoolDataAlign,
} from './algos.js';
import { GenPoolChunk, type ChunkBacking } from './chunk.js';
import { indexAfterClaim, indexAfterRelease, runStartFor, searchChunk } from './search.js';
import { checkInvariants } from './check.js';
import {
  SharedGenPool,
  type AttachOptions,
  type SharedGenPoolOptions,
} from './shared/shared-pool.js';
import { sharePlainPool } from './shared/share-plain.js';
import type { SharedGenPoolHandle } from './shared/layout.js';
import type { SharedLayoutOptions } from './shared/shared-admin.js';

/** The most chunks one pool takes; gen_pool_add beyond it fails with -ENOMEM. */
export const MAX_CHUNKS = 1 << 16;

export type { Out } from '../base/out.js';

/** Byte access to the memory a machine-backed pool hands out (used to zero it). */
export interface PoolMemory {
  /** Fill `n` bytes at `addr` with `c` (the kernel's memset). */
  memset(addr: number, c: number, n: number): void;
}

/** Options of {@link GenPool.create}. */
export interface GenPoolOptions {
  /**
   * NUMA node for the pool's bookkeeping (-1: any).
   * @defaultValue -1
   */
  readonly nid?: number;
  /**
   * The pool's name (set by devm_gen_pool_create).
   * @defaultValue null
   */
  readonly name?: string | null;
  /**
   * The kernel log WARNs and BUGs go to; a pool made without a machine gets its own.
   * @defaultValue a new KernelLog
   */
  readonly log?: KernelLog;
  /**
   * Keep the search index (true), or answer every algorithm by scanning the bitmap as the
   * kernel does (false: the `kernel-scan` baseline). Placements are identical.
   * @defaultValue true
   */
  readonly index?: boolean;
  /**
   * Memory behind chunks that have no backing buffer (a machine's RAM), for the zeroing
   * of gen_pool_dma_zalloc.
   * @defaultValue null
   */
  readonly memory?: PoolMemory | null;
  /**
   * Asked before each chunk is allocated (the kernel's vzalloc_node in gen_pool_add_owner):
   * true makes gen_pool_add fail with -ENOMEM. A machine passes its fault injector here.
   * @defaultValue null (never fails)
   */
  readonly chunkAllocFails?: (() => boolean) | null;
}

/** Options of {@link GenPool.addMemory}. */
export interface AddMemoryOptions {
  /**
   * Virtual address of the first byte. The default puts each buffer at its own multiple of
   * 2^32 (0x100000000, 0x200000000, ...), so no allocation is ever address 0 and an
   * address's alignment is its offset's alignment.
   */
  readonly virt?: number;
  /**
   * Physical (device) address of the first byte, for dmaAlloc and virtToPhys.
   * @defaultValue `byteOffset`: the "physical" address of an allocation is its offset in
   *   the buffer (a Wasm pointer, a GPUBuffer offset), the same as {@link GenPool.offsetOf}.
   */
  readonly phys?: number;
  /** @defaultValue 0 */
  readonly byteOffset?: number;
  /** @defaultValue the rest of the buffer after byteOffset */
  readonly size?: number;
  /** @defaultValue null */
  readonly owner?: unknown;
  /** @defaultValue -1 */
  readonly nid?: number;
}

/** Called for each chunk by {@link GenPool.forEachChunk}. */
export type ChunkVisitor<D> = (pool: GenPool, chunk: GenPoolChunk, data: D) => void;

const FILE = 'lib/genalloc.c';

/** The BUG cases of gen_pool_free_owner, for the cold reporter. */
const BAD_SIZE = 0;
const NOT_IN_POOL = 1;
const PAST_END = 2;
const NOT_ALLOCATED = 3;

/** A special-memory pool; the kernel's `struct gen_pool`. */
export class GenPool implements GenPoolAlgoPool {
  /** log2 of the granule size in bytes. */
  readonly minAllocOrder: number;
  /** NUMA node asked for at creation (-1: any). */
  readonly nid: number;
  /** The pool's name, or null. */
  readonly name: string | null;
  /** Where WARNs and BUGs are logged. */
  readonly log: KernelLog;
  /** True when the search index answers the built-in algorithms. */
  readonly indexed: boolean;
  /** Lost-race retries of bitmap_set_ll so far (the kernel's `goto retry`). */
  retries = 0;
  readonly #unit: number;
  /** 1 / unit: exact for a power of two, and a multiply is cheaper than a divide. */
  readonly #perUnit: number;
  readonly #chunks: GenPoolChunk[] = [];
  readonly #memory: PoolMemory | null;
  readonly #chunkAllocFails: (() => boolean) | null;
  #algo: GenPoolAlgo = gen_pool_first_fit;
  #data: unknown = null;
  #destroyed = false;
  #nextBufferBase = TWO_POW_32;
  readonly #alignData: GenPoolDataAlign = { align: 0 };

  /**
   * Create a pool with no chunks, first-fit, granules of 2^minAllocOrder bytes.
   *
   * Kernel: gen_pool_create().
   * @throws {RangeError} when minAllocOrder is not an integer in [0, 40].
   */
  static create(minAllocOrder: number, options: GenPoolOptions = {}): GenPool {
    return new GenPool(minAllocOrder, options);
  }

  /**
   * Create a genpool shared by worker threads (docs/SHARED-GENPOOL.md), attached to this
   * thread; post `pool.toShared()` to a worker and attach there with {@link GenPool.fromShared}.
   * Kernel: gen_pool_create().
   * @returns the shared pool.
   * @throws {RangeError} when minAllocOrder is not in 0..40 or an option is out of range.
   */
  static createShared(minAllocOrder: number, options: SharedGenPoolOptions = {}): SharedGenPool {
    return SharedGenPool.create(minAllocOrder, options);
  }

  /**
   * Attach to a shared genpool from its handle (the result of toShared(), posted to this
   * thread). Every attached copy allocates and frees concurrently, lock-free.
   * @returns the attached copy, with its own slot.
   * @throws {RangeError} when `handle` is not a shared genpool handle or all slots are taken.
   */
  static fromShared(handle: SharedGenPoolHandle, options: AttachOptions = {}): SharedGenPool {
    return SharedGenPool.attach(handle, options);
  }

  /**
   * Copy this pool into shared buffers and return their handle (attach with
   * {@link GenPool.fromShared}). This pool is not changed but becomes a separate pool: do
   * not allocate from it afterwards, or the same memory is handed out twice.
   * @returns the handle.
   * @throws {RangeError} when a chunk is backed by a non-shared ArrayBuffer, an owner is not
   *   a number or null, or the algorithm is not a built-in one.
   */
  toShared(options: SharedLayoutOptions = {}): SharedGenPoolHandle {
    return sharePlainPool(this, options);
  }

  /** @see GenPool.create */
  constructor(minAllocOrder: number, options: GenPoolOptions = {}) {
    if (!Number.isInteger(minAllocOrder) || minAllocOrder < 0 || minAllocOrder > 40) {
      throw new RangeError(`gen_pool_create: min_alloc_order ${minAllocOrder} is not in 0..40`);
    }
    this.minAllocOrder = minAllocOrder;
    this.#unit = 2 ** minAllocOrder;
    this.#perUnit = 2 ** -minAllocOrder;
    this.nid = options.nid ?? -1;
    this.name = options.name ?? null;
    this.log = options.log ?? new KernelLog();
    this.indexed = options.index ?? true;
    this.#memory = options.memory ?? null;
    this.#chunkAllocFails = options.chunkAllocFails ?? null;
  }

  // ── Chunks ─────────────────────────────────────────────────────────────────

  /**
   * Add a chunk of `size` bytes at virtual address `virt` (physical `phys`), with an owner.
   *
   * The chunk goes to the head of the list, so it is searched first. `avail` starts at the
   * raw `size`, even when size is not a multiple of the granule (only whole granules can be
   * allocated: the kernel's over-report). No overlap or alignment checks, as in the kernel.
   *
   * Kernel: gen_pool_add_owner().
   * @returns 0, -ENOMEM when the bitmap would exceed MAX_BITMAP_BITS or the pool has
   *   MAX_CHUNKS chunks, or -EINVAL when virt or size is not a non-negative safe integer.
   */
  addOwner(virt: number, phys: number, size: number, nid: number, owner: unknown): number {
    return this.#addChunk(virt, phys, size, nid, owner, null, 0);
  }

  /**
   * Add a chunk with a known physical address. Kernel: gen_pool_add_virt().
   * @returns 0, or a negative errno as {@link GenPool.addOwner}.
   */
  addVirt(virt: number, phys: number, size: number, nid = -1): number {
    return this.#addChunk(virt, phys, size, nid, null, null, 0);
  }

  /**
   * Add a chunk whose physical address is unknown (phys = -1). Kernel: gen_pool_add().
   * @returns 0, or a negative errno as {@link GenPool.addOwner}.
   */
  add(addr: number, size: number, nid = -1): number {
    return this.#addChunk(addr, -1, size, nid, null, null, 0);
  }

  /**
   * Add a chunk backed by real bytes: an ArrayBuffer, a SharedArrayBuffer or a
   * WebAssembly.Memory (a GPU staging buffer, a Wasm heap). Allocations can then be viewed
   * with {@link GenPool.bytes} and located with {@link GenPool.offsetOf}, and the dmaZalloc
   * family zeroes real bytes.
   *
   * @returns the new chunk.
   * @throws {RangeError} when byteOffset/size fall outside the buffer or the chunk cannot
   *   be added (the errno is in the message).
   */
  addMemory(backing: ChunkBacking, options: AddMemoryOptions = {}): GenPoolChunk {
    const length =
      backing instanceof ArrayBuffer || isSab(backing)
        ? backing.byteLength
        : backing.buffer.byteLength;
    const byteOffset = options.byteOffset ?? 0;
    const size = options.size ?? length - byteOffset;
    if (!isByteCount(byteOffset) || !isByteCount(size) || byteOffset + size > length) {
      throw new RangeError(
        `addMemory: byteOffset ${byteOffset} + size ${size} is outside the ${length}-byte buffer`,
      );
    }
    let virt = options.virt;
    if (virt === undefined) {
      virt = this.#nextBufferBase;
      this.#nextBufferBase += alignUp(Math.max(size, 1), TWO_POW_32);
    }
    const err = this.#addChunk(
      virt,
      options.phys ?? byteOffset,
      size,
      options.nid ?? -1,
      options.owner ?? null,
      backing,
      byteOffset,
    );
    if (err !== 0) throw new RangeError(`addMemory: cannot add the chunk at ${hex(virt)} (${err})`);
    return this.#chunks[0]!;
  }

  #addChunk(
    virt: number,
    phys: number,
    size: number,
    nid: number,
    owner: unknown,
    backing: ChunkBacking | null,
    byteOffset: number,
  ): number {
    if (this.#destroyed) throw new KernelBug('gen_pool_add: the pool was destroyed');
    if (!isByteCount(virt) || !isByteCount(size) || !Number.isSafeInteger(virt + size)) {
      return -EINVAL;
    }
    if (Math.floor(size / this.#unit) > MAX_BITMAP_BITS) return -ENOMEM;
    if (this.#chunks.length >= MAX_CHUNKS) return -ENOMEM;
    if (this.#chunkAllocFails !== null && this.#chunkAllocFails()) return -ENOMEM;
    const chunk = new GenPoolChunk(
      virt,
      phys,
      size,
      this.minAllocOrder,
      nid,
      owner,
      this.indexed,
      backing,
      byteOffset,
    );
    this.#chunks.unshift(chunk);
    return 0;
  }

  /** The chunks, in the kernel's list order (newest first). Do not modify. */
  get chunks(): readonly GenPoolChunk[] {
    return this.#chunks;
  }

  // ── Allocation (data plane) ────────────────────────────────────────────────

  /**
   * Allocate `size` bytes with the pool's algorithm. Kernel: gen_pool_alloc().
   * Context: data plane; allocation-free; O(log granules) per chunk tried.
   * @returns the start address, or 0 (NULL) when no chunk has a fitting free run.
   */
  alloc(size: number): number {
    return this.allocAlgoOwner(size, this.#algo, this.#data, null);
  }

  /**
   * Allocate with the pool's algorithm and report the chunk's owner.
   * Kernel: gen_pool_alloc_owner().
   * @returns the start address, or 0; `owner.value` is the chunk's owner, or null on failure.
   */
  allocOwner(size: number, owner: Out<unknown> | null): number {
    return this.allocAlgoOwner(size, this.#algo, this.#data, owner);
  }

  /**
   * Allocate with the given algorithm. Kernel: gen_pool_alloc_algo().
   * @returns the start address, or 0 when nothing fits.
   */
  allocAlgo(size: number, algo: GenPoolAlgo, data: unknown): number {
    return this.allocAlgoOwner(size, algo, data, null);
  }

  /**
   * Allocate `size` bytes with `algo`, trying each chunk newest first.
   *
   * Rounds `size` up to whole granules; skips a chunk whose avail is below the unrounded
   * size; claims the bits long by long and, if a long was taken meanwhile, rolls back and
   * asks the algorithm again from the failed position. The built-in algorithms are answered
   * by the chunk's index with exactly the kernel's placement.
   *
   * Kernel: gen_pool_alloc_algo_owner().
   * Context: data plane; allocation-free, except the first search on a chunk that needs an
   * index (it builds it, O(chunk)) and a first-fit search above the fit tree's cap (rebuild).
   *
   * @param size - bytes; 0 returns 0 without searching.
   * @param algo - a {@link GenPoolAlgo}.
   * @param data - the algorithm's data ({ align }, { offset }), or null.
   * @param owner - set to null first, then to the chunk's owner on success; may be null.
   * @returns the start address, or 0 (NULL) when no chunk fits.
   * @throws {KernelBug} when a custom algorithm returns a run past the end of the map or
   *   keeps returning a taken run.
   */
  allocAlgoOwner(
    size: number,
    algo: GenPoolAlgo,
    data: unknown,
    owner: Out<unknown> | null,
  ): number {
    if (owner !== null) owner.value = null;
    if (!(size > 0) || !Number.isSafeInteger(size)) return 0; // 0, negative, NaN, 1.5
    const unit = this.#unit;
    const nbits = Math.ceil(size * this.#perUnit);
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (size > chunk.avail) continue;
      const startBit = this.#claim(chunk, algo, data, nbits);
      if (startBit < 0) continue;
      chunk.avail -= nbits * unit;
      if (owner !== null) owner.value = chunk.owner;
      if (DEBUG >= 2) checkInvariants(this);
      return chunk.startAddr + startBit * unit;
    }
    return 0;
  }

  /** Find and claim nbits in one chunk; return the start bit, or -1 when it has no fit. */
  #claim(chunk: GenPoolChunk, algo: GenPoolAlgo, data: unknown, nbits: number): number {
    const tree = chunk.tree;
    let startBit: number;
    // The workhorse algorithms with their index built: one call less on the hottest paths.
    if (algo === gen_pool_first_fit && tree !== null && nbits <= tree.cap) {
      chunk.bestStart = -1;
      startBit = tree.findFirst(chunk.bits, nbits);
      if (startBit < 0) return -1;
    } else if (algo === gen_pool_best_fit && chunk.runs !== null) {
      startBit = chunk.runs.findBest(nbits);
      chunk.bestStart = startBit;
      if (startBit < 0) return -1;
    } else if (algo === gen_pool_first_fit_order_align && chunk.aligned !== null) {
      chunk.bestStart = -1;
      startBit = chunk.aligned.find(chunk.bits, nbits, 32 - Math.clz32(nbits - 1));
      if (startBit < 0) return -1;
    } else {
      startBit = searchChunk(this, chunk, algo, data, nbits);
    }
    // Negative values are huge in C's unsigned long: no fit, like any value >= the size.
    if (!(startBit >= 0 && startBit < chunk.nbits)) return -1;
    if (startBit + nbits > chunk.nbits || !Number.isInteger(startBit)) {
      this.#badAlgoResult(chunk, startBit, nbits);
    }
    const runStart = chunk.runs === null ? -1 : runStartFor(chunk, startBit);
    // One thread: a claim of free bits cannot lose a race, so set them in one pass.
    if (bitmapClaim(chunk.bits, startBit, nbits)) {
      indexAfterClaim(chunk, startBit, nbits, runStart);
      return startBit;
    }
    return this.#claimRetry(chunk, algo, data, nbits, startBit);
  }

  /**
   * The kernel's retry: bitmap_set_ll found a long already taken, so undo the longs this
   * call set and ask the algorithm again from the failed position (not +1). On one thread
   * only a custom algorithm that returns a taken run gets here. (Cold path.)
   */
  #claimRetry(
    chunk: GenPoolChunk,
    algo: GenPoolAlgo,
    data: unknown,
    nbits: number,
    first: number,
  ): number {
    const endBit = chunk.nbits;
    let startBit = first;
    for (let tries = 0; ; tries++) {
      if (!(startBit >= 0 && startBit < endBit)) return -1;
      if (startBit + nbits > endBit || !Number.isInteger(startBit)) {
        this.#badAlgoResult(chunk, startBit, nbits);
      }
      const remain = bitmapSetLl(chunk.bits, startBit, nbits);
      if (remain === 0) {
        // The claimed bits were all free: the run holding them started where the last used
        // bit before them ends.
        const runStart = chunk.runs === null ? -1 : runStartFor(chunk, startBit);
        indexAfterClaim(chunk, startBit, nbits, runStart);
        return startBit;
      }
      if (bitmapClearLl(chunk.bits, startBit, nbits - remain) !== 0) {
        this.#bug('gen_pool_alloc_algo_owner', `rollback of bit ${startBit} failed`);
      }
      this.retries++;
      if (tries > endBit) {
        this.#bug(
          'gen_pool_alloc_algo_owner',
          `algorithm keeps returning taken bit ${startBit} in chunk ${hex(chunk.startAddr)}`,
        );
      }
      startBit = algo(chunk.bits, endBit, startBit, nbits, data, this, chunk.startAddr);
    }
  }

  #badAlgoResult(chunk: GenPoolChunk, startBit: number, nbits: number): never {
    this.#bug(
      'gen_pool_alloc_algo_owner',
      `algorithm returned bit ${startBit} for ${nbits} bits of a ${chunk.nbits}-bit chunk at ${hex(chunk.startAddr)}`,
    );
  }

  // ── DMA-style allocation ───────────────────────────────────────────────────

  /**
   * Allocate with `algo` and report the physical address of the result in `dma`.
   * Kernel: gen_pool_dma_alloc_algo().
   * @returns the virtual address, or 0 (NULL) on failure (`dma` untouched).
   */
  dmaAllocAlgo(size: number, dma: Out<number> | null, algo: GenPoolAlgo, data: unknown): number {
    const vaddr = this.allocAlgoOwner(size, algo, data, null);
    if (vaddr === 0) return 0;
    if (dma !== null) dma.value = this.virtToPhys(vaddr);
    return vaddr;
  }

  /**
   * Allocate with the pool's algorithm, reporting the physical address. Kernel:
   * gen_pool_dma_alloc().
   * @returns the virtual address, or 0 on failure.
   */
  dmaAlloc(size: number, dma: Out<number> | null): number {
    return this.dmaAllocAlgo(size, dma, this.#algo, this.#data);
  }

  /**
   * Allocate with first-fit-align at `align` bytes (absolute address alignment).
   * Kernel: gen_pool_dma_alloc_align().
   * @returns the virtual address, or 0 on failure.
   */
  dmaAllocAlign(size: number, dma: Out<number> | null, align: number): number {
    this.#alignData.align = align;
    return this.dmaAllocAlgo(size, dma, gen_pool_first_fit_align, this.#alignData);
  }

  /**
   * As {@link GenPool.dmaAllocAlgo}, then zero the `size` requested bytes (not the rounded
   * size) in the chunk's backing memory or the pool's machine memory.
   * Kernel: gen_pool_dma_zalloc_algo().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZallocAlgo(size: number, dma: Out<number> | null, algo: GenPoolAlgo, data: unknown): number {
    const vaddr = this.dmaAllocAlgo(size, dma, algo, data);
    if (vaddr !== 0) this.#zero(vaddr, size);
    return vaddr;
  }

  /**
   * Zeroing {@link GenPool.dmaAlloc}. Kernel: gen_pool_dma_zalloc().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZalloc(size: number, dma: Out<number> | null): number {
    return this.dmaZallocAlgo(size, dma, this.#algo, this.#data);
  }

  /**
   * Zeroing {@link GenPool.dmaAllocAlign}. Kernel: gen_pool_dma_zalloc_align().
   * @returns the virtual address, or 0 on failure.
   */
  dmaZallocAlign(size: number, dma: Out<number> | null, align: number): number {
    this.#alignData.align = align;
    return this.dmaZallocAlgo(size, dma, gen_pool_first_fit_align, this.#alignData);
  }

  #zero(vaddr: number, size: number): void {
    const chunk = this.#findChunk(vaddr);
    if (chunk === null || !chunk.fill(vaddr, 0, size)) this.#memory?.memset(vaddr, 0, size);
  }

  // ── Free ───────────────────────────────────────────────────────────────────

  /**
   * Free `size` bytes at `addr`. Kernel: gen_pool_free().
   * @throws {KernelBug} as {@link GenPool.freeOwner}.
   */
  free(addr: number, size: number): void {
    this.freeOwner(addr, size, null);
  }

  /**
   * Free `size` bytes at `addr` back to the first chunk that contains `addr`, and report
   * that chunk's owner.
   *
   * Clears ceil(size / granule) bits from the granule holding `addr` (an address inside a
   * granule frees from the granule's start) and credits avail with the rounded size. A
   * smaller size than allocated leaves the rest allocated; a larger one frees a neighbour
   * silently if its bits are set — both as in the kernel.
   *
   * Kernel: gen_pool_free_owner().
   * Context: data plane; allocation-free.
   *
   * @param owner - set to null first, then to the chunk's owner; may be null.
   * @throws {KernelBug} when no chunk contains `addr`, when the range runs past the end of
   *   the chunk, or when some of its granules are not allocated (a double free); the
   *   bitmap and avail are left as they were.
   */
  freeOwner(addr: number, size: number, owner: Out<unknown> | null): void {
    // The checks call a cold reporter, so this body stays small enough to be inlined.
    if (owner !== null) owner.value = null;
    if (!Number.isSafeInteger(size) || size < 0) this.#freeBug(BAD_SIZE, addr, size, null, 0, 0);
    const nbits = Math.ceil(size * this.#perUnit);
    const chunk = this.#findChunk(addr);
    if (chunk === null) this.#freeBug(NOT_IN_POOL, addr, size, null, 0, 0);
    // addr + size - 1 wraps to ULONG_MAX in C when both are 0
    if (addr + size - 1 > chunk.lastAddr || addr + size === 0) {
      this.#freeBug(PAST_END, addr, size, chunk, 0, 0);
    }
    const startBit = Math.floor((addr - chunk.startAddr) * this.#perUnit);
    if (!bitmapRelease(chunk.bits, startBit, nbits)) {
      this.#freeBug(NOT_ALLOCATED, addr, size, chunk, startBit, nbits);
    }
    indexAfterRelease(chunk, startBit, nbits);
    chunk.avail += nbits * this.#unit;
    if (owner !== null) owner.value = chunk.owner;
    if (DEBUG >= 2) checkInvariants(this);
  }

  /** Report a BUG of gen_pool_free_owner with the values involved. (Cold path.) */
  #freeBug(
    kind: number,
    addr: number,
    size: number,
    chunk: GenPoolChunk | null,
    startBit: number,
    nbits: number,
  ): never {
    let message: string;
    if (kind === BAD_SIZE) message = `invalid size ${size} for address ${hex(addr)}`;
    else if (kind === NOT_IN_POOL || chunk === null) {
      const gone = this.#destroyed ? ' (destroyed)' : '';
      message = `address ${hex(addr)} (size ${size}) is not in any chunk of the pool${gone}`;
    } else if (kind === PAST_END) {
      message = `range ${hex(addr)}+${size} runs past the end ${hex(chunk.lastAddr)} of chunk ${hex(chunk.startAddr)}`;
    } else {
      message = `freeing ${hex(addr)}+${size}: granules ${startBit}..${startBit + nbits - 1} of chunk ${hex(chunk.startAddr)} are not all allocated (double free?)`;
    }
    this.#bug('gen_pool_free_owner', message);
  }

  // ── Queries ────────────────────────────────────────────────────────────────

  #findChunk(addr: number): GenPoolChunk | null {
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (addr >= c.startAddr && addr < c.endAddr) return c;
    }
    return null;
  }

  /**
   * Return the physical address of `addr`: the first chunk containing it gives
   * `phys_addr + (addr - start_addr)`, in 64-bit arithmetic (a chunk added with phys -1
   * gives -1 at its first byte and offset - 1 after it, the kernel's wrap-around).
   *
   * Kernel: gen_pool_virt_to_phys().
   * @returns the physical address, or -1 when no chunk contains `addr`.
   */
  virtToPhys(addr: number): number {
    const chunk = this.#findChunk(addr);
    if (chunk === null) return -1;
    const offset = addr - chunk.startAddr;
    if (chunk.physAddr === -1) return offset === 0 ? -1 : offset - 1;
    return chunk.physAddr + offset;
  }

  /**
   * Call `func(pool, chunk, data)` for every chunk, newest first.
   * Kernel: gen_pool_for_each_chunk().
   */
  forEachChunk<D>(func: ChunkVisitor<D>, data: D): void {
    const chunks = this.#chunks.slice();
    for (let i = 0; i < chunks.length; i++) func(this, chunks[i]!, data);
  }

  /**
   * Return true when one chunk holds all of [start, start + size) (size 0: holds start).
   * A range over two adjacent chunks is not held. Kernel: gen_pool_has_addr().
   */
  hasAddr(start: number, size: number): boolean {
    const end = start + size - 1;
    if (end < 0) return false; // wraps to ULONG_MAX in C: past every chunk's end
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (start >= c.startAddr && start <= c.lastAddr && end <= c.lastAddr) return true;
    }
    return false;
  }

  /** Return the free bytes of all chunks, as the kernel counts them. Kernel: gen_pool_avail(). */
  avail(): number {
    let n = 0;
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.avail;
    return n;
  }

  /** Return the bytes of all chunks. Kernel: gen_pool_size(). */
  size(): number {
    let n = 0;
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.size;
    return n;
  }

  /**
   * Set the pool's algorithm and its data; null selects first fit (with `data` kept).
   * Kernel: gen_pool_set_algo().
   */
  setAlgo(algo: GenPoolAlgo | null, data: unknown): void {
    this.#algo = algo ?? gen_pool_first_fit;
    this.#data = data;
  }

  /** The pool's algorithm. */
  get algorithm(): GenPoolAlgo {
    return this.#algo;
  }

  /** The pool's algorithm data. */
  get algorithmData(): unknown {
    return this.#data;
  }

  /** True once {@link GenPool.destroy} has succeeded. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  // ── Backing memory (TypeScript face) ───────────────────────────────────────

  /**
   * Return a view of the `len` bytes at `addr` in the backing memory of the chunk that
   * holds them.
   * @throws {RangeError} when no backed chunk holds the whole range.
   */
  bytes(addr: number, len: number): Uint8Array {
    const chunk = this.#findChunk(addr);
    if (chunk === null || chunk.backing === null || addr + len > chunk.endAddr || len < 0) {
      throw new RangeError(`bytes: ${hex(addr)}+${len} is not inside a chunk with backing memory`);
    }
    return chunk.bytes(addr, len)!;
  }

  /**
   * Return the byte offset of `addr` in its chunk's backing buffer (what a GPU or Wasm API
   * wants).
   * @returns the offset, or -1 when no backed chunk holds `addr`.
   */
  offsetOf(addr: number): number {
    const chunk = this.#findChunk(addr);
    if (chunk === null || chunk.backing === null) return -1;
    return chunk.byteOffset + (addr - chunk.startAddr);
  }

  // ── Destroy ────────────────────────────────────────────────────────────────

  /**
   * Destroy the pool: every chunk must be free.
   *
   * Kernel: gen_pool_destroy().
   * @throws {KernelBug} at the first chunk (list order) that still has an allocated
   *   granule; the chunks before it are gone, it and the rest stay (see DEVIATION).
   */
  destroy(): void {
    const chunks = this.#chunks;
    while (chunks.length > 0) {
      const chunk = chunks[0]!;
      const bit = findNextBit(chunk.bits, chunk.nbits, 0);
      if (bit < chunk.nbits) {
        this.#bug(
          'gen_pool_destroy',
          `pool${this.name === null ? '' : ` '${this.name}'`} is busy: chunk ${hex(chunk.startAddr)}-${hex(chunk.lastAddr)} still has granule ${bit} (${hex(chunk.startAddr + bit * this.#unit)}) allocated, ${chunk.size - chunk.avail} bytes in use`,
        );
      }
      chunks.shift();
    }
    this.#destroyed = true;
  }

  #bug(site: string, message: string): never {
    this.log.bug(FILE, site, message);
    throw new KernelBug(`${site}: ${message}`);
  }

  // ── The kernel's field names ───────────────────────────────────────────────

  /** `pool->min_alloc_order`. */
  get min_alloc_order(): number {
    return this.minAllocOrder;
  }
  /** `pool->algo`. */
  get algo(): GenPoolAlgo {
    return this.#algo;
  }
  /** `pool->data`. */
  get data(): unknown {
    return this.#data;
  }
}

function isByteCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function isSab(b: unknown): b is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer;
}
