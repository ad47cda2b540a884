// SPDX-License-Identifier: GPL-2.0-only
/*
 * G-shared: G-steady (WORKLOADS.md; first fit, cap 2048) run by 1, 2 and 4 worker threads
 * at once on one shared genpool (src/genalloc/shared), beside the plain single-threaded
 * GenPool. Each worker runs its own live-set loop with its own xorshift32 seed (worker 0:
 * the canonical 2463534242, so a 1-worker run prints the reference checksum 3873226336;
 * worker i > 0: a seed derived from i). Every worker warms up on a private pool first and
 * starts at a shared barrier.
 *
 *   node dist/bench/gshared.bench.js [--quick] [--reps N] [--workers N] [--separate]
 *
 * prints one JSON line per configuration:
 *   {"workload":"G-shared","impl":"kmem-shared","workers":N,"algo":"first-fit","ops":total,
 *    "ns_per_op":mean per-worker ns/op,"ops_per_s":total ops / wall time,"failed":F,
 *    "checksum":worker 0's,"median_ns_per_op":...,"retries":lost races,"rebuilds":replica
 *    rebuilds after being lapped,"runs":REPS}
 * and one "impl":"kmem" line for the plain pool (one worker thread, same loop). The figures
 * are the median run of REPS (5; --quick: 1 run of 50,000 steps). With N workers the
 * pool's final state is checked: avail back to the full size, invariants hold. --workers N
 * runs only the N-worker line. --separate adds the ceilings of N workers that share
 * nothing: "impl":"kmem" with N workers (each its own plain pool) and
 * "impl":"kmem-shared-separate" (each its own shared pool), N = 2 unless --workers N.
 *
 * Kernel: none (benchmark driver).
 */

import { Worker } from 'node:worker_threads';
import { WORKLOAD_SEED } from '../src/base/rng.js';
import { GenPool } from '../src/genalloc/gen-pool.js';
import type { SharedGenPoolHandle } from '../src/genalloc/shared/layout.js';
import { GENPOOL_BASE, GENPOOL_ORDER, GENPOOL_SIZE } from './workloads.js';
import type { GSharedJob, GSharedResult } from './gshared-worker.js';

/** The seed of worker `i`: the canonical one for worker 0, a distinct xorshift state else. */
export function workerSeed(i: number): number {
  if (i === 0) return WORKLOAD_SEED;
  let x = (WORKLOAD_SEED ^ Math.imul(i, 0x9e3779b9)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  return x === 0 ? 1 : x;
}

interface RunResult {
  ops: number;
  failed: number;
  checksum: number;
  wallMs: number;
  nsPerOp: number;
  retries: number;
  rebuilds: number;
}

async function runOnce(
  handles: readonly (SharedGenPoolHandle | null)[],
  workers: number,
  steps: number,
): Promise<RunResult> {
  const sync = new SharedArrayBuffer(8);
  const flags = new Int32Array(sync);
  const url = new URL('./gshared-worker.js', import.meta.url);
  const results: Promise<GSharedResult>[] = [];
  for (let i = 0; i < workers; i++) {
    const job: GSharedJob = {
      handle: handles[i]!,
      index: i,
      seed: workerSeed(i),
      steps,
      cap: 2048,
      sync,
      warmupSteps: Math.min(steps, 300_000),
    };
    const w = new Worker(url, { workerData: job });
    results.push(
      new Promise((resolve, reject) => {
        w.once('message', (r: GSharedResult) => resolve(r));
        w.once('error', reject);
      }),
    );
  }
  while (Atomics.load(flags, 0) < workers) await new Promise((r) => setTimeout(r, 2));
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  const rs = await Promise.all(results);
  let t0 = Infinity;
  let t1 = -Infinity;
  let ops = 0;
  let failed = 0;
  let ns = 0;
  let retries = 0;
  let rebuilds = 0;
  for (const r of rs) {
    rebuilds += r.rebuilds;
    t0 = Math.min(t0, r.t0);
    t1 = Math.max(t1, r.t1);
    ops += r.ops;
    failed += r.failed;
    ns += ((r.t1 - r.t0) * 1e6) / r.ops;
    retries += r.retries;
  }
  const first = rs.find((r) => r.index === 0)!;
  return {
    ops,
    failed,
    checksum: first.checksum,
    wallMs: t1 - t0,
    nsPerOp: ns / rs.length,
    retries,
    rebuilds,
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function round(ns: number): number {
  return ns < 100 ? Math.round(ns * 10) / 10 : Math.round(ns);
}

/** Where the workers run: one plain pool each, one shared pool for all, or one shared each. */
type Kind = 'plain' | 'shared' | 'separate';

function sharedPool(): SharedGenPoolHandle {
  const pool = GenPool.createShared(GENPOOL_ORDER);
  pool.addVirt(GENPOOL_BASE, GENPOOL_BASE, GENPOOL_SIZE);
  return pool.toShared();
}

async function measure(workers: number, kind: Kind, steps: number, reps: number): Promise<object> {
  const runs: RunResult[] = [];
  for (let k = 0; k < reps; k++) {
    const handles: (SharedGenPoolHandle | null)[] = [];
    const one = kind === 'shared' ? sharedPool() : null;
    for (let i = 0; i < workers; i++) {
      handles.push(kind === 'plain' ? null : kind === 'shared' ? one : sharedPool());
    }
    runs.push(await runOnce(handles, workers, steps));
    for (const h of new Set(handles)) {
      if (h === null) continue;
      const pool = GenPool.fromShared(h);
      pool.check();
      if (pool.avail() !== GENPOOL_SIZE) {
        throw new Error(`G-shared: avail ${pool.avail()} at the end`);
      }
      pool.detach();
    }
  }
  const opsPerS = runs.map((r) => (r.ops / r.wallMs) * 1000);
  const mid = median(opsPerS);
  const r = runs[opsPerS.indexOf(mid)]!;
  return {
    workload: 'G-shared',
    impl: kind === 'plain' ? 'kmem' : kind === 'shared' ? 'kmem-shared' : 'kmem-shared-separate',
    workers,
    algo: 'first-fit',
    ops: r.ops,
    ns_per_op: round(r.nsPerOp),
    ops_per_s: Math.round(mid),
    failed: r.failed,
    checksum: r.checksum,
    median_ns_per_op: round(median(runs.map((x) => x.nsPerOp))),
    retries: r.retries,
    rebuilds: r.rebuilds,
    runs: reps,
  };
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--reps');
  const reps = at >= 0 ? Number(argv[at + 1]) : quick ? 1 : 5;
  const steps = quick ? 50_000 : 1_000_000;
  const wi = argv.indexOf('--workers');
  const counts = wi >= 0 ? [Number(argv[wi + 1])] : [1, 2, 4];
  if (wi < 0) console.log(JSON.stringify(await measure(1, 'plain', steps, reps)));
  for (const n of counts) console.log(JSON.stringify(await measure(n, 'shared', steps, reps)));
  if (argv.includes('--separate')) {
    const n = wi >= 0 ? counts[0]! : 2;
    console.log(JSON.stringify(await measure(n, 'plain', steps, reps)));
    console.log(JSON.stringify(await measure(n, 'separate', steps, reps)));
  }
}

await main(process.argv.slice(2));
