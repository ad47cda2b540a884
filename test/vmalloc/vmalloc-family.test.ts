// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vmalloc family through the kernel API: every wrapper (vmalloc, vzalloc, vmalloc_user,
 * vmalloc_node, vzalloc_node, vmalloc_exec, vmalloc_32, vmalloc_32_user, __vmalloc,
 * __vmalloc_node, __vmalloc_node_range) returns a page-aligned address in
 * [VMALLOC_START, VMALLOC_END) whose vm_struct counts the guard page; zeroing of the
 * zeroing wrappers over dirty pages; VM_USERMAP; ZONE_DMA32 pages for vmalloc_32; NUMA
 * placement; the guard page; and every failure of KERNEL-SPEC §3.6/§3.16 with its log line
 * (size 0, size above RAM, a bad alignment, a range too small, a page allocation failing
 * half-way, in interrupt context).
 *
 * Kernel: mm/vmalloc.c __vmalloc_node_range, __get_vm_area_node, __vmalloc_area_node,
 * vm_area_alloc_pages, alloc_vmap_area, and the wrappers; include/linux/vmalloc.h.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kaddr, KernelBug } from '../../src/index.js';
import {
  assertFault,
  boot,
  CUT,
  GiB,
  logged,
  PAGE,
  pagesAt,
  unpurged,
  unpurgedLine,
  VMALLOC_WARNING,
  vmallocinfo,
  vmallocUsedKb,
  vmOf,
  warns,
} from '../helpers/vmalloc.js';

// ── Every wrapper ───────────────────────────────────────────────────────────

test('every wrapper returns a page-aligned vmalloc address whose vm_struct counts pages + guard', () => {
  const { m, k } = boot();
  const size = 3 * PAGE + 100; // rounds up to 4 pages
  const cases: [string, () => number, number][] = [
    ['vmalloc', () => k.vmalloc(size), k.VM_ALLOC],
    ['vzalloc', () => k.vzalloc(size), k.VM_ALLOC],
    ['vmalloc_user', () => k.vmalloc_user(size), k.VM_ALLOC | k.VM_USERMAP],
    ['vmalloc_node', () => k.vmalloc_node(size, 0), k.VM_ALLOC],
    ['vzalloc_node', () => k.vzalloc_node(size, 0), k.VM_ALLOC],
    ['vmalloc_exec', () => k.vmalloc_exec(size), k.VM_ALLOC],
    ['vmalloc_32', () => k.vmalloc_32(size), k.VM_ALLOC],
    ['vmalloc_32_user', () => k.vmalloc_32_user(size), k.VM_ALLOC | k.VM_USERMAP],
    ['__vmalloc', () => k.__vmalloc(size, k.GFP_KERNEL), k.VM_ALLOC],
    [
      '__vmalloc_node',
      () => k.__vmalloc_node(size, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'family'),
      k.VM_ALLOC,
    ],
    [
      '__vmalloc_node_range',
      () =>
        k.__vmalloc_node_range(
          size,
          1,
          k.VMALLOC_START,
          k.VMALLOC_END,
          k.GFP_KERNEL,
          k.PAGE_KERNEL,
          0,
          k.NUMA_NO_NODE,
          'family',
        ),
      k.VM_ALLOC,
    ],
  ];
  const areas: [number, number][] = [];
  for (const [name, alloc, flags] of cases) {
    const p = alloc();
    assert.notEqual(p, 0, `${name} failed`);
    assert.equal(p % PAGE, 0, `${name}: page-aligned`);
    assert.ok(p >= k.VMALLOC_START && p < k.VMALLOC_END, `${name}: ${kaddr(p)} in the range`);
    assert.ok(k.is_vmalloc_addr(p), `${name}: is_vmalloc_addr`);
    const vm = vmOf(k, p);
    assert.equal(vm.addr, p, `${name}: vm->addr`);
    assert.equal(vm.size, 5 * PAGE, `${name}: vm->size is 4 pages + the guard page`);
    assert.equal(vm.nr_pages, 4, `${name}: nr_pages`);
    assert.equal(vm.flags, flags, `${name}: flags (VM_UNINITIALIZED cleared)`);
    assert.ok(vm.pages !== null, `${name}: pages`);
    assert.equal(vm.pages.length, 4, `${name}: one page pointer per page`);
    const mapped = pagesAt(k, p, 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(mapped[i], vm.pages[i], `${name}: page ${i} is mapped at addr + ${i} pages`);
    }
    assert.equal(new Set(mapped.map((pg) => pg.pfn)).size, 4, `${name}: four distinct frames`);
    areas.push([p, p + vm.size]);
  }
  areas.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < areas.length; i++) {
    assert.ok(areas[i]![0] >= areas[i - 1]![1], 'areas (guard pages included) never overlap');
  }
  assert.deepEqual(m.dmesg(), [], 'nothing logged');
});

