// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/vmallocinfo line by line (KERNEL-SPEC §3.13): "0x%pK-0x%pK %7ld" with the guard page
 * in the size and addresses sign-extended, then the caller, " pages=", " phys=", the flag
 * words (" ioremap", " vmalloc", " vmap", " user", " vpages") and the NUMA " N<node>=<pages>"
 * counts; address order with one vmap node; lazily freed areas last. A vmalloc of more than
 * 512 pages allocates its page array with a nested vmalloc (a second area, " vpages" on the
 * first, both counted in VmallocUsed).
 *
 * Kernel: mm/vmalloc.c s_show, show_numa_info, show_purge_info, __vmalloc_area_node (the
 * nested __vmalloc_node of the page array, with the area's caller).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocPages,
  boot,
  head,
  PAGE,
  unpurgedLine,
  vmallocinfo,
  vmallocUsedKb,
  vmOf,
} from '../helpers/vmalloc.js';

/** Escape `s` for a RegExp. */
function re(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('vmalloc(4096) at the start of the range: the exact line of the spec', () => {
  const { m, k } = boot();
  const p = k.__vmalloc_node(
    PAGE,
    1,
    k.GFP_KERNEL,
    k.PAGE_KERNEL,
    k.NUMA_NO_NODE,
    'my_func+0x12/0x40',
  );
  assert.equal(p, k.VMALLOC_START);
  assert.equal(
    m.readFile('/proc/vmallocinfo'),
    '0xffffc90000000000-0xffffc90000002000    8192 my_func+0x12/0x40 pages=1 vmalloc N0=1\n',
  );
});

test('an empty vmalloc space gives an empty file', () => {
  const { m } = boot();
  assert.equal(m.readFile('/proc/vmallocinfo'), '');
});

test('lines come in address order, with the size padded to 7 columns', () => {
  const { m, k } = boot();
  const a = k.__vmalloc_node(10 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'ten');
  const b = k.__vmalloc_node(300 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'big');
  const c = k.__vmalloc_node(PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'one');
  k.vfree(a);
  k.vm_unmap_aliases();
  const d = k.__vmalloc_node(2 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'two');
  assert.equal(d, a, 'reuses the purged range, below b');
  assert.deepEqual(vmallocinfo(m), [
    `${head(d, 3 * PAGE)} two pages=2 vmalloc N0=2`,
    `${head(b, 301 * PAGE)} big pages=300 vmalloc N0=300`,
    `${head(c, 2 * PAGE)} one pages=1 vmalloc N0=1`,
  ]);
  assert.match(vmallocinfo(m)[1]!, /^0xffffc9[0-9a-f]{10}-0xffffc9[0-9a-f]{10} 1232896 big /);
  assert.match(vmallocinfo(m)[0]!, /^0xffffc9[0-9a-f]{10}-0xffffc9[0-9a-f]{10}   12288 two /);
});

test('a vmap area shows " vmap" and no pages; with VM_MAP_PUT_PAGES it shows its pages', () => {
  const { m, k } = boot();
  const q = k.vmap(allocPages(k, 3), 3, k.VM_MAP, k.PAGE_KERNEL);
  const r = k.vmap(allocPages(k, 2), 2, k.VM_MAP | k.VM_MAP_PUT_PAGES, k.PAGE_KERNEL);
  const lines = vmallocinfo(m);
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, new RegExp(`^${re(head(q, 4 * PAGE))}(?: \\S+)? vmap$`));
  assert.match(lines[1]!, new RegExp(`^${re(head(r, 3 * PAGE))}(?: \\S+)? pages=2 vmap N0=2$`));
});

test('vmalloc_user shows " vmalloc user"', () => {
  const { m, k } = boot();
  const u = k.vmalloc_user(PAGE);
  assert.equal(vmOf(k, u).caller.length > 0, true, 'the wrapper records a caller');
  assert.match(
    vmallocinfo(m)[0]!,
    new RegExp(`^${re(head(u, 2 * PAGE))} \\S+ pages=1 vmalloc user N0=1$`),
  );
});

test('an ioremap area shows " phys=0x… ioremap" and no pages', () => {
  const { m, k } = boot();
  const io = k.ioremap(0xfe000000, PAGE);
  assert.notEqual(io, 0);
  const vm = vmOf(k, io);
  assert.equal(vm.phys_addr, 0xfe000000);
  assert.equal(vm.size, 2 * PAGE);
  assert.deepEqual(vmallocinfo(m).length, 1);
  assert.match(
    vmallocinfo(m)[0]!,
    new RegExp(`^${re(head(io, 2 * PAGE))}(?: \\S+)? phys=0x00000000fe000000 ioremap$`),
  );
  k.iounmap(io);
  assert.equal(k.find_vm_area(io), null, 'iounmap removes the area');
});

test('an ioremap area is aligned to its size rounded up to a power of two', () => {
  const { m, k } = boot();
  const p = k.vmalloc(PAGE); // [START, START + 8 KiB)
  const io = k.ioremap(0xfe000000, 3 * PAGE); // align 1 << ceil(log2(12 KiB)) = 16 KiB
  assert.equal(p, k.VMALLOC_START);
  assert.equal(io, k.VMALLOC_START + 16 * 1024);
  assert.match(
    vmallocinfo(m)[1]!,
    new RegExp(`^${re(head(io, 4 * PAGE))}(?: \\S+)? phys=0x00000000fe000000 ioremap$`),
  );
});

