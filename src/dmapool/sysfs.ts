// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `pools` attribute of a device with dmapools: "poolinfo - 0.1" and one line per pool,
 * most recently created first, "%-16s %4zu %4zu %4u %2zu" (name, nr_active, nr_blocks,
 * size, nr_pages), cut at PAGE_SIZE - 1 characters as sysfs_emit_at cuts it.
 *
 * Kernel: mm/dmapool.c pools_show (6.3+ counters), fs/sysfs/file.c sysfs_emit_at.
 */

import { PAGE_SIZE } from '../base/units.js';

/** The counters one line of `pools` shows. */
export interface PoolLine {
  readonly name: string;
  readonly nr_active: number;
  readonly nr_blocks: number;
  readonly size: number;
  readonly nr_pages: number;
}

/** The text of /sys/devices/<dev>/pools for `pools` (in dev->dma_pools order). */
export function formatPools(pools: readonly PoolLine[]): string {
  let text = 'poolinfo - 0.1\n';
  for (let i = 0; i < pools.length; i++) {
    const p = pools[i]!;
    text +=
      `${p.name.padEnd(16)} ${String(p.nr_active).padStart(4)} ${String(p.nr_blocks).padStart(4)}` +
      ` ${String(p.size).padStart(4)} ${String(p.nr_pages).padStart(2)}\n`;
  }
  return text.length > PAGE_SIZE - 1 ? text.slice(0, PAGE_SIZE - 1) : text;
}
