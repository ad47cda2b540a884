// SPDX-License-Identifier: GPL-2.0-only
/*
 * SharedGenPoolCore (SharedGenPool of shared-pool.ts without its factories and DMA family):
 * a genpool whose whole state lives in SharedArrayBuffers, allocated from and freed to
 * concurrently, without locks, by every thread that attached to it — the kernel's lockless
 * genalloc, with worker threads for CPUs. Guide: docs/SHARED-GENPOOL.md.
 *
 * Kernel: lib/genalloc.c gen_pool_alloc_algo_owner(), gen_pool_free_owner(),
 * gen_pool_add_owner(), gen_pool_avail(), gen_pool_size(), gen_pool_virt_to_phys(),
 * gen_pool_for_each_chunk(), gen_pool_has_addr(), gen_pool_set_algo(), gen_pool_destroy(),
 * gen_pool_dma_alloc*() and gen_pool_dma_zalloc*() (mainline 6.x; §1.4 of KERNEL-SPEC).
 *
 * Data structure: the handle's buffers (layout.ts); one SharedGenPool object per attached
 * thread, holding typed-array views over them, its slot number, and its own view objects of
 * the chunks (shared-chunk.ts), newest first as the kernel's list. Before each operation a
 * copy loads the published chunk count and builds views for chunks added since (a chunk
 * added by any thread is seen by every copy at its next operation).
 *
 * Allocation, as the kernel's: for each chunk, newest first, find a candidate run (first
 * fit: a descent of this thread's replica of the chunk's fit tree; other algorithms: the
 * kernel's scan of the shared bitmap), claim it word by word with compare-and-swap
 * (atomic-bits.ts); if a word was taken meanwhile, roll back the words set and search again
 * from the failed candidate (`goto retry`). Then update the replica, log the change for the
 * other threads (change-log.ts), charge avail in this slot's own delta entry, and return.
 * The claim, release and replica upkeep are this copy's SlotOps (shared-ops.ts); this file
 * holds the chunk list, the API, the accounting and the life cycle.
 * Free clears the bits the same way and credits the entry. No lock is taken on either
 * path; adding a chunk takes the add lock (shared-admin.ts), as the kernel takes
 * pool->lock.
 *
 * Search correctness: the bitmap is the only truth. Each thread searches its own replica of
 * the fit tree (change-log.ts), which may lag the operations other threads have in flight,
 * so a candidate is only a place to try: the CAS claim verifies it; after a lost race the
 * search resumes from the failed candidate (the kernel's retry), and a candidate that the
 * bitmap shows taken is replaced by a scan of the bitmap from there (a lagging replica
 * never makes a thread wait for another). Before reporting "no fit" the thread catches up
 * on the change logs with atomic loads and, if anything was new, searches once more: a
 * failure is never a false one with respect to every operation that completed before the
 * allocation began (the replica then reflects them all: change-log.ts C1). With no other
 * thread running, the replica is exact and placements are the kernel's.
 *
 * Progress: a claim fails only on a word another claim holds; claims take words in
 * ascending order, so the claim holding the highest contested word does not fail on it:
 * some claim always completes (lock-free, not wait-free — the kernel's "possible livelock
 * in extreme contention" is per thread, not global). Replicas are thread-local and catching
 * up replays only what is already published: no thread ever waits for another.
 *
 * Crash (a worker dying mid-operation): its slot's journal names the bits it holds and has
 * not accounted. Between the claim and the accounting, a crash leaves those bits set and
 * avail uncharged; during a free, the bits not yet cleared. recover() (on a quiescent pool)
 * clears every bit a journal names, rebuilds the index replicas and recomputes avail from
 * the bitmaps; check() finds what recover() would fix. Allocations the dead thread had already
 * been handed stay allocated: they are its caller's, as in the kernel.
 *
 * Invariants (check(), on a quiescent pool): G1 avail == size - set bits * 2^order per
 * chunk; G3 no bit past nbits; C1 this copy's index replicas equal FitTrees rebuilt from
 * the bitmap (change-log.ts); J1 every attached slot's journal is idle.
 *
 * DEVIATION:
 *   - The claim unit is a 32-bit word, not a 64-bit long (atomic-bits.ts).
 *   - gen_pool_alloc skips a chunk whose avail is below the size; here the replica's root
 *     answers that (same placements: a chunk with less avail than the size has no fit).
 *   - "No fit" is decided on the caught-up replica, not by a final scan of the bitmap (see
 *     "Search correctness"): a scan costs O(bitmap) per failure and guarantees no more —
 *     it too misses a run freed behind its position or held by a claim being rolled back.
 *   - Owners are numbers or null; setAlgo takes the five built-ins only (shared-algos.ts).
 *   - destroy() of a busy pool changes nothing (the kernel unlinks chunks before the BUG).
 *   - A BUG in free leaves the bitmap unchanged unless another thread freed the same bits
 *     at the same time (then the bits cleared before the BUG stay cleared, as the kernel's).
 *   - avail() is exact once no operation is in flight; during operations it may lag them.
 *
 * Internals are TypeScript `private` (`_name`), not `#private`: measured faster on this
 * per-operation path (docs/ARCHITECTURE.md, "#private or TypeScript private on hot paths").
 */

