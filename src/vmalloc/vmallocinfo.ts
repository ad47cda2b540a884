// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/vmallocinfo: one line per busy area, grouped by vmap node and in address order
 * within a node, then one "unpurged vm_area" line per lazily freed area.
 *
 * Kernel: mm/vmalloc.c vmalloc_info_show, show_numa_info, show_purge_info (6.9+ layout).
 *
 * Format: "0x%pK-0x%pK %7ld" then " %pS" caller, " pages=%d", " phys=%pa", " ioremap",
 * " sparse", " vmalloc", " vmap", " user", " dma-coherent", " vpages", " N<node>=<pages>".
 * Addresses print sign-extended to 16 hex digits, as a privileged reader sees them.
 */

import { kaddr } from '../machine/layout.js';
import { NIL, type VaStore } from './va-store.js';
import {
  VM_ALLOC,
  VM_DMA_COHERENT,
  VM_IOREMAP,
  VM_MAP,
  VM_SPARSE,
  VM_UNINITIALIZED,
  VM_USERMAP,
  VMAP_RAM,
} from './vm-flags.js';
import type { VmStruct } from './vm-struct.js';
import type { Vmalloc } from './vmalloc.js';

function range(start: number, end: number, size: number): string {
  return `${kaddr(start)}-${kaddr(end)} ${String(size).padStart(7)}`;
}

/** The line of one busy area, or null when the kernel skips it. */
export function vmallocinfoLine(v: Vmalloc, s: VaStore, va: number): string | null {
  const vm = s.vm[va] as VmStruct | null;
  if (vm === null || vm === undefined) {
    if ((s.flagsOf(va) & VMAP_RAM) === 0) return null;
    const st = s.startOf(va);
    const en = s.endOf(va);
    return `${range(st, en, en - st)} vm_map_ram`;
  }
  if ((vm.flags & VM_UNINITIALIZED) !== 0) return null;
  let line = range(vm.addr, vm.addr + vm.size, vm.size);
  if (vm.caller !== '') line += ` ${vm.caller}`;
  if (vm.nr_pages > 0) line += ` pages=${vm.nr_pages}`;
  if (vm.phys_addr !== 0) line += ` phys=${kaddr(vm.phys_addr)}`;
  if ((vm.flags & VM_IOREMAP) !== 0) line += ' ioremap';
  if ((vm.flags & VM_SPARSE) !== 0) line += ' sparse';
  if ((vm.flags & VM_ALLOC) !== 0) line += ' vmalloc';
  if ((vm.flags & VM_MAP) !== 0) line += ' vmap';
  if ((vm.flags & VM_USERMAP) !== 0) line += ' user';
  if ((vm.flags & VM_DMA_COHERENT) !== 0) line += ' dma-coherent';
  if (vm.pagesAddr !== 0 && v.isVmallocAddr(vm.pagesAddr)) line += ' vpages';
  if (vm.pages !== null && vm.nr_pages > 0) {
    const counts = new Map<number, number>();
    for (let i = 0; i < vm.nr_pages; i++) {
      const nid = vm.pages[i]!.nid;
      counts.set(nid, (counts.get(nid) ?? 0) + 1);
    }
    const nodes = [...counts.keys()].sort((a, b) => a - b); // control-plane: /proc text
    for (const nid of nodes) line += ` N${nid}=${counts.get(nid)!}`;
  }
  return line;
}

/** The whole text of /proc/vmallocinfo. */
export function formatVmallocinfo(v: Vmalloc): string {
  const space = v.space;
  const s = space.s;
  const out: string[] = [];
  for (let node = 0; node < space.nrNodes; node++) {
    for (let va = space.busyFirst(); va !== NIL; va = space.busyNext(va)) {
      if (space.nrNodes > 1 && space.addrToNode(s.startOf(va)) !== node) continue;
      const line = vmallocinfoLine(v, s, va);
      if (line !== null) out.push(line);
    }
  }
  for (let node = 0; node < space.nrNodes; node++) {
    for (let va = space.lazyFirst(node); va !== NIL; va = space.next(va)) {
      const st = s.startOf(va);
      const en = s.endOf(va);
      out.push(`${range(st, en, en - st)} unpurged vm_area`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
