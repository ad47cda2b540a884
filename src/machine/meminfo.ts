// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/meminfo: the machine's memory counters in the kernel's format — a label padded to
 * 16 columns, the value in kB right-aligned in 8, then " kB".
 *
 * Kernel: fs/proc/meminfo.c (meminfo_proc_show, show_val_kb; VmallocTotal is
 * VMALLOC_TOTAL >> 10, VmallocChunk has printed 0 since 4.0).
 *
 * Counters kmem does not model (swap, page cache, anonymous memory) print 0.
 */

import { VMALLOC_END, VMALLOC_START } from './layout.js';

/** What meminfo shows, in pages unless named otherwise. */
export interface MeminfoCounters {
  readonly totalram: number;
  readonly free: number;
  readonly slab: number;
  readonly pageTables: number;
  readonly vmallocUsed: number;
  readonly percpu: number;
}

function line(label: string, pages: number): string {
  return `${`${label}:`.padEnd(16)}${String(pages * 4).padStart(8)} kB`;
}

/** The text of /proc/meminfo for `c`. */
export function formatMeminfo(c: MeminfoCounters): string {
  const lines = [
    line('MemTotal', c.totalram),
    line('MemFree', c.free),
    line('MemAvailable', c.free),
    line('Buffers', 0),
    line('Cached', 0),
    line('SwapCached', 0),
    line('Active', 0),
    line('Inactive', 0),
    line('SwapTotal', 0),
    line('SwapFree', 0),
    line('Dirty', 0),
    line('Writeback', 0),
    line('AnonPages', 0),
    line('Mapped', 0),
    line('Shmem', 0),
    line('KReclaimable', 0),
    line('Slab', c.slab),
    line('SReclaimable', 0),
    line('SUnreclaim', c.slab),
    line('KernelStack', 0),
    line('PageTables', c.pageTables),
    `${'VmallocTotal:'.padEnd(16)}${String(Math.floor((VMALLOC_END - VMALLOC_START) / 1024)).padStart(8)} kB`,
    line('VmallocUsed', c.vmallocUsed),
    line('VmallocChunk', 0),
    line('Percpu', c.percpu),
  ];
  return `${lines.join('\n')}\n`;
}
