// SPDX-License-Identifier: GPL-2.0-only
/*
 * User address spaces: a simulated process's struct mm_struct with page tables of its own,
 * its vm_area_structs placed top-down below mmap_base as mmap(2) places them, byte access
 * from "user mode" through those page tables, vm_insert_page (how a driver's mmap handler
 * puts kernel pages into a user mapping, and what remap_vmalloc_range uses) and munmap,
 * which drops the page references vm_insert_page took.
 *
 * Kernel: include/linux/mm_types.h (struct mm_struct, struct vm_area_struct),
 * include/linux/mm.h (VM_* vma flags), include/uapi/asm-generic/mman-common.h (PROT_*),
 * mm/memory.c vm_insert_page, validate_page_before_insert, insert_page_into_pte_locked,
 * zap_pte_range; mm/mmap.c vm_unmapped_area (top-down), calc_vm_prot_bits;
 * arch/x86/mm/mmap.c mmap_base (TASK_SIZE_MAX minus the 128 MiB minimum stack gap, no
 * randomisation); arch/x86/mm/pgtable.c protection_map (vm_get_page_prot);
 * arch/x86/mm/fault.c access_error and the page-fault error code (P, W, U bits).
 *
 * A mapping made by {@link Mm.mmap} is a shared mapping of a device file whose mmap handler
 * is the caller: nothing is mapped until vm_insert_page (or remap_vmalloc_range) puts pages
 * in, and touching a page of the vma that holds none is a SIGBUS (the dummy vm_ops of a
 * file mapping have no fault handler). An access outside every vma, or one the vma's
 * VM_READ/VM_WRITE do not allow, is a SIGSEGV. Both are thrown as PageFault.
 *
 * DEVIATION: no user TLB (user accesses walk the mm's page tables every time, so munmap
 * needs no flush), no mmap_lock, no MAP_FIXED/MAP_PRIVATE/anonymous memory, no rss
 * counters or rmap. An operation on a vma that was already unmapped (a use after free in
 * C) is refused with -EFAULT.
 */

import { EBUSY, EFAULT, EINVAL } from '../base/errno.js';
import { KernelBug, PageFault } from '../base/errors.js';
import { PAGE_SIZE } from '../base/units.js';
import { TASK_SIZE_MAX } from './layout.js';
import { type Memmap, type Page, PageOwner } from './memmap.js';
import type { PageAllocator } from './page-alloc.js';
import { _PAGE_NX, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, PageTable } from './page-table.js';
import type { PhysMem } from './phys-mem.js';

// ── vm_flags of a vm_area_struct (include/linux/mm.h) ──────────────────────────

export const VM_NONE = 0x0;
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYREAD = 0x10;
export const VM_MAYWRITE = 0x20;
export const VM_MAYEXEC = 0x40;
export const VM_MAYSHARE = 0x80;
/** Page frames without struct page (remap_pfn_range); vm_insert_page BUGs on it. */
export const VM_PFNMAP = 0x400;
export const VM_IO = 0x4000;
/** mremap() may not grow the vma. */
export const VM_DONTEXPAND = 0x40000;
/** Left out of core dumps. */
export const VM_DONTDUMP = 0x4000000;
/** May hold both struct-page pages and raw pfns; vm_insert_page sets it. */
export const VM_MIXEDMAP = 0x10000000;

// ── mmap(2) protections (include/uapi/asm-generic/mman-common.h) ──────────────

export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

/** mmap_base without randomisation: TASK_SIZE_MAX minus the 128 MiB minimum stack gap. */
export const MMAP_BASE = TASK_SIZE_MAX - 128 * 2 ** 20;
/** vm.mmap_min_addr (the usual distribution setting). */
export const MMAP_MIN_ADDR = 65536;

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h). */
const X86_PF_PROT = 1;
const X86_PF_WRITE = 2;
const X86_PF_USER = 4;

/** struct vm_area_struct: one mapping of a user address space. */
export class VmAreaStruct {
  /** First address of the mapping. */
  vm_start: number;
  /** First address after the mapping. */
  vm_end: number;
  /** VM_* flags (VM_READ, VM_SHARED, VM_MIXEDMAP, ...). */
  vm_flags: number;
  /** Offset in the mapped file, in pages (the mmap offset >> PAGE_SHIFT). */
  vm_pgoff: number;
  /** The address space the mapping belongs to. */
  readonly vm_mm: Mm;
  /** The page protection of its PTEs (vm_get_page_prot of the flags at mmap time). */
  vm_page_prot: number;

  constructor(mm: Mm, start: number, end: number, flags: number, pgoff: number) {
    this.vm_mm = mm;
    this.vm_start = start;
    this.vm_end = end;
    this.vm_flags = flags;
    this.vm_pgoff = pgoff;
    this.vm_page_prot = vmGetPageProt(flags);
  }
}

