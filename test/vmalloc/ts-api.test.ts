// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TypeScript face of vmalloc (`Vmalloc.of(m)`: alloc, free, purge, info, usedPages,
 * lazyPages) and vunmap's ownership rule (the pages of a VM_MAP_PUT_PAGES mapping are
 * released by vfree only).
 *
 * Kernel: mm/vmalloc.c __vmalloc_node_range, vfree, vunmap, vm_unmap_aliases.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, PAGE_SIZE, PageFault, Vmalloc, VM_USERMAP } from '../../src/index.js';
import { VMALLOC_START } from '../../src/machine/layout.js';

test('alloc maps zeroed pages with the options given and free returns them lazily', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const v = Vmalloc.of(m);
  const a = v.alloc(3 * PAGE_SIZE, {
    zero: true,
    align: 16 * PAGE_SIZE,
    flags: VM_USERMAP,
    caller: 'ts_user',
  });
  assert.ok(a >= VMALLOC_START && a % (16 * PAGE_SIZE) === 0);
  assert.equal(v.usedPages, 3);
  assert.deepEqual([...m.kernel.mem_read(a, 4)], [0, 0, 0, 0]);
  assert.match(v.info(), /ts_user pages=3 vmalloc user N0=3\n$/);
  v.free(a);
  assert.equal(v.usedPages, 0);
  assert.equal(v.lazyPages, 4, 'three pages and the guard stay lazy');
  assert.match(v.info(), /unpurged vm_area/);
  assert.equal(v.purge(), true);
  assert.equal(v.lazyPages, 0);
  assert.equal(v.purge(), false, 'nothing left to purge');
  assert.throws(() => m.kernel.mem_read(a, 1), PageFault);
});

test('alloc fails with 0 and a log line: size 0, a window too small, an alignment that is no power of two', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const v = Vmalloc.of(m);
  assert.equal(v.alloc(0), 0);
  assert.equal(v.alloc(PAGE_SIZE, { start: VMALLOC_START, end: VMALLOC_START + PAGE_SIZE }), 0);
  assert.ok(m.dmesg().some((l) => l.includes('Address range restricted to')));
  assert.equal(v.alloc(PAGE_SIZE, { align: 3 * PAGE_SIZE }), 0);
  assert.ok(m.dmesg().some((l) => l.includes('vm_struct allocation failed')));
  assert.equal(v.usedPages, 0);
  v.free(0); // NULL: nothing
});

test('vunmap of a VM_MAP_PUT_PAGES mapping keeps the pages; vfree of one drops them', () => {
  const m = new Machine({ memory: '256M', cpus: 1 });
  const k = m.kernel;
  const pages = [k.alloc_page(k.GFP_KERNEL)!, k.alloc_page(k.GFP_KERNEL)!];
  const a = k.vmap(pages, 2, k.VM_MAP | k.VM_MAP_PUT_PAGES, k.PAGE_KERNEL);
  k.vunmap(a);
  assert.equal(pages[0]!._refcount, 1, 'vunmap frees only the vm_struct');
  const b = k.vmap(pages, 2, k.VM_MAP | k.VM_MAP_PUT_PAGES, k.PAGE_KERNEL);
  k.vfree(b);
  assert.equal(pages[0]!._refcount, 0, 'vfree drops the references it was given');
});
