// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page tables: a 4-level radix tree (PGD, PUD, PMD, PTE; 512 entries per table) mapping
 * 48-bit virtual page numbers to page frames with protection bits, with huge leaves at the
 * PUD (1 GiB) and PMD (2 MiB) levels. Tables live in growable typed arrays; a table is an
 * index, an entry is (value, flags): the child table's index, or the frame of a leaf.
 *
 * Kernel: arch/x86/include/asm/pgtable_types.h (_PAGE_PRESENT, _PAGE_RW, _PAGE_USER,
 * _PAGE_PSE, _PAGE_GLOBAL, _PAGE_NX), mm/vmalloc.c vmap_pte_range ("PTE already
 * present" is the caller's WARN), the direct map's 1 GiB/2 MiB leaves of
 * arch/x86/mm/init_64.c.
 *
 * Kernel page tables are never freed once built (like the kernel's for vmalloc space).
 */

import { PAGE_SIZE } from '../base/units.js';

/** Protection and state bits of an entry (a 16-bit subset of x86's). */
export const _PAGE_PRESENT = 0x001;
export const _PAGE_RW = 0x002;
export const _PAGE_USER = 0x004;
export const _PAGE_PSE = 0x080;
export const _PAGE_GLOBAL = 0x100;
/** No-execute (bit 63 on x86; bit 15 here). */
export const _PAGE_NX = 0x8000;

/** PAGE_KERNEL: present, writable, global, not executable. */
export const PAGE_KERNEL = _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | _PAGE_NX;
/** PAGE_KERNEL_RO. */
export const PAGE_KERNEL_RO = _PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_NX;
/** PAGE_KERNEL_EXEC. */
export const PAGE_KERNEL_EXEC = _PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL;
/** PAGE_SHARED (user read/write). */
export const PAGE_SHARED = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_NX;

const ENTRIES = 512;
/** Bytes covered by one entry at level 0 (PTE) .. 3 (PGD). */
const LEVEL_SPAN = [PAGE_SIZE, 2 ** 21, 2 ** 30, 2 ** 39] as const;
/** Leaf levels: 0 = PTE (4 KiB), 1 = PMD (2 MiB), 2 = PUD (1 GiB). */
export type LeafLevel = 0 | 1 | 2;

/** A page-table tree. */
export class PageTable {
  /** Entry values: a child table index (non-leaf) or a pfn (leaf). */
  #value: Float64Array;
  #flags: Uint16Array;
  #tables = 1; // table 0 is the PGD
  /** Number of tables built (the kernel's page-table pages). */
  get tables(): number {
    return this.#tables;
  }
  /** The flags of the last successful {@link translate}. */
  lastFlags = 0;

  constructor() {
    this.#value = new Float64Array(ENTRIES * 64);
    this.#flags = new Uint16Array(ENTRIES * 64);
  }

  /**
   * Translate `va` to the pfn of its 4 KiB frame and set {@link lastFlags}.
   * @returns the pfn, or -1 when no present leaf maps `va`.
   */
  translate(va: number): number {
    let table = 0;
    for (let level = 3; level >= 0; level--) {
      const span = LEVEL_SPAN[level]!;
      const e = table * ENTRIES + (Math.floor(va / span) % ENTRIES);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) return -1;
      if (level === 0 || (f & _PAGE_PSE) !== 0) {
        this.lastFlags = f;
        return this.#value[e]! + Math.floor((va % span) / PAGE_SIZE);
      }
      table = this.#value[e]!;
    }
    return -1;
  }

  /**
   * Map the leaf of `level` containing `va` (aligned to the leaf's size) to frames from
   * `pfn` with `prot`, building tables on the way.
   * @returns false (and changes nothing) when a leaf already maps it or, for a huge leaf,
   *   a table is already there.
   */
  mapPage(va: number, pfn: number, prot: number, level: LeafLevel = 0): boolean {
    let table = 0;
    for (let l = 3; l > level; l--) {
      const e = table * ENTRIES + (Math.floor(va / LEVEL_SPAN[l]!) % ENTRIES);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) {
        const child = this.#newTable();
        this.#value[e] = child;
        this.#flags[e] = _PAGE_PRESENT | _PAGE_RW | (prot & _PAGE_USER);
        table = child;
      } else if ((f & _PAGE_PSE) !== 0) {
        return false;
      } else {
        table = this.#value[e]!;
      }
    }
    const e = table * ENTRIES + (Math.floor(va / LEVEL_SPAN[level]!) % ENTRIES);
    if ((this.#flags[e]! & _PAGE_PRESENT) !== 0) return false;
    this.#value[e] = pfn;
    this.#flags[e] = (prot | _PAGE_PRESENT | (level > 0 ? _PAGE_PSE : 0)) & 0xffff;
    return true;
  }

  /**
   * Build the tables down to the PTE level for `va` without mapping it (what
   * apply_to_page_range does for alloc_vm_area). @returns false when a huge leaf is in the way.
   */
  buildTables(va: number): boolean {
    let table = 0;
    for (let l = 3; l > 0; l--) {
      const e = table * ENTRIES + (Math.floor(va / LEVEL_SPAN[l]!) % ENTRIES);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) {
        const child = this.#newTable();
        this.#value[e] = child;
        this.#flags[e] = _PAGE_PRESENT | _PAGE_RW;
        table = child;
      } else if ((f & _PAGE_PSE) !== 0) return false;
      else table = this.#value[e]!;
    }
    return true;
  }

  /**
   * Clear the PTE of `va` (a 4 KiB leaf).
   * @returns the pfn it mapped, or -1 when none was present.
   * @throws {RangeError} when `va` is inside a huge leaf (clear it with {@link unmapLeaf}).
   */
  unmap(va: number): number {
    let table = 0;
    for (let level = 3; level >= 0; level--) {
      const e = table * ENTRIES + (Math.floor(va / LEVEL_SPAN[level]!) % ENTRIES);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) return -1;
      if (level === 0) {
        this.#flags[e] = 0;
        return this.#value[e]!;
      }
      if ((f & _PAGE_PSE) !== 0) {
        throw new RangeError(`unmap: 0x${va.toString(16)} lies inside a huge mapping`);
      }
      table = this.#value[e]!;
    }
    return -1;
  }

  /** Clear the leaf of `level` at `va`. @returns its first pfn, or -1 when absent. */
  unmapLeaf(va: number, level: LeafLevel): number {
    if (level === 0) return this.unmap(va);
    let table = 0;
    for (let l = 3; l >= level; l--) {
      const e = table * ENTRIES + (Math.floor(va / LEVEL_SPAN[l]!) % ENTRIES);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) return -1;
      if (l === level) {
        if ((f & _PAGE_PSE) === 0) return -1;
        this.#flags[e] = 0;
        return this.#value[e]!;
      }
      if ((f & _PAGE_PSE) !== 0) return -1;
      table = this.#value[e]!;
    }
    return -1;
  }

  /**
   * Map [va, va + size) to the physically contiguous frames from `pfn`, with the largest
   * leaves alignment allows (the direct map's way).
   * @returns false when some part was already mapped (the parts before it stay mapped).
   */
  mapRange(va: number, pfn: number, size: number, prot: number): boolean {
    let off = 0;
    while (off < size) {
      const v = va + off;
      const p = pfn * PAGE_SIZE + off;
      let level: LeafLevel = 0;
      if (v % 2 ** 30 === 0 && p % 2 ** 30 === 0 && size - off >= 2 ** 30) level = 2;
      else if (v % 2 ** 21 === 0 && p % 2 ** 21 === 0 && size - off >= 2 ** 21) level = 1;
      if (!this.mapPage(v, p / PAGE_SIZE, prot, level)) return false;
      off += LEVEL_SPAN[level]!;
    }
    return true;
  }

  #newTable(): number {
    const t = this.#tables++;
    if (this.#tables * ENTRIES > this.#value.length) {
      const value = new Float64Array(this.#value.length * 2);
      value.set(this.#value);
      this.#value = value;
      const flags = new Uint16Array(this.#flags.length * 2);
      flags.set(this.#flags);
      this.#flags = flags;
    }
    return t;
  }
}
