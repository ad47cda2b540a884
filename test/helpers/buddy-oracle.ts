// SPDX-License-Identifier: GPL-2.0-only
/*
 * A naive model of one zone's buddy allocator, written from the kernel's description
 * (mm/page_alloc.c __rmqueue_smallest/expand/__free_one_page, mm/memblock.c
 * __free_pages_memory) over plain JavaScript arrays and Maps. It shares no code with
 * src/machine/buddy.ts: free lists are number[] per order (index 0 = head), free heads a
 * Map<pfn, order>, allocations a Map<pfn, order>, managed pages a boolean[]. Everything is
 * O(n) and obviously right rather than fast.
 *
 * Model of misuse: the call reports why it is refused (a string) and changes nothing.
 */

/** MAX_PAGE_ORDER of the model (the kernel's). */
export const ORACLE_MAX_ORDER = 10;

/** One free block: its first pfn and its order. */
export interface Block {
  readonly pfn: number;
  readonly order: number;
}

/** The naive buddy allocator of the zone [start, end). */
export class NaiveBuddy {
  readonly start: number;
  readonly end: number;
  /** lists[k][0] is the head of the order-k free list. */
  readonly lists: number[][] = [];
  readonly freeHeads = new Map<number, number>();
  readonly allocated = new Map<number, number>();
  readonly managed: boolean[];
  nrFree = 0;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    for (let k = 0; k <= ORACLE_MAX_ORDER; k++) this.lists.push([]);
    this.managed = new Array<boolean>(end - start).fill(false);
  }

  /** Pages handed over so far. */
  get present(): number {
    return this.managed.filter((m) => m).length;
  }

  /** __rmqueue_smallest + expand; -1 when nothing fits. */
  alloc(order: number): number {
    let k = order;
    while (k <= ORACLE_MAX_ORDER && this.lists[k]!.length === 0) k++;
    if (k > ORACLE_MAX_ORDER) return -1;
    const pfn = this.lists[k]!.shift()!;
    this.freeHeads.delete(pfn);
    while (k > order) {
      k--;
      const upper = pfn + 2 ** k;
      this.lists[k]!.unshift(upper);
      this.freeHeads.set(upper, k);
    }
    this.allocated.set(pfn, order);
    this.nrFree -= 2 ** order;
    return pfn;
  }

  /** Why free(pfn, order) must be refused, or null when it is valid. */
  freeRefusal(pfn: number, order: number): string | null {
    if (!Number.isInteger(pfn) || pfn < this.start || pfn >= this.end) return 'outside';
    if (pfn % 2 ** order !== 0) return 'misaligned';
    if (this.blockContaining(pfn) !== null) return 'already free';
    if (this.allocated.get(pfn) !== order) return 'not allocated with this order';
    return null;
  }

  /** __free_one_page (always to the head); returns the refusal, or null when freed. */
  free(pfn: number, order: number): string | null {
    const why = this.freeRefusal(pfn, order);
    if (why !== null) return why;
    this.allocated.delete(pfn);
    this.nrFree += 2 ** order;
    this.mergeAndList(pfn, order, false);
    return null;
  }

  /** split_page(): an allocated block becomes 2^order allocated single pages. */
  split(pfn: number, order: number): string | null {
    if (this.allocated.get(pfn) !== order) return 'not allocated with this order';
    for (let i = 0; i < 2 ** order; i++) this.allocated.set(pfn + i, 0);
    return null;
  }

  /** __free_pages_memory: maximal aligned blocks upwards, each merged and put at the tail. */
  freeRange(s: number, e: number): string | null {
    if (s < this.start || e > this.end || e < s) return 'outside';
    for (let p = s; p < e; p++) if (this.managed[p - this.start]) return 'already managed';
    for (let p = s; p < e; p++) this.managed[p - this.start] = true;
    this.nrFree += e - s;
    let p = s;
    while (p < e) {
      // the largest order whose block starts at p and ends by e
      let order = 0;
      while (order < ORACLE_MAX_ORDER && p % 2 ** (order + 1) === 0 && p + 2 ** (order + 1) <= e) {
        order++;
      }
      this.mergeAndList(p, order, true);
      p += 2 ** order;
    }
    return null;
  }

  private mergeAndList(pfn: number, order: number, toTail: boolean): void {
    while (order < ORACLE_MAX_ORDER) {
      const size = 2 ** order;
      const buddy = Math.floor(pfn / size) % 2 === 0 ? pfn + size : pfn - size;
      if (buddy < this.start || buddy >= this.end || this.freeHeads.get(buddy) !== order) break;
      const list = this.lists[order]!;
      list.splice(list.indexOf(buddy), 1);
      this.freeHeads.delete(buddy);
      pfn = Math.min(pfn, buddy);
      order++;
    }
    this.freeHeads.set(pfn, order);
    if (toTail) this.lists[order]!.push(pfn);
    else this.lists[order]!.unshift(pfn);
  }

  /** The free block containing pfn, by looking at every free block. */
  blockContaining(pfn: number): Block | null {
    for (const [head, order] of this.freeHeads) {
      if (pfn >= head && pfn < head + 2 ** order) return { pfn: head, order };
    }
    return null;
  }

  /** The free blocks, sorted by pfn. */
  freeBlocks(): Block[] {
    return [...this.freeHeads]
      .map(([pfn, order]) => ({ pfn, order }))
      .sort((a, b) => a.pfn - b.pfn);
  }
}

/**
 * The unique fully merged decomposition of a set of free pages into buddy blocks: each free
 * page belongs to the largest naturally aligned block (order ≤ ORACLE_MAX_ORDER) inside the
 * zone whose pages are all free. Sorted by pfn.
 */
export function canonicalBlocks(
  start: number,
  end: number,
  isFreePage: (pfn: number) => boolean,
): Block[] {
  const out: Block[] = [];
  let p = start;
  while (p < end) {
    if (!isFreePage(p)) {
      p++;
      continue;
    }
    let order = ORACLE_MAX_ORDER;
    for (; order > 0; order--) {
      const head = p - (p % 2 ** order);
      if (head < start || head + 2 ** order > end) continue;
      let all = true;
      for (let q = head; q < head + 2 ** order && all; q++) all = isFreePage(q);
      if (all) break;
    }
    out.push({ pfn: p - (p % 2 ** order), order });
    p = p - (p % 2 ** order) + 2 ** order;
  }
  return out;
}
