// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared genpool under real concurrency: 2 and 4 worker threads (test/helpers/
 * shared-worker.ts) each make 200,000 random allocations (16..512 bytes, up to 400 live)
 * and free them all, on one pool small enough to run near full (so claims race and some
 * allocations fail); every allocation is stamped with its owner's tag and checked intact
 * before it is freed. One worker adds a chunk mid-run; the others must allocate from it.
 * At the end avail is back to the full size and every invariant holds. Then a worker dies
 * between a claim and its bookkeeping, and recover() repairs the pool.
 *
 * SHARED_STRESS_ALLOCS=<n> runs longer (default 200000).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { GenPool, InvariantError } from '../../src/index.js';
import type { StressJob, StressReport } from '../helpers/shared-worker.js';

const ALLOCS = Number(process.env['SHARED_STRESS_ALLOCS'] ?? 200_000);
const WORKER = new URL('../helpers/shared-worker.js', import.meta.url);

function start(job: StressJob): Promise<StressReport> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: job });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function stress(workers: number): Promise<void> {
  const pool = GenPool.createShared(4);
  pool.addMemory(workers * 64 * 1024);
  const handle = pool.toShared();
  const jobs: Promise<StressReport>[] = [];
  for (let id = 0; id < workers; id++) {
    jobs.push(
      start({
        mode: 'stress',
        handle,
        id,
        seed: 0x9e3779b9 * (id + 1),
        allocs: ALLOCS,
        cap: 400,
        addAt: id === 1 ? Math.ceil(ALLOCS / 10) : -1,
        addBytes: workers * 64 * 1024,
      }),
    );
  }
  const reports = await Promise.all(jobs);
  for (const r of reports) {
    assert.equal(r.error, null, `worker ${r.id}: ${r.error}`);
    assert.equal(r.allocs, ALLOCS);
    assert.equal(r.frees, ALLOCS);
  }
  const fromNew = reports.filter((r) => r.id !== 1 && (r.perChunk[1] ?? 0) > 0);
  assert.ok(fromNew.length > 0, 'the chunk a worker added was used by the others');
  assert.equal(pool.chunks.length, 2);
  assert.equal(pool.avail(), pool.size());
  pool.check();
  const total = reports.reduce((n, r) => n + r.retries, 0);
  const failures = reports.reduce((n, r) => n + r.failures, 0);
  console.log(`# ${workers} workers: ${total} lost races, ${failures} failed allocations`);
}

test('2 workers share one pool: no allocation handed out twice, avail exact', async () => {
  await stress(2);
});

test('4 workers share one pool: no allocation handed out twice, avail exact', async () => {
  await stress(4);
});

test('a worker that dies between claim and bookkeeping is recovered', async () => {
  const pool = GenPool.createShared(4);
  pool.addMemory(64 * 1024);
  const w = new Worker(WORKER, {
    workerData: {
      mode: 'crash',
      handle: pool.toShared(),
      id: 0,
      seed: 12345,
      allocs: 0,
      cap: 100,
      addAt: -1,
      addBytes: 0,
    } satisfies StressJob,
  });
  const message = new Promise<StressReport>((resolve) => w.once('message', resolve));
  const error = new Promise<Error>((resolve) => w.once('error', resolve));
  const report = await message;
  const died = await error;
  assert.match(died.message, /simulated crash/);
  assert.throws(() => pool.check(), InvariantError);
  const held = report.live.length / 2;
  const r = pool.recover([report.slot]);
  assert.equal(r.journals, 1);
  assert.equal(r.bitsReleased, Math.ceil(100 / 16));
  assert.equal(r.slotsFreed, 1);
  pool.check();
  for (let i = 0; i < report.live.length; i += 2) pool.free(report.live[i]!, report.live[i + 1]!);
  assert.ok(held > 0);
  assert.equal(pool.avail(), pool.size());
  pool.check();
});
