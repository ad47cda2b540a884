// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page tables: a 4-level radix tree (PGD, PUD, PMD, PTE; 512 entries per table) mapping
 * 48-bit virtual page numbers to page frames with protection bits, with huge leaves at the
 * PUD (1 GiB) and PMD (2 MiB) levels. Tables live in growable typed arrays; a table is an
 * index, an entry is (value, flags): the child table's index, or the frame of a leaf.
 *
 * Kernel: arch/x86/include/asm/pgtable_types.h (_PAGE_PRESENT, _PAGE_RW, _PAGE_USER,
 * _PAGE_PSE, _PAGE_GLOBAL, _PAGE_NX), mm/vmalloc.c vmap_pte_range ("PTE already
 * present" is the caller's WARN) and vunmap_pte_range (one walk down to a PTE table, then
 * its entries in a row: findPteTableAt / buildPteTableAt / pteMapped / setPte /
 * unmapPages), the direct map's 1 GiB/2 MiB leaves of arch/x86/mm/init_64.c.
 *
 * Kernel page tables are never freed once built (like the kernel's for vmalloc space).
 *
 * Indexing. For 0 ≤ va < 2^53 the table indices come from 32-bit pieces — the 2 MiB region
 * number (va / 2^21, below 2^32) gives the PGD, PUD and PMD indices by shifts, the page's
 * place in it the PTE index — so the walks use integer operations only: a floating-point
 * `%` on a value above 2^31 is a runtime call in V8, and a double that crosses a call V8
 * did not inline is boxed in a heap number. Any other va (negative, 2^53 and above, NaN)
 * takes the generic `Math.floor(va / span) % 512` path. The last PTE table walked to is
 * remembered by region, so the pages of one 2 MiB region cost one walk.
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

/** Entries per table (PTRS_PER_PTE and friends). */
export const PTRS_PER_TABLE = 512;
/** {@link PageTable.findPteTable}: a table above the PTE level is missing. */
export const PTE_TABLE_NONE = -1;
/** {@link PageTable.findPteTable} / {@link PageTable.buildPteTable}: a huge leaf maps va. */
export const PTE_TABLE_HUGE = -2;

const ENTRIES = PTRS_PER_TABLE;
/** Bytes covered by one entry at level 0 (PTE) .. 3 (PGD). */
const LEVEL_SPAN = [PAGE_SIZE, 2 ** 21, 2 ** 30, 2 ** 39] as const;
/** Bytes mapped by one PTE table (one PMD entry). */
const PMD_SPAN = 2 ** 21;
/** Addresses below this take the 32-bit index path (their region number is below 2^32). */
const FAST_LIMIT = 2 ** 53;
/** Leaf levels: 0 = PTE (4 KiB), 1 = PMD (2 MiB), 2 = PUD (1 GiB). */
export type LeafLevel = 0 | 1 | 2;

/**
 * The index of `va` in a table of `level` (0 PTE .. 3 PGD): Math.floor(va / span) % 512,
 * computed in 32-bit pieces for 0 ≤ va < 2^53.
 */
function indexAt(va: number, level: number): number {
  if (!(va >= 0 && va < FAST_LIMIT)) return Math.floor(va / LEVEL_SPAN[level]!) % ENTRIES;
  const vpn = Math.floor(va / PAGE_SIZE);
  const region = Math.floor(vpn / ENTRIES);
  if (level === 0) return vpn - region * ENTRIES;
  return (region >>> (9 * (level - 1))) & 511;
}

/**
 * The index of `va`'s entry in its PTE table (pte_index): Math.floor(va / PAGE_SIZE) % 512.
 * Consecutive pages have consecutive indices until 511.
 */
export function pteIndex(va: number): number {
  return indexAt(va, 0);
}

/**
 * The 2 MiB region of `va`: Math.floor(va / 2^21), the number {@link PageTable.findPteTableAt}
 * takes (an integer below 2^27 for a 48-bit address). Region r + 1 follows region r.
 */
export function pmdRegion(va: number): number {
  return Math.floor(va / PMD_SPAN);
}

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
  /**
   * The 2 MiB region (va / 2^21) whose PTE table a walk found last, and that table's base
   * entry. The path down to a PTE table never changes once built (tables are
   * never freed, and only non-present entries or huge leaves are ever written above the PTE
   * level), so the pair stays valid for good.
   */
  #cachedRegion = -1;
  #cachedBase = 0;

  constructor() {
    this.#value = new Float64Array(ENTRIES * 64);
    this.#flags = new Uint16Array(ENTRIES * 64);
  }

  /**
   * Translate `va` to the pfn of its 4 KiB frame and set {@link lastFlags}.
   * @returns the pfn, or -1 when no present leaf maps `va`.
   */
  translate(va: number): number {
    if (!(va >= 0 && va < FAST_LIMIT)) return this.#translateSlow(va);
    const flags = this.#flags;
    const value = this.#value;
    const vpn = Math.floor(va / PAGE_SIZE);
    const region = Math.floor(vpn / ENTRIES);
    const pte = vpn - region * ENTRIES;
    let e: number;
    let f: number;
    if (region === this.#cachedRegion) {
      e = this.#cachedBase + pte;
      f = flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) return -1;
      this.lastFlags = f;
      return value[e]!;
    }
    e = (region >>> 18) & 511; // PGD (table 0)
    f = flags[e]!;
    if ((f & _PAGE_PRESENT) === 0) return -1;
    if ((f & _PAGE_PSE) !== 0) {
      this.lastFlags = f;
      return value[e]! + (region & 0x3ffff) * ENTRIES + pte;
    }
    e = value[e]! * ENTRIES + ((region >>> 9) & 511); // PUD
    f = flags[e]!;
    if ((f & _PAGE_PRESENT) === 0) return -1;
    if ((f & _PAGE_PSE) !== 0) {
      this.lastFlags = f;
      return value[e]! + (region & 511) * ENTRIES + pte;
    }
    e = value[e]! * ENTRIES + (region & 511); // PMD
    f = flags[e]!;
    if ((f & _PAGE_PRESENT) === 0) return -1;
    if ((f & _PAGE_PSE) !== 0) {
      this.lastFlags = f;
      return value[e]! + pte;
    }
    const base = value[e]! * ENTRIES;
    this.#cachedRegion = region;
    this.#cachedBase = base;
    e = base + pte; // PTE
    f = flags[e]!;
    if ((f & _PAGE_PRESENT) === 0) return -1;
    this.lastFlags = f;
    return value[e]!;
  }

  /** {@link translate} for addresses outside [0, 2^53): the generic walk. */
  #translateSlow(va: number): number {
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
      const e = table * ENTRIES + indexAt(va, l);
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
    const e = table * ENTRIES + indexAt(va, level);
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
    return this.buildPteTable(va, 0) !== PTE_TABLE_HUGE;
  }

  /**
   * Walk down to the PTE table holding `va`'s entry without building anything.
   * @returns the entry index of that table's first entry (so `va`'s PTE is the entry
   *   `base + pteIndex(va)` of {@link pteMapped} and {@link setPte}),
   *   {@link PTE_TABLE_NONE} when a table on the way is missing, or {@link PTE_TABLE_HUGE}
   *   when a huge leaf (or a leaf above the PTE level) maps `va`.
   */
  findPteTable(va: number): number {
    if (va >= 0 && va < FAST_LIMIT) return this.findPteTableAt(Math.floor(va / PMD_SPAN));
    return this.#walkSlow(va, -1);
  }

  /**
   * {@link findPteTable}, building the missing tables on the way (present, writable, and
   * user-accessible when `prot` has _PAGE_USER, as {@link mapPage} builds them).
   * @returns the base entry index, or {@link PTE_TABLE_HUGE} (nothing built below the leaf).
   */
  buildPteTable(va: number, prot: number): number {
    if (va >= 0 && va < FAST_LIMIT) return this.buildPteTableAt(Math.floor(va / PMD_SPAN), prot);
    return this.#walkSlow(va, prot & _PAGE_USER);
  }

  /**
   * {@link findPteTable} for the 2 MiB region `region` ({@link pmdRegion}): the page `i` of
   * the region has its PTE at the result + i.
   * @throws {RangeError} when `region` is not an integer in [0, 2^32).
   */
  findPteTableAt(region: number): number {
    if (region === this.#cachedRegion) return this.#cachedBase;
    return this.#walk(region, -1);
  }

  /**
   * {@link buildPteTable} for the 2 MiB region `region` (as {@link findPteTableAt}).
   * @throws {RangeError} when `region` is not an integer in [0, 2^32).
   */
  buildPteTableAt(region: number, prot: number): number {
    if (region === this.#cachedRegion) return this.#cachedBase;
    return this.#walk(region, prot & _PAGE_USER);
  }

  /**
   * The walk of findPteTableAt (user < 0) and buildPteTableAt (user: the _PAGE_USER bit of
   * the tables built); a PTE table found is remembered in the region cache.
   */
  #walk(region: number, user: number): number {
    if (!(region >= 0 && region < 4294967296) || !Number.isInteger(region)) {
      throw new RangeError(`page table: ${region} is not a 2 MiB region number`);
    }
    let table = 0;
    for (let shift = 18; shift >= 0; shift -= 9) {
      const e = table * ENTRIES + ((region >>> shift) & 511);
      const f = this.#flags[e]!; // not hoisted: #newTable may replace the arrays
      if ((f & _PAGE_PRESENT) === 0) {
        if (user < 0) return PTE_TABLE_NONE;
        table = this.#newTable();
        this.#value[e] = table;
        this.#flags[e] = _PAGE_PRESENT | _PAGE_RW | user;
      } else if ((f & _PAGE_PSE) !== 0) {
        return PTE_TABLE_HUGE;
      } else {
        table = this.#value[e]!;
      }
    }
    const base = table * ENTRIES;
    this.#cachedRegion = region;
    this.#cachedBase = base;
    return base;
  }

  /** #walk for addresses outside [0, 2^53), with the generic index (nothing is cached). */
  #walkSlow(va: number, user: number): number {
    let table = 0;
    for (let l = 3; l > 0; l--) {
      const e = table * ENTRIES + indexAt(va, l);
      const f = this.#flags[e]!;
      if ((f & _PAGE_PRESENT) === 0) {
        if (user < 0) return PTE_TABLE_NONE;
        const child = this.#newTable();
        this.#value[e] = child;
        this.#flags[e] = _PAGE_PRESENT | _PAGE_RW | user;
        table = child;
      } else if ((f & _PAGE_PSE) !== 0) {
        return PTE_TABLE_HUGE;
      } else {
        table = this.#value[e]!;
      }
    }
    return table * ENTRIES;
  }

  /**
   * True when PTE entry `e` (a base from {@link findPteTable} plus a {@link pteIndex}) maps
   * a frame, exactly when {@link translate} of its address would return a pfn ≥ 0.
   */
  pteMapped(e: number): boolean {
    return (this.#flags[e]! & _PAGE_PRESENT) !== 0 && this.#value[e]! >= 0;
  }

  /**
   * Map PTE entry `e` to `pfn` with `prot`, as {@link mapPage} does at level 0.
   * @returns false (and changes nothing) when the entry is already present.
   */
  setPte(e: number, pfn: number, prot: number): boolean {
    if ((this.#flags[e]! & _PAGE_PRESENT) !== 0) return false;
    this.#value[e] = pfn;
    this.#flags[e] = (prot | _PAGE_PRESENT) & 0xffff;
    return true;
  }

  /**
   * Clear the PTE of `va` (a 4 KiB leaf).
   * @returns the pfn it mapped, or -1 when none was present.
   * @throws {RangeError} when `va` is inside a huge leaf (clear it with {@link unmapLeaf}).
   */
  unmap(va: number): number {
    const base = this.findPteTable(va);
    if (base === PTE_TABLE_HUGE) throw hugeInTheWay(va);
    if (base === PTE_TABLE_NONE) return -1;
    const e = base + indexAt(va, 0);
    if ((this.#flags[e]! & _PAGE_PRESENT) === 0) return -1;
    this.#flags[e] = 0;
    return this.#value[e]!;
  }

  /**
   * Clear the PTEs of the pages at `start`, `start + PAGE_SIZE`, ... below `end`, as
   * {@link unmap} of each would, walking down once per PTE table (vunmap_range_noflush).
   * @throws {RangeError} at the first page inside a huge leaf (the pages before it are
   *   cleared).
   */
  unmapRange(start: number, end: number): void {
    if (!(start >= 0 && end <= FAST_LIMIT) || !Number.isInteger(start)) {
      for (let a = start; a < end; a += PAGE_SIZE) this.unmap(a);
      return;
    }
    // The pages at start + k * PAGE_SIZE below end: vpn0 + k for k < n.
    const vpn0 = Math.floor(start / PAGE_SIZE);
    const region = Math.floor(vpn0 / ENTRIES);
    const n = Math.ceil((end - start) / PAGE_SIZE);
    this.#unmapPages(region, vpn0 - region * ENTRIES, n, start - vpn0 * PAGE_SIZE);
  }

  /**
   * Clear the PTEs of `count` pages from entry `index` (0..511) of the PTE table of region
   * `region` ({@link pmdRegion}) on, into the next regions' tables past entry 511: the
   * region-number form of {@link unmapRange}, one walk per table (cached per region).
   * @throws {RangeError} at the first page inside a huge leaf (the pages before it are
   *   cleared), naming its address; when `index` is not an integer in [0, 512) or a region
   *   is not a region number.
   */
  unmapPages(region: number, index: number, count: number): void {
    if (!(index >= 0 && index < ENTRIES) || !Number.isInteger(index)) {
      throw new RangeError(`unmapPages: ${index} is not a PTE index`);
    }
    this.#unmapPages(region, index, count, 0);
  }

  /** unmapPages; `offset` is added to the page address the huge-leaf error names. */
  #unmapPages(region: number, index: number, count: number, offset: number): void {
    const flags = this.#flags;
    let r = region;
    let i0 = index;
    for (let k = 0; k < count;) {
      const steps = Math.min(ENTRIES - i0, count - k);
      const base = this.findPteTableAt(r);
      if (base === PTE_TABLE_HUGE) throw hugeInTheWay(r * PMD_SPAN + i0 * PAGE_SIZE + offset);
      if (base !== PTE_TABLE_NONE) {
        const last = base + i0 + steps;
        for (let e = base + i0; e < last; e++) flags[e] = 0;
      }
      k += steps;
      r++;
      i0 = 0;
    }
  }

  /** Clear the leaf of `level` at `va`. @returns its first pfn, or -1 when absent. */
  unmapLeaf(va: number, level: LeafLevel): number {
    if (level === 0) return this.unmap(va);
    let table = 0;
    for (let l = 3; l >= level; l--) {
      const e = table * ENTRIES + indexAt(va, l);
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

function hugeInTheWay(va: number): RangeError {
  return new RangeError(`unmap: 0x${va.toString(16)} lies inside a huge mapping`);
}
