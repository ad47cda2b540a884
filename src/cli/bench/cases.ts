// SPDX-License-Identifier: GPL-2.0-only
/*
 * The list of benchmark runs of bench/WORKLOADS.md that kmem itself can do — every
 * (workload, implementation) pair of kmem and the kernel-scan baseline, in output order —
 * the selection by name (`npm run bench -- G-steady V`, `kmem bench dmapool_test`), and the
 * dispatch of one run to its workload's module. Peers (bench/genpool.bench.ts's
 * @thi.ng/malloc) add their genpool cases by name and run them themselves.
 *
 * Kernel: none (kmem's benchmarks; see each workload module for what it exercises).
 *
 *   G-fill G-steady G-high      genpool.ts     kmem, kernel-scan (and peers)
 *   D-test ... D-churn          dmapool.ts     kmem
 *   V-steady V-align            vmap.ts        kmem, layouts whole and range
 *   V-vmalloc                   vmalloc.ts     kmem
 *   test_vmalloc <case>         test-vmalloc.ts kmem
 */

import { dmapoolCases, runDmapoolCase, type DmapoolCase } from './dmapool.js';
import { genpoolCases, runGenpoolCase, type GenpoolCase } from './genpool.js';
import type { BenchLine } from './harness.js';
import { runTestVmallocCase, testVmallocCases, type TestVmallocCase } from './test-vmalloc.js';
import { VMALLOC_CASE, vmallocPairLine } from './vmalloc.js';
import { runVmapCase, vmapCases, type VmapCase } from './vmap.js';

/** One benchmark run request: a workload and an implementation (plus its variant). */
export type BenchCase =
  GenpoolCase | DmapoolCase | VmapCase | TestVmallocCase | typeof VMALLOC_CASE;

/** The name that selects every D-test row (mm/dmapool_test.c's module name). */
export const DMAPOOL_TEST_ALIAS = 'dmapool_test';

/**
 * Every run, in output order; `peers` adds one genpool case per name after each of
 * G-steady and G-high (see genpoolCases).
 * @returns the cases; no failure value.
 */
export function benchCases(peers: readonly string[] = []): BenchCase[] {
  return [
    ...genpoolCases(peers),
    ...dmapoolCases(),
    ...vmapCases(),
    VMALLOC_CASE,
    ...testVmallocCases(),
  ];
}

/**
 * Whether `name` selects `workload`: a prefix of it, or dmapool_test for the D-test rows.
 * @returns false when it does not.
 */
export function selects(name: string, workload: string): boolean {
  return (
    workload.startsWith(name) || (name === DMAPOOL_TEST_ALIAS && workload.startsWith('D-test'))
  );
}

/**
 * The cases `names` select (all of them when `names` is empty), in output order, and the
 * names that select none.
 * @returns the selection; `unknown` lists the names that matched nothing (empty when all did).
 */
export function selectCases<C extends { readonly workload: string }>(
  cases: readonly C[],
  names: readonly string[],
): { cases: C[]; unknown: string[] } {
  return {
    cases: cases.filter((c) => names.length === 0 || names.some((n) => selects(n, c.workload))),
    unknown: names.filter((n) => !cases.some((c) => selects(n, c.workload))),
  };
}

/**
 * The workload names a user can type, for messages: the first word of every workload
 * name, with dmapool_test after D-test.
 * @returns the names in output order; no failure value.
 */
export function knownWorkloadNames(cases: readonly { readonly workload: string }[]): string[] {
  const names: string[] = [];
  for (const c of cases) {
    const name = c.workload.split(' ')[0]!;
    if (names.includes(name)) continue;
    names.push(name);
    if (name === 'D-test') names.push(DMAPOOL_TEST_ALIAS);
  }
  return names;
}

/**
 * Run one kmem or kernel-scan case in this process; `quick` shrinks it for CI.
 * @returns its JSON lines; throws an Error for a case no module knows (a peer's genpool
 *   case, an unknown D-test row or test_vmalloc case).
 */
export function runBenchCase(c: BenchCase, quick: boolean): BenchLine[] {
  const w = c.workload;
  if (w.startsWith('D-')) return runDmapoolCase(c as DmapoolCase, quick);
  if (w === VMALLOC_CASE.workload) return [vmallocPairLine(quick)];
  if (w.startsWith('V-')) return runVmapCase(c as VmapCase, quick);
  if (w.startsWith('test_vmalloc')) return runTestVmallocCase(c as TestVmallocCase, quick);
  if (w.startsWith('G-')) return runGenpoolCase(c as GenpoolCase, quick);
  throw new Error(`unknown workload ${w}`);
}
