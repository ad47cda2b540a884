// SPDX-License-Identifier: GPL-2.0-only
/*
 * The end-to-end test of issue 5 (KERNEL-SPEC §3.4, §3.7, §3.8, §3.10): the pages of one
 * vmalloc_user area are reachable four ways — the vmalloc mapping, a user mapping made by
 * remap_vmalloc_range, a vmap alias and a vm_map_ram alias — and a write through any one is
 * seen through all the others. Unmapping the two aliases (vunmap, vm_unmap_ram) clears their
 * PTEs without a TLB flush, so a CPU that cached them keeps reaching the pages through the
 * stale entries; vm_unmap_aliases() flushes both in one go, after which they fault while the
 * vmalloc mapping and the user mapping keep working.
 *
 * Kernel: mm/vmalloc.c vmalloc_user, remap_vmalloc_range, vmap, vunmap, vm_map_ram,
 * vm_unmap_ram, vb_free, vm_unmap_aliases, vmalloc_to_page; mm/memory.c vm_insert_page.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Kernel, type Machine, type Mm, type VmAreaStruct } from '../../src/index.js';
import { checkVaSpace } from '../../src/vmalloc/check.js';
import { Vmalloc } from '../../src/vmalloc/vmalloc.js';
import {
  assertFault,
  boot,
  head,
  PAGE,
  pagesAt,
  pattern,
  unpurged,
  unpurgedLine,
  vmallocinfo,
  warns,
} from '../helpers/vmalloc.js';

const N = 4;
const BLOCK = 1024 * PAGE;

/** One way to reach the shared pages: read and write `len` bytes at offset `off`. */
interface View {
  readonly name: string;
  read(off: number, len: number): Uint8Array;
  write(off: number, bytes: Uint8Array): void;
}

interface Setup {
  m: Machine;
  k: Kernel;
  mm: Mm;
  vma: VmAreaStruct;
  /** The vmalloc_user area, its vmap alias and its vm_map_ram alias. */
  p: number;
  q: number;
  r: number;
  views: View[];
}

/** Build the four mappings of N pages on a 3-CPU machine, all from CPU 0. */
function setup(): Setup {
  const { m, k } = boot({ cpus: 3 });
  const p = k.vmalloc_user(N * PAGE);
  assert.notEqual(p, 0, 'vmalloc_user');
  const mm = m.createMm();
  const vma = mm.mmap(N * PAGE);
  assert.ok(vma !== null, 'mmap');
  assert.equal(k.remap_vmalloc_range(vma, p, 0), 0, 'remap_vmalloc_range');
  const pages = pagesAt(k, p, N);
  const q = k.vmap(pages, N, k.VM_MAP, k.PAGE_KERNEL);
  assert.notEqual(q, 0, 'vmap');
  const r = k.vm_map_ram(pages, N, k.NUMA_NO_NODE);
  assert.notEqual(r, 0, 'vm_map_ram');
  const kernelView = (name: string, base: number): View => ({
    name,
    read: (off, len) => k.mem_read(base + off, len),
    write: (off, bytes) => k.mem_write(base + off, bytes),
  });
  const views: View[] = [
    kernelView('vmalloc', p),
    {
      name: 'user',
      read: (off, len) => mm.read(vma.vm_start + off, len),
      write: (off, bytes) => mm.write(vma.vm_start + off, bytes),
    },
    kernelView('vmap', q),
    kernelView('vm_map_ram', r),
  ];
  return { m, k, mm, vma, p, q, r, views };
}

test('the four mappings are of the same frames, page by page', () => {
  const { m, k, mm, vma, p, q, r } = setup();
  const S = k.VMALLOC_START;
  assert.equal(p, S, 'vmalloc_user at the bottom (SHMLBA = PAGE_SIZE on x86)');
  assert.equal(q, S + (N + 1) * PAGE, 'the vmap alias after it and its guard page');
  assert.equal(r, S + BLOCK, 'the vm_map_ram alias in the first 4 MiB-aligned block');
  for (let i = 0; i < N; i++) {
    const pfn = k.vmalloc_to_pfn(p + i * PAGE);
    assert.equal(k.vmalloc_to_pfn(q + i * PAGE), pfn, `vmap page ${i}`);
    assert.equal(k.vmalloc_to_pfn(r + i * PAGE), pfn, `vm_map_ram page ${i}`);
    assert.equal(mm.pgd.translate(vma.vm_start + i * PAGE), pfn, `user page ${i}`);
  }
  assert.deepEqual(vmallocinfo(m), [
    `${head(p, (N + 1) * PAGE)} vmalloc_user pages=${N} vmalloc user N0=${N}`,
    `${head(q, (N + 1) * PAGE)} vmap vmap`,
    `${head(S + BLOCK, BLOCK)} vm_map_ram`,
  ]);
});