test('with several vmap nodes the file is grouped by node (16-page zones), not sorted', () => {
  const { m, k } = boot({ cpus: 2 }); // nr_vmap_nodes = 2
  const alloc = (caller: string): number =>
    k.__vmalloc_node(15 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, caller);
  const a = alloc('zone0'); // [START, START + 16 pages): node 0
  const b = alloc('zone1'); // next 16-page zone: node 1
  const c = alloc('zone2'); // node 0 again
  assert.deepEqual([b - a, c - a], [16 * PAGE, 32 * PAGE]);
  assert.deepEqual(vmallocinfo(m), [
    `${head(a, 16 * PAGE)} zone0 pages=15 vmalloc N0=15`,
    `${head(c, 16 * PAGE)} zone2 pages=15 vmalloc N0=15`,
    `${head(b, 16 * PAGE)} zone1 pages=15 vmalloc N0=15`,
  ]);
});

test('a reserved get_vm_area area shows its flag and no pages', () => {
  const { m, k } = boot();
  const vm = k.get_vm_area(2 * PAGE, k.VM_ALLOC);
  assert.ok(vm !== null);
  assert.match(
    vmallocinfo(m)[0]!,
    new RegExp(`^${re(head(vm.addr, 3 * PAGE))}(?: \\S+)? vmalloc$`),
  );
});

test('a vmalloc above 512 pages vmallocs its page array: a second area and " vpages"', () => {
  const { m, k } = boot();
  const n = 513; // 513 × 8 bytes of page pointers > PAGE_SIZE
  const p = k.__vmalloc_node(n * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'big_one');
  assert.equal(p, k.VMALLOC_START);
  const lines = vmallocinfo(m);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.equal(lines[0], `${head(p, (n + 1) * PAGE)} big_one pages=513 vmalloc vpages N0=513`);
  assert.ok(lines[0]!.startsWith('0xffffc90000000000-0xffffc90000202000 2105344 '));
  const arr = p + (n + 1) * PAGE; // reserved after the outer area
  assert.match(lines[1]!, new RegExp(`^${re(head(arr, 3 * PAGE))} \\S+ pages=2 vmalloc N0=2$`));
  assert.equal(vmallocUsedKb(m), (n + 2) * 4, 'both areas count in VmallocUsed');
  k.vfree(p);
  const lazy = vmallocinfo(m);
  assert.ok(
    lazy.every((l) => l.endsWith(' unpurged vm_area')),
    'vfree frees the page array too',
  );
  const covered = lazy
    .map((l) => /^0x[0-9a-f]+-0x[0-9a-f]+ +(\d+) /.exec(l))
    .reduce((sum, hit) => sum + Number(hit![1]), 0);
  assert.equal(covered, (n + 1) * PAGE + 3 * PAGE, 'both areas are lazy');
  assert.equal(vmallocUsedKb(m), 0);
});

test('adjacent lazily freed areas stay separate "unpurged vm_area" lines (no merge on the lazy tree)', () => {
  const { m, k } = boot();
  const a = k.vmalloc(PAGE);
  const b = k.vmalloc(2 * PAGE);
  assert.equal(b, a + 2 * PAGE);
  k.vfree(a);
  k.vfree(b);
  assert.deepEqual(vmallocinfo(m), [unpurgedLine(a, 2 * PAGE), unpurgedLine(b, 3 * PAGE)]);
});

test('512 pages keep their page array in kmalloc memory: one area, no " vpages"', () => {
  const { m, k } = boot();
  const p = k.__vmalloc_node(512 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'fits');
  assert.deepEqual(vmallocinfo(m), [`${head(p, 513 * PAGE)} fits pages=512 vmalloc N0=512`]);
});

test('NUMA counts: " N<node>=<pages>" for the node holding the pages', () => {
  const { m, k } = boot({ memory: '256M', nodes: 2 });
  const a = k.__vmalloc_node(3 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, 1, 'on_one');
  const b = k.__vmalloc_node(2 * PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, 0, 'on_zero');
  assert.deepEqual(vmallocinfo(m), [
    `${head(a, 4 * PAGE)} on_one pages=3 vmalloc N1=3`,
    `${head(b, 3 * PAGE)} on_zero pages=2 vmalloc N0=2`,
  ]);
});

test('lazily freed areas are listed after every live area', () => {
  const { m, k } = boot();
  const a = k.__vmalloc_node(PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'first');
  const b = k.__vmalloc_node(PAGE, 1, k.GFP_KERNEL, k.PAGE_KERNEL, k.NUMA_NO_NODE, 'second');
  k.vfree(a);
  assert.deepEqual(vmallocinfo(m), [
    `${head(b, 2 * PAGE)} second pages=1 vmalloc N0=1`,
    unpurgedLine(a, 2 * PAGE),
  ]);
});
