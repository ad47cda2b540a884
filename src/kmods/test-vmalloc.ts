// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/test_vmalloc.c, ported through the kernel API: the module that stresses vmalloc and
 * measures it. Its eleven test cases, picked by run_test_mask, run in nr_threads workers,
 * each timed over test_repeat_count repetitions, and the module prints the kernel's
 * "Summary:" line per worker and enabled case, then "All test took worker<i>=<n> cycles".
 *
 * Kernel: lib/test_vmalloc.c (module test_vmalloc, CONFIG_TEST_VMALLOC) as of 2025:
 * run_test_mask defaults to 7 (fix_size, full_fit, long_busy_list) since Rezki's June 2025
 * patch (before it, INT_MAX: every case); align_shift_alloc_test is an expected failure
 * (Raghavendra K T's July 2025 "introduce xfail for failing tests", with the "xfailed:"
 * field of the Summary line) and since Rezki's August 2025 "remove xfail condition check"
 * a run of it that succeeds counts as passed, not failed. Module init returns -EAGAIN (the
 * loadable module unloads itself; a built-in one returns 0). KERNEL-SPEC §3.18.
 *
 *   id    bit   test case                        one run (test_loop_count loops unless said)
 *   0     1     fix_size_alloc_test              vmalloc(nr_pages pages), write a byte, vfree
 *   1     2     full_fit_alloc_test              fill lazy_max_pages pairs, free one of each
 *                                                pair, then 1-page vmalloc/write/vfree
 *   2     4     long_busy_list_alloc_test        15,000 busy pages, then 100-page + 1-page
 *   3     8     random_size_alloc_test           vmalloc(1..100 pages), write, vfree
 *   4     16    fix_align_alloc_test             5 pages aligned to THREAD_ALIGN << 1
 *   5     32    random_size_align_alloc_test     1..10 pages aligned to 2^(0..22) bytes
 *   6     64    align_shift_alloc_test (xfail)   one page aligned to 2^0 .. 2^63: must fail
 *   7     128   pcpu_alloc_test                  35,000 __alloc_percpu, then free them all
 *   8     256   kvfree_rcu_1_arg_vmalloc_test    vmalloc, write, kvfree_rcu_mightsleep
 *   9     512   kvfree_rcu_2_arg_vmalloc_test    vmalloc, write, kvfree_rcu(p, rcu)
 *   10    1024  vm_map_ram_test                  vm_map_ram(nr_pages pages), write, unmap
 *
 * The clock is the caller's (src/kmods reads none): `now()` in microseconds is ktime_get's
 * stand-in, `cycles()` get_cycles's (by default now() × 1000, a nominal 1 GHz TSC).
 * Random numbers (get_random_u8, get_random_u32_inclusive, get_random_u32_below) come
 * from one seeded xorshift32 per module run (src/base/rng.ts), so a run is reproducible.
 *
 * DEVIATION:
 * - Workers run one after another, worker i on CPU i % num_online_cpus() (m.onCpu): the
 *   simulation has one host thread. Per-CPU state (vmap node pools, vmap block queues) is
 *   exercised per worker, but no two workers overlap; the start barrier (SRCU, formerly a
 *   rwsem) and the completion have nothing to synchronise.
 * - The kernel's kworkers and RCU grace-period kthread run concurrently with the test; here
 *   they run at the end of every iteration of the loops that free memory (`kworkers()`:
 *   m.runPendingWork()), so the lazy vmap purge runs as soon as it is scheduled (past
 *   lazy_max_pages) and kvfree_rcu memory is freed one iteration later.
 * - use_huge: vmalloc_huge is not modelled; fix_size_alloc_test then uses plain vmalloc.
 * - The pointer arrays (ptr, junk_ptr, pcpu) are vmalloc'd as in C, so the address space
 *   and memory look the same, but the pointers themselves are kept in Float64Arrays.
 * - alloc_pages_bulk (vm_map_ram_test) is alloc_page() repeated until it fails.
 * - no_block_alloc_test (2048, Aug 2025), vrealloc_test (4096) and the proposed
 *   nr_pcpu_objects parameter (Dec 2025) are not ported; pcpu_alloc_test uses 35,000.
 * - When the kernel API has no vm_map_ram/vm_unmap_ram, vm_map_ram_test logs why and
 *   fails instead of crashing.
 */

