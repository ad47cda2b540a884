// SPDX-License-Identifier: GPL-2.0-only
/*
 * The workload engine: performs a scenario's operations on its world through the kernel
 * API — gen_pool_alloc and friends, dma_pool_alloc/free, __vmalloc_node/vfree,
 * alloc_page + vm_map_ram / vm_unmap_ram + __free_page, vm_unmap_aliases, fault
 * injection — on the CPU each operation names, and keeps what a report needs: every live
 * allocation with its owner, counts per pool (allocations, frees, failures), the TLB
 * flushes with the step they happened in, and the samples of the time series.
 *
 * Kernel: lib/genalloc.c, mm/dmapool.c, mm/vmalloc.c, mm/page_alloc.c as drivers call
 * them; kernel/workqueue.c (deferred work runs after each step, as a worker would).
 *
 * Deterministic: no wall-clock time, no Math.random; the only choices are the mix's
 * (mix.ts, seeded xorshift32). A step is one operation; step 0 is the state before the
 * first. A failed allocation (the kernel's NULL) is counted, not an error.
 */

import type { Page } from '../../machine/memmap.js';
import type { FlushModel, SeriesModel, SeriesUnit, TimeModel } from '../../report/model.js';
import { dmapoolFree } from '../../report/collect/dmapool.js';
import { genpoolFree } from '../../report/collect/genpool.js';
import { Vmalloc } from '../../vmalloc/vmalloc.js';
import type { LivePool, World } from './setup.js';

/** One live allocation. */
export interface Allocation {
  readonly pool: LivePool;
  readonly addr: number;
  /** Bytes asked for; pages for vm_map_ram. */
  readonly size: number;
  /** The DMA address (dmapool), else 0. */
  readonly dma: number;
  readonly owner: string;
  /** The pages mapped by vm_map_ram, else null. */
  readonly pages: (Page | null)[] | null;
}

/** Counts of one pool or user. */
export interface PoolCounts {
  allocs: number;
  frees: number;
  failures: number;
}

/** What an allocation asks for, besides its pool. */
export interface AllocRequest {
  /** Bytes (pages for vm_map_ram; ignored by a dmapool). */
  readonly size: number;
  /** Alignment in bytes, 0 for none. */
  readonly align: number;
  /** gen_pool_fixed_alloc offset, or -1. */
  readonly offset: number;
  readonly zero: boolean;
  readonly owner: string;
}

interface SeriesDef {
  readonly name: string;
  readonly group: string;
  readonly unit: SeriesUnit;
  readonly values: number[];
  readonly read: () => number;
}

/** Runs operations on a world and records what happened. */
export class Engine {
  readonly world: World;
  /** The current step (operations finished so far). */
  step = 0;
  /** Live allocations per pool id, by address. */
  readonly live = new Map<string, Map<number, Allocation>>();
  readonly counts = new Map<string, PoolCounts>();
  readonly flushes: FlushModel[] = [];
  readonly #sampleSteps: number[] = [];
  readonly #series: SeriesDef[] = [];
  readonly #tlb: readonly { start: number; end: number }[];
  #tlbSeen: number;
  readonly #vmalloc: Vmalloc;

  constructor(world: World) {
    this.world = world;
    for (const id of world.pools.keys()) {
      this.live.set(id, new Map());
      this.counts.set(id, { allocs: 0, frees: 0, failures: 0 });
    }
    this.#tlb = world.m.tlbFlushes();
    this.#tlbSeen = this.#tlb.length;
    this.#vmalloc = Vmalloc.of(world.m);
    this.#defineSeries();
  }

  /** Flushes before the workload (boot, ioremap of the pools). */
  get setupFlushes(): number {
    return this.#tlbSeen - this.flushes.length;
  }

