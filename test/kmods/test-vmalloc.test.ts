// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/test_vmalloc.c as ported in src/kmods/test-vmalloc.ts, scaled down: every case of
 * run_test_mask 0x7ff with test_loop_count 200 in two workers on a two-CPU machine passes,
 * except align_shift_alloc_test, which fails as designed and counts as xfailed, with the
 * allocator's warnings in the log; nothing is left allocated afterwards. Then the printed
 * lines with a fake clock ("Summary: %s passed: %d failed: %d xfailed: %d repeat: %d
 * loops: %d avg: %llu usec", "All test took worker%d=%lu cycles"), the averaging over
 * repeats, the parameter clamping of init_test_configuration, the default mask 7, the
 * swap-based shuffle (j drawn from [0, i): a single cycle, so no case keeps its place),
 * workers on CPU i % online, and a failing case counted as failed.
 *
 * Kernel: lib/test_vmalloc.c (2025: run_test_mask 7, xfail), KERNEL-SPEC §3.18.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../src/index.js';
import { Percpu } from '../../src/machine/percpu.js';
import { Rcu } from '../../src/machine/rcu.js';
import {
  initTestConfiguration,
  TEST_CASE_ARRAY,
  testVmalloc,
} from '../../src/kmods/test-vmalloc.js';

const SUMMARY =
  /^Summary: (\w+) passed: (\d+) failed: (\d+) xfailed: (\d+) repeat: (\d+) loops: (\d+) avg: (\d+) usec$/;

/** A clock that advances `step` microseconds per reading. */
function fakeClock(step: number): () => number {
  let t = 0;
  return () => (t += step);
}

function hasVmMapRam(m: Machine): boolean {
  return typeof (m.kernel as unknown as Record<string, unknown>)['vm_map_ram'] === 'function';
}

test('scaled-down run: every case passes, align_shift_alloc_test is xfailed', () => {
  const m = new Machine({ memory: '2G', cpus: 2 });
  const k = m.kernel;
  const freeBefore = k.nr_free_pages();
  const r = testVmalloc(m, {
    now: fakeClock(10),
    nr_threads: 2,
    test_loop_count: 200,
    run_test_mask: 0x7ff,
  });
  assert.equal(r.ret, -11, 'init returns -EAGAIN: the module unloads itself');
  assert.equal(r.workers.length, 2);
  const mapRam = hasVmMapRam(m);
  for (const w of r.workers) {
    for (const d of w.data) {
      const what = `worker ${w.worker} ${d.test_name}`;
      if (d.test_name === 'align_shift_alloc_test') {
        assert.deepEqual([d.test_passed, d.test_failed, d.test_xfailed], [0, 0, 1], what);
      } else if (d.test_name === 'vm_map_ram_test' && !mapRam) {
        assert.deepEqual([d.test_passed, d.test_failed, d.test_xfailed], [0, 1, 0], what);
      } else {
        assert.deepEqual([d.test_passed, d.test_failed, d.test_xfailed], [1, 0, 0], what);
      }
    }
  }
  if (!mapRam) {
    assert.ok(m.dmesg().some((l) => l.includes('no vm_map_ram/vm_unmap_ram')));
  }
  // 11 Summary lines and one cycles line per worker, in the kernel's order.
  assert.equal(r.lines.length, 24);
  assert.deepEqual(
    r.lines.slice(0, 11).map((l) => SUMMARY.exec(l)?.[1]),
    TEST_CASE_ARRAY.map((d) => d.test_name),
  );
  assert.match(r.lines[11]!, /^All test took worker0=\d+ cycles$/);
  assert.match(r.lines[23]!, /^All test took worker1=\d+ cycles$/);
  for (const l of r.lines) if (l.startsWith('Summary')) assert.match(l, SUMMARY);
  assert.ok(
    r.lines.includes(
      'Summary: align_shift_alloc_test passed: 0 failed: 0 xfailed: 1 repeat: 1 loops: 200 avg: 10 usec',
    ),
  );
  // The lines went to the kernel log too.
  const dmesg = m.dmesg();
  for (const l of r.lines) assert.ok(dmesg.includes(l), l);
  // align_shift_alloc_test's expected allocator warnings.
  assert.ok(dmesg.some((l) => /^vmalloc_node_range for size 8192 failed: Address range/.test(l)));
  assert.ok(dmesg.some((l) => l.includes('vmalloc error: size 4096, vm_struct allocation failed')));
  // Workers ran on CPU i % online; nothing is left behind.
  assert.deepEqual(
    r.workers.map((w) => w.cpu),
    [0, 1],
  );
  assert.equal(k.vmalloc_nr_pages(), 0, 'every vmalloc area was freed');
  assert.equal(Rcu.of(m).pending, 0, 'every kvfree_rcu completed');
  assert.equal(Percpu.of(m).nrAllocs, 0, 'every percpu object was freed');
  assert.equal(m.work.pending, 0);
  assert.ok(k.nr_free_pages() > freeBefore - 1024, 'pages came back (page tables stay)');
});

test('Summary and cycles lines with a fake clock; avg is per run over the repeats', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  // Readings: cycles() start, now() before, now() after, cycles() stop; 250 µs apart.
  const r = testVmalloc(m, { now: fakeClock(250), test_loop_count: 5, run_test_mask: 1 });
  assert.deepEqual(r.lines, [
    'Summary: fix_size_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 5 avg: 250 usec',
    'All test took worker0=750000 cycles',
  ]);
  const m2 = new Machine({ memory: '256M', cpus: 1 });
  let c = 0;
  const r2 = testVmalloc(m2, {
    now: fakeClock(1000),
    cycles: () => (c += 7),
    test_loop_count: 3,
    test_repeat_count: 3,
    run_test_mask: 1 | 8,
    sequential_test_order: true,
  });
  // Each case: 1000 µs for three runs → 333 µs per run (do_div truncates).
  assert.deepEqual(r2.lines, [
    'Summary: fix_size_alloc_test passed: 3 failed: 0 xfailed: 0 repeat: 3 loops: 3 avg: 333 usec',
    'Summary: random_size_alloc_test passed: 3 failed: 0 xfailed: 0 repeat: 3 loops: 3 avg: 333 usec',
    'All test took worker0=7 cycles',
  ]);
});