import { WORKLOAD_SEED, XorShift32 } from '../base/rng.js';
import { fls, PAGE_SHIFT, PAGE_SIZE } from '../base/units.js';
import type { Machine } from '../machine/machine.js';
import type { Page } from '../machine/memmap.js';
import type { Kernel } from '../linux/kernel.js';
import '../linux/kernel.js';

/** EAGAIN: what module init returns so that the loadable module unloads itself. */
const EAGAIN = 11;
/** USHRT_MAX: the most workers nr_threads allows. */
const USHRT_MAX = 65535;
/** BITS_PER_LONG on the simulated 64-bit machine. */
const BITS_PER_LONG = 64;
/** THREAD_ALIGN = THREAD_SIZE on x86-64 without KASAN (PAGE_SIZE << 2). */
const THREAD_ALIGN = 16 * 1024;
/** Busy one-page areas of long_busy_list_alloc_test. */
const LONG_BUSY_LIST_LEN = 15000;
/** Per-CPU objects of pcpu_alloc_test (the nr_pcpu_objects proposal's default). */
const NR_PCPU_OBJECTS = 35000;
/** offsetof(struct test_kvfree_rcu, rcu) and offsetof(..., array): the rcu_head is 16 bytes. */
const TEST_KVFREE_RCU_RCU = 0;
const TEST_KVFREE_RCU_ARRAY = 16;
/** __builtin_return_address(0) of the __vmalloc_node callers, as %pS would print it. */
const CALLER = 'test_func [test_vmalloc]';
/** A nominal TSC frequency for the default get_cycles(): cycles per microsecond. */
const NOMINAL_CYCLES_PER_USEC = 1000;

// ── Module parameters ────────────────────────────────────────────────────────

/** The module parameters (all 0444 in the kernel), under their kernel names. */
export interface TestVmallocParams {
  /** Number of workers, clamped to [1, USHRT_MAX]. @defaultValue 0 (→ 1) */
  readonly nr_threads?: number;
  /** Run the cases in id order instead of shuffling them per worker. @defaultValue false */
  readonly sequential_test_order?: boolean;
  /** Repetitions of each case per worker; ≤ 0 → 1. @defaultValue 1 */
  readonly test_repeat_count?: number;
  /** Loops of one run of a case; ≤ 0 → 1. @defaultValue 1,000,000 */
  readonly test_loop_count?: number;
  /** Pages of fix_size_alloc_test and vm_map_ram_test; ≤ 0 → 1. @defaultValue 0 */
  readonly nr_pages?: number;
  /** Use vmalloc_huge in fix_size_alloc_test (not modelled: plain vmalloc). @defaultValue false */
  readonly use_huge?: boolean;
  /**
   * Bit i enables case i. @defaultValue 7 (fix_size, full_fit, long_busy_list), the
   * kernel's default since June 2025 (INT_MAX, every case, before)
   */
  readonly run_test_mask?: number;
}

/** The parameters after init_test_configuration's clamping. */
export interface TestVmallocConfig {
  readonly nr_threads: number;
  readonly sequential_test_order: boolean;
  readonly test_repeat_count: number;
  readonly test_loop_count: number;
  readonly nr_pages: number;
  readonly use_huge: boolean;
  readonly run_test_mask: number;
}

/** Options of {@link testVmalloc}: the module parameters plus the injected clock. */
export interface TestVmallocOptions extends TestVmallocParams {
  /** Microseconds from an arbitrary origin (ktime_get's stand-in). */
  readonly now: () => number;
  /** get_cycles()'s stand-in. @defaultValue () => now() × 1000 (a nominal 1 GHz TSC) */
  readonly cycles?: () => number;
  /** Seed of the module's xorshift32. @defaultValue WORKLOAD_SEED (2463534242) */
  readonly seed?: number;
}