test('vmalloc(1) takes one page and a guard page: vm->size 8192, nr_pages 1', () => {
  const { k } = boot();
  const p = k.vmalloc(1);
  assert.notEqual(p, 0);
  const vm = vmOf(k, p);
  assert.equal(vm.size, 8192);
  assert.equal(vm.nr_pages, 1);
  assert.equal(vm.pages?.length, 1);
  assert.equal(k.mem_read(p + PAGE - 1, 1).length, 1, 'the whole first page is usable');
  assertFault(() => k.mem_read(p + PAGE, 1), p + PAGE, 'on the guard page');
});

test('the guard page after every area faults, the last byte before it does not', () => {
  const { k } = boot();
  const ps = [
    k.vmalloc(PAGE),
    k.vzalloc(2 * PAGE),
    k.vmalloc_user(3 * PAGE),
    k.vmalloc_32(PAGE),
    k.vmalloc_exec(5 * PAGE),
  ];
  for (const p of ps) {
    const vm = vmOf(k, p);
    const end = p + vm.size - PAGE; // first byte of the guard page
    k.mem_write(end - 1, new Uint8Array([0x42]));
    assert.deepEqual(k.mem_read(end - 1, 1), new Uint8Array([0x42]));
    assertFault(() => k.mem_read(end, 1), end, `read of the guard of ${kaddr(p)}`);
    assertFault(() => k.mem_write(end + PAGE - 1, new Uint8Array(1)), end + PAGE - 1, 'write');
    assert.equal(k.vmalloc_to_page(end), null, 'no page behind the guard');
  }
});

test('an area of __vmalloc_node_range with VM_NO_GUARD has no guard page', () => {
  const { k } = boot();
  const p = k.__vmalloc_node_range(
    PAGE,
    1,
    k.VMALLOC_START,
    k.VMALLOC_END,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    k.VM_NO_GUARD,
    k.NUMA_NO_NODE,
    'noguard',
  );
  assert.notEqual(p, 0);
  const vm = vmOf(k, p);
  assert.equal(vm.size, PAGE, 'size without a guard page');
  assert.equal(vm.flags, k.VM_ALLOC | k.VM_NO_GUARD);
  const q = k.vmalloc(PAGE);
  assert.equal(q, p + PAGE, 'the next area starts right after it (lowest fit)');
});

test('vmalloc_exec maps its pages executable, vmalloc maps them non-executable', () => {
  const { m, k } = boot();
  const x = k.vmalloc_exec(2 * PAGE);
  const d = k.vmalloc(2 * PAGE);
  for (let i = 0; i < 2; i++) {
    assert.ok(m.kernelPageTable.translate(x + i * PAGE) >= 0);
    assert.equal(m.kernelPageTable.lastFlags & k._PAGE_NX, 0, 'vmalloc_exec: no NX');
    assert.ok(m.kernelPageTable.translate(d + i * PAGE) >= 0);
    assert.notEqual(m.kernelPageTable.lastFlags & k._PAGE_NX, 0, 'vmalloc: NX');
  }
});

test('__vmalloc_node honours a power-of-two alignment and records the caller', () => {
  const { k } = boot();
  assert.equal(k.vmalloc(PAGE), k.VMALLOC_START, 'the first area is at VMALLOC_START');
  const p = k.__vmalloc_node(PAGE, 64 * 1024, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'al');
  assert.equal(p % (64 * 1024), 0);
  assert.equal(p, k.VMALLOC_START + 64 * 1024, 'lowest aligned address that fits');
  assert.equal(vmOf(k, p).caller, 'al');
});

// ── Zeroing ─────────────────────────────────────────────────────────────────

