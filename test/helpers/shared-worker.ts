// SPDX-License-Identifier: GPL-2.0-only
/*
 * Worker thread of test/genalloc/shared-stress.test.ts: attaches to the shared genpool it
 * is posted and runs random allocations and frees against it, stamping every allocation's
 * bytes with a tag (its owner id and a serial) and checking the stamp is intact before it
 * frees it — an allocation handed to two workers, or overlapping another, breaks a stamp.
 *
 * Modes: 'stress' (the loop, then free everything and detach); 'crash' (a few allocations,
 * then a hook that throws between a claim and its bookkeeping: the worker dies mid-alloc).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { GenPool } from '../../src/genalloc/gen-pool.js';
import {
  HOOK_CLAIMED,
  type SharedGenPool,
  type SharedGenPoolHandle,
} from '../../src/genalloc/shared/shared-pool.js';

/** What a stress worker is posted. */
export interface StressJob {
  mode: 'stress' | 'crash';
  handle: SharedGenPoolHandle;
  id: number;
  seed: number;
  /** Allocations to make (each is freed too). */
  allocs: number;
  /** Live allocations at most. */
  cap: number;
  /** Add a chunk of this many bytes after this many allocations (-1: never). */
  addAt: number;
  addBytes: number;
}

/** What a stress worker posts back. */
export interface StressReport {
  id: number;
  slot: number;
  allocs: number;
  frees: number;
  failures: number;
  retries: number;
  /** Allocations per chunk index. */
  perChunk: number[];
  /** Crash mode: the allocations it held when it died, [addr, size] pairs. */
  live: number[];
  error: string | null;
}

/** One worker's live allocations, each with the tag stamped into its bytes. */
class Stamper {
  readonly pool: SharedGenPool;
  readonly mem: Int32Array;
  readonly liveAddr: number[] = [];
  readonly liveSize: number[] = [];
  readonly liveTag: number[] = [];
  readonly perChunk: number[] = [];
  allocs = 0;
  frees = 0;
  failures = 0;
  serial = 0;

  readonly job: StressJob;

  constructor(job: StressJob) {
    this.job = job;
    this.pool = GenPool.fromShared(job.handle);
    this.mem = new Int32Array(job.handle.memory); // length-tracking: follows addMemory
  }

  /** Allocate `size` bytes and stamp them; false when the pool had no room. */
  alloc(size: number): boolean {
    const a = this.pool.alloc(size);
    if (a === 0) {
      this.failures++;
      return false;
    }
    this.allocs++;
    const tag = ((this.job.id + 1) << 24) | (++this.serial & 0xffffff);
    const w = this.pool.offsetOf(a) / 4;
    this.mem.fill(tag, w, w + size / 4);
    this.liveAddr.push(a);
    this.liveSize.push(size);
    this.liveTag.push(tag);
    const c = this.pool.chunks.find((ch) => ch.contains(a))!.index;
    this.perChunk[c] = (this.perChunk[c] ?? 0) + 1;
    return true;
  }

  /** Check live allocation i's stamp, free it, and forget it. */
  free(i: number): void {
    const a = this.liveAddr[i]!;
    const size = this.liveSize[i]!;
    const w = this.pool.offsetOf(a) / 4;
    for (let k = 0; k < size / 4; k++) {
      if (this.mem[w + k] !== this.liveTag[i]) {
        const got = (this.mem[w + k]! >>> 0).toString(16);
        const tag = (this.liveTag[i]! >>> 0).toString(16);
        throw new Error(
          `worker ${this.job.id}: allocation 0x${a.toString(16)}+${size} was overwritten (word ${k}: 0x${got}, tag 0x${tag})`,
        );
      }
    }
    this.pool.free(a, size);
    this.frees++;
    for (const list of [this.liveAddr, this.liveSize, this.liveTag]) {
      list[i] = list[list.length - 1]!;
      list.pop();
    }
  }

  report(error: string | null): StressReport {
    return {
      id: this.job.id,
      slot: this.pool.slot,
      allocs: this.allocs,
      frees: this.frees,
      failures: this.failures,
      retries: this.pool.retries,
      perChunk: this.perChunk,
      live: this.liveAddr.flatMap((a, i) => [a, this.liveSize[i]!]),
      error,
    };
  }
}

/** The random loop: allocate (75%) or free a random live allocation, `target` allocations. */
function churn(st: Stamper, target: number): void {
  const job = st.job;
  let x = job.seed >>> 0 || 1;
  while (st.allocs < target) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x >>> 0;
    const n = st.liveAddr.length;
    if (n === 0 || (n < job.cap && (r & 3) !== 0)) {
      if (st.alloc(16 * (1 + ((r >>> 2) & 31)))) {
        if (st.allocs === job.addAt) st.pool.addMemory(job.addBytes);
      } else if (n > 0) {
        st.free((r >>> 8) % n);
      }
    } else {
      st.free((r >>> 8) % n);
    }
  }
}

function run(job: StressJob): void {
  const st = new Stamper(job);
  if (job.mode === 'crash') {
    churn(st, 50);
    parentPort!.postMessage(st.report(null));
    st.pool.setTestHook((point) => {
      if (point === HOOK_CLAIMED) throw new Error('simulated crash between claim and bookkeeping');
    });
    st.pool.alloc(100); // throws: the worker dies mid-allocation
    return;
  }
  try {
    churn(st, job.allocs);
    while (st.liveAddr.length > 0) st.free(st.liveAddr.length - 1);
    st.pool.detach();
    parentPort!.postMessage(st.report(null));
  } catch (e) {
    parentPort!.postMessage(st.report(e instanceof Error ? e.message : String(e)));
  }
}

run(workerData as StressJob);