  #defineSeries(): void {
    const m = this.world.m;
    const add = (name: string, group: string, unit: SeriesUnit, read: () => number): void => {
      this.#series.push({ name, group, unit, values: [], read });
    };
    for (const [id, p] of this.world.pools) {
      if (p.kind === 'genpool') {
        add(`free ${id}`, `genpool ${id}`, 'bytes', () => genpoolFree(p.pool).free);
        add(`largest free ${id}`, `genpool ${id}`, 'bytes', () => genpoolFree(p.pool).largest);
      } else if (p.kind === 'dmapool') {
        // no "largest free" series: any free block of a dmapool serves any request
        add(`free ${id}`, `dmapool ${id}`, 'bytes', () => dmapoolFree(m, p.pool).free);
      }
    }
    for (const id of this.world.pools.keys()) {
      add(`failures ${id}`, 'failures', 'count', () => this.counts.get(id)!.failures);
    }
    add('vmalloc pages', 'vmalloc', 'pages', () => this.#vmalloc.usedPages);
    add('lazy pages', 'vmalloc', 'pages', () => this.#vmalloc.lazyPages);
    add('tlb flushes', 'tlb', 'count', () => this.flushes.length);
  }

  /** Record a sample of every series at the current step. */
  sample(): void {
    if (this.#sampleSteps[this.#sampleSteps.length - 1] === this.step) return;
    this.#sampleSteps.push(this.step);
    for (const s of this.#series) s.values.push(s.read());
  }

  /** The time model of the run so far. */
  time(): TimeModel {
    return {
      steps: [...this.#sampleSteps],
      series: this.#series.map(
        (s) =>
          ({
            name: s.name,
            group: s.group,
            unit: s.unit,
            values: [...s.values],
          }) satisfies SeriesModel,
      ),
      flushes: [...this.flushes],
    };
  }

  /**
   * Finish a step: run the deferred work a worker would run now, record the TLB flushes
   * the step caused, and sample every `sampleEvery` steps.
   */
  endStep(sampleEvery: number): void {
    const m = this.world.m;
    if (m.work.pending > 0) m.runPendingWork();
    this.step++;
    if (this.#tlb.length > this.#tlbSeen) {
      for (let i = this.#tlbSeen; i < this.#tlb.length; i++) {
        const f = this.#tlb[i]!;
        this.flushes.push({ step: this.step, start: f.start, end: f.end });
      }
      this.#tlbSeen = this.#tlb.length;
    }
    if (this.step % sampleEvery === 0) this.sample();
  }

  /** Run `fn` on `cpu` (directly when it is the current one). */
  onCpu<T>(cpu: number, fn: () => T): T {
    const m = this.world.m;
    return cpu === m.currentCpu ? fn() : m.onCpu(cpu, fn);
  }

  /**
   * Allocate from pool `id` as its kind does.
   * @returns the allocation, or null when the kernel returned NULL (counted as a failure).
   */
  alloc(id: string, req: AllocRequest): Allocation | null {
    const pool = this.world.pools.get(id)!;
    const counts = this.counts.get(id)!;
    const got = this.#allocIn(pool, req);
    if (got === null) {
      counts.failures++;
      return null;
    }
    counts.allocs++;
    this.live.get(id)!.set(got.addr, got);
    return got;
  }

  #allocIn(pool: LivePool, req: AllocRequest): Allocation | null {
    const k = this.world.k;
    const make = (addr: number, dma: number, pages: (Page | null)[] | null): Allocation | null =>
      addr === 0 ? null : { pool, addr, size: req.size, dma, owner: req.owner, pages };
    switch (pool.kind) {
      case 'genpool': {
        const p = pool.pool;
        const dma = { value: 0 };
        if (req.offset >= 0)
          return make(
            k.gen_pool_alloc_algo(p, req.size, k.gen_pool_fixed_alloc, { offset: req.offset }),
            0,
            null,
          );
        if (req.align > 0)
          return make(
            req.zero
              ? k.gen_pool_dma_zalloc_align(p, req.size, dma, req.align)
              : k.gen_pool_dma_alloc_align(p, req.size, dma, req.align),
            0,
            null,
          );
        return make(
          req.zero ? k.gen_pool_dma_zalloc(p, req.size, dma) : k.gen_pool_alloc(p, req.size),
          0,
          null,
        );
      }
      case 'dmapool': {
        const handle = { value: 0 };
        const p = pool.pool;
        const addr = req.zero
          ? k.dma_pool_zalloc(p, k.GFP_KERNEL, handle)
          : k.dma_pool_alloc(p, k.GFP_KERNEL, handle);
        return addr === 0
          ? null
          : { pool, addr, size: p.size, dma: handle.value, owner: req.owner, pages: null };
      }
      case 'vmalloc': {
        const gfp = k.GFP_KERNEL | (req.zero ? k.__GFP_ZERO : 0);
        const caller = (pool.spec as { caller: string }).caller;
        return make(
          k.__vmalloc_node(
            req.size,
            Math.max(1, req.align),
            gfp,
            k.PAGE_KERNEL,
            k.NUMA_NO_NODE,
            caller,
          ),
          0,
          null,
        );
      }
      case 'vm_map_ram':
        return this.#mapRam(pool, req);
    }
  }

  /** alloc_page × n, then vm_map_ram; undone on any failure. */
  #mapRam(pool: LivePool, req: AllocRequest): Allocation | null {
    const k = this.world.k;
    const pages: (Page | null)[] = [];
    for (let i = 0; i < req.size; i++) {
      const page = k.alloc_page(k.GFP_KERNEL);
      if (page === null) break;
      pages.push(page);
    }
    const addr =
      pages.length === req.size ? k.vm_map_ram(pages, req.size, k.NUMA_NO_NODE, k.PAGE_KERNEL) : 0;
    if (addr === 0) {
      for (const page of pages) k.__free_page(page);
      return null;
    }
    return { pool, addr, size: req.size, dma: 0, owner: req.owner, pages };
  }

  /** Free a live allocation as its kind does. */
  free(a: Allocation): void {
    const k = this.world.k;
    const pool = a.pool;
    switch (pool.kind) {
      case 'genpool':
        k.gen_pool_free(pool.pool, a.addr, a.size);
        break;
      case 'dmapool':
        k.dma_pool_free(pool.pool, a.addr, a.dma);
        break;
      case 'vmalloc':
        k.vfree(a.addr);
        break;
      case 'vm_map_ram':
        k.vm_unmap_ram(a.addr, a.size);
        for (const page of a.pages!) k.__free_page(page);
        break;
    }
    this.live.get(pool.spec.id)!.delete(a.addr);
    this.counts.get(pool.spec.id)!.frees++;
  }

  /** vm_unmap_aliases: purge lazy areas and vmap-block dirt (one TLB flush at most). */
  purge(): void {
    this.world.k.vm_unmap_aliases();
  }

  /** Make the nth next allocation at `site` fail, and `times - 1` after it. */
  fail(site: 'page' | 'kmalloc' | 'vmap_area' | 'dma', nth: number, times: number): void {
    this.world.m.failNth(site, nth, times);
  }
}