test('vzalloc, vmalloc_user, vmalloc_32_user and __GFP_ZERO read zero even over pages freed dirty', () => {
  const { k } = boot();
  const n = 16;
  const zeroing: [string, (size: number) => number][] = [
    ['vzalloc', (s) => k.vzalloc(s)],
    ['vzalloc_node', (s) => k.vzalloc_node(s, 0)],
    ['vmalloc_user', (s) => k.vmalloc_user(s)],
    ['vmalloc_32_user', (s) => k.vmalloc_32_user(s)],
    ['__vmalloc(__GFP_ZERO)', (s) => k.__vmalloc(s, k.GFP_KERNEL | k.__GFP_ZERO)],
  ];
  const dirtyFrames = (): Set<number> => {
    const d = k.vmalloc(n * PAGE);
    k.memset(d, 0xa5, n * PAGE);
    const frames = new Set(pagesAt(k, d, n).map((pg) => pg.pfn));
    k.vfree(d);
    k.vm_unmap_aliases();
    return frames;
  };
  // Control: plain vmalloc does not zero, so the dirty bytes really come back.
  {
    const frames = dirtyFrames();
    const p = k.vmalloc(n * PAGE);
    const back = pagesAt(k, p, n).filter((pg) => frames.has(pg.pfn)).length;
    assert.ok(back > 0, 'the page allocator hands the dirty frames out again');
    assert.ok(k.mem_read(p, n * PAGE).includes(0xa5), 'vmalloc memory is not zeroed');
    k.vfree(p);
    k.vm_unmap_aliases();
  }
  for (const [name, alloc] of zeroing) {
    const frames = dirtyFrames();
    const p = alloc(n * PAGE);
    assert.notEqual(p, 0, name);
    const back = pagesAt(k, p, n).filter((pg) => frames.has(pg.pfn)).length;
    assert.ok(back > 0, `${name}: got some of the dirty frames back (${back})`);
    assert.deepEqual(k.mem_read(p, n * PAGE), new Uint8Array(n * PAGE), `${name} is zeroed`);
    k.vfree(p);
    k.vm_unmap_aliases();
  }
});

test('vmalloc_user and vmalloc_32_user set VM_USERMAP, vmalloc does not', () => {
  const { k } = boot();
  assert.notEqual(vmOf(k, k.vmalloc_user(PAGE)).flags & k.VM_USERMAP, 0);
  assert.notEqual(vmOf(k, k.vmalloc_32_user(PAGE)).flags & k.VM_USERMAP, 0);
  assert.equal(vmOf(k, k.vmalloc(PAGE)).flags & k.VM_USERMAP, 0);
  assert.equal(vmOf(k, k.vmalloc_32(PAGE)).flags & k.VM_USERMAP, 0);
});

// ── Zones and nodes ─────────────────────────────────────────────────────────

test('vmalloc_32 and vmalloc_32_user take pages below 4 GiB on an 8G machine, vmalloc above', () => {
  const { k } = boot({ memory: '8G' });
  const n = 8;
  const high = pagesAt(k, k.vmalloc(n * PAGE), n);
  for (const pg of high) assert.ok(k.page_to_phys(pg) >= 2 ** 32, 'vmalloc prefers ZONE_NORMAL');
  for (const [name, p] of [
    ['vmalloc_32', k.vmalloc_32(n * PAGE)],
    ['vmalloc_32_user', k.vmalloc_32_user(n * PAGE)],
  ] as const) {
    assert.notEqual(p, 0, name);
    for (const pg of pagesAt(k, p, n)) {
      assert.ok(k.page_to_phys(pg) < 2 ** 32, `${name}: page at ${k.page_to_phys(pg)} < 4 GiB`);
    }
  }
});

test('vmalloc_node and vzalloc_node take their pages on the node asked for', () => {
  const { k } = boot({ memory: '256M', nodes: 2 });
  const n = 8;
  for (const node of [1, 0]) {
    for (const [name, p] of [
      ['vmalloc_node', k.vmalloc_node(n * PAGE, node)],
      ['vzalloc_node', k.vzalloc_node(n * PAGE, node)],
    ] as const) {
      assert.notEqual(p, 0, name);
      for (const pg of pagesAt(k, p, n)) assert.equal(k.page_to_nid(pg), node, `${name}(${node})`);
    }
  }
});

// ── Failures ────────────────────────────────────────────────────────────────

test('vmalloc(0) returns NULL after a WARN_ON_ONCE, and warns only once', () => {
  const { m, k } = boot();
  assert.equal(k.vmalloc(0), 0);
  assert.equal(m.dmesg()[0], CUT);
  const w = warns(m);
  assert.equal(w.length, 1);
  assert.equal(w[0]!.message, null, 'WARN_ON_ONCE prints no message line');
  assert.match(w[0]!.where, VMALLOC_WARNING());
  assert.equal(k.vzalloc(0), 0);
  assert.equal(k.__vmalloc(0, k.GFP_KERNEL), 0);
  assert.equal(warns(m).length, 1, 'WARN_ON_ONCE fires once per boot');
  assert.deepEqual(vmallocinfo(m), [], 'no area');
});

test('a size above total RAM returns NULL with "vmalloc error: size N, exceeds total pages"', () => {
  const { m, k } = boot();
  const size = (k.totalram_pages() + 1) * PAGE;
  const free = k.nr_free_pages();
  assert.equal(k.vmalloc(size), 0);
  assert.ok(logged(m, `vmalloc error: size ${size}, exceeds total pages`), m.dmesg().join('\n'));
  assert.equal(k.vzalloc(size), 0);
  assert.deepEqual(vmallocinfo(m), [], 'no area was reserved');
  assert.equal(k.nr_free_pages(), free, 'no page taken');
  // The success side: a size the machine can back.
  assert.notEqual(k.vmalloc(16 * PAGE), 0);
});

