// SPDX-License-Identifier: GPL-2.0-only
/*
 * DmaPool: fixed-size blocks of coherent DMA memory for one device, with an alignment and
 * a boundary no block crosses, handing out a CPU address and a bus address per block.
 *
 * Kernel: mm/dmapool.c of 6.3+ (Keith Busch's rework): dma_pool_create_node,
 * dma_pool_alloc, dma_pool_free, dma_pool_destroy, pool_alloc_page,
 * pool_initialise_page, pool_block_pop/push, pools_show; include/linux/poison.h.
 *
 * Data structure: one LIFO free list across all pages. Its links live in simulated memory,
 * in each free block's first 16 bytes ({ next_block: u64 CPU address, dma: u64 }), exactly
 * where the kernel keeps them, so a caller who writes to a freed block corrupts the list
 * as on a real machine. `next_block` is the list head (0 = NULL). Pages are coherent
 * buffers of `allocation` bytes, carved in ascending address order when added, and never
 * returned before destroy.
 *
 * Speed: the head is held as a word index into the direct map (`fastHead`, byte offset / 4,
 * a small integer below 2^31) whenever it is a word-aligned RAM address below 8 GiB whose
 * header lies in one 64 KiB storage block, and as a full address (`slowHead`) otherwise
 * (NULL, RAM above 8 GiB, a corrupted link). A 48-bit address in a field is a heap number,
 * and storing one per operation costs more than the whole list operation; with the index
 * the fast paths do integer work only. Because PAGE_OFFSET's low 32 bits are zero, a link
 * is the word pair (offset mod 2^32, PAGE_OFFSET / 2^32 + offset / 2^32), so the index is
 * read from and written to the block's header without floating-point splitting. The 64 KiB
 * storage block of the last header touched is cached (PhysMem never drops a block).
 * DEVIATION from the house style (internals `#private`): the state and helpers the fast
 * paths touch are TypeScript `private` properties, because V8 reads and writes them faster
 * than `#` fields here (measured: D-test 16-byte row 16.5 -> 12.5 ns per pair, 2026-11-21);
 * the compiler still keeps them out of reach, and tests use only the public surface.
 *
 * Non-debug frees validate nothing, as in the kernel: a double free puts the block on the
 * list twice and a wrong `dma` is stored and later handed out. The debug checks of
 * DMAPOOL_DEBUG (poisoning, "(corrupted)", "(bad dma)", "already free") are in debug.ts.
 *
 * DEVIATION: a free of an address outside the direct map of RAM throws PageFault (the
 * kernel would oops writing the block header); using a destroyed pool is a KernelBug
 * (use after free in the kernel); `%p` prints the raw address (no pointer hashing).
 */

import { KernelBug, PageFault } from '../base/errors.js';
import { alignUp, isPowerOfTwo, PAGE_SIZE, TWO_POW_32 } from '../base/units.js';
import type { Out } from '../base/out.js';
import type { Device } from '../machine/device.js';
import { __GFP_DIRECT_RECLAIM, __GFP_ZERO, GFP_KERNEL } from '../machine/gfp.js';
import { kaddr, PAGE_OFFSET } from '../machine/layout.js';
import type { Machine } from '../machine/machine.js';
import { BLOCK_SIZE, type PhysMem } from '../machine/phys-mem.js';
import { checkBlockOnAlloc, poisonPage, blockErrOnFree } from './debug.js';
import { formatPools } from './sysfs.js';

/*
 * The fast paths' constants, as module-local bindings: V8 folds a module's own constants
 * into optimized code but reads an imported binding from its cell, with a hole check, on
 * every use (measured: ~1 ns per alloc and per free).
 */