/** The kernel's defaults (run_test_mask as of June 2025). */
export const TEST_VMALLOC_DEFAULTS: TestVmallocConfig = {
  nr_threads: 0,
  sequential_test_order: false,
  test_repeat_count: 1,
  test_loop_count: 1000000,
  nr_pages: 0,
  use_huge: false,
  run_test_mask: 7,
};

/**
 * init_test_configuration(): nr_threads clamped to [1, USHRT_MAX], test_repeat_count and
 * test_loop_count ≤ 0 raised to 1; the others as given (or their defaults).
 * @returns the configuration the module runs with.
 */
export function initTestConfiguration(params: TestVmallocParams): TestVmallocConfig {
  const d = TEST_VMALLOC_DEFAULTS;
  const int = (v: number | undefined, dflt: number): number =>
    v === undefined || !Number.isFinite(v) ? dflt : Math.trunc(v);
  const repeat = int(params.test_repeat_count, d.test_repeat_count);
  const loops = int(params.test_loop_count, d.test_loop_count);
  return {
    nr_threads: Math.min(Math.max(int(params.nr_threads, d.nr_threads), 1), USHRT_MAX),
    sequential_test_order: params.sequential_test_order ?? d.sequential_test_order,
    test_repeat_count: repeat <= 0 ? 1 : repeat,
    test_loop_count: loops <= 0 ? 1 : loops,
    nr_pages: int(params.nr_pages, d.nr_pages),
    use_huge: params.use_huge ?? d.use_huge,
    run_test_mask: int(params.run_test_mask, d.run_test_mask),
  };
}

// ── The test cases ───────────────────────────────────────────────────────────

/** What every test case sees: the machine, its kernel API, the configuration, the RNG. */
interface Ctx {
  readonly m: Machine;
  readonly k: Kernel;
  readonly cfg: TestVmallocConfig;
  readonly rng: XorShift32;
}

/** get_random_u8(). */
function get_random_u8(c: Ctx): number {
  return c.rng.next() & 0xff;
}

/** get_random_u32_inclusive(floor, ceil). */
function get_random_u32_inclusive(c: Ctx, floor: number, ceil: number): number {
  return floor + c.rng.below(ceil - floor + 1);
}

/** get_random_u32_below(ceil): in [0, ceil). */
function get_random_u32_below(c: Ctx, ceil: number): number {
  return c.rng.below(ceil);
}

/** The kernel's concurrent kworkers (lazy purge, RCU grace periods) get to run. */
function kworkers(m: Machine): void {
  m.runPendingWork();
}

function random_size_align_alloc_test(c: Ctx): number {
  const { m, k } = c;
  const gfp = k.GFP_KERNEL | k.__GFP_ZERO;
  const prot = k.PAGE_KERNEL;
  for (let i = 0; i < c.cfg.test_loop_count; i++) {
    const rnd = get_random_u8(c);
    // Maximum 1024 pages, if PAGE_SIZE is 4096.
    const align = 1 << (rnd % 23);
    // Maximum 10 pages.
    const size = ((rnd % 10) + 1) * PAGE_SIZE;
    const ptr = k.__vmalloc_node(size, align, gfp, prot, 0, CALLER);
    if (ptr === 0) return -1;
    k.vfree(ptr);
    kworkers(m);
  }
  return 0;
}

/** This test case is supposed to fail (xfail). */
function align_shift_alloc_test(c: Ctx): number {
  const { m, k } = c;
  const gfp = k.GFP_KERNEL | k.__GFP_ZERO;
  for (let i = 0; i < BITS_PER_LONG; i++) {
    const align = 2 ** i; // 1UL << i
    const ptr = k.__vmalloc_node(PAGE_SIZE, align, gfp, k.PAGE_KERNEL, 0, CALLER);
    if (ptr === 0) return -1;
    k.vfree(ptr);
    kworkers(m);
  }
  return 0;
}