import { EINVAL, ENOMEM } from '../../base/errno.js';
import { KernelBug } from '../../base/errors.js';
import { KernelLog } from '../../base/log.js';
import type { Out } from '../../base/out.js';
import { hex } from '../../base/units.js';
import { MAX_BITMAP_BITS } from '../../bitmap/bitmap.js';
import {
  gen_pool_first_fit,
  type GenPoolAlgo,
  type GenPoolAlgoPool,
  type GenPoolDataAlign,
  type GenPoolDataFixed,
} from '../algos.js';
import { rangeAllSet } from './atomic-bits.js';
import { SharedGenPoolChunk } from './shared-chunk.js';
import { ChangeLog } from './change-log.js';
import { SlotOps } from './shared-ops.js';
import { addSharedChunk } from './shared-admin.js';
import { algoById, algoDataNumber, algoIdOf } from './shared-algos.js';
import { checkShared, recoverShared, type RecoverReport } from './recover.js';
import {
  isByteCount,
  notAllocatedMessage,
  notInPoolMessage,
  pastEndMessage,
  scanUsed,
  type AttachOptions,
  type SharedAddMemoryOptions,
  type SharedChunkVisitor,
  type SharedPoolHook,
} from './shared-api.js';
import {
  ALGO_FIRST_FIT,
  ALGO_FIRST_FIT_ALIGN,
  ALGO_FIXED,
  DELTA_ADJUST,
  DELTA_STRIDE,
  DESTROYED,
  F_ALGO_DATA,
  H_ALGO,
  H_COUNT,
  H_SLOTS,
  H_MAGIC,
  H_NID,
  H_ORDER,
  headerBytes,
  logsByte,
  H_MAX_CHUNKS,
  isSharedHandle,
  MAGIC,
  MAX_SLOTS,
  OP_IDLE,
  S_OP,
  S_STATE,
  SLOT_INTS,
  SLOTS_BYTE,
  type SharedGenPoolHandle,
} from './layout.js';

const FILE = 'lib/genalloc.c';
const NO_CHUNKS: SharedGenPoolChunk[] = [];

/**
 * The data plane, chunk list, queries and life cycle of {@link SharedGenPool} (the class
 * users get, shared-pool.ts, adds the DMA family and the factories).
 */
export class SharedGenPoolCore implements GenPoolAlgoPool {
  /** log2 of the granule size in bytes. */
  readonly minAllocOrder: number;
  /** NUMA node given at creation (-1: any). */
  readonly nid: number;
  /** This copy's name, or null. */
  readonly name: string | null;
  /** Where this copy's WARNs and BUGs go. */
  readonly log: KernelLog;
  /** This copy's slot (0..63): its journal and avail entries. */
  readonly slot: number;
  private readonly _handle: SharedGenPoolHandle;
  /** Header, slots and chunk table, as Int32 (the journal is part of it). */
  private readonly _h32: Int32Array;
  private readonly _h64: Float64Array;
  /** Int32 index of this slot's journal in _h32. */
  private readonly _js: number;
  /** Int32 index of this slot's entry in a chunk's deltas. */
  private readonly _di: number;
  private readonly _unit: number;
  private readonly _perUnit: number;
  private _chunks: SharedGenPoolChunk[] = [];
  /** The chunks this copy attached, by index (for the change logs). */
  private _byIndex: SharedGenPoolChunk[] = [];
  /** The count word this copy last saw (-1 once detached: every operation re-checks). */
  private _seen = 0;
  private _attached = 0;
  private _destroyed = false;
  private _detached = false;
  private readonly _ops: SlotOps;
  private readonly _log: ChangeLog;
  private readonly _alignData: GenPoolDataAlign = { align: 0 };
  private readonly _fixedData: GenPoolDataFixed = { offset: 0 };

