// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debug mode of dmapool (DMAPOOL_DEBUG): new buffers poisoned with 0xa7, each block
 * checked on allocation (bytes after the 16-byte header must still be 0xa7, else
 * "(corrupted)" and a hex dump) and then filled with 0xa9; each free checked for a dma
 * address outside every page ("(bad dma)") and for a block already on the free list
 * ("already free"), in that order, before it is poisoned with 0xa7 and pushed.
 *
 * Kernel: mm/dmapool.c pool_init_page, pool_check_block, pool_block_err, pool_find_page
 * (6.3+); include/linux/poison.h (POOL_POISON_FREED, POOL_POISON_ALLOCATED).
 */

import type { KernelLog } from '../base/log.js';
import { kaddr, PAGE_OFFSET } from '../machine/layout.js';
import type { PhysMem } from '../machine/phys-mem.js';
import { pad } from '../machine/dma.js';
import type { DmaPool } from './dma-pool.js';
import { hexDumpLines } from './hexdump.js';

/** Poison of free pool memory. */
export const POOL_POISON_FREED = 0xa7;
/** Poison of allocated, not zeroed, pool memory. */
export const POOL_POISON_ALLOCATED = 0xa9;
const HEADER = 16;

/** pool_init_page: poison a fresh buffer before it is carved. */
export function poisonPage(phys: PhysMem, physAddr: number, allocation: number): void {
  phys.fill(physAddr, POOL_POISON_FREED, allocation);
}

/**
 * pool_check_block: report a block whose free poison was overwritten, then poison it as
 * allocated unless it is about to be zeroed. The dump rows go to `log` without the
 * device prefix: print_hex_dump(KERN_ERR, "", DUMP_PREFIX_OFFSET, ...) is a bare printk.
 */
export function checkBlockOnAlloc(
  pool: DmaPool,
  phys: PhysMem,
  log: KernelLog,
  block: number,
  zero: boolean,
): void {
  const p = block - PAGE_OFFSET;
  const data = phys.read(p, pool.size);
  for (let i = HEADER; i < pool.size; i++) {
    if (data[i] === POOL_POISON_FREED) continue;
    pool.dev.err('pool_check_block', `pool_check_block ${pool.name}, ${kaddr(block)} (corrupted)`);
    const lines = hexDumpLines(data);
    for (let l = 0; l < lines.length; l++) log.err('print_hex_dump', lines[l]!);
    break;
  }
  if (!zero) phys.fill(p, POOL_POISON_ALLOCATED, pool.size);
}

/**
 * pool_block_err: true (after logging) when the free must not happen — no page holds
 * `dma`, or `vaddr` is already on the free list; else poison the block and return false.
 */
export function blockErrOnFree(pool: DmaPool, phys: PhysMem, vaddr: number, dma: number): boolean {
  if (pool.findPage(dma) === null) {
    pool.dev.err(
      'pool_block_err',
      `pool_block_err ${pool.name}, ${kaddr(vaddr)}/${pad(dma)} (bad dma)`,
    );
    return true;
  }
  let block = pool.next_block;
  let steps = 0;
  while (block !== 0 && steps <= pool.nr_blocks) {
    if (block === vaddr) {
      pool.dev.err('pool_block_err', `pool_block_err ${pool.name}, dma ${pad(dma)} already free`);
      return true;
    }
    const p = block - PAGE_OFFSET;
    block = phys.readU64Unaligned(p);
    steps++;
  }
  phys.fill(vaddr - PAGE_OFFSET, POOL_POISON_FREED, pool.size);
  return false;
}