function fix_align_alloc_test(c: Ctx): number {
  const { m, k } = c;
  const gfp = k.GFP_KERNEL | k.__GFP_ZERO;
  const prot = k.PAGE_KERNEL;
  for (let i = 0; i < c.cfg.test_loop_count; i++) {
    const ptr = k.__vmalloc_node(5 * PAGE_SIZE, THREAD_ALIGN << 1, gfp, prot, 0, CALLER);
    if (ptr === 0) return -1;
    k.vfree(ptr);
    kworkers(m);
  }
  return 0;
}

function random_size_alloc_test(c: Ctx): number {
  const { m, k } = c;
  for (let i = 0; i < c.cfg.test_loop_count; i++) {
    const n = get_random_u32_inclusive(c, 1, 100);
    const p = k.vmalloc(n * PAGE_SIZE);
    if (p === 0) return -1;
    k.memset(p, 1, 1); // *((__u8 *)p) = 1;
    k.vfree(p);
    kworkers(m);
  }
  return 0;
}

function long_busy_list_alloc_test(c: Ctx): number {
  const { m, k } = c;
  let rv = -1;
  const ptr = k.vmalloc(8 * LONG_BUSY_LIST_LEN);
  if (ptr === 0) return rv;
  const ptrs = new Float64Array(LONG_BUSY_LIST_LEN);
  for (let i = 0; i < LONG_BUSY_LIST_LEN; i++) ptrs[i] = k.vmalloc(1 * PAGE_SIZE);
  leave: {
    for (let i = 0; i < c.cfg.test_loop_count; i++) {
      const ptr_1 = k.vmalloc(100 * PAGE_SIZE);
      if (ptr_1 === 0) break leave;
      const ptr_2 = k.vmalloc(1 * PAGE_SIZE);
      if (ptr_2 === 0) {
        k.vfree(ptr_1);
        break leave;
      }
      k.memset(ptr_1, 0, 1); // *((__u8 *)ptr_1) = 0;
      k.memset(ptr_2, 1, 1); // *((__u8 *)ptr_2) = 1;
      k.vfree(ptr_1);
      k.vfree(ptr_2);
      kworkers(m);
    }
    // Success
    rv = 0;
  }
  for (let i = 0; i < LONG_BUSY_LIST_LEN; i++) {
    k.vfree(ptrs[i]!);
    kworkers(m);
  }
  k.vfree(ptr);
  return rv;
}

function full_fit_alloc_test(c: Ctx): number {
  const { m, k } = c;
  let rv = -1;
  let junk_length = fls(k.num_online_cpus());
  junk_length *= (32 * 1024 * 1024) / PAGE_SIZE;
  const ptr = k.vmalloc(8 * junk_length);
  if (ptr === 0) return rv;
  const junk_ptr = k.vmalloc(8 * junk_length);
  if (junk_ptr === 0) {
    k.vfree(ptr);
    return rv;
  }
  const ptrs = new Float64Array(junk_length);
  const junk = new Float64Array(junk_length);
  for (let i = 0; i < junk_length; i++) {
    ptrs[i] = k.vmalloc(1 * PAGE_SIZE);
    junk[i] = k.vmalloc(1 * PAGE_SIZE);
  }
  for (let i = 0; i < junk_length; i++) {
    k.vfree(junk[i]!);
    kworkers(m);
  }
  error: {
    for (let i = 0; i < c.cfg.test_loop_count; i++) {
      const tmp = k.vmalloc(1 * PAGE_SIZE);
      if (tmp === 0) break error;
      k.memset(tmp, 1, 1); // *((__u8 *)tmp) = 1;
      k.vfree(tmp);
      kworkers(m);
    }
    // Success
    rv = 0;
  }
  for (let i = 0; i < junk_length; i++) {
    k.vfree(ptrs[i]!);
    kworkers(m);
  }
  k.vfree(ptr);
  k.vfree(junk_ptr);
  return rv;
}

