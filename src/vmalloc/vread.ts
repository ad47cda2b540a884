// SPDX-License-Identifier: GPL-2.0-only
/*
 * vread and vwrite: copy between a buffer and any range of the vmalloc space without
 * faulting — holes (guard pages, free space, unmapped pages) and ioremap areas read as
 * zeros and are skipped on write. They read and write the page frames themselves, found by
 * walking the page tables, as /dev/kmem and /proc/kcore did.
 *
 * Kernel: mm/vmalloc.c vread, aligned_vread, vwrite, aligned_vwrite (the seed's semantics,
 * kernels up to 5.12 for vwrite and 6.3 for vread): vread returns 0 and leaves the buffer
 * untouched when no live vm_struct area intersects [addr, addr + count); otherwise it
 * returns count with every hole zero-filled. vwrite returns 0 when it wrote into no area,
 * else count. Areas without a vm_struct (vm_map_ram) are skipped, as those kernels did.
 */

import { PAGE_SIZE } from '../base/units.js';
import { NIL } from './va-store.js';
import { VM_IOREMAP, VM_UNINITIALIZED } from './vm-flags.js';
import { getVmAreaSize, type VmStruct } from './vm-struct.js';
import type { Vmalloc } from './vmalloc.js';

const ULONG_LIMIT = 2 ** 48;

/** Copy `n` bytes at `addr` page by page from the mapped frames; unmapped pages read 0. */
function alignedRead(v: Vmalloc, buf: Uint8Array, off: number, addr: number, n: number): void {
  const pt = v.m.kernelPageTable;
  while (n > 0) {
    const inPage = addr % PAGE_SIZE;
    const len = Math.min(PAGE_SIZE - inPage, n);
    const pfn = pt.translate(addr);
    if (pfn < 0) buf.fill(0, off, off + len);
    else buf.set(v.m.phys.read(pfn * PAGE_SIZE + inPage, len), off);
    off += len;
    addr += len;
    n -= len;
  }
}

/** Copy `n` bytes into the mapped frames at `addr`; unmapped pages are skipped. */
function alignedWrite(v: Vmalloc, buf: Uint8Array, off: number, addr: number, n: number): void {
  const pt = v.m.kernelPageTable;
  while (n > 0) {
    const inPage = addr % PAGE_SIZE;
    const len = Math.min(PAGE_SIZE - inPage, n);
    const pfn = pt.translate(addr);
    if (pfn >= 0) v.m.phys.write(pfn * PAGE_SIZE + inPage, buf.subarray(off, off + len));
    off += len;
    addr += len;
    n -= len;
  }
}

/**
 * Walk the live areas intersecting [addr, addr + count) in address order, calling `visit`
 * for each piece (buffer offset, address, length, area) and returning the offset reached
 * (0 when no area intersects).
 */
function walk(
  v: Vmalloc,
  addr: number,
  count: number,
  visit: (off: number, addr: number, n: number, vm: VmStruct) => void,
): number {
  const space = v.space;
  const s = space.s;
  let va = space.findBusyEndingAfter(addr);
  if (va === NIL || addr + count <= s.startOf(va)) return 0;
  let off = 0;
  for (; va !== NIL && count > 0; va = space.busyNext(va)) {
    const vm = s.vm[va] as VmStruct | null;
    if (vm === null || vm === undefined || (vm.flags & VM_UNINITIALIZED) !== 0) continue;
    const vaddr = vm.addr;
    const vend = vaddr + getVmAreaSize(vm);
    if (addr >= vend) continue;
    if (addr < vaddr) {
      const gap = Math.min(vaddr - addr, count);
      off += gap;
      addr += gap;
      count -= gap;
      if (count === 0) break;
    }
    const n = Math.min(vend - addr, count);
    visit(off, addr, n, vm);
    off += n;
    addr += n;
    count -= n;
  }
  return off;
}

/**
 * vread(buf, addr, count): read [addr, addr + count) of the vmalloc space into `buf`.
 * @returns count, or 0 when no live area intersects the range (buf untouched).
 * @throws {RangeError} when `buf` is shorter than `count`.
 */
export function vread(v: Vmalloc, buf: Uint8Array, addr: number, count: number): number {
  if (count > buf.length)
    throw new RangeError(`vread: count ${count} exceeds the buffer (${buf.length})`);
  if (addr + count > ULONG_LIMIT) count = ULONG_LIMIT - addr;
  if (!(count > 0)) return 0;
  const reached = walk(v, addr, count, (off, a, n, vm) => {
    if ((vm.flags & VM_IOREMAP) === 0) alignedRead(v, buf, off, a, n);
    else buf.fill(0, off, off + n);
  });
  if (reached === 0) return 0;
  // holes before each area were skipped by the walk: zero them, and the tail
  zeroHoles(v, buf, addr, count);
  return count;
}

/** Zero the parts of buf that no live non-ioremap area covered (gaps and the tail). */
function zeroHoles(v: Vmalloc, buf: Uint8Array, addr: number, count: number): void {
  const covered = new Uint8Array(count); // control-plane: vread is a slow path
  walk(v, addr, count, (off, _a, n) => covered.fill(1, off, off + n));
  for (let i = 0; i < count; i++) if (covered[i] === 0) buf[i] = 0;
}

/**
 * vwrite(buf, addr, count): write `buf` into the live areas of [addr, addr + count),
 * skipping holes and ioremap areas.
 * @returns count, or 0 when no area was written.
 * @throws {RangeError} when `buf` is shorter than `count`.
 */
export function vwrite(v: Vmalloc, buf: Uint8Array, addr: number, count: number): number {
  if (count > buf.length)
    throw new RangeError(`vwrite: count ${count} exceeds the buffer (${buf.length})`);
  if (addr + count > ULONG_LIMIT) count = ULONG_LIMIT - addr;
  if (!(count > 0)) return 0;
  let copied = 0;
  walk(v, addr, count, (off, a, n, vm) => {
    if ((vm.flags & VM_IOREMAP) !== 0) return;
    alignedWrite(v, buf, off, a, n);
    copied++;
  });
  return copied === 0 ? 0 : count;
}