  protected constructor(handle: SharedGenPoolHandle, options: AttachOptions) {
    if (!isSharedHandle(handle)) throw new RangeError('fromShared: not a kmem-genpool handle');
    const probe = new Int32Array(handle.meta, 0, 16);
    if (Atomics.load(probe, H_MAGIC) !== MAGIC) {
      throw new RangeError('fromShared: the meta buffer is not a shared genpool');
    }
    this._handle = handle;
    this._h32 = new Int32Array(handle.meta, 0, headerBytes(probe[H_MAX_CHUNKS]!) / 4);
    this._h64 = new Float64Array(handle.meta, 0, 16);
    this.minAllocOrder = probe[H_ORDER]!;
    this.nid = probe[H_NID]!;
    this._unit = 2 ** this.minAllocOrder;
    this._perUnit = 2 ** -this.minAllocOrder;
    this.name = options.name ?? null;
    this.log = options.log ?? new KernelLog();
    this.slot = this._claimSlot();
    this._js = SLOTS_BYTE / 4 + this.slot * SLOT_INTS;
    this._di = this.slot * DELTA_STRIDE;
    this._log = new ChangeLog(this._h32, this.slot, logsByte(probe[H_MAX_CHUNKS]!));
    this._ops = new SlotOps(
      this._h32,
      this.slot,
      this._log,
      () => this._log.catchUp(this._byIndex, true),
      (site, message) => this._bug(site, message),
    );
    this._seen = -1;
    this._sync();
  }

  private _claimSlot(): number {
    const h = this._h32;
    for (let s = 0; s < MAX_SLOTS; s++) {
      const at = SLOTS_BYTE / 4 + s * SLOT_INTS;
      if (Atomics.compareExchange(h, at + S_STATE, 0, 1) === 0) {
        Atomics.store(h, at + S_OP, OP_IDLE);
        for (;;) {
          const hw = Atomics.load(h, H_SLOTS);
          if (hw > s || Atomics.compareExchange(h, H_SLOTS, hw, s + 1) === hw) return s;
        }
      }
    }
    throw new RangeError(`fromShared: all ${MAX_SLOTS} slots of the pool are attached`);
  }

  /** Lost-race retries of this copy so far (the kernel's `goto retry`). */
  get retries(): number {
    return this._ops.retries;
  }

  /** Times this copy was lapped by another's change log and rebuilt its index (diagnostics). */
  get rebuilds(): number {
    return this._log.rebuilds;
  }

  /** The handle to post to a worker (the same buffers; attach there with fromShared). */
  toShared(): SharedGenPoolHandle {
    return this._handle;
  }

  // ── Chunks ─────────────────────────────────────────────────────────────────

  /** Load the published chunk count (views of new chunks), then replay the change logs. */
  private _sync(): void {
    if (this._h32[H_COUNT] !== this._seen) this._syncSlow(Atomics.load(this._h32, H_COUNT));
    this._log.catchUp(this._byIndex, false);
  }

  private _syncSlow(word: number): void {
    if (this._detached) throw new RangeError('shared genpool: this copy was detached');
    if ((word & DESTROYED) !== 0) {
      this._destroyed = true;
      this._chunks = NO_CHUNKS;
      this._byIndex = NO_CHUNKS;
      this._seen = word;
      return;
    }
    const h = this._handle;
    for (let i = this._attached; i < word; i++) {
      const chunk = new SharedGenPoolChunk(h.meta, i, this.minAllocOrder, h.memory, h.externals);
      this._chunks.unshift(chunk); // control-plane: once per chunk added
      this._byIndex.push(chunk);
    }
    this._attached = word;
    this._seen = word;
  }

