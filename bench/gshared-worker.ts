// SPDX-License-Identifier: GPL-2.0-only
/*
 * One worker of the G-shared benchmark (bench/gshared.bench.ts): attaches to the shared
 * genpool it is posted (or builds a plain GenPool, for the single-threaded line), warms up
 * on a private pool of the same shape, waits at the start barrier, runs its own G-steady
 * live-set loop (WORKLOADS.md, cap 2048, first fit) with its own xorshift32 seed, posts
 * its result, then frees its live set so the pool ends empty.
 *
 * Kernel: none (benchmark driver).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { GenPool } from '../src/genalloc/gen-pool.js';
import type { SharedGenPoolHandle } from '../src/genalloc/shared/layout.js';
import { GENPOOL_BASE, GENPOOL_ORDER, GENPOOL_SIZE } from './workloads.js';

/** What a G-shared worker is posted. */
export interface GSharedJob {
  /** The shared pool, or null: run on a plain GenPool of the canonical shape. */
  handle: SharedGenPoolHandle | null;
  index: number;
  seed: number;
  steps: number;
  cap: number;
  /** Int32 [ready count, go flag]. */
  sync: SharedArrayBuffer;
  warmupSteps: number;
}

/** What a G-shared worker posts back. */
export interface GSharedResult {
  index: number;
  ops: number;
  failed: number;
  checksum: number;
  /** performance.timeOrigin + now() at the start and end of the timed loop, in ms. */
  t0: number;
  t1: number;
  retries: number;
  /** Times the worker's index replica was lapped and rebuilt. */
  rebuilds: number;
}

/** The allocator interface the loop needs (GenPool and SharedGenPool both have it). */
interface Pool {
  alloc(size: number): number;
  free(addr: number, size: number): void;
}

const liveOff = new Float64Array(8192);
const liveSize = new Float64Array(8192);
let liveN = 0;

/** The G-steady live-set loop with seed `seed`; the checksum is of chunk offsets. */
function run(pool: Pool, cap: number, steps: number, seed: number): [number, number] {
  let x = seed | 0;
  let n = 0;
  let failed = 0;
  let checksum = 0;
  for (let s = 0; s < steps; s++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    if (n === 0 || (n < cap && (r & 3) !== 0)) {
      const size = 32 * (1 + ((r >>> 2) & 127));
      const a = pool.alloc(size);
      if (a === 0) {
        failed++;
      } else {
        const t = checksum + (a - GENPOOL_BASE);
        checksum = t >= 4294967296 ? t - 4294967296 : t;
        liveOff[n] = a;
        liveSize[n] = size;
        n++;
      }
    } else {
      const i = (r >>> 8) % n;
      pool.free(liveOff[i]!, liveSize[i]!);
      n--;
      liveOff[i] = liveOff[n]!;
      liveSize[i] = liveSize[n]!;
    }
  }
  liveN = n;
  return [failed, checksum];
}

function drain(pool: Pool): void {
  for (let i = 0; i < liveN; i++) pool.free(liveOff[i]!, liveSize[i]!);
  liveN = 0;
}

function plainPool(): GenPool {
  const p = GenPool.create(GENPOOL_ORDER);
  p.addVirt(GENPOOL_BASE, GENPOOL_BASE, GENPOOL_SIZE);
  return p;
}

function main(job: GSharedJob): void {
  let warm: Pool = plainPool();
  if (job.handle !== null) {
    const p = GenPool.createShared(GENPOOL_ORDER);
    p.addVirt(GENPOOL_BASE, GENPOOL_BASE, GENPOOL_SIZE);
    warm = p;
  }
  run(warm, job.cap, job.warmupSteps, job.seed);
  drain(warm);
  const pool = job.handle === null ? plainPool() : GenPool.fromShared(job.handle);
  const sync = new Int32Array(job.sync);
  Atomics.add(sync, 0, 1);
  Atomics.wait(sync, 1, 0);
  const t0 = performance.timeOrigin + performance.now();
  const [failed, checksum] = run(pool, job.cap, job.steps, job.seed);
  const t1 = performance.timeOrigin + performance.now();
  drain(pool);
  const retries = 'retries' in pool ? (pool.retries as number) : 0;
  const rebuilds = 'rebuilds' in pool ? (pool.rebuilds as number) : 0;
  const result: GSharedResult = {
    index: job.index,
    ops: job.steps,
    failed,
    checksum,
    t0,
    t1,
    retries,
    rebuilds,
  };
  parentPort!.postMessage(result);
}

main(workerData as GSharedJob);