test('a write through any one of the four mappings is seen through all the others', () => {
  const { views } = setup();
  const size = N * PAGE;
  assert.deepEqual(views[0]!.read(0, size), new Uint8Array(size), 'vmalloc_user memory is zeroed');
  for (let w = 0; w < views.length; w++) {
    const data = pattern(size, 11 + w);
    views[w]!.write(0, data);
    for (const v of views) {
      assert.deepEqual(
        v.read(0, size),
        data,
        `written through ${views[w]!.name}, read through ${v.name}`,
      );
    }
  }
  // Small writes at page boundaries, each through a different view.
  for (let i = 0; i < 16; i++) {
    const w = views[i % 4]!;
    const off = ((i * 5) % N) * PAGE + (i % 2 === 0 ? 0 : PAGE - 3);
    const bytes = Uint8Array.of(i, i + 1, i + 2);
    w.write(off, bytes);
    for (const v of views)
      assert.deepEqual(v.read(off, 3), bytes, `${w.name} → ${v.name} at ${off}`);
  }
});

test('stale aliases stay reachable on the CPU that cached them until vm_unmap_aliases', () => {
  const { m, k, p, q, r, views } = setup();
  const size = N * PAGE;
  const first = pattern(size, 21);
  views[0]!.write(0, first);
  // CPU 1 reads both aliases: their translations are now in its TLB.
  m.onCpu(1, () => {
    assert.deepEqual(k.mem_read(q, size), first);
    assert.deepEqual(k.mem_read(r, size), first);
  });

  const flushes = m.tlbFlushes().length;
  k.vm_unmap_ram(r, N); // on CPU 0
  k.vunmap(q);
  assert.equal(m.tlbFlushes().length, flushes, 'neither unmap flushes');
  for (let i = 0; i < N; i++) {
    assert.equal(k.vmalloc_to_page(q + i * PAGE), null, 'vmap alias PTEs cleared');
    assert.equal(k.vmalloc_to_page(r + i * PAGE), null, 'vm_map_ram alias PTEs cleared');
  }
  assert.equal(k.find_vm_area(q), null);
  assert.deepEqual(unpurged(m), [unpurgedLine(q, (N + 1) * PAGE)], 'the vmap area is lazy');

  // A new write through the user mapping reaches CPU 1 through the stale aliases.
  const second = pattern(size, 22);
  views[1]!.write(0, second);
  m.onCpu(1, () => {
    assert.deepEqual(k.mem_read(q, size), second, 'stale vmap alias still reaches the pages');
    assert.deepEqual(k.mem_read(r, size), second, 'stale vm_map_ram alias too');
  });
  assertFault(() => m.onCpu(2, () => k.mem_read(q, 1)), q, 'CPU 2 never cached the vmap alias');
  assertFault(() => m.onCpu(2, () => k.mem_read(r, 1)), r, 'nor the vm_map_ram alias');

  k.vm_unmap_aliases();
  const f = m.tlbFlushes().slice(flushes);
  assert.equal(f.length, 1, 'one flush for the lazy area and the dirty block range');
  assert.equal(f[0]!.start, q, 'from the vmap area');
  assert.equal(f[0]!.end, r + N * PAGE, 'to the end of the dirty pages of the block');
  assert.deepEqual(unpurged(m), []);

  for (const cpu of [0, 1, 2]) {
    assertFault(() => m.onCpu(cpu, () => k.mem_read(q, 1)), q, `vmap alias on CPU ${cpu}`);
    assertFault(
      () => m.onCpu(cpu, () => k.mem_read(r + (N - 1) * PAGE, 1)),
      r + (N - 1) * PAGE,
      `vm_map_ram alias on CPU ${cpu}`,
    );
    assertFault(() => m.onCpu(cpu, () => k.mem_write(q, Uint8Array.of(1))), q, `write, CPU ${cpu}`);
  }
  // The vmalloc mapping and the user mapping still work, both ways, from every CPU.
  const third = pattern(size, 23);
  m.onCpu(1, () => views[0]!.write(0, third));
  assert.deepEqual(views[1]!.read(0, size), third, 'user sees the vmalloc write');
  views[1]!.write(size - 4, Uint8Array.of(9, 8, 7, 6));
  for (const cpu of [0, 1, 2]) {
    assert.deepEqual(
      m.onCpu(cpu, () => k.mem_read(p + size - 4, 4)),
      Uint8Array.of(9, 8, 7, 6),
      `vmalloc mapping on CPU ${cpu} sees the user write`,
    );
  }
  checkVaSpace(Vmalloc.of(m).space);
  assert.deepEqual(warns(m), []);
});

test('after the aliases are gone the area is freed normally and the user mapping keeps the pages', () => {
  const { m, k, mm, vma, p, q, r, views } = setup();
  views[0]!.write(0, pattern(N * PAGE, 31));
  k.vm_unmap_ram(r, N);
  k.vunmap(q);
  k.vm_unmap_aliases();
  const free = k.nr_free_pages();
  k.vfree(p);
  assert.equal(k.nr_free_pages(), free, 'the user mapping still holds a reference on each page');
  assert.deepEqual(mm.read(vma.vm_start, N * PAGE), pattern(N * PAGE, 31), 'user data intact');
  mm.munmap(vma);
  assert.equal(k.nr_free_pages(), free + N, 'the last reference went with the munmap');
  assert.deepEqual(warns(m), []);
});