  /**
   * Add a chunk of `size` bytes at `virt` (physical `phys`) with an owner; every attached
   * copy sees it from its next operation. Kernel: gen_pool_add_owner().
   * @returns 0, -ENOMEM (too many chunks, a bitmap over MAX_BITMAP_BITS, or the meta buffer
   *   at its maximum), or -EINVAL (virt or size not a non-negative safe integer).
   */
  addOwner(virt: number, phys: number, size: number, nid: number, owner: number | null): number {
    const err = this._add(virt, phys, size, nid, owner, -1);
    return err < 0 ? err : 0;
  }

  /**
   * Add a chunk with a known physical address. Kernel: gen_pool_add_virt().
   * @returns 0, or a negative errno as {@link SharedGenPool.addOwner}.
   */
  addVirt(virt: number, phys: number, size: number, nid = -1): number {
    return this.addOwner(virt, phys, size, nid, null);
  }

  /**
   * Add a chunk whose physical address is unknown (-1). Kernel: gen_pool_add().
   * @returns 0, or a negative errno as {@link SharedGenPool.addOwner}.
   */
  add(addr: number, size: number, nid = -1): number {
    return this.addOwner(addr, -1, size, nid, null);
  }

  /**
   * Add a chunk of `size` bytes backed by the pool's shared memory buffer, so every thread
   * can use its bytes ({@link SharedGenPool.bytes}).
   * @returns the new chunk.
   * @throws {RangeError} when size is not a non-negative safe integer or the chunk cannot
   *   be added (the errno is in the message: -ENOMEM when a buffer is at its maximum).
   */
  addMemory(size: number, options: SharedAddMemoryOptions = {}): SharedGenPoolChunk {
    const virt = options.virt ?? -1;
    const phys = options.phys ?? NaN;
    const err = this._add(virt, phys, size, options.nid ?? -1, options.owner ?? null, 0);
    if (err < 0) throw new RangeError(`addMemory: cannot add a ${size}-byte chunk (${err})`);
    this._sync();
    return this._chunkByIndex(err)!;
  }

  private _add(
    virt: number,
    phys: number,
    size: number,
    nid: number,
    owner: number | null,
    backing: number,
  ): number {
    this._sync();
    if (this._destroyed) throw new KernelBug('gen_pool_add: the pool was destroyed');
    const defaultVirt = backing === 0 && virt === -1;
    if ((!defaultVirt && !isByteCount(virt)) || !isByteCount(size)) return -EINVAL;
    if (!defaultVirt && !Number.isSafeInteger(virt + size)) return -EINVAL;
    if (owner !== null && typeof owner !== 'number') return -EINVAL;
    if (Math.floor(size / this._unit) > MAX_BITMAP_BITS) return -ENOMEM;
    return addSharedChunk(this._handle, this.slot, {
      virt,
      phys,
      size,
      nid,
      owner,
      backing,
      byteOffset: 0,
      bits: null,
      adjust: 0,
    });
  }

