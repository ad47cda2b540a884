// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_map_ram and the per-CPU vmap blocks: small mappings (up to VMAP_MAX_ALLOC pages) are
 * bump-allocated inside blocks of VMAP_BBMAP_BITS pages that a CPU reserved once, so they
 * cost no address-space search and no guard page; freed pages only become "dirty" and are
 * flushed from the TLBs in batches (vm_unmap_aliases, or when a whole block is freed).
 *
 * Kernel: mm/vmalloc.c (6.5+ rules of Thomas Gleixner's rework, 6.9 per-CPU xarrays, the
 * 2024 vb->cpu fix): VMAP_MAX_ALLOC, VMAP_BBMAP_BITS, VMAP_BLOCK_SIZE,
 * VMAP_PURGE_THRESHOLD, struct vmap_block, struct vmap_block_queue, addr_to_vb_xa,
 * addr_to_vb_idx, new_vmap_block, free_vmap_block, purge_fragmented_block(s),
 * purge_fragmented_blocks_allcpus, vb_alloc, vb_free, _vm_unmap_aliases (block part),
 * vm_map_ram, vm_unmap_ram.
 *
 * Block bookkeeping is control-plane (one object per block of 4 MiB); the per-mapping
 * path (vb_alloc / vb_free) allocates nothing.
 */

import * as errno from '../base/errno.js';
import { KernelBug } from '../base/errors.js';
import { PAGE_SIZE, roundupPowOfTwo } from '../base/units.js';
import { GFP_KERNEL } from '../machine/gfp.js';
import { kaddr, VMALLOC_END, VMALLOC_START } from '../machine/layout.js';
import type { Page } from '../machine/memmap.js';
import { NIL } from './va-store.js';
import { VMAP_BLOCK, VMAP_RAM } from './vm-flags.js';
import type { Vmalloc } from './vmalloc.js';

const FILE = 'mm/vmalloc.c';

/** VMAP_MAX_ALLOC = BITS_PER_LONG: the largest vm_map_ram served by a block, in pages. */
export const VMAP_MAX_ALLOC = 64;
/** VMALLOC_SPACE / PAGE_SIZE: the fixed 128 GiB guess of 64-bit kernels. */
const VMALLOC_PAGES = (128 * 2 ** 30) / PAGE_SIZE;

/** VMAP_BBMAP_BITS for a kernel built with `nrCpus` (NR_CPUS). */
export function vmapBbmapBits(nrCpus: number): number {
  return Math.min(1024, Math.max(2 * VMAP_MAX_ALLOC, VMALLOC_PAGES / roundupPowOfTwo(nrCpus) / 16));
}