const DIRECT_MAP = PAGE_OFFSET;
const U32 = TWO_POW_32;
const INV_U32 = 1 / TWO_POW_32;
const GFP_ZERO = __GFP_ZERO;
const GFP_DIRECT_RECLAIM = __GFP_DIRECT_RECLAIM;
/** The high word of every direct-map address of the first 4 GiB (PAGE_OFFSET's low word is 0). */
const DIRECT_HI = PAGE_OFFSET / TWO_POW_32;
/** DIRECT_HI as a signed 32-bit number (what `word | 0` gives for it). */
const DIRECT_HI_I32 = DIRECT_HI | 0;
/** log2 of the 32-bit words per storage block of PhysMem. */
const BLOCK_WORDS_SHIFT = Math.log2(BLOCK_SIZE) - 2;
const BLOCK_WORDS_MASK = BLOCK_SIZE / 4 - 1;
/** The block cache's value before the first lookup. */
const NO_WORDS: Uint32Array = new Uint32Array(0);

/** sizeof(struct dma_block): the free-list header kept in each free block. */
export const DMA_BLOCK_SIZE = 16;
/** Offset within a storage block. */
const BLOCK_MASK = BLOCK_SIZE - 1;
/** The last offset in a storage block where a free block's 16-byte header fits. */
const LAST_HEADER_OFFSET = BLOCK_SIZE - DMA_BLOCK_SIZE;
/** The same, as a word index within a storage block. */
const LAST_HEADER_WORD = LAST_HEADER_OFFSET / 4;
/** Direct-map offsets below this have a word index below 2^31: the fast form's reach. */
const FAST_REACH = 2 ** 33;
/** The word-index bit of offsets at or above 4 GiB. */
const WORD_INDEX_4G = 2 ** 30;

/** INT_MAX: the largest block size dma_pool_create accepts. */
export const INT_MAX = 0x7fffffff;
/** sizeof(struct dma_pool) and sizeof(struct dma_page), for their kmallocs. */
const POOL_STRUCT = 120;
const PAGE_STRUCT = 40;

/** One coherent buffer of the pool (struct dma_page). */
export interface DmaPage {
  readonly vaddr: number;
  readonly dma: number;
  /** The kmalloc'd descriptor (freed with the page). */
  readonly desc: number;
}

/** A pool of coherent DMA blocks (struct dma_pool). */
export class DmaPool {
  /** The name, cut to 31 characters. */
  readonly name: string;
  readonly dev: Device;
  /** Block size after the minimum of 16 and rounding up to the alignment. */
  readonly size: number;
  /** Bytes per coherent buffer: max(size, PAGE_SIZE). */
  readonly allocation: number;
  /** No block crosses a multiple of this (relative to its buffer). */
  readonly boundary: number;
  readonly node: number;
  /** Blocks carved so far. */
  nr_blocks = 0;
  /** Blocks handed out. */
  nr_active = 0;
  /** Coherent buffers so far. */
  nr_pages = 0;
  /** The list head as a word index into the direct map (see the header), or -1: then `slowHead`. */
  private fastHead = -1;
  /** The list head as a CPU address when `fastHead` is -1 (0 = NULL). */
  private slowHead = 0;
  /** The last storage block touched by a fast path: its index and its words. */
  private cacheIndex = -1;
  private cacheWords = NO_WORDS;
  readonly #pages: DmaPage[] = [];
  readonly #m: Machine;
  private readonly phys: PhysMem;
  readonly #debug: boolean;
  readonly #initOnAlloc: boolean;
  readonly #initOnFree: boolean;
  /** True when every block starts 4-byte aligned, so headers take the word fast path. */
  readonly #wordAligned: boolean;
  /** True when alloc/free must take the cold path: debug, init_on_alloc/free, unaligned blocks, destroyed. */
  private slow: boolean;
  private readonly cpus: Machine['cpus'];
  /** End of low RAM and end of RAM, as offsets into the direct map. */
  readonly #lowEnd: number;
  /** End of low RAM in words (below 2^30), and of the fast form's RAM above 4 GiB in words from 4 GiB. */
  private readonly lowWords: number;
  private readonly highWords: number;
  readonly #ramEnd: number;
  readonly #desc: number;
  #destroyed = false;