test('parameters: defaults, and nr_threads / test_repeat_count / test_loop_count clamped', () => {
  assert.deepEqual(initTestConfiguration({}), {
    nr_threads: 1,
    sequential_test_order: false,
    test_repeat_count: 1,
    test_loop_count: 1000000,
    nr_pages: 0,
    use_huge: false,
    run_test_mask: 7,
  });
  const c = initTestConfiguration({ nr_threads: -3, test_repeat_count: 0, test_loop_count: -5 });
  assert.deepEqual([c.nr_threads, c.test_repeat_count, c.test_loop_count], [1, 1, 1]);
  assert.equal(initTestConfiguration({ nr_threads: 100000 }).nr_threads, 65535);
  const m = new Machine({ memory: '256M', cpus: 1 });
  const r = testVmalloc(m, {
    now: fakeClock(1),
    test_loop_count: 0,
    test_repeat_count: -1,
    run_test_mask: 1,
  });
  assert.match(r.lines[0]!, /passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 1 avg: \d+ usec$/);
});

test('the default mask runs fix_size, full_fit and long_busy_list only', () => {
  const m = new Machine({ memory: '512M', cpus: 1 });
  const r = testVmalloc(m, { now: fakeClock(1), test_loop_count: 2 });
  assert.deepEqual(
    r.lines.slice(0, 3).map((l) => SUMMARY.exec(l)![1]),
    ['fix_size_alloc_test', 'full_fit_alloc_test', 'long_busy_list_alloc_test'],
  );
  assert.equal(r.lines.length, 4);
  const d = r.workers[0]!.data;
  assert.equal(d[3]!.test_passed + d[3]!.test_failed, 0, 'random_size_alloc_test did not run');
});

test('shuffle: swap-based with j from [0, i), seeded; sequential_test_order keeps id order', () => {
  const orders: number[][] = [];
  for (const seed of [1, 2, 3, 12345, 2463534242]) {
    const m = new Machine({ memory: '64M', cpus: 1 });
    const r = testVmalloc(m, { now: fakeClock(1), run_test_mask: 0, seed });
    const order = [...r.workers[0]!.order];
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    // Sattolo's shuffle makes one cycle: no case stays where it was.
    assert.ok(
      order.every((v, i) => v !== i),
      `seed ${seed}: ${order.join(',')}`,
    );
    orders.push(order);
  }
  assert.equal(new Set(orders.map((o) => o.join(','))).size, orders.length);
  const again = testVmalloc(new Machine({ memory: '64M', cpus: 1 }), {
    now: fakeClock(1),
    run_test_mask: 0,
    seed: 12345,
  });
  assert.deepEqual(again.workers[0]!.order, orders[3], 'the same seed, the same order');
  const seq = testVmalloc(new Machine({ memory: '64M', cpus: 1 }), {
    now: fakeClock(1),
    run_test_mask: 0,
    sequential_test_order: true,
  });
  assert.deepEqual(seq.workers[0]!.order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(seq.lines, ['All test took worker0=1000 cycles']);
});

test('vm_map_ram_test fails with its reason when the kernel API has no vm_map_ram', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const k = m.kernel;
  const saved = Object.getOwnPropertyDescriptor(k, 'vm_map_ram');
  Object.defineProperty(k, 'vm_map_ram', { value: undefined, configurable: true });
  try {
    const r = testVmalloc(m, { now: fakeClock(1), test_loop_count: 3, run_test_mask: 1024 });
    assert.match(r.lines[0]!, /^Summary: vm_map_ram_test passed: 0 failed: 1 xfailed: 0 /);
    assert.ok(
      m
        .dmesg()
        .includes(
          'vm_map_ram_test: the kernel API has no vm_map_ram/vm_unmap_ram yet; test failed',
        ),
    );
  } finally {
    if (saved !== undefined) Object.defineProperty(k, 'vm_map_ram', saved);
  }
});

test('workers run on CPU i % online', () => {
  const m = new Machine({ memory: '256M', cpus: 2 });
  const r = testVmalloc(m, { now: fakeClock(1), nr_threads: 5, run_test_mask: 0 });
  assert.deepEqual(
    r.workers.map((w) => w.cpu),
    [0, 1, 0, 1, 0],
  );
  assert.equal(r.lines.length, 5);
});

test('a failing run counts as failed, and the next repetition can pass', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  m.failNth('vmap_area', 1); // the first vmalloc of the first run fails
  const r = testVmalloc(m, {
    now: fakeClock(1),
    test_loop_count: 4,
    test_repeat_count: 2,
    run_test_mask: 1,
  });
  assert.match(r.lines[0]!, /^Summary: fix_size_alloc_test passed: 1 failed: 1 xfailed: 0 /);
});

test('the one-byte writes go through the MMU: one TLB fill per fresh area', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const before = m.tlbs.stats;
  const r = testVmalloc(m, { now: fakeClock(1), test_loop_count: 50, run_test_mask: 1 });
  assert.match(r.lines[0]!, /passed: 1 failed: 0/);
  const after = m.tlbs.stats;
  assert.ok(after.misses - before.misses >= 50, 'every loop wrote a never-seen page');
});
