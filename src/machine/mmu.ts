// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MMU: every memory access of the kernel API (mem_read, mem_write, memset) translates
 * its address through the current CPU's TLB, walking the kernel page tables on a miss, and
 * faults on an address with no present translation or a write to a read-only one.
 *
 * Kernel: the hardware page walk of x86-64; the "BUG: unable to handle page fault for
 * address" oops of arch/x86/mm/fault.c is the PageFault thrown here (with its wording).
 */

import { PageFault } from '../base/errors.js';
import { PAGE_SIZE } from '../base/units.js';
import type { Cpus } from './cpu.js';
import { kaddr } from './layout.js';
import { _PAGE_RW, type PageTable } from './page-table.js';
import type { PhysMem } from './phys-mem.js';
import type { Tlbs } from './tlb.js';

/** Address translation and byte access through the TLBs and page tables. */
export class Mmu {
  readonly #pt: PageTable;
  readonly #tlbs: Tlbs;
  readonly #cpus: Cpus;
  readonly #phys: PhysMem;

  constructor(pt: PageTable, tlbs: Tlbs, cpus: Cpus, phys: PhysMem) {
    this.#pt = pt;
    this.#tlbs = tlbs;
    this.#cpus = cpus;
    this.#phys = phys;
  }

  /**
   * Translate `va` for the current CPU.
   * @returns the physical address.
   * @throws {PageFault} when no present translation exists, or on a write to a read-only page.
   */
  translate(va: number, write: boolean): number {
    if (!Number.isSafeInteger(va) || va < 0 || va >= 2 ** 48) {
      throw new PageFault(
        `BUG: unable to handle page fault for address: ${String(va)} (not a canonical address)`,
        va,
        write,
      );
    }
    const cpu = this.#cpus.current;
    const vpn = Math.floor(va / PAGE_SIZE);
    let e = this.#tlbs.lookup(cpu, vpn);
    if (e < 0) {
      const pfn = this.#pt.translate(va);
      if (pfn < 0) throw fault(va, write, 'not-present page');
      this.#tlbs.fill(cpu, vpn, pfn, this.#pt.lastFlags);
      e = pfn * 65536 + this.#pt.lastFlags;
    }
    const flags = e % 65536;
    if (write && (flags & _PAGE_RW) === 0) throw fault(va, write, 'permissions violation');
    return ((e - flags) / 65536) * PAGE_SIZE + (va % PAGE_SIZE);
  }

  /** Read `len` bytes at `va`. @throws {PageFault} on an unmapped byte. */
  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const v = va + done;
      const n = Math.min(len - done, PAGE_SIZE - (v % PAGE_SIZE));
      this.#phys.readInto(this.translate(v, false), out, done, n);
      done += n;
    }
    return out;
  }

  /**
   * Write `bytes` at `va`, page by page: a fault leaves the pages before the faulting one
   * written, as on hardware. @throws {PageFault} on an unmapped or read-only byte.
   */
  write(va: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const v = va + done;
      const n = Math.min(bytes.length - done, PAGE_SIZE - (v % PAGE_SIZE));
      this.#phys.write(this.translate(v, true), bytes, done, n);
      done += n;
    }
  }

  /** Fill `len` bytes at `va` with `c`. @throws {PageFault} as {@link write}. */
  fill(va: number, c: number, len: number): void {
    let done = 0;
    while (done < len) {
      const v = va + done;
      const n = Math.min(len - done, PAGE_SIZE - (v % PAGE_SIZE));
      this.#phys.fill(this.translate(v, true), c, n);
      done += n;
    }
  }
}

function fault(va: number, write: boolean, why: string): PageFault {
  return new PageFault(
    `BUG: unable to handle page fault for address: ${kaddr(va)} (${write ? 'write' : 'read'} access in kernel mode, ${why})`,
    va,
    write,
  );
}