/** get_order(size): the smallest order whose pages hold `size` bytes. */
function getOrder(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** struct vmap_block. */
export class VmapBlock {
  /** The block's vmap area (index in the VaSpace). */
  readonly va: number;
  /** va_start of the block. */
  readonly start: number;
  /** Pages never handed out yet. */
  free: number;
  /** Pages handed out and freed since (possibly still in TLBs). */
  dirty = 0;
  /** Pages currently mapped (one bit per page). */
  readonly used_map: Uint8Array;
  /** The page range not yet flushed: [dirty_min, dirty_max); empty when min = BITS, max = 0. */
  dirty_min: number;
  dirty_max = 0;
  /** The CPU whose queue owns the block. */
  readonly cpu: number;

  constructor(va: number, start: number, bits: number, first: number, cpu: number) {
    this.va = va;
    this.start = start;
    this.free = bits - first;
    this.used_map = new Uint8Array(bits);
    this.used_map.fill(1, 0, first);
    this.dirty_min = bits;
    this.cpu = cpu;
  }
}

/** struct vmap_block_queue: a CPU's blocks with free space, and its xarray of blocks. */
interface BlockQueue {
  readonly free: VmapBlock[];
  readonly blocks: Map<number, VmapBlock>;
}

/** The vmap blocks of one machine. */
export class VmapBlocks {
  readonly v: Vmalloc;
  /** VMAP_BBMAP_BITS. */
  readonly bits: number;
  /** VMAP_BLOCK_SIZE. */
  readonly blockSize: number;
  /** VMAP_PURGE_THRESHOLD. */
  readonly purgeThreshold: number;
  readonly #queues: BlockQueue[] = [];
  #warnedMissing = false;
  readonly #base: number;

  constructor(v: Vmalloc) {
    this.v = v;
    this.bits = vmapBbmapBits(v.m.cpus.nrCpus);
    this.blockSize = this.bits * PAGE_SIZE;
    this.purgeThreshold = this.bits / 4;
    this.#base = Math.floor(VMALLOC_START / this.blockSize) * this.blockSize;
    for (let c = 0; c < v.m.cpus.possible; c++) this.#queues.push({ free: [], blocks: new Map() });
  }

  /** addr_to_vb_xa: the queue whose xarray indexes the block at `addr`. */
  #xaOf(addr: number): BlockQueue {
    const i = Math.floor(addr / this.blockSize) % this.#queues.length;
    return this.#queues[i]!;
  }

  /** addr_to_vb_idx. */
  #idxOf(addr: number): number {
    return Math.floor((addr - this.#base) / this.blockSize);
  }

  /** The block containing `addr`, or undefined. */
  blockAt(addr: number): VmapBlock | undefined {
    return this.#xaOf(addr).blocks.get(this.#idxOf(addr));
  }

  /** Every block, by CPU queue then index (xa_for_each order). */
  all(): VmapBlock[] {
    const out: VmapBlock[] = [];
    for (const q of this.#queues) {
      const keys = [...q.blocks.keys()].sort((a, b) => a - b); // control-plane: walk order
      for (const k of keys) out.push(q.blocks.get(k)!);
    }
    return out;
  }

  /**
   * new_vmap_block(order, gfp): reserve a VMAP_BLOCK_SIZE-aligned block, hand out its first
   * 2^order pages and put it at the tail of this CPU's free list.
   * @returns the address of those pages, or a negative errno from alloc_vmap_area.
   */
  newBlock(order: number, gfp: number): number {
    const v = this.v;
    const va = v.allocVmapArea(
      this.blockSize,
      this.blockSize,
      VMALLOC_START,
      VMALLOC_END,
      gfp,
      VMAP_RAM | VMAP_BLOCK,
    );
    if (va < 0) return va;
    const start = v.space.s.startOf(va);
    const cpu = v.m.cpus.current;
    const vb = new VmapBlock(va, start, this.bits, 2 ** order, cpu);
    this.#xaOf(start).blocks.set(this.#idxOf(start), vb);
    this.#queues[cpu % this.#queues.length]!.free.push(vb); // control-plane: one per block
    return start;
  }

  /**
   * vb_alloc(size): bump-allocate 2^get_order(size) pages in this CPU's first block with
   * room, else in a new block.
   * @returns the address, or -EINVAL for size 0 (after a WARN), or the new block's errno.
   * @throws {KernelBug} when size is not page-aligned or above VMAP_MAX_ALLOC pages.
   */
  alloc(size: number, gfp: number): number {
    const m = this.v.m;
    if (size % PAGE_SIZE !== 0 || size > PAGE_SIZE * VMAP_MAX_ALLOC) {
      m.log.bug(FILE, 'vb_alloc', `bad size ${size}`);
      throw new KernelBug(
        `vb_alloc: size ${size} is not a page multiple up to ${VMAP_MAX_ALLOC} pages`,
      );
    }
    if (size === 0) {
      m.log.warn(FILE, 'vb_alloc', null, 'vb_alloc(0)');
      return -errno.EINVAL;
    }
    const order = getOrder(size);
    const n = 2 ** order;
    const q = this.#queues[m.cpus.current % this.#queues.length]!;
    for (let i = 0; i < q.free.length; i++) {
      const vb = q.free[i]!;
      if (vb.free < n) continue;
      const off = this.bits - vb.free;
      vb.free -= n;
      vb.used_map.fill(1, off, off + n);
      if (vb.free === 0) q.free.splice(i, 1); // control-plane: a block filled up
      return vb.start + off * PAGE_SIZE;
    }
    return this.newBlock(order, gfp);
  }

  /**
   * vb_free(addr, size): unmap the pages (no flush), mark 2^order pages dirty, and free the
   * block once every page of it has been handed out and freed.
   * @throws {KernelBug} for a bad size or an address in no block.
   */
  free(addr: number, size: number): void {
    const v = this.v;
    if (size % PAGE_SIZE !== 0 || size > PAGE_SIZE * VMAP_MAX_ALLOC) {
      v.m.log.bug(FILE, 'vb_free', `bad size ${size}`);
      throw new KernelBug(
        `vb_free: size ${size} is not a page multiple up to ${VMAP_MAX_ALLOC} pages`,
      );
    }
    const vb = this.blockAt(addr);
    if (vb === undefined) {
      v.m.log.bug(FILE, 'vb_free', `no vmap block at ${kaddr(addr)}`);
      throw new KernelBug(`vm_unmap_ram: ${kaddr(addr)} is not in any vmap block`);
    }
    const n = 2 ** getOrder(size);
    const off = (addr - vb.start) / PAGE_SIZE;
    vb.used_map.fill(0, off, Math.min(this.bits, off + n));
    v.unmapNoflush(addr, size);
    if (off < vb.dirty_min) vb.dirty_min = off;
    if (off + n > vb.dirty_max) vb.dirty_max = off + n;
    vb.dirty += n;
    if (vb.dirty === this.bits) {
      if (vb.free !== 0) {
        v.m.log.bug(FILE, 'vb_free', 'BUG_ON(vb->free)');
        throw new KernelBug(
          `vb_free: block ${kaddr(vb.start)} fully dirty with ${vb.free} free pages`,
        );
      }
      this.#freeBlock(vb);
    }
  }

  /** free_vmap_block: drop the block from its xarray, unlink its area and free it lazily. */
  #freeBlock(vb: VmapBlock): void {
    this.#xaOf(vb.start).blocks.delete(this.#idxOf(vb.start));
    const space = this.v.space;
    space.unlinkBusy(vb.va);
    this.v.freeLazy(vb.va);
  }

  /**
   * purge_fragmented_block: a block with no live mapping and not fully dirty is retired
   * when forced or when less than a quarter of it is left. @returns whether it was.
   */
  #purgeable(vb: VmapBlock, force: boolean): boolean {
    if (vb.free + vb.dirty !== this.bits || vb.dirty === this.bits) return false;
    if (!(force || vb.free < this.purgeThreshold)) return false;
    vb.free = 0;
    vb.dirty = this.bits;
    vb.dirty_min = 0;
    vb.dirty_max = this.bits;
    const q = this.#queues[vb.cpu % this.#queues.length]!;
    const i = q.free.indexOf(vb);
    if (i >= 0) q.free.splice(i, 1); // control-plane: block retirement
    return true;
  }

  /** purge_fragmented_blocks_allcpus: force-retire every fragmented block. */
  purgeFragmentedAll(): void {
    const purge: VmapBlock[] = [];
    for (const q of this.#queues) {
      for (const vb of q.free.slice()) {
        // control-plane: the list changes while walked
        if (vb.free + vb.dirty === this.bits && vb.dirty !== this.bits && this.#purgeable(vb, true))
          purge.push(vb);
      }
    }
    for (const vb of purge) this.#freeBlock(vb);
  }

  /**
   * The block half of _vm_unmap_aliases: retire fragmented blocks (not forced), collect the
   * dirty ranges of the others into [start, end) and reset them.
   * @returns the widened range and whether a flush is owed.
   */
  collectAliases(start: number, end: number): { start: number; end: number; flush: boolean } {
    let flush = false;
    const purge: VmapBlock[] = [];
    for (const vb of this.all()) {
      if (this.#purgeable(vb, false)) {
        purge.push(vb);
        continue;
      }
      if (vb.dirty_max !== 0 && vb.dirty !== this.bits) {
        const s = vb.start + vb.dirty_min * PAGE_SIZE;
        const e = vb.start + vb.dirty_max * PAGE_SIZE;
        if (s < start) start = s;
        if (e > end) end = e;
        vb.dirty_min = this.bits;
        vb.dirty_max = 0;
        flush = true;
      }
    }
    for (const vb of purge) this.#freeBlock(vb);
    return { start, end, flush };
  }

  /**
   * vm_map_ram(pages, count, node, prot): map `count` pages, from a vmap block when
   * count <= VMAP_MAX_ALLOC, else at a fresh area of exactly count pages (no guard page,
   * no vm_struct).
   * @returns the address, or 0 on any failure (the mapping is undone).
   */
  mapRam(pages: readonly (Page | null)[], count: number, node: number, prot: number): number {
    const v = this.v;
    void node;
    const size = count * PAGE_SIZE;
    let addr: number;
    if (count <= VMAP_MAX_ALLOC) {
      addr = this.alloc(size, GFP_KERNEL);
      if (addr < 0) return 0;
    } else {
      const va = v.allocVmapArea(size, PAGE_SIZE, VMALLOC_START, VMALLOC_END, GFP_KERNEL, VMAP_RAM);
      if (va < 0) return 0;
      addr = v.space.s.startOf(va);
    }
    if (v.mapPages(addr, pages, count, prot) < 0) {
      this.unmapRam(addr, count);
      return 0;
    }
    return addr;
  }

  /**
   * vm_unmap_ram(mem, count): undo a vm_map_ram of the same count.
   * @throws {KernelBug} when mem is NULL, outside the vmalloc range or not page-aligned.
   */
  unmapRam(mem: number, count: number): void {
    const m = this.v.m;
    m.cpus.mightSleep(FILE, 2480, 'vm_unmap_ram');
    const bad =
      mem === 0
        ? 'BUG_ON(!addr)'
        : mem < VMALLOC_START
          ? 'BUG_ON(addr < VMALLOC_START)'
          : mem > VMALLOC_END
            ? 'BUG_ON(addr > VMALLOC_END)'
            : mem % PAGE_SIZE !== 0
              ? 'BUG_ON(!PAGE_ALIGNED(addr))'
              : '';
    if (bad !== '') {
      m.log.bug(FILE, 'vm_unmap_ram', bad);
      throw new KernelBug(`vm_unmap_ram(${kaddr(mem)}, ${count}): ${bad}`);
    }
    const size = count * PAGE_SIZE;
    if (count <= VMAP_MAX_ALLOC) {
      this.free(mem, size);
      return;
    }
    const space = this.v.space;
    const va = space.findBusy(mem);
    if (va === NIL) {
      if (!this.#warnedMissing) {
        this.#warnedMissing = true; // WARN_ON_ONCE
        m.log.warn(FILE, 'vm_unmap_ram', null, `no vmap area at ${kaddr(mem)}`);
      }
      return;
    }
    space.unlinkBusy(va);
    this.v.unmapNoflush(space.s.startOf(va), space.s.endOf(va) - space.s.startOf(va));
    this.v.freeLazy(va);
  }
}
