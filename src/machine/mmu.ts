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
import { BLOCK_SIZE, type PhysMem } from './phys-mem.js';
import type { Tlbs } from './tlb.js';

/** Fills of at most this many bytes take the word-store path of Mmu.fill. */
const SHORT_FILL = 16;

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
    // Split without `%`: on values above 2^31 it is a runtime call in V8.
    const pfn = Math.floor(e / 65536);
    const flags = e - pfn * 65536;
    if (write && (flags & _PAGE_RW) === 0) throw fault(va, write, 'permissions violation');
    return pfn * PAGE_SIZE + (va - vpn * PAGE_SIZE);
  }

  /** Read `len` bytes at `va`. @throws {PageFault} on an unmapped byte. */
  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const v = va + done;
      const n = Math.min(len - done, PAGE_SIZE - pageOffset(v));
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
      const n = Math.min(bytes.length - done, PAGE_SIZE - pageOffset(v));
      this.#phys.write(this.translate(v, true), bytes, done, n);
      done += n;
    }
  }

  /**
   * Fill `len` bytes at `va` with `c`. @throws {PageFault} as {@link write}.
   * A short fill (the one-byte stores of test_vmalloc) sets the bytes in the storage words
   * directly instead of through a temporary byte view; the bytes written are the same.
   */
  fill(va: number, c: number, len: number): void {
    let done = 0;
    while (done < len) {
      const v = va + done;
      const n = Math.min(len - done, PAGE_SIZE - pageOffset(v));
      const pa = this.translate(v, true);
      if (n <= SHORT_FILL && (n | 0) === n) this.#fillShort(pa, c & 0xff, n);
      else this.#phys.fill(pa, c, n);
      done += n;
    }
  }

  /** Fill `n` bytes at `pa` (inside one page) with `byte`, as PhysMem.fill does. */
  #fillShort(pa: number, byte: number, n: number): void {
    // An untouched block reads as zeros: zeroing it needs no storage.
    const w = this.#phys.words(pa, byte !== 0);
    if (w === undefined) return;
    const o = pa - Math.floor(pa / BLOCK_SIZE) * BLOCK_SIZE;
    for (let i = o; i < o + n; i++) {
      const shift = (i & 3) * 8;
      w[i >>> 2] = (w[i >>> 2]! & ~(0xff << shift)) | (byte << shift);
    }
  }
}

/**
 * `v % PAGE_SIZE` for a non-negative safe integer, without a floating-point `%` (a runtime
 * call in V8 above 2^31). Other values give some number: translate() rejects them anyway.
 */
function pageOffset(v: number): number {
  return v - Math.floor(v / PAGE_SIZE) * PAGE_SIZE;
}

function fault(va: number, write: boolean, why: string): PageFault {
  return new PageFault(
    `BUG: unable to handle page fault for address: ${kaddr(va)} (${write ? 'write' : 'read'} access in kernel mode, ${why})`,
    va,
    write,
  );
}