function fix_size_alloc_test(c: Ctx): number {
  const { m, k, cfg } = c;
  // vmalloc_huge is not modelled: use_huge falls back to vmalloc (see DEVIATION).
  const size = (cfg.nr_pages > 0 ? cfg.nr_pages : 1) * PAGE_SIZE;
  for (let i = 0; i < cfg.test_loop_count; i++) {
    const ptr = k.vmalloc(size);
    if (ptr === 0) return -1;
    k.memset(ptr, 0, 1); // *((__u8 *)ptr) = 0;
    k.vfree(ptr);
    kworkers(m);
  }
  return 0;
}

function pcpu_alloc_test(c: Ctx): number {
  const { m, k } = c;
  let rv = 0;
  const pcpu = k.vmalloc(8 * NR_PCPU_OBJECTS);
  if (pcpu === 0) return -1;
  const ptrs = new Float64Array(NR_PCPU_OBJECTS);
  for (let i = 0; i < NR_PCPU_OBJECTS; i++) {
    const size = get_random_u32_inclusive(c, 1, PAGE_SIZE / 4);
    // Maximum PAGE_SIZE
    const align = 1 << get_random_u32_inclusive(c, 1, PAGE_SHIFT - 1);
    ptrs[i] = k.__alloc_percpu(size, align);
    if (ptrs[i] === 0) rv = -1;
  }
  for (let i = 0; i < NR_PCPU_OBJECTS; i++) k.free_percpu(ptrs[i]!);
  k.vfree(pcpu);
  kworkers(m);
  return rv;
}

function kvfree_rcu_1_arg_vmalloc_test(c: Ctx): number {
  const { m, k } = c;
  for (let i = 0; i < c.cfg.test_loop_count; i++) {
    const p = k.vmalloc(1 * PAGE_SIZE);
    if (p === 0) return -1;
    k.memset(p + TEST_KVFREE_RCU_ARRAY, 0x61, 1); // p->array[0] = 'a';
    k.kvfree_rcu_mightsleep(p);
    kworkers(m);
  }
  return 0;
}

function kvfree_rcu_2_arg_vmalloc_test(c: Ctx): number {
  const { m, k } = c;
  for (let i = 0; i < c.cfg.test_loop_count; i++) {
    const p = k.vmalloc(1 * PAGE_SIZE);
    if (p === 0) return -1;
    k.memset(p + TEST_KVFREE_RCU_ARRAY, 0x61, 1); // p->array[0] = 'a';
    k.kvfree_rcu(p, TEST_KVFREE_RCU_RCU);
    kworkers(m);
  }
  return 0;
}

/** vm_map_ram/vm_unmap_ram as this port calls them (looked up at run time). */
interface VmMapRamApi {
  vm_map_ram(pages: readonly (Page | null)[], count: number, node: number): number;
  vm_unmap_ram(mem: number, count: number): void;
}

function vm_map_ram_test(c: Ctx): number {
  const { m, k, cfg } = c;
  const api = k as unknown as Partial<VmMapRamApi>;
  const vm_map_ram = api.vm_map_ram;
  const vm_unmap_ram = api.vm_unmap_ram;
  if (typeof vm_map_ram !== 'function' || typeof vm_unmap_ram !== 'function') {
    m.log.err(
      'vm_map_ram_test',
      'vm_map_ram_test: the kernel API has no vm_map_ram/vm_unmap_ram yet; test failed',
    );
    return -1;
  }
  const map_nr_pages = cfg.nr_pages > 0 ? cfg.nr_pages : 1;
  const pagesArray = k.kcalloc(map_nr_pages, 8, k.GFP_KERNEL);
  if (pagesArray === 0) return -1;
  // alloc_pages_bulk(GFP_KERNEL, map_nr_pages, pages): as many pages as it could get.
  const pages: Page[] = [];
  while (pages.length < map_nr_pages) {
    const page = k.alloc_page(k.GFP_KERNEL);
    if (page === null) break;
    pages.push(page);
  }
  const nr_allocated = pages.length;
  if (nr_allocated === map_nr_pages) {
    // Run the test loop.
    for (let i = 0; i < cfg.test_loop_count; i++) {
      const v_ptr = vm_map_ram.call(k, pages, map_nr_pages, k.NUMA_NO_NODE);
      k.memset(v_ptr, 0x61, 1); // *v_ptr = 'a';  (a NULL v_ptr oopses, as in C)
      vm_unmap_ram.call(k, v_ptr, map_nr_pages);
      kworkers(m);
    }
  }
  // cleanup:
  for (let i = 0; i < nr_allocated; i++) k.__free_page(pages[i]!);
  k.kfree(pagesArray);
  // 0 indicates success.
  return nr_allocated !== map_nr_pages ? 1 : 0;
}

