// SPDX-License-Identifier: GPL-2.0-only
/*
 * mm/dmapool_test.c, ported line by line through the kernel API: a device "dmapool-test"
 * with a 64-bit DMA mask, and for each row of the parameter table a pool "test pool" whose
 * `blocks` blocks are all allocated then all freed in the same order, NR_TESTS times,
 * timed, with the kernel's printk line.
 *
 * Kernel: mm/dmapool_test.c (the 2023 version with the align and boundary columns;
 * NR_TESTS 100; blocks = clamp((PAGE_SIZE / size) * 512, 1024, 8192)).
 *
 * The clock is the caller's (ktime_get's stand-in), because the library reads no wall
 * clock: the CLI and the benchmarks pass performance.now, the tests a fake.
 */

import { ENOMEM } from '../base/errno.js';
import type { Machine } from '../machine/machine.js';
import '../linux/kernel.js';

/** One row of pool_parms. */
export interface DmapoolParms {
  readonly size: number;
  readonly align: number;
  readonly boundary: number;
}

/** The kernel's parameter table. */
export const POOL_PARMS: readonly DmapoolParms[] = [
  { size: 16, align: 16, boundary: 0 },
  { size: 64, align: 64, boundary: 0 },
  { size: 256, align: 256, boundary: 0 },
  { size: 1024, align: 1024, boundary: 0 },
  { size: 4096, align: 4096, boundary: 0 },
  { size: 68, align: 32, boundary: 4096 },
];

/** NR_TESTS of the kernel module. */
export const NR_TESTS = 100;

/** Options of {@link dmapoolTest}. */
export interface DmapoolTestOptions {
  /** Milliseconds from an arbitrary origin (performance.now); ktime_get's stand-in. */
  readonly clock: () => number;
  /** Iterations per row. @defaultValue NR_TESTS (100) */
  readonly nrTests?: number;
  /** The rows to run. @defaultValue POOL_PARMS */
  readonly parms?: readonly DmapoolParms[];
}

/** The outcome of one row. */
export interface DmapoolRowResult extends DmapoolParms {
  readonly blocks: number;
  /** Elapsed microseconds for all iterations (ktime_us_delta). */
  readonly us: number;
  /** Coherent buffers the pool held at the end (its steady-state size). */
  readonly pages: number;
  /** 0, or -ENOMEM when an allocation failed. */
  readonly ret: number;
}

/** nr_blocks(size): clamp((PAGE_SIZE / size) * 512, 1024, 8192). */
export function nrBlocks(size: number): number {
  return Math.min(8192, Math.max(1024, Math.floor(4096 / size) * 512));
}

/**
 * Run the module on `m` (dmapool_checks): register the device, run every row, print the
 * kernel's line per row into the kernel log.
 * @returns the rows run (stopping at the first failure, as the module does) and the
 *   module's return value (0 or -ENOMEM).
 */
export function dmapoolTest(
  m: Machine,
  options: DmapoolTestOptions,
): { rows: DmapoolRowResult[]; ret: number } {
  const k = m.kernel;
  const dev = m.createDevice('dmapool-test', { dmaMask: 0 });
  let ret = k.dma_set_mask_and_coherent(dev, k.DMA_BIT_MASK(64));
  const rows: DmapoolRowResult[] = [];
  const parms = options.parms ?? POOL_PARMS;
  for (let i = 0; ret === 0 && i < parms.length; i++) {
    const row = testBlock(m, dev, parms[i]!, options);
    rows.push(row);
    ret = row.ret;
  }
  k.device_unregister(dev);
  return { rows, ret };
}

/** dmapool_test_block. */
function testBlock(
  m: Machine,
  dev: ReturnType<Machine['createDevice']>,
  parms: DmapoolParms,
  options: DmapoolTestOptions,
): DmapoolRowResult {
  const k = m.kernel;
  const blocks = nrBlocks(parms.size);
  const nrTests = options.nrTests ?? NR_TESTS;
  const pairs = k.kcalloc(blocks, 16, k.GFP_KERNEL);
  const fail = (ret: number, pages: number): DmapoolRowResult => ({
    ...parms,
    blocks,
    us: 0,
    pages,
    ret,
  });
  if (pairs === 0) return fail(-ENOMEM, 0);
  const pool = k.dma_pool_create('test pool', dev, parms.size, parms.align, parms.boundary);
  if (pool === null) {
    k.kfree(pairs);
    return fail(-ENOMEM, 0);
  }
  const v = new Float64Array(blocks);
  const dma = new Float64Array(blocks);
  const start = options.clock();
  let ret = 0;
  for (let i = 0; i < nrTests && ret === 0; i++) ret = testAlloc(m, pool, v, dma, blocks);
  const end = options.clock();
  const us = Math.round((end - start) * 1000);
  const pages = pool.nr_pages;
  if (ret === 0) {
    const line = `dmapool test: size:${String(parms.size).padEnd(4)} align:${String(parms.align).padEnd(4)} blocks:${String(blocks).padEnd(4)} time:${us}`;
    m.log.info('dmapool_test_block', line);
  }
  k.dma_pool_destroy(pool);
  k.kfree(pairs);
  return { ...parms, blocks, us: ret === 0 ? us : 0, pages, ret };
}

/** dmapool_test_alloc: allocate `blocks` blocks, then free them in the same order. */
function testAlloc(
  m: Machine,
  pool: NonNullable<ReturnType<Machine['kernel']['dma_pool_create']>>,
  v: Float64Array,
  dma: Float64Array,
  blocks: number,
): number {
  const k = m.kernel;
  const handle = { value: 0 };
  const gfp = k.GFP_KERNEL;
  let i = 0;
  for (; i < blocks; i++) {
    v[i] = k.dma_pool_alloc(pool, gfp, handle);
    if (v[i] === 0) break;
    dma[i] = handle.value;
  }
  if (i < blocks) {
    for (--i; i >= 0; i--) k.dma_pool_free(pool, v[i]!, dma[i]!);
    return -ENOMEM;
  }
  for (i = 0; i < blocks; i++) k.dma_pool_free(pool, v[i]!, dma[i]!);
  return 0;
}
