// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers of the vmalloc tests (test/vmalloc/*): a small machine, the lines of
 * /proc/vmallocinfo in the kernel's format, VmallocUsed from /proc/meminfo, the WARNs of
 * dmesg, and page-fault assertions.
 *
 * Kernel: mm/vmalloc.c s_show (vmallocinfo: "0x%pK-0x%pK %7ld"), kernel/panic.c __warn.
 */

import assert from 'node:assert/strict';
import {
  kaddr,
  Machine,
  PageFault,
  type Kernel,
  type MachineOptions,
  type Page,
  type VmStruct,
} from '../../src/index.js';

export const PAGE = 4096;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const CUT = '------------[ cut here ]------------';

/** A 64 MiB machine with one CPU (one vmap node, lazy_max_pages 8192) unless told otherwise. */
export function boot(opts: MachineOptions = {}): { m: Machine; k: Kernel } {
  const m = new Machine({ memory: '64M', cpus: 1, ...opts });
  return { m, k: m.kernel };
}

/** find_vm_area(addr), which must find an area. */
export function vmOf(k: Kernel, addr: number): VmStruct {
  const vm = k.find_vm_area(addr);
  assert.ok(vm !== null, `no vm_struct contains ${kaddr(addr)}`);
  return vm;
}

/** The lines of /proc/vmallocinfo (the file must end with a newline unless empty). */
export function vmallocinfo(m: Machine): string[] {
  const text = m.readFile('/proc/vmallocinfo');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `vmallocinfo must end with a newline: ${JSON.stringify(text)}`);
  return text.slice(0, -1).split('\n');
}

/** The "0x%pK-0x%pK %7ld" head of a vmallocinfo line for [start, start + size). */
export function head(start: number, size: number): string {
  return `${kaddr(start)}-${kaddr(start + size)} ${String(size).padStart(7)}`;
}

/** The vmallocinfo line of a lazily freed area. */
export function unpurgedLine(start: number, size: number): string {
  return `${head(start, size)} unpurged vm_area`;
}

/** The 'unpurged vm_area' lines of /proc/vmallocinfo. */
export function unpurged(m: Machine): string[] {
  return vmallocinfo(m).filter((l) => l.endsWith(' unpurged vm_area'));
}

/** VmallocUsed of /proc/meminfo, in kB. */
export function vmallocUsedKb(m: Machine): number {
  const hit = /^VmallocUsed:\s+(\d+) kB$/m.exec(m.readFile('/proc/meminfo'));
  assert.ok(hit !== null, 'meminfo has a VmallocUsed line');
  return Number(hit[1]);
}

/** One WARN of dmesg: its message line (null for WARN_ON, which prints none) and WARNING line. */
export interface Warn {
  readonly message: string | null;
  readonly where: string;
}

/** Every WARN printed so far, oldest first. */
export function warns(m: Machine): Warn[] {
  const lines = m.dmesg();
  const out: Warn[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== CUT) continue;
    const a = lines[i + 1] ?? '';
    const b = lines[i + 2] ?? '';
    if (a.startsWith('WARNING: ')) out.push({ message: null, where: a });
    else if (b.startsWith('WARNING: ')) out.push({ message: a, where: b });
  }
  return out;
}

/** The WARNING line of a WARN in mm/vmalloc.c on `cpu`. */
export const VMALLOC_WARNING = (cpu = 0): RegExp =>
  new RegExp(`^WARNING: CPU: ${cpu} PID: 0 at mm/vmalloc\\.c \\S+`);

/** True when some dmesg line contains `text`. */
export function logged(m: Machine, text: string): boolean {
  return m.dmesg().some((l) => l.includes(text));
}

/** Assert that `fn` throws a PageFault at `address`. */
export function assertFault(fn: () => unknown, address: number, what = ''): void {
  assert.throws(
    fn,
    (e: unknown) => {
      assert.ok(e instanceof PageFault, `expected a PageFault ${what}, got ${String(e)}`);
      assert.equal(e.address, address, `fault address ${what}`);
      return true;
    },
    what,
  );
}

/** vmalloc_to_page of each of the `n` pages at `addr` (each must be mapped). */
export function pagesAt(k: Kernel, addr: number, n: number): Page[] {
  const out: Page[] = [];
  for (let i = 0; i < n; i++) {
    const p = k.vmalloc_to_page(addr + i * PAGE);
    assert.ok(p !== null, `page ${i} of ${kaddr(addr)} is mapped`);
    out.push(p);
  }
  return out;
}

/** `n` order-0 pages from the page allocator. */
export function allocPages(k: Kernel, n: number): Page[] {
  const out: Page[] = [];
  for (let i = 0; i < n; i++) {
    const p = k.alloc_page(k.GFP_KERNEL);
    assert.ok(p !== null, 'alloc_page');
    out.push(p);
  }
  return out;
}

/** A recognisable byte pattern of `n` bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed * 31 + (i >> 12)) & 0xff || 1;
  return b;
}