/** One entry of test_case_array. */
export interface TestCaseDesc {
  readonly test_name: string;
  readonly test_func: (c: Ctx) => number;
  /** Expected to fail: a failed run counts as xfailed. */
  readonly xfail: boolean;
}

/** test_case_array: case i is enabled by bit i of run_test_mask. */
export const TEST_CASE_ARRAY: readonly TestCaseDesc[] = [
  { test_name: 'fix_size_alloc_test', test_func: fix_size_alloc_test, xfail: false },
  { test_name: 'full_fit_alloc_test', test_func: full_fit_alloc_test, xfail: false },
  { test_name: 'long_busy_list_alloc_test', test_func: long_busy_list_alloc_test, xfail: false },
  { test_name: 'random_size_alloc_test', test_func: random_size_alloc_test, xfail: false },
  { test_name: 'fix_align_alloc_test', test_func: fix_align_alloc_test, xfail: false },
  {
    test_name: 'random_size_align_alloc_test',
    test_func: random_size_align_alloc_test,
    xfail: false,
  },
  { test_name: 'align_shift_alloc_test', test_func: align_shift_alloc_test, xfail: true },
  { test_name: 'pcpu_alloc_test', test_func: pcpu_alloc_test, xfail: false },
  {
    test_name: 'kvfree_rcu_1_arg_vmalloc_test',
    test_func: kvfree_rcu_1_arg_vmalloc_test,
    xfail: false,
  },
  {
    test_name: 'kvfree_rcu_2_arg_vmalloc_test',
    test_func: kvfree_rcu_2_arg_vmalloc_test,
    xfail: false,
  },
  { test_name: 'vm_map_ram_test', test_func: vm_map_ram_test, xfail: false },
];

// ── The driver ───────────────────────────────────────────────────────────────

/** struct test_case_data: one worker's results for one case. */
export interface TestCaseData {
  readonly test_name: string;
  test_passed: number;
  test_failed: number;
  test_xfailed: number;
  /** Average microseconds of one run (all test_loop_count loops); 0 when not run. */
  time: number;
}

/** struct test_driver: one worker (kthread "vmalloc_test/<worker>"). */
export interface TestDriver {
  readonly worker: number;
  /** The simulated CPU it ran on. */
  readonly cpu: number;
  /** The case ids in the order the worker went through them (shuffled or sequential). */
  readonly order: readonly number[];
  /** Per case id (every case, enabled or not). */
  readonly data: readonly TestCaseData[];
  /** get_cycles() before the first and after the last case. */
  start: number;
  stop: number;
}

/** What a run of the module gives back. */
export interface TestVmallocResult {
  /** Module init's return value: -EAGAIN (the module unloads itself). */
  readonly ret: number;
  readonly config: TestVmallocConfig;
  readonly workers: readonly TestDriver[];
  /** The lines printed to the kernel log, in order. */
  readonly lines: readonly string[];
}

/** shuffle_array(): swap-based, j drawn from [0, i). */
function shuffle_array(c: Ctx, arr: number[]): void {
  for (let i = arr.length - 1; i > 0; i--) {
    // Cut the range.
    const j = get_random_u32_below(c, i);
    // Swap indexes.
    const tmp = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = tmp;
  }
}