/** vm_get_page_prot for a shared mapping on x86 (protection_map[VM_SHARED | rwx]). */
function vmGetPageProt(flags: number): number {
  if ((flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) return 0; // PAGE_NONE
  let prot = _PAGE_PRESENT | _PAGE_USER;
  if ((flags & VM_WRITE) !== 0) prot |= _PAGE_RW;
  if ((flags & VM_EXEC) === 0) prot |= _PAGE_NX;
  return prot;
}

/** struct mm_struct: a simulated process's address space (create with Machine.createMm). */
export class Mm {
  /** The address space's own page tables (mm->pgd). */
  readonly pgd = new PageTable();
  /** Where top-down placement starts (mm->mmap_base). */
  readonly mmap_base = MMAP_BASE;
  /** The vmas, sorted by address. */
  readonly #vmas: VmAreaStruct[] = [];
  readonly #memmap: Memmap;
  readonly #pages: PageAllocator;
  readonly #phys: PhysMem;

  constructor(memmap: Memmap, pages: PageAllocator, phys: PhysMem) {
    this.#memmap = memmap;
    this.#pages = pages;
    this.#phys = phys;
  }

  /** The vmas of this address space, in address order. */
  get vmas(): readonly VmAreaStruct[] {
    return this.#vmas;
  }

  /**
   * mmap(NULL, length, prot, MAP_SHARED, fd, pgoff << PAGE_SHIFT) of a device file: a new
   * vma of PAGE_ALIGN(length) bytes at the highest free address below mmap_base, with
   * VM_SHARED | VM_MAYSHARE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC and the VM_READ,
   * VM_WRITE, VM_EXEC bits of `prot`. Nothing is mapped in it yet.
   * @returns the vma, or null when no gap below mmap_base is large enough (-ENOMEM).
   * @throws {RangeError} when `length` is not a positive integer, `prot` has unknown bits
   *   or `pgoff` is not a non-negative integer (-EINVAL in C).
   */
  mmap(length: number, prot: number = PROT_READ | PROT_WRITE, pgoff = 0): VmAreaStruct | null {
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new RangeError(`mmap: length ${String(length)} is not a positive integer`);
    }
    if (
      !Number.isInteger(prot) ||
      prot < 0 ||
      (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0
    ) {
      throw new RangeError(`mmap: prot ${String(prot)} has unknown bits`);
    }
    if (!Number.isSafeInteger(pgoff) || pgoff < 0) {
      throw new RangeError(`mmap: pgoff ${String(pgoff)} is not a non-negative integer`);
    }
    const size = Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
    if (size > TASK_SIZE_MAX) return null;
    const start = this.#unmappedAreaTopdown(size);
    if (start < 0) return null;
    // calc_vm_prot_bits: PROT_READ/WRITE/EXEC are VM_READ/WRITE/EXEC bit for bit.
    const flags = prot | VM_SHARED | VM_MAYSHARE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
    const vma = new VmAreaStruct(this, start, start + size, flags, pgoff);
    let i = 0;
    while (i < this.#vmas.length && this.#vmas[i]!.vm_start < start) i++;
    this.#vmas.splice(i, 0, vma);
    return vma;
  }

  /** vm_unmapped_area, top-down: the highest `size`-byte gap below mmap_base, or -1. */
  #unmappedAreaTopdown(size: number): number {
    let top = this.mmap_base;
    for (let i = this.#vmas.length - 1; i >= 0; i--) {
      const v = this.#vmas[i]!;
      if (v.vm_end <= top && top - v.vm_end >= size) return top - size;
      if (v.vm_start < top) top = v.vm_start;
    }
    return top - MMAP_MIN_ADDR >= size ? top - size : -1;
  }

  /**
   * munmap of the whole vma: clear its PTEs, drop the page reference each mapped page held
   * (put_page, freeing pages nobody else holds) and forget the vma. A vma that is not (or
   * no longer) mapped here is ignored, as munmap of an empty range succeeds.
   * @throws {KernelBug} when a mapped page's count is already zero (someone freed a page
   *   that was still mapped).
   */
  munmap(vma: VmAreaStruct): void {
    const i = this.#vmas.indexOf(vma);
    if (i < 0) return;
    for (let a = vma.vm_start; a < vma.vm_end; a += PAGE_SIZE) {
      const pfn = this.pgd.unmap(a);
      if (pfn < 0) continue;
      const order = this.#memmap.order[pfn]!;
      this.#pages.freePages(pfn, order < 0 ? 0 : order);
    }
    this.#vmas.splice(i, 1);
  }

  /** exit_mmap: unmap every vma (the process exits). */
  exit(): void {
    while (this.#vmas.length > 0) this.munmap(this.#vmas[this.#vmas.length - 1]!);
  }

  /** vma_lookup: the vma containing `addr`, or null. */
  vmaLookup(addr: number): VmAreaStruct | null {
    const vmas = this.#vmas;
    for (let i = 0; i < vmas.length; i++) {
      const v = vmas[i]!;
      if (addr < v.vm_start) return null;
      if (addr < v.vm_end) return v;
    }
    return null;
  }

  /**
   * vm_insert_page(vma, addr, page): map one kernel page at the user address `addr` of
   * `vma` with the vma's protection and take a reference on it (get_page). Sets VM_MIXEDMAP
   * on the vma first, as the kernel does, even when the insert then fails.
   * @returns 0, or -EFAULT (`addr` outside the vma, or the vma is not mapped in this mm),
   *   -EINVAL (a page with a zero count, a slab or page-table page, or a page of another
   *   machine), -EBUSY (a page is already mapped at `addr`).
   * @throws {KernelBug} for a NULL page (the kernel dereferences it) or a VM_PFNMAP vma
   *   (BUG_ON).
   */
  insertPage(vma: VmAreaStruct, addr: number, page: Page | null): number {
    if (addr < vma.vm_start || addr >= vma.vm_end) return -EFAULT;
    if (vma.vm_mm !== this || this.#vmas.indexOf(vma) < 0) return -EFAULT;
    if ((vma.vm_flags & VM_MIXEDMAP) === 0) {
      if ((vma.vm_flags & VM_PFNMAP) !== 0) {
        throw new KernelBug('vm_insert_page: BUG_ON(vma->vm_flags & VM_PFNMAP)');
      }
      vma.vm_flags |= VM_MIXEDMAP;
    }
    if (page === null) {
      throw new KernelBug('vm_insert_page: NULL struct page (kernel NULL pointer dereference)');
    }
    // validate_page_before_insert
    const pfn = page.pfn;
    if (this.#memmap.page(pfn) !== page) return -EINVAL;
    if (this.#memmap.refcount[pfn]! <= 0) return -EINVAL;
    const owner = this.#memmap.owner[pfn]!;
    if (owner === PageOwner.slab || owner === PageOwner.pagetable) return -EINVAL;
    // insert_page_into_pte_locked
    const va = addr - (addr % PAGE_SIZE);
    if (this.pgd.translate(va) >= 0) return -EBUSY;
    this.#pages.getPage(pfn);
    this.pgd.mapPage(va, pfn, vma.vm_page_prot);
    return 0;
  }

  /**
   * Read `len` bytes at the user address `uaddr` through this mm's page tables.
   * @throws {PageFault} at the first byte no vma covers, that the vma does not allow
   *   reading (SIGSEGV), or whose page is not mapped (SIGBUS).
   */
  read(uaddr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const v = uaddr + done;
      const n = Math.min(len - done, PAGE_SIZE - (v % PAGE_SIZE));
      this.#phys.readInto(this.#translate(v, false), out, done, n);
      done += n;
    }
    return out;
  }

  /**
   * Write `bytes` at the user address `uaddr`, page by page (a fault leaves the pages
   * before it written).
   * @throws {PageFault} as {@link read}, or on a write to a mapping without VM_WRITE.
   */
  write(uaddr: number, bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      const v = uaddr + done;
      const n = Math.min(bytes.length - done, PAGE_SIZE - (v % PAGE_SIZE));
      this.#phys.write(this.#translate(v, true), bytes, done, n);
      done += n;
    }
  }

  /** A user-mode access: vma, access_error, page walk. @returns the physical address. */
  #translate(va: number, write: boolean): number {
    const w = write ? X86_PF_WRITE : 0;
    if (!Number.isSafeInteger(va) || va < 0 || va >= TASK_SIZE_MAX) {
      throw userFault(va, write, X86_PF_USER | w, 'segfault', 'outside the user address space');
    }
    const vma = this.vmaLookup(va);
    if (vma === null) throw userFault(va, write, X86_PF_USER | w, 'segfault', 'no vma');
    const pfn = this.pgd.translate(va);
    const allowed = write ? VM_WRITE : VM_READ | VM_WRITE | VM_EXEC;
    if ((vma.vm_flags & allowed) === 0) {
      const p = pfn >= 0 ? X86_PF_PROT : 0;
      throw userFault(va, write, X86_PF_USER | w | p, 'segfault', 'the vma does not allow it');
    }
    if (pfn < 0) throw userFault(va, write, X86_PF_USER | w, 'bus error', 'no page in the vma');
    if (write && (this.pgd.lastFlags & _PAGE_RW) === 0) {
      throw userFault(va, write, X86_PF_USER | w | X86_PF_PROT, 'segfault', 'read-only page');
    }
    return pfn * PAGE_SIZE + (va % PAGE_SIZE);
  }
}

/**
 * vm_insert_page(vma, addr, page) on the vma's own address space (see
 * {@link Mm.insertPage}).
 * @returns 0, or -EFAULT, -EINVAL, -EBUSY.
 */
export function vmInsertPage(vma: VmAreaStruct, addr: number, page: Page | null): number {
  return vma.vm_mm.insertPage(vma, addr, page);
}

function userFault(
  va: number,
  write: boolean,
  code: number,
  kind: 'segfault' | 'bus error',
  why: string,
): PageFault {
  const at = Number.isFinite(va) ? va.toString(16) : String(va);
  // show_signal_msg prints the x86 error code for a SIGSEGV; a SIGBUS prints no line.
  const error = kind === 'segfault' ? ` error ${code}` : '';
  return new PageFault(
    `${kind} at ${at}${error} (${write ? 'write' : 'read'} access in user mode, ${why})`,
    va,
    write,
  );
}
