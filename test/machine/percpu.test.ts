// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dynamic per-CPU memory (src/machine/percpu.ts, kernel API in src/linux/percpu.ts):
 * __alloc_percpu gives a zeroed, aligned copy per possible CPU, reached with per_cpu_ptr
 * and released by free_percpu; the kernel's argument checks (size rounded up to 4 bytes,
 * align raised to 4, then size 0 or above 32 KiB, align above PAGE_SIZE or not a power of
 * two → WARN "illegal size (%zu) or align (%zu) for percpu allocation" and NULL), the
 * "percpu: allocation failed" warning with its limit of 10, __GFP_NOWARN, and the kmem-only
 * checks of the simplified model (per_cpu_ptr of a dead pointer, double free_percpu).
 *
 * Kernel: mm/percpu.c pcpu_alloc, free_percpu; include/linux/percpu.h.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, PAGE_SIZE } from '../../src/index.js';
import { Percpu } from '../../src/machine/percpu.js';

function machine(): Machine {
  return new Machine({ memory: '64M', cpus: 2, possibleCpus: 4 });
}

function warnings(m: Machine): string[] {
  return m.dmesg().filter((l) => l.includes('percpu'));
}

test('__alloc_percpu: one zeroed, aligned, separate copy per possible CPU', () => {
  const m = machine();
  const k = m.kernel;
  for (const [size, align] of [
    [1, 2],
    [24, 8],
    [100, 64],
    [1000, 2048],
    [4096, 4096],
    [PAGE_SIZE / 4, 1 << 11],
  ] as const) {
    const p = k.__alloc_percpu(size, align);
    assert.notEqual(p, 0, `size ${size} align ${align}`);
    assert.equal(k.per_cpu_ptr(p, 0), p, 'the pointer is CPU 0 copy');
    const copies: number[] = [];
    for (let cpu = 0; cpu < k.num_possible_cpus(); cpu++) {
      const c = k.per_cpu_ptr(p, cpu);
      assert.equal(c % Math.max(align, 4), 0, `CPU ${cpu} copy aligned to ${align}`);
      assert.ok(
        k.mem_read(c, size).every((b) => b === 0),
        'zeroed',
      );
      copies.push(c);
    }
    for (let i = 1; i < copies.length; i++) assert.ok(copies[i]! - copies[i - 1]! >= size);
    // Writing one CPU's copy leaves the others alone.
    k.memset(k.per_cpu_ptr(p, 1), 0xaa, size);
    assert.ok(k.mem_read(k.per_cpu_ptr(p, 0), size).every((b) => b === 0));
    assert.ok(k.mem_read(k.per_cpu_ptr(p, 2), size).every((b) => b === 0));
    k.free_percpu(p);
  }
  assert.equal(Percpu.of(m).nrAllocs, 0);
  assert.equal(Percpu.of(m).bytesInUse, 0);
  assert.equal(m.log.count('warn'), 0);
});

test('align below 4 is raised to 4 and sizes are rounded up to 4 bytes', () => {
  const m = machine();
  const k = m.kernel;
  const a = k.__alloc_percpu(1, 0);
  const b = k.__alloc_percpu(3, 1);
  assert.notEqual(a, 0);
  assert.notEqual(b, 0);
  assert.equal(k.per_cpu_ptr(a, 1) - a, 4, 'stride of a 1-byte object is 4');
  assert.equal(m.log.count('warn'), 0);
});

test('illegal size or align: the kernel WARN and NULL', () => {
  const m = machine();
  const k = m.kernel;
  assert.equal(k.__alloc_percpu(8, 8192), 0);
  assert.equal(k.__alloc_percpu(8, 48), 0);
  assert.equal(k.__alloc_percpu(0, 8), 0);
  assert.equal(k.__alloc_percpu(32 * 1024 + 1, 8), 0);
  assert.deepEqual(
    m.dmesg().filter((l) => l.startsWith('illegal')),
    [
      'illegal size (8) or align (8192) for percpu allocation',
      'illegal size (8) or align (48) for percpu allocation',
      'illegal size (0) or align (8) for percpu allocation',
      'illegal size (32772) or align (8) for percpu allocation',
    ],
  );
  assert.equal(m.log.count('warn'), 4);
  assert.ok(m.dmesg().some((l) => /^WARNING: CPU: 0 PID: 0 at mm\/percpu\.c pcpu_alloc$/.test(l)));
  // The largest legal object and alignment are fine.
  assert.notEqual(k.__alloc_percpu(32 * 1024, PAGE_SIZE), 0);
  assert.equal(m.log.count('warn'), 4);
});

