// SPDX-License-Identifier: GPL-2.0-only
/*
 * RCU grace periods (src/machine/rcu.ts) and the kernel API's call_rcu, synchronize_rcu,
 * rcu_barrier, kvfree, kvfree_rcu and kvfree_rcu_mightsleep (src/linux/rcu.ts): nothing
 * handed to RCU is freed before a grace period, i.e. before the machine's deferred work
 * runs; callbacks run in queue order; a callback queued by a callback waits for the next
 * grace period; synchronize_rcu completes a grace period without invoking callbacks;
 * kvfree picks vfree or kfree by address; the head-less form might sleep.
 *
 * Kernel: kernel/rcu/tree.c call_rcu, synchronize_rcu, rcu_barrier; mm/slab_common.c
 * kvfree_call_rcu (might_sleep() without a head); mm/util.c kvfree.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, PAGE_SIZE } from '../../src/index.js';
import { Rcu } from '../../src/machine/rcu.js';

function machine(): Machine {
  return new Machine({ memory: '64M', cpus: 2 });
}

test('kvfree_rcu: vmalloc memory stays allocated until the grace period (the work) runs', () => {
  const m = machine();
  const k = m.kernel;
  const p = k.vmalloc(PAGE_SIZE);
  assert.notEqual(p, 0);
  k.memset(p + 16, 0x61, 1);
  k.kvfree_rcu(p, 0);
  assert.equal(Rcu.of(m).pending, 1);
  assert.equal(k.vmalloc_nr_pages(), 1, 'not freed before a grace period');
  assert.notEqual(k.find_vm_area(p), null);
  assert.deepEqual([...k.mem_read(p + 16, 1)], [0x61], 'still readable');
  assert.ok(m.work.pendingNames().includes('rcu_gp'), 'a grace period is scheduled');
  m.runPendingWork();
  assert.equal(Rcu.of(m).pending, 0);
  assert.equal(Rcu.of(m).completed, 1);
  assert.equal(k.vmalloc_nr_pages(), 0, 'vfree()d after the grace period');
  assert.equal(k.find_vm_area(p), null);
});

test('kvfree_rcu_mightsleep: kmalloc memory is kfree()d after the grace period', () => {
  const m = machine();
  const k = m.kernel;
  const p = k.kmalloc(100, k.GFP_KERNEL);
  k.kvfree_rcu_mightsleep(p);
  assert.equal(k.ksize(p), 128, 'still a live kmalloc-128 object');
  m.runPendingWork();
  // The grace period freed it: freeing it again is a double free.
  assert.throws(() => k.kfree(p), KernelBug);
});

test('kvfree_rcu of a kmalloc object frees it once the grace period ends', () => {
  const m = machine();
  const k = m.kernel;
  const p = k.kmalloc(64, k.GFP_KERNEL);
  const cache = m.kmalloc.caches.find((c) => c.size === 64)!;
  const active = cache.active;
  k.kvfree_rcu(p, 0);
  assert.equal(cache.active, active);
  m.runPendingWork();
  assert.equal(cache.active, active - 1);
});

test('kvfree: vfree for a vmalloc address, kfree otherwise, NULL ignored', () => {
  const m = machine();
  const k = m.kernel;
  const v = k.vmalloc(3 * PAGE_SIZE);
  const s = k.kmalloc(100, k.GFP_KERNEL); // kmalloc-128: not the cache of v's page array
  const cache = m.kmalloc.caches.find((c) => c.size === 128)!;
  const active = cache.active;
  k.kvfree(v);
  k.kvfree(s);
  k.kvfree(0);
  assert.equal(k.vmalloc_nr_pages(), 0);
  assert.equal(cache.active, active - 1);
  assert.equal(m.log.count('warn'), 0);
});

test('kvfree_rcu and kvfree_rcu_mightsleep ignore NULL', () => {
  const m = machine();
  const k = m.kernel;
  k.kvfree_rcu(0, 0);
  k.kvfree_rcu_mightsleep(0);
  k.kfree_rcu(0, 0);
  k.kfree_rcu_mightsleep(0);
  assert.equal(Rcu.of(m).pending, 0);
  assert.equal(m.work.pending, 0);
});

test('kvfree_rcu_mightsleep complains in atomic context, kvfree_rcu (with a head) does not', () => {
  const m = machine();
  const k = m.kernel;
  const a = k.kmalloc(16, k.GFP_KERNEL);
  const b = k.kmalloc(16, k.GFP_KERNEL);
  m.inContext('atomic', () => k.kvfree_rcu(a, 0));
  assert.ok(!m.dmesg().some((l) => l.startsWith('BUG: sleeping function')));
  m.inContext('atomic', () => k.kvfree_rcu_mightsleep(b));
  assert.ok(
    m.dmesg().some((l) => /^BUG: sleeping function called from invalid context at mm\//.test(l)),
  );
  m.runPendingWork();
  assert.equal(Rcu.of(m).pending, 0);
});

test('call_rcu: callbacks run after the grace period, in order, with their head', () => {
  const m = machine();
  const k = m.kernel;
  const seen: number[] = [];
  const cb = (head: number): void => {
    seen.push(head);
  };
  k.call_rcu(0x1000, cb);
  k.call_rcu(0x2000, cb);
  k.call_rcu(0x3000, cb);
  assert.deepEqual(seen, []);
  assert.equal(m.runPendingWork(), 1, 'one grace-period work item');
  assert.deepEqual(seen, [0x1000, 0x2000, 0x3000]);
  assert.equal(Rcu.of(m).invoked, 3);
});

test('a callback queued by a callback waits for a later grace period', () => {
  const m = machine();
  const k = m.kernel;
  const rcu = Rcu.of(m);
  const gps: number[] = [];
  k.call_rcu(1, () => {
    gps.push(rcu.completed);
    k.call_rcu(2, () => gps.push(rcu.completed));
  });
  m.runPendingWork();
  assert.deepEqual(gps, [1, 2], 'the nested callback ran after grace period 2');
  assert.equal(rcu.pending, 0);
});

test('synchronize_rcu completes a grace period; the callbacks still run from the work', () => {
  const m = machine();
  const k = m.kernel;
  const rcu = Rcu.of(m);
  let ran = 0;
  k.call_rcu(0, () => ran++);
  k.synchronize_rcu();
  assert.equal(rcu.completed, 1);
  assert.equal(ran, 0);
  m.runPendingWork();
  assert.equal(ran, 1);
  m.inContext('atomic', () => k.synchronize_rcu());
  assert.ok(
    m.dmesg().some((l) => l.includes('kernel/rcu/tree.c')),
    'might_sleep complains',
  );
});

test('rcu_barrier invokes every queued callback, nested ones included', () => {
  const m = machine();
  const k = m.kernel;
  let ran = 0;
  for (let i = 0; i < 5; i++) k.call_rcu(i, () => ran++);
  k.call_rcu(9, () => k.call_rcu(10, () => ran++));
  k.rcu_barrier();
  assert.equal(ran, 6);
  assert.equal(Rcu.of(m).pending, 0);
  assert.ok(Rcu.of(m).completed >= 2);
});

test('many callbacks: the queue compacts and keeps its order', () => {
  const m = machine();
  const k = m.kernel;
  const rcu = Rcu.of(m);
  let expect = 0;
  let bad = 0;
  const cb = (head: number): void => {
    if (head !== expect++) bad++;
  };
  let next = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 3000; i++) k.call_rcu(next++, cb);
    m.runPendingWork();
  }
  assert.equal(bad, 0);
  assert.equal(rcu.invoked, 15000);
  assert.equal(rcu.pending, 0);
});