test('a non-power-of-two align returns NULL with "vm_struct allocation failed" and no range warning', () => {
  const { m, k } = boot();
  const p = k.__vmalloc_node(PAGE, 3 * PAGE, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'al3');
  assert.equal(p, 0);
  assert.ok(
    logged(m, 'vmalloc error: size 4096, vm_struct allocation failed'),
    m.dmesg().join('\n'),
  );
  assert.ok(!logged(m, 'Address range restricted'), '-EINVAL comes before any search');
  assert.deepEqual(vmallocinfo(m), []);
  assert.deepEqual(m.tlbFlushes(), [], 'nothing to purge, nothing flushed');
});

test('a range too small returns NULL with "vmalloc_node_range for size … failed" (guard included)', () => {
  const { m, k } = boot();
  const start = k.VMALLOC_START + GiB;
  const end = start + PAGE;
  const p = k.__vmalloc_node_range(
    3 * PAGE,
    1,
    start,
    end,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'small_range',
  );
  assert.equal(p, 0);
  const lines = m.dmesg();
  const range = lines.findIndex((l) =>
    l.includes(
      `vmalloc_node_range for size 16384 failed: Address range restricted to ${kaddr(start)} - ${kaddr(end)}`,
    ),
  );
  const err = lines.findIndex((l) =>
    l.includes('vmalloc error: size 12288, vm_struct allocation failed'),
  );
  assert.ok(range >= 0, `range line missing:\n${lines.join('\n')}`);
  assert.ok(err > range, 'then the vmalloc error line');
  assert.deepEqual(vmallocinfo(m), []);
});

test('__GFP_NOWARN silences the failure lines of a range too small', () => {
  const { m, k } = boot();
  const start = k.VMALLOC_START + GiB;
  const p = k.__vmalloc_node_range(
    3 * PAGE,
    1,
    start,
    start + PAGE,
    k.GFP_KERNEL | k.__GFP_NOWARN,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'quiet',
  );
  assert.equal(p, 0);
  assert.deepEqual(m.dmesg(), []);
});

test('a range exactly the size of the area plus guard fits, at its start', () => {
  const { m, k } = boot();
  const start = k.VMALLOC_START + GiB;
  const p = k.__vmalloc_node_range(
    3 * PAGE,
    1,
    start,
    start + 4 * PAGE,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    0,
    k.NUMA_NO_NODE,
    'exact_range',
  );
  assert.equal(p, start);
  assert.equal(vmOf(k, p).size, 4 * PAGE);
  assert.deepEqual(m.dmesg(), []);
});

test('a page allocation failing half-way returns NULL, gives every page back and maps nothing', () => {
  const { m, k } = boot();
  // Warm up: kmalloc caches and page tables for this range exist before the measurement.
  const warm = k.vmalloc(8 * PAGE);
  assert.equal(warm, k.VMALLOC_START);
  k.vfree(warm);
  k.vm_unmap_aliases();
  const free = k.nr_free_pages();
  const flushes = m.tlbFlushes().length;

  m.failNth('page', 3, 64); // the third page attempt and every one after it fail
  const p = k.vmalloc(8 * PAGE);
  m.faults.clear();
  assert.equal(p, 0);
  assert.ok(
    m.dmesg().some((l) => /vmalloc error: size \d+, failed to allocate pages/.test(l)),
    m.dmesg().join('\n'),
  );
  for (let i = 0; i < 9; i++) {
    assert.equal(k.vmalloc_to_page(k.VMALLOC_START + i * PAGE), null, `no PTE left at page ${i}`);
  }
  assert.equal(k.find_vm_area(k.VMALLOC_START), null, 'the area is gone');
  assert.deepEqual(vmallocinfo(m), [unpurgedLine(k.VMALLOC_START, 9 * PAGE)], 'freed lazily');
  assert.equal(vmallocUsedKb(m), 0);
  k.vm_unmap_aliases();
  assert.deepEqual(vmallocinfo(m), [], 'nothing after the purge');
  assert.deepEqual(unpurged(m), []);
  assert.equal(k.nr_free_pages(), free, 'every page given back');
  assert.equal(m.tlbFlushes().length, flushes + 1, 'the purge flushed once');
  // And the allocation succeeds once the pages are there again.
  assert.equal(k.vmalloc(8 * PAGE), k.VMALLOC_START);
});

test('vmalloc in interrupt context is a BUG', () => {
  const { m, k } = boot();
  assert.throws(() => m.inInterrupt(() => k.vmalloc(PAGE)), KernelBug);
});