test('__GFP_NOWARN silences the illegal-argument WARN', () => {
  const m = machine();
  const k = m.kernel;
  assert.equal(k.__alloc_percpu_gfp(8, 3 * 1024, k.GFP_KERNEL | k.__GFP_NOWARN), 0);
  assert.equal(m.log.count('warn'), 0);
});

test('allocation failure: NULL and "percpu: allocation failed", at most 10 times', () => {
  const m = machine();
  const k = m.kernel;
  m.failNth('kmalloc', 1, 12);
  for (let i = 0; i < 12; i++) assert.equal(k.__alloc_percpu(8, 8), 0);
  const lines = warnings(m);
  assert.equal(lines.filter((l) => l.startsWith('percpu: allocation failed')).length, 10);
  assert.equal(
    lines[0],
    'percpu: allocation failed, size=8 align=8 atomic=0, failed to allocate new chunk',
  );
  assert.equal(lines[10], 'percpu: limit reached, disable warning');
  assert.equal(lines.length, 11);
  assert.notEqual(k.__alloc_percpu(8, 8), 0, 'works again once memory is there');
});

test('per_cpu_ptr of a pointer that is not live, or of an impossible CPU, is 0', () => {
  const m = machine();
  const k = m.kernel;
  const p = k.__alloc_percpu(16, 16);
  assert.equal(k.per_cpu_ptr(p, 4), 0, 'CPU 4 is not possible (4 possible CPUs)');
  assert.equal(k.per_cpu_ptr(p, -1), 0);
  assert.equal(k.per_cpu_ptr(p + 4, 0), 0, 'interior pointers are not modelled');
  k.free_percpu(p);
  assert.equal(k.per_cpu_ptr(p, 0), 0);
});

test('free_percpu: NULL is ignored, a double free gets a WARN and changes nothing', () => {
  const m = machine();
  const k = m.kernel;
  k.free_percpu(0);
  assert.equal(m.log.count('warn'), 0);
  const p = k.__alloc_percpu(16, 16);
  const q = k.__alloc_percpu(16, 16);
  k.free_percpu(p);
  k.free_percpu(p);
  assert.equal(m.log.count('warn'), 1);
  assert.ok(m.dmesg().some((l) => l.includes('not a live percpu allocation')));
  assert.equal(Percpu.of(m).nrAllocs, 1);
  k.free_percpu(q);
  assert.equal(Percpu.of(m).nrAllocs, 0);
});

test('pcpu_alloc_test shape: 35,000 random objects allocate and free without a warning', () => {
  const m = new Machine({ memory: '1G', cpus: 2 });
  const k = m.kernel;
  let x = 2463534242;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
  const free0 = k.nr_free_pages();
  const slab0 = m.kmalloc.slabPages;
  const ptrs: number[] = [];
  for (let i = 0; i < 35000; i++) {
    const size = 1 + (rnd() % (PAGE_SIZE / 4));
    const align = 1 << (1 + (rnd() % 11));
    const p = k.__alloc_percpu(size, align);
    assert.equal(p % align, 0);
    ptrs.push(p);
  }
  assert.ok(ptrs.every((p) => p !== 0));
  for (const p of ptrs) k.free_percpu(p);
  assert.equal(m.log.count('warn'), 0);
  assert.equal(Percpu.of(m).bytesInUse, 0);
  assert.equal(
    free0 - k.nr_free_pages(),
    m.kmalloc.slabPages - slab0,
    'every page is back but the one slab each cache keeps',
  );
});