/** test_func(): one worker's run over the enabled cases. */
function test_func(c: Ctx, t: TestDriver, now: () => number, cycles: () => number): void {
  const cfg = c.cfg;
  const random_array = t.order as number[];
  for (let i = 0; i < TEST_CASE_ARRAY.length; i++) random_array.push(i);
  if (!cfg.sequential_test_order) shuffle_array(c, random_array);
  // Block until initialization is done: nothing to wait for (see DEVIATION).
  t.start = cycles();
  for (let i = 0; i < TEST_CASE_ARRAY.length; i++) {
    const index = random_array[i]!;
    // Skip tests if run_test_mask has been specified.
    if (!((cfg.run_test_mask & (1 << index)) >> index)) continue;
    const desc = TEST_CASE_ARRAY[index]!;
    const data = t.data[index]!;
    const kt = now();
    for (let j = 0; j < cfg.test_repeat_count; j++) {
      const ret = desc.test_func(c);
      if (ret === 0) data.test_passed++;
      else if (desc.xfail) data.test_xfailed++;
      else data.test_failed++;
    }
    // Take an average time that test took: ktime_us_delta, then do_div by the repeats.
    const delta = Math.max(0, Math.floor(now() - kt));
    data.time = Math.floor(delta / cfg.test_repeat_count);
  }
  t.stop = cycles();
}

/**
 * Load the module on `m` (vmalloc_test_init → do_concurrent_test): configure, run every
 * worker on its CPU, then print per worker a Summary line for each enabled case and the
 * cycle count, into the kernel log.
 *
 * Context: control plane; runs until done (long with the default 1,000,000 loops); the
 * machine's deferred work runs after every iteration of the loops that free memory.
 * @returns the workers' results, the printed lines and -EAGAIN (init's return value).
 * @throws {PageFault} when vm_map_ram returns NULL (the test writes through it, as in C).
 */
export function testVmalloc(m: Machine, options: TestVmallocOptions): TestVmallocResult {
  const cfg = initTestConfiguration(options);
  const now = options.now;
  const cycles = options.cycles ?? (() => now() * NOMINAL_CYCLES_PER_USEC);
  const c: Ctx = { m, k: m.kernel, cfg, rng: new XorShift32(options.seed ?? WORKLOAD_SEED) };
  const workers: TestDriver[] = [];
  for (let i = 0; i < cfg.nr_threads; i++) {
    const data: TestCaseData[] = [];
    for (let j = 0; j < TEST_CASE_ARRAY.length; j++) {
      data.push({
        test_name: TEST_CASE_ARRAY[j]!.test_name,
        test_passed: 0,
        test_failed: 0,
        test_xfailed: 0,
        time: 0,
      });
    }
    const t: TestDriver = {
      worker: i,
      cpu: i % m.cpus.online,
      order: [],
      data,
      start: 0,
      stop: 0,
    };
    workers.push(t);
    // kthread_run(test_func, t, "vmalloc_test/%d", i)
    m.onCpu(t.cpu, () => test_func(c, t, now, cycles));
  }
  const lines: string[] = [];
  const pr_info = (line: string): void => {
    m.log.info('do_concurrent_test', line);
    lines.push(line);
  };
  for (let i = 0; i < cfg.nr_threads; i++) {
    const t = workers[i]!;
    for (let j = 0; j < TEST_CASE_ARRAY.length; j++) {
      if (!((cfg.run_test_mask & (1 << j)) >> j)) continue;
      pr_info(summaryLine(t.data[j]!, cfg));
    }
    pr_info(`All test took worker${i}=${Math.round(t.stop - t.start)} cycles`);
  }
  return { ret: -EAGAIN, config: cfg, workers, lines };
}

/**
 * The kernel's line for one case of one worker:
 * "Summary: %s passed: %d failed: %d xfailed: %d repeat: %d loops: %d avg: %llu usec".
 */
export function summaryLine(d: TestCaseData, cfg: TestVmallocConfig): string {
  return (
    `Summary: ${d.test_name} passed: ${d.test_passed} failed: ${d.test_failed}` +
    ` xfailed: ${d.test_xfailed} repeat: ${cfg.test_repeat_count}` +
    ` loops: ${cfg.test_loop_count} avg: ${d.time} usec`
  );
}