  private _chunkByIndex(index: number): SharedGenPoolChunk | null {
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) if (chunks[i]!.index === index) return chunks[i]!;
    return null;
  }

  /** The chunks this copy has seen, newest first. Do not modify. */
  get chunks(): readonly SharedGenPoolChunk[] {
    this._sync();
    return this._chunks;
  }

  // ── Allocation ─────────────────────────────────────────────────────────────

  /**
   * Allocate `size` bytes with the pool's algorithm. Kernel: gen_pool_alloc().
   * Context: data plane; lock-free; allocation-free.
   * @returns the start address, or 0 (NULL) when no chunk has a fitting free run.
   */
  alloc(size: number): number {
    return this.allocOwner(size, null);
  }

  /**
   * Allocate with the pool's algorithm and report the chunk's owner.
   * Kernel: gen_pool_alloc_owner().
   * @returns the start address, or 0; `owner.value` is the chunk's owner, or null on failure.
   */
  allocOwner(size: number, owner: Out<unknown> | null): number {
    const id = this._h32[H_ALGO]!;
    if (id === ALGO_FIRST_FIT) return this.allocAlgoOwner(size, gen_pool_first_fit, null, owner);
    return this.allocAlgoOwner(size, algoById(id), this._poolData(id), owner);
  }

  /** The pool-wide algorithm data, in this copy's reusable objects. */
  private _poolData(id: number): unknown {
    const n = this._h64[F_ALGO_DATA]!;
    if (Number.isNaN(n)) return null;
    if (id === ALGO_FIRST_FIT_ALIGN) {
      this._alignData.align = n;
      return this._alignData;
    }
    if (id === ALGO_FIXED) {
      this._fixedData.offset = n;
      return this._fixedData;
    }
    return null;
  }

  /**
   * Allocate with the given algorithm. Kernel: gen_pool_alloc_algo().
   * @returns the start address, or 0 when nothing fits.
   */
  allocAlgo(size: number, algo: GenPoolAlgo, data: unknown): number {
    return this.allocAlgoOwner(size, algo, data, null);
  }

  /**
   * Allocate `size` bytes with `algo`, trying each chunk newest first: find, claim with
   * CAS, roll back and retry from the failed position on a lost race, charge avail.
   *
   * Kernel: gen_pool_alloc_algo_owner().
   * Context: data plane; lock-free; allocation-free.
   * @returns the start address, or 0 (NULL) when no chunk fits (the caught-up replica decides).
   * @throws {KernelBug} when an algorithm returns a run past the end of the map or keeps
   *   returning a taken run.
   */
  allocAlgoOwner(
    size: number,
    algo: GenPoolAlgo,
    data: unknown,
    owner: Out<unknown> | null,
  ): number {
    if (owner !== null) owner.value = null;
    if (!(size > 0) || !Number.isSafeInteger(size)) return 0; // 0, negative, NaN, 1.5
    this._sync();
    const nbits = Math.ceil(size * this._perUnit);
    const chunks = this._chunks;
    const fast = algo === gen_pool_first_fit;
    const ops = this._ops;
    // Pass 2 only when pass 1 found nothing and other threads logged changes meanwhile.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        if (nbits > chunk.nbits) continue;
        const start = fast
          ? ops.claimFirst(chunk, nbits)
          : ops.claimAlgo(this, chunk, algo, data, nbits);
        if (start < 0) continue;
        const d = chunk.deltas;
        d[this._di] = (d[this._di]! - nbits) | 0;
        ops.idle();
        if (owner !== null) owner.value = chunk.owner;
        return chunk.startAddr + start * this._unit;
      }
      if (!fast || !this._log.catchUp(this._byIndex, true)) break;
    }
    return 0;
  }

  // ── Free ───────────────────────────────────────────────────────────────────

  /**
   * Free `size` bytes at `addr`. Kernel: gen_pool_free().
   * @throws {KernelBug} as {@link SharedGenPool.freeOwner}.
   */
  free(addr: number, size: number): void {
    this.freeOwner(addr, size, null);
  }

  /**
   * Free `size` bytes at `addr` to the first chunk (newest first) holding `addr`, and
   * report that chunk's owner. The kernel's quirks stay: a smaller size frees less, a
   * larger one frees an allocated neighbour silently.
   *
   * Kernel: gen_pool_free_owner().
   * Context: data plane; lock-free; allocation-free.
   * @throws {KernelBug} when no chunk holds `addr`, the range runs past the chunk's end, or
   *   some granule is not allocated (double free): nothing is changed (but see DEVIATION).
   */
  freeOwner(addr: number, size: number, owner: Out<unknown> | null): void {
    if (owner !== null) owner.value = null;
    if (!Number.isSafeInteger(size) || size < 0) {
      this._bug('gen_pool_free_owner', `invalid size ${size} for address ${hex(addr)}`);
    }
    this._sync();
    const nbits = Math.ceil(size * this._perUnit);
    const chunk = this._findChunk(addr);
    if (chunk === null) this._notInPool(addr, size);
    if (addr + size - 1 > chunk.lastAddr || addr + size === 0) this._pastEnd(addr, size, chunk);
    const start = Math.floor((addr - chunk.startAddr) * this._perUnit);
    if (nbits > 0) this._release(chunk, start, nbits, addr, size);
    if (owner !== null) owner.value = chunk.owner;
  }

  private _release(
    chunk: SharedGenPoolChunk,
    start: number,
    nbits: number,
    addr: number,
    size: number,
  ): void {
    const words = chunk.words;
    if (!rangeAllSet(words, start, nbits)) this._notAllocated(addr, size, chunk, start, nbits);
    const remain = this._ops.release(chunk, start, nbits);
    if (remain !== 0) {
      this._ops.idle();
      this._notAllocated(addr, size, chunk, start, nbits);
    }
    const d = chunk.deltas;
    d[this._di] = (d[this._di]! + nbits) | 0;
    this._ops.idle();
  }

  private _notInPool(addr: number, size: number): never {
    this._bug('gen_pool_free_owner', notInPoolMessage(addr, size, this._destroyed));
  }

  private _pastEnd(addr: number, size: number, chunk: SharedGenPoolChunk): never {
    this._bug('gen_pool_free_owner', pastEndMessage(addr, size, chunk));
  }

  private _notAllocated(
    addr: number,
    size: number,
    chunk: SharedGenPoolChunk,
    start: number,
    nbits: number,
  ): never {
    this._bug('gen_pool_free_owner', notAllocatedMessage(addr, size, chunk, start, nbits));
  }

  // ── Queries ────────────────────────────────────────────────────────────────

  /**
   * Return the chunk holding `addr` (the first in list order, newest first).
   * @returns the chunk, or null when no chunk holds `addr`.
   */
  chunkAt(addr: number): SharedGenPoolChunk | null {
    this._sync();
    return this._findChunk(addr);
  }

  private _findChunk(addr: number): SharedGenPoolChunk | null {
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (addr >= c.startAddr && addr < c.endAddr) return c;
    }
    return null;
  }

  /**
   * Return the physical address of `addr` (phys_addr + offset; a chunk added with phys -1
   * wraps as in the kernel). Kernel: gen_pool_virt_to_phys().
   * @returns the physical address, or -1 when no chunk holds `addr`.
   */
  virtToPhys(addr: number): number {
    this._sync();
    const chunk = this._findChunk(addr);
    if (chunk === null) return -1;
    const offset = addr - chunk.startAddr;
    if (chunk.physAddr === -1) return offset === 0 ? -1 : offset - 1;
    return chunk.physAddr + offset;
  }

  /** Call `func(pool, chunk, data)` for every chunk, newest first. Kernel: gen_pool_for_each_chunk(). */
  forEachChunk<D>(func: SharedChunkVisitor<D>, data: D): void {
    this._sync();
    const chunks = this._chunks.slice();
    for (let i = 0; i < chunks.length; i++) func(this, chunks[i]!, data);
  }

  /**
   * Return true when one chunk holds all of [start, start + size). Kernel: gen_pool_has_addr().
   * @returns false when no single chunk holds the range.
   */
  hasAddr(start: number, size: number): boolean {
    this._sync();
    const end = start + size - 1;
    if (end < 0) return false;
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (start >= c.startAddr && start <= c.lastAddr && end <= c.lastAddr) return true;
    }
    return false;
  }

  /**
   * Return the free bytes of all chunks, exact once no operation is in flight.
   * Kernel: gen_pool_avail().
   */
  avail(): number {
    this._sync();
    let n = 0;
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.avail;
    return n;
  }

  /** Return the bytes of all chunks. Kernel: gen_pool_size(). */
  size(): number {
    this._sync();
    let n = 0;
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) n += chunks[i]!.size;
    return n;
  }

  /**
   * Set the pool-wide algorithm (null: first fit). A control-plane call: every copy uses
   * it from its next allocation. Kernel: gen_pool_set_algo().
   * @throws {RangeError} when `algo` is not one of the five built-in algorithms.
   */
  setAlgo(algo: GenPoolAlgo | null, data: unknown): void {
    const id = algo === null ? ALGO_FIRST_FIT : algoIdOf(algo);
    if (id < 0) {
      throw new RangeError(
        'setAlgo: a shared pool takes the built-in algorithms only (use allocAlgo)',
      );
    }
    this._h64[F_ALGO_DATA] = algoDataNumber(id, data);
    Atomics.store(this._h32, H_ALGO, id);
  }

  /** The pool-wide algorithm. */
  get algorithm(): GenPoolAlgo {
    return algoById(Atomics.load(this._h32, H_ALGO));
  }

  /** The pool-wide algorithm data: { align }, { offset }, or null. */
  get algorithmData(): unknown {
    const id = Atomics.load(this._h32, H_ALGO);
    const d = this._poolData(id);
    if (d === this._alignData) return { align: this._alignData.align };
    if (d === this._fixedData) return { offset: this._fixedData.offset };
    return null;
  }

  /** True once the pool was destroyed (by any copy). */
  get destroyed(): boolean {
    this._sync();
    return this._destroyed;
  }

  /** `pool->min_alloc_order`. */
  get min_alloc_order(): number {
    return this.minAllocOrder;
  }

  // ── Backing memory ─────────────────────────────────────────────────────────

  /**
   * Return a view of the `len` bytes at `addr` in the backing buffer of its chunk.
   * @throws {RangeError} when no chunk with a backing buffer holds the whole range.
   */
  bytes(addr: number, len: number): Uint8Array {
    this._sync();
    const chunk = this._findChunk(addr);
    if (chunk === null || chunk.backing === null || addr + len > chunk.endAddr || len < 0) {
      throw new RangeError(`bytes: ${hex(addr)}+${len} is not inside a chunk with backing memory`);
    }
    return chunk.bytes(addr, len)!;
  }

  /**
   * Return the byte offset of `addr` in its chunk's backing buffer.
   * @returns the offset, or -1 when no chunk with a backing buffer holds `addr`.
   */
  offsetOf(addr: number): number {
    this._sync();
    const chunk = this._findChunk(addr);
    if (chunk === null || chunk.backing === null) return -1;
    return chunk.byteOffset + (addr - chunk.startAddr);
  }

  // ── Life cycle, checks, recovery ───────────────────────────────────────────

  /**
   * Destroy the pool for every copy: all chunks must be free. Kernel: gen_pool_destroy().
   * @throws {KernelBug} naming the first busy chunk (newest first); nothing is changed.
   */
  destroy(): void {
    this._sync();
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const bit = scanUsed(c);
      if (bit >= 0) {
        this._bug(
          'gen_pool_destroy',
          `pool${this.name === null ? '' : ` '${this.name}'`} is busy: chunk ${hex(c.startAddr)}-${hex(c.lastAddr)} still has granule ${bit} (${hex(c.startAddr + bit * this._unit)}) allocated, ${c.size - c.avail} bytes in use`,
        );
      }
    }
    const h = this._h32;
    for (;;) {
      const w = Atomics.load(h, H_COUNT);
      if (Atomics.compareExchange(h, H_COUNT, w, w | DESTROYED) === w) break;
    }
    this._sync();
  }

  /**
   * Detach this copy: its avail entries are folded into the chunks' adjustment and its
   * slot is freed for another thread. The copy cannot be used afterwards.
   * @throws {RangeError} when an operation of this copy is in flight (a hook re-entered).
   */
  detach(): void {
    if (this._detached) return;
    if (this._h32[this._js + S_OP] !== OP_IDLE) throw new RangeError('detach: operation in flight');
    this._sync();
    const chunks = this._chunks;
    for (let i = 0; i < chunks.length; i++) {
      const d = chunks[i]!.deltas;
      Atomics.add(d, DELTA_ADJUST * DELTA_STRIDE, Atomics.exchange(d, this._di, 0));
    }
    Atomics.store(this._h32, this._js + S_STATE, 0);
    this._detached = true;
    this._chunks = NO_CHUNKS;
    this._byIndex = NO_CHUNKS;
    this._seen = -1;
  }

  /**
   * Check every invariant of the pool (G1, G3, C1, J1). Only meaningful while no operation
   * is in flight in any thread.
   * @throws {InvariantError} naming the invariant, the chunk and the values.
   */
  check(): void {
    this._sync();
    checkShared(this._h32, this._chunks, this.minAllocOrder);
  }

  /**
   * Repair the pool after threads died mid-operation. Call it only while no operation is in
   * flight in any live thread. Clears the bits every busy journal names (a claim that was
   * never handed out, the rest of a free), rebuilds the index replicas (and tells the other
   * copies to refresh theirs), recomputes each chunk's
   * avail from its bitmap, and frees the slots listed in `deadSlots` (their avail entries
   * folded, the add lock released if one of them held it).
   * @returns what was repaired.
   */
  recover(deadSlots: readonly number[] = []): RecoverReport {
    this._sync();
    return recoverShared(this._h32, this._chunks, deadSlots, this._log);
  }

  /**
   * Install a test hook (see {@link SharedPoolHook}), or remove it with null. The hook runs
   * on this copy's operations only.
   */
  setTestHook(hook: SharedPoolHook | null): void {
    this._ops.setHook(hook);
  }

  private _bug(site: string, message: string): never {
    this.log.bug(FILE, site, message);
    throw new KernelBug(`${site}: ${message}`);
  }
}
