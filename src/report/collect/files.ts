// SPDX-License-Identifier: GPL-2.0-only
/*
 * Collecting the simulated files for the report and for `kmem cat`: every /proc file the
 * machine registered (/proc/vmallocinfo, /proc/meminfo, ...) and the `pools` attribute of
 * every device that has dmapools, with their text at the end of the run, and the kernel
 * log.
 *
 * Kernel: fs/proc (proc_create_single: vmallocinfo, meminfo), mm/dmapool.c pools_show
 * (/sys/devices/<dev>/pools), kernel/printk (dmesg).
 */

import type { Machine } from '../../machine/machine.js';
import type { FileModel } from '../model.js';

/**
 * Every simulated file's path: the /proc files, then /sys/devices/<dev>/pools per device
 * with dmapools (in device registration order).
 * @returns the paths (empty for none).
 */
export function knownFiles(m: Machine): string[] {
  const paths = m.files.paths();
  for (const dev of m.platform.devices()) {
    if (dev.readAttribute('pools') !== undefined) paths.push(`/sys/devices/${dev.name}/pools`);
  }
  return paths;
}

/**
 * The text of every simulated file.
 * @returns one FileModel per {@link knownFiles} path, in that order.
 */
export function collectFiles(m: Machine): FileModel[] {
  return knownFiles(m).map((path) => ({ path, text: m.readFile(path) }));
}

/** @returns the kernel log's lines, oldest first (empty for an empty log). */
export function collectLog(m: Machine): string[] {
  return m.dmesg();
}