  private constructor(
    m: Machine,
    name: string,
    dev: Device,
    size: number,
    allocation: number,
    boundary: number,
    node: number,
    desc: number,
  ) {
    this.#m = m;
    this.phys = m.phys;
    this.name = name;
    this.dev = dev;
    this.size = size;
    this.allocation = allocation;
    this.boundary = boundary;
    this.node = node;
    this.#desc = desc;
    this.#debug = m.options.dmapoolDebug ?? false;
    this.#initOnAlloc = m.options.initOnAlloc ?? false;
    this.#initOnFree = m.options.initOnFree ?? false;
    this.#wordAligned = size % 4 === 0;
    this.slow = this.#debug || this.#initOnAlloc || this.#initOnFree || !this.#wordAligned;
    this.cpus = m.cpus;
    this.#lowEnd = m.ram[0]!.end * PAGE_SIZE;
    const last = m.ram[m.ram.length - 1]!;
    this.#ramEnd = last.end * PAGE_SIZE;
    this.lowWords = this.#lowEnd / 4;
    this.highWords = Math.max(0, Math.min(this.#ramEnd, FAST_REACH) - U32) / 4;
  }

  /**
   * dma_pool_create_node(name, dev, size, align, boundary, node): the creation rules of
   * the kernel, in its order.
   * @returns the pool, or null (silently) when `dev` is null, `align` is not a power of
   *   two, `size` is 0 or over INT_MAX, `boundary` is smaller than the block or not a power
   *   of two, or the pool's memory or sysfs file cannot be had.
   */
  static create(
    m: Machine,
    name: string,
    dev: Device | null,
    size: number,
    align: number,
    boundary: number,
    node = -1,
  ): DmaPool | null {
    if (dev === null) return null;
    if (
      !Number.isSafeInteger(size) ||
      !Number.isSafeInteger(align) ||
      !Number.isSafeInteger(boundary)
    )
      return null;
    if (align === 0) align = 1;
    else if (align < 0 || !isPowerOfTwo(align)) return null;
    if (size <= 0 || size > INT_MAX) return null;
    if (size < DMA_BLOCK_SIZE) size = DMA_BLOCK_SIZE;
    size = alignUp(size, align);
    const allocation = Math.max(size, PAGE_SIZE);
    if (boundary === 0) boundary = allocation;
    else if (boundary < size || !isPowerOfTwo(boundary)) return null;
    boundary = Math.min(boundary, allocation);
    const desc = m.kmalloc.alloc(POOL_STRUCT, GFP_KERNEL | __GFP_ZERO, node);
    if (desc === 0) return null;
    const pool = new DmaPool(m, strscpy(name, 32), dev, size, allocation, boundary, node, desc);
    const empty = dev.dma_pools.length === 0;
    dev.dma_pools.unshift(pool);
    if (empty && dev.createFile('pools', () => formatPools(dev.dma_pools as DmaPool[])) !== 0) {
      dev.dma_pools.shift();
      m.kmalloc.free(desc);
      return null;
    }
    return pool;
  }

  /** The coherent buffers, newest first (the kernel's page_list order). */
  get page_list(): readonly DmaPage[] {
    return [...this.#pages].reverse(); // control-plane: a copy for inspection
  }

  /** CPU address of the first free block (the kernel's pool->next_block), 0 when the list is empty. */
  get next_block(): number {
    const q = this.fastHead;
    return q >= 0 ? DIRECT_MAP + q * 4 : this.slowHead;
  }

  /** True once destroyed. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * dma_pool_alloc(pool, mem_flags, handle): pop the free list, adding a page when empty.
   * @returns the block's CPU address (bus address in `handle.value`), or 0 (NULL) when a
   *   new page cannot be allocated.
   * @throws {KernelBug} when the pool was destroyed.
   */
  alloc(gfp: number, handle: Out<number> | null): number {
    // The common case, kept small enough for V8 to inline into the caller (an address
    // returned from a call that is not inlined is boxed in a fresh HeapNumber).
    const q = this.fastHead;
    if (
      q < 0 ||
      this.slow === true ||
      (gfp & GFP_ZERO) !== 0 ||
      ((gfp & GFP_DIRECT_RECLAIM) !== 0 && this.cpus.currentPreemptCount !== 0)
    ) {
      // `+`: a number on both paths lets V8 keep the result unboxed (no HeapNumber per call).
      return +this.#allocSlow(gfp, handle);
    }
    const w = this.blockWords(q >>> BLOCK_WORDS_SHIFT);
    const i = q & BLOCK_WORDS_MASK;
    const lo = w[i]!;
    // 0 or 1 when the link can be held as an index (int32 arithmetic: DIRECT_HI_I32 is the
    // high word read as a signed 32-bit number)
    const above4G = (w[i + 1]! | 0) - DIRECT_HI_I32;
    if (this.isFastLink(lo, above4G)) this.fastHead = (lo >>> 2) | (above4G << 30);
    else this.#setHead(lo + w[i + 1]! * U32);
    if (handle !== null) handle.value = w[i + 2]! + w[i + 3]! * U32;
    this.nr_active++;
    return DIRECT_MAP + q * 4;
  }

  /** dma_pool_zalloc(pool, mem_flags, handle): dma_pool_alloc with __GFP_ZERO. */
  zalloc(gfp: number, handle: Out<number> | null): number {
    return this.alloc(gfp | __GFP_ZERO, handle);
  }

  /**
   * dma_pool_free(pool, vaddr, dma): push the block, storing the caller's `dma`. No checks
   * unless the machine runs DMAPOOL_DEBUG (then a bad dma or a double free is logged and
   * nothing changes).
   * @throws {PageFault} when `vaddr` is not in the direct map of RAM; {KernelBug} when the
   *   pool was destroyed.
   */
  free(vaddr: number, dma: number): void {
    const q = this.fastIndex(vaddr - DIRECT_MAP);
    if (q < 0 || this.slow === true || !(dma >= 0 && dma <= Number.MAX_SAFE_INTEGER)) {
      this.#freeSlow(vaddr, dma);
      return;
    }
    this.pushFast(q, dma);
    this.nr_active--;
  }

  /**
   * Write the header { next_block: the head, dma } of the block at direct-map word index
   * `q` (one `fastIndex` returned) and make it the head.
   */
  private pushFast(q: number, dma: number): void {
    const w = this.blockWords(q >>> BLOCK_WORDS_SHIFT);
    const i = q & BLOCK_WORDS_MASK;
    // A store into a Uint32Array keeps the low 32 bits (ToUint32), so a u64 below 2^53
    // is the pair (v, v / 2^32) with no splitting arithmetic.
    const head = this.fastHead;
    if (head >= 0) {
      w[i] = head << 2; // the offset's low 32 bits (a negative int32 converts exactly)
      w[i + 1] = DIRECT_HI_I32 + (head >>> 30); // int32 arithmetic; stored as DIRECT_HI (+ 1)
    } else {
      const next = this.slowHead;
      w[i] = next;
      w[i + 1] = next / U32;
    }
    w[i + 2] = dma;
    w[i + 3] = dma * INV_U32; // exact (a power of two); the store truncates
    this.fastHead = q;
  }

  /** Push the block at `vaddr` with any address: the word path when it qualifies. */
  #push(vaddr: number, dma: number): void {
    const p = vaddr - DIRECT_MAP;
    const q = this.fastIndex(p);
    if (q >= 0) {
      this.pushFast(q, dma);
      return;
    }
    this.phys.writeU64Unaligned(p, this.next_block);
    this.phys.writeU64Unaligned(p + 8, dma);
    this.#setHead(vaddr);
  }

  /** Make `addr` the list head, in the index form when it qualifies. */
  #setHead(addr: number): void {
    const p = addr - DIRECT_MAP;
    const q = this.fastIndex(p);
    if (q >= 0) {
      this.fastHead = q;
    } else {
      this.fastHead = -1;
      this.slowHead = addr;
    }
  }

  /**
   * The word index (offset / 4) of the block header at direct-map offset `p` when it can
   * take the word path: RAM below 8 GiB (not in the hole below 4 GiB), word-aligned, and in
   * one storage block. Integer work after one exact scaling: `x | 0` equals `x` only for an
   * integral quarter within int32 (NaN, fractions and offsets beyond 8 GiB fail it).
   * @returns the index, or -1 when the header must take the slow path.
   */
  private fastIndex(p: number): number {
    const x = p * 0.25;
    const q = x | 0;
    if (x !== q) return -1;
    const inRam =
      q >= WORD_INDEX_4G ? q - WORD_INDEX_4G < this.highWords : q >= 0 && q < this.lowWords;
    return inRam && (q & BLOCK_WORDS_MASK) <= LAST_HEADER_WORD ? q : -1;
  }

  /**
   * fastIndex's test for a link read from a header, as its low word `lo` (a uint32) and its
   * high word minus DIRECT_HI (`above4G`), with integer operations only.
   */
  private isFastLink(lo: number, above4G: number): boolean {
    const words = lo >>> 2;
    return (
      (above4G === 0 ? words < this.lowWords : above4G === 1 && words < this.highWords) &&
      (lo & 3) === 0 &&
      (lo & BLOCK_MASK) <= LAST_HEADER_OFFSET
    );
  }

  /** The words of storage block `b`, through the one-entry cache. */
  private blockWords(b: number): Uint32Array {
    if (b === this.cacheIndex) return this.cacheWords;
    const w = this.phys.block(b);
    this.cacheIndex = b;
    this.cacheWords = w;
    return w;
  }

  /** dma_pool_alloc with every check, hook and the page refill: the cold path of alloc. */
  #allocSlow(gfp: number, handle: Out<number> | null): number {
    if (this.#destroyed) this.#useAfterDestroy('dma_pool_alloc');
    if ((gfp & __GFP_DIRECT_RECLAIM) !== 0 && this.#m.cpus.preemptCount !== 0) {
      this.#m.cpus.mightSleep('include/linux/sched/mm.h', 337, 'might_alloc');
    }
    let block = this.next_block;
    if (block === 0) {
      if (!this.#addPage(gfp & ~__GFP_ZERO)) return 0;
      block = this.next_block;
    }
    const p = block - PAGE_OFFSET;
    if (!this.#inDirectMap(p)) {
      throw this.#fault(block, false, 'dma_pool_alloc', 'corrupted free list');
    }
    this.#setHead(this.phys.readU64Unaligned(p));
    const dma = this.phys.readU64Unaligned(p + 8);
    this.nr_active++;
    if (handle !== null) handle.value = dma;
    const zero = (gfp & __GFP_ZERO) !== 0 || this.#initOnAlloc;
    if (this.#debug) checkBlockOnAlloc(this, this.phys, this.#m.log, block, zero);
    if (zero) this.phys.fill(p, 0, this.size);
    return block;
  }

  /** dma_pool_free with every check and hook: the cold path of free. */
  #freeSlow(vaddr: number, dma: number): void {
    if (this.#destroyed) this.#useAfterDestroy('dma_pool_free');
    const p = vaddr - PAGE_OFFSET;
    if (!this.#inDirectMap(p)) {
      throw this.#fault(vaddr, true, 'dma_pool_free', 'not a direct-map address');
    }
    if (this.#debug) {
      if (blockErrOnFree(this, this.phys, vaddr, dma)) return;
    } else if (this.#initOnFree) {
      this.phys.fill(p, 0, this.size);
    }
    this.#push(vaddr, dma);
    this.nr_active--;
  }

  /** pool_alloc_page + pool_initialise_page. @returns false when memory is short. */
  #addPage(gfp: number): boolean {
    const m = this.#m;
    const desc = m.kmalloc.alloc(PAGE_STRUCT, gfp, this.node);
    if (desc === 0) return false;
    const vaddr = m.dma.alloc(this.dev, this.allocation, gfp);
    if (vaddr === 0) {
      m.kmalloc.free(desc);
      return false;
    }
    const dma = m.dma.lastDma;
    if (this.#debug) poisonPage(this.phys, vaddr - PAGE_OFFSET, this.allocation);
    this.#carve(vaddr, dma);
    this.#pages.push({ vaddr, dma, desc });
    this.nr_pages++;
    return true;
  }

  /**
   * pool_initialise_page: carve a fresh buffer into blocks at ascending offsets, skipping
   * the gap before each boundary, linked in ascending order in front of the list. Pushing
   * them in descending order builds exactly that list.
   */
  #carve(vaddr: number, dma: number): void {
    const size = this.size;
    const allocation = this.allocation;
    const boundary = this.boundary;
    const last = (Math.ceil(allocation / boundary) - 1) * boundary;
    for (let start = last; start >= 0; start -= boundary) {
      const n = Math.floor((Math.min(start + boundary, allocation) - start) / size);
      for (let j = n - 1; j >= 0; j--) {
        const offset = start + j * size;
        this.#push(vaddr + offset, dma + offset);
      }
      this.nr_blocks += n;
    }
  }

  /**
   * dma_pool_destroy(pool): unlink from the device (removing `pools` with the last pool);
   * a busy pool logs "dma_pool_destroy <name> busy" and leaks its coherent buffers, as the
   * kernel does; otherwise every buffer is freed.
   * @throws {KernelBug} when the pool was already destroyed.
   */
  destroy(): void {
    if (this.#destroyed) this.#useAfterDestroy('dma_pool_destroy');
    const m = this.#m;
    m.cpus.mightSleep('kernel/locking/mutex.c', 580, '__mutex_lock');
    const list = this.dev.dma_pools;
    list.splice(list.indexOf(this), 1); // control-plane: list_del
    if (list.length === 0) this.dev.removeFile('pools');
    const busy = this.nr_active !== 0;
    if (busy) this.dev.err('dma_pool_destroy', `dma_pool_destroy ${this.name} busy`);
    for (let i = this.#pages.length - 1; i >= 0; i--) {
      const page = this.#pages[i]!;
      if (!busy) m.dma.free(this.dev, this.allocation, page.vaddr, page.dma);
      m.kmalloc.free(page.desc);
    }
    this.#pages.length = 0;
    m.kmalloc.free(this.#desc);
    this.#destroyed = true;
    this.slow = true;
  }

  /** pool_find_page: the buffer whose [dma, dma + allocation) holds `dma`, or null. */
  findPage(dma: number): DmaPage | null {
    for (let i = this.#pages.length - 1; i >= 0; i--) {
      const page = this.#pages[i]!;
      if (dma >= page.dma && dma - page.dma < this.allocation) return page;
    }
    return null;
  }

  /** True when direct-map offset `p` is a whole byte of RAM (the direct map covers only RAM). */
  #inDirectMap(p: number): boolean {
    return (
      p >= 0 && (p < this.#lowEnd || (p >= 2 ** 32 && p < this.#ramEnd)) && Math.floor(p) === p
    );
  }

  #fault(addr: number, write: boolean, site: string, why: string): PageFault {
    return new PageFault(
      `BUG: unable to handle page fault for address: ${kaddr(addr)} (${site} ${this.name}: ${why})`,
      addr,
      write,
    );
  }

  #useAfterDestroy(site: string): never {
    throw new KernelBug(`${site}: pool '${this.name}' was already destroyed (use after free)`);
  }
}

/** strscpy(dst, src, n): at most n - 1 characters. */
function strscpy(s: string, n: number): string {
  return s.length > n - 1 ? s.slice(0, n - 1) : s;
}
