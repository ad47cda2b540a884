// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem replay` for /proc/vmallocinfo snapshots: the parser (every malformed line with its
 * number), the rebuild (every area busy at its exact address; free extents are the
 * complement of the areas, guard pages included, W1), and the what-ifs, checked by
 * actually allocating in the rebuilt space (W2).
 *
 * Kernel: mm/vmalloc.c vmalloc_info_show, vmap_init_free_space, alloc_vmap_area.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { replayReportModel } from '../../src/cli/replay/output.js';
import { InputError } from '../../src/cli/replay/trace.js';
import {
  looksLikeVmallocinfo,
  parseVmallocinfo,
  type VmInfoEntry,
} from '../../src/cli/replay/vmallocinfo.js';
import {
  callerFunction,
  probe,
  rebuildVmallocinfo,
  vmallocArea,
} from '../../src/cli/replay/vmap-rebuild.js';
import { VMALLOC_SIZE, VMALLOC_START } from '../../src/machine/layout.js';

const PAGE = 4096;
const EXAMPLE = fileURLToPath(
  new URL('../../../scenarios/traces/vmallocinfo.txt', import.meta.url),
);

/** A line in the kernel's format, from 48-bit numbers. */
function line(start: number, size: number, tail: string): string {
  const k = (a: number): string => `0xffff${a.toString(16).padStart(12, '0')}`;
  return `${k(start)}-${k(start + size)} ${String(size).padStart(7)} ${tail}`;
}

function parseError(text: string): { line: number; message: string } {
  try {
    rebuildVmallocinfo(parseVmallocinfo(text));
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return { line: err.line, message: err.message };
  }
  assert.fail('the snapshot parsed');
}

const V = VMALLOC_START;

test('the example snapshot parses: kinds, callers with modules, pages, phys, nodes, guards', () => {
  const text = readFileSync(EXAMPLE, 'utf8');
  assert.ok(looksLikeVmallocinfo(text));
  const e = parseVmallocinfo(text);
  assert.equal(e.length, text.trim().split('\n').length);
  const first = e[0]!;
  assert.deepEqual(
    [first.start, first.end, first.size, first.kind, first.caller],
    [V, V + 0x5000, 20480, 'vmap', 'irq_init_percpu_irqstack+0x176/0x1c0'],
  );
  const e1000 = e.find((x) => x.caller.startsWith('e1000_probe'))!;
  assert.equal(e1000.caller, 'e1000_probe+0x3a0/0xe10 [e1000e]');
  assert.equal(e1000.kind, 'ioremap');
  assert.equal(e1000.phys, 0xfc000000);
  assert.equal(callerFunction(e1000.caller), 'e1000_probe [e1000e]');
  const stack = e.find((x) => x.caller.startsWith('dup_task_struct'))!;
  assert.deepEqual([stack.kind, stack.pages, stack.guard], ['vmalloc', 4, true]);
  assert.deepEqual(stack.nodes, [{ node: 0, pages: 4 }]);
  const pcpu = e.find((x) => x.caller.startsWith('pcpu_get_vm_areas'))!;
  assert.deepEqual([pcpu.kind, pcpu.guard], ['percpu', false]);
  const ram = e.find((x) => x.kind === 'vm_map_ram')!;
  assert.deepEqual([ram.size, ram.guard, ram.caller], [4194304, false, '']);
  const xt = e.find((x) => x.caller.startsWith('xt_alloc'))!;
  assert.deepEqual(xt.flags, ['vmalloc', 'vpages']);
  assert.equal(e.filter((x) => x.unpurged).length, 3);
  assert.ok(!looksLikeVmallocinfo('pool sram size=4K\n'));
});

const BAD: readonly [string, string, number, RegExp][] = [
  ['not a range', `${line(V, PAGE * 2, 'x+0x1/0x2 vmalloc')}\nhello`, 2, /not a vmallocinfo line/],
  [
    'a size mismatch',
    `0xffffc90000000000-0xffffc90000002000    4096 vmap`,
    1,
    /size 4096 does not match the range \(8192 bytes\)/,
  ],
  [
    'a misaligned range',
    `0xffffc90000000010-0xffffc90000002010    8192 vmap`,
    1,
    /not page-aligned/,
  ],
  [
    'a reversed range',
    `0xffffc90000002000-0xffffc90000000000       0 vmap`,
    1,
    /empty or reversed/,
  ],
  [
    'an unknown word',
    `${line(V, PAGE * 2, 'foo+0x1/0x2 pages=1 vmalloc sparkly')}`,
    1,
    /unexpected 'sparkly'/,
  ],
  [
    'a hidden address',
    '0x0000000000000000-0x0000000000000000       0 vmap',
    1,
    /without privilege/,
  ],
  ['a hashed address', '0x00000000a1b2c000-0x00000000a1b2e000    8192 vmap', 1, /kptr_restrict/],
  ['a 57-bit address', '0xff11000000000000-0xff11000000002000    8192 vmap', 1, /5-level paging/],
  ['a bad phys', `${line(V, PAGE * 2, 'x+0x1/0x2 phys=zz ioremap')}`, 1, /unexpected 'phys=zz'/],
  [
    'more pages than the area holds',
    `${line(V, PAGE * 5, 'f+0x1/0x2 pages=400 vmalloc')}`,
    1,
    /^pages=400 is more than the area holds \(5 pages of 4096 bytes\)$/,
  ],
  [
    'one page more than the area holds',
    `${line(V, PAGE * 2, 'f+0x1/0x2 pages=3 vmalloc')}`,
    1,
    /pages=3 is more than the area holds/,
  ],
  [
    'an overlap',
    `${line(V, PAGE * 4, 'a+0x1/0x2 vmap')}\n\n${line(V + PAGE * 3, PAGE * 2, 'b+0x1/0x2 vmap')}`,
    3,
    /overlaps the area of line 1/,
  ],
  [
    'an overlap with an unpurged area',
    `${line(V, PAGE * 4, 'a+0x1/0x2 vmap')}\n${line(V, PAGE, 'unpurged vm_area')}`,
    2,
    /overlaps/,
  ],
];

for (const [what, text, ln, message] of BAD) {
  test(`malformed snapshot: ${what}, at line ${ln}`, () => {
    const e = parseError(text);
    assert.equal(e.line, ln);
    assert.match(e.message, message);
  });
}

test('malformed snapshot: an empty file is an error of the whole file', () => {
  assert.equal(parseError('\n\n').line, 0);
});

/** The complement of the entries in [start, end), computed without the allocator. */
function complement(
  entries: readonly VmInfoEntry[],
  start: number,
  end: number,
): { start: number; size: number }[] {
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  const out: { start: number; size: number }[] = [];
  let at = start;
  for (const e of sorted) {
    if (e.end <= start || e.start >= end) continue;
    if (e.start > at) out.push({ start: at, size: e.start - at });
    at = Math.max(at, e.end);
  }
  if (end > at) out.push({ start: at, size: end - at });
  return out;
}

test('the example rebuilds: every area busy at its exact address, free = complement (W1)', () => {
  const entries = parseVmallocinfo(readFileSync(EXAMPLE, 'utf8'));
  const r = rebuildVmallocinfo(entries);
  assert.equal(r.start, V);
  assert.equal(r.end, V + VMALLOC_SIZE);
  assert.equal(r.inferred, false);
  const s = r.space.s;
  for (const e of entries) {
    if (e.unpurged) continue; // freed by the purge what-if
    const va = r.space.findBusy(e.start);
    assert.ok(va !== 0, `line ${e.line} is busy`);
    assert.deepEqual([s.startOf(va), s.endOf(va)], [e.start, e.end], `line ${e.line} in place`);
    assert.equal(r.space.findBusy(e.end - 1), va, 'the guard page is inside its area');
  }
  assert.deepEqual(r.free, complement(entries, r.start, r.end));
  assert.equal(r.outside.length, 3, 'the module areas are outside the range');
  assert.equal(r.unpurged.length, 3);
  assert.equal(
    r.used,
    r.areas.reduce((n, e) => n + e.size, 0),
  );
  assert.equal(r.freeBytes + r.used + r.unpurgedBytes, VMALLOC_SIZE);
  const largest = Math.max(...r.free.map((x) => x.size));
  assert.equal(r.largestFree.size, largest);
  assert.equal(r.fragmentation, 1 - largest / r.freeBytes);
  assert.deepEqual(r.byKind.map((g) => g.name).sort(), [
    'ioremap',
    'percpu',
    'vm_map_ram',
    'vmalloc',
    'vmap',
  ]);
  assert.equal(
    r.byKind.reduce((n, g) => n + g.areas, 0),
    r.areas.length,
  );
});

/** A snapshot that fills the 32 TiB range except holes of 16, 8 and 30 pages. */
function tight(): VmInfoEntry[] {
  return parseVmallocinfo(
    [
      line(V + 16 * PAGE, 100 * PAGE, 'a+0x1/0x2 pages=99 vmalloc N0=99'),
      line(V + 124 * PAGE, 40 * PAGE, 'b+0x1/0x2 vmap'),
      line(V + 194 * PAGE, VMALLOC_SIZE - 194 * PAGE, 'huge+0x1/0x2 vmap'),
    ].join('\n'),
  );
}

test('the largest vmalloc is what the allocator places, and one page more is not (W2)', () => {
  const entries = tight();
  const r = rebuildVmallocinfo(entries, { tries: [15 * PAGE, 16 * PAGE, 29 * PAGE, 30 * PAGE] });
  assert.deepEqual(
    r.free.map((x) => [(x.start - V) / PAGE, x.size / PAGE]),
    [
      [0, 16],
      [116, 8],
      [164, 30],
    ],
  );
  // vmalloc(size) takes size + a guard page: the 30-page hole holds 29 pages
  assert.equal(r.largestVmalloc, 29 * PAGE);
  assert.equal(r.largestVmallocAddr, V + 164 * PAGE);
  assert.equal(r.largestVmallocAfterPurge, r.largestVmalloc, 'nothing to purge');
  // verified by allocating in a fresh rebuild
  assert.equal(
    rebuildSpaceOnly(entries).allocRange(vmallocArea(r.largestVmalloc), 1, r.start, r.vend),
    V + 164 * PAGE,
  );
  assert.equal(
    rebuildSpaceOnly(entries).allocRange(vmallocArea(r.largestVmalloc + 1), 1, r.start, r.vend),
    -1,
  );
  assert.deepEqual(
    r.tries.map((t) => [t.size / PAGE, (t.addr - V) / PAGE, t.addrAfterPurge === t.addr]),
    [
      [15, 0, true],
      [16, 164, true],
      [29, 164, true],
      [30, (-1 - V) / PAGE, true],
    ],
  );
  assert.equal(r.fragmentation, 1 - 30 / 54);
});

/** The rebuilt VaSpace of `entries` before any what-if ran. */
function rebuildSpaceOnly(entries: readonly VmInfoEntry[]) {
  // rebuildVmallocinfo runs its what-ifs with probes that give every range back, so the
  // only lasting change is the purge; with no unpurged entry the space is as rebuilt.
  const busyOnly = entries.map((e) => (e.unpurged ? { ...e, unpurged: false } : e));
  return rebuildVmallocinfo(busyOnly).space;
}

test('the purge what-if: an unpurged area between two holes makes one larger hole', () => {
  const lines = [
    line(V, 10 * PAGE, 'a+0x1/0x2 vmap'),
    // hole [10, 20)
    line(V + 20 * PAGE, 4 * PAGE, 'unpurged vm_area'),
    // hole [24, 34)
    line(V + 34 * PAGE, VMALLOC_SIZE - 34 * PAGE, 'huge+0x1/0x2 vmap'),
  ];
  const entries = parseVmallocinfo(lines.join('\n'));
  const r = rebuildVmallocinfo(entries, { tries: [20 * PAGE] });
  assert.equal(r.largestVmalloc, 9 * PAGE);
  assert.equal(r.largestVmallocAddr, V + 10 * PAGE);
  assert.equal(r.largestVmallocAfterPurge, 23 * PAGE, '[10, 34) after the purge, less the guard');
  assert.equal(r.largestVmallocAfterPurgeAddr, V + 10 * PAGE);
  assert.deepEqual(r.tries, [{ size: 20 * PAGE, addr: -1, addrAfterPurge: V + 10 * PAGE }]);
  // verify by allocating: after the purge the space takes 24 pages at V + 10 pages, not 25
  assert.equal(probe(r.space, 24 * PAGE, r.start, r.vend), V + 10 * PAGE);
  assert.equal(probe(r.space, 25 * PAGE, r.start, r.vend), -1);
  // and before: a space where the unpurged area is still there
  const before = rebuildSpaceOnly(entries);
  assert.equal(probe(before, 10 * PAGE, r.start, r.vend), V + 10 * PAGE);
  assert.equal(probe(before, 11 * PAGE, r.start, r.vend), -1);
  assert.equal(r.fragmentation, 1 - (10 * PAGE) / (20 * PAGE));
});

test('KASLR: areas away from 0xffffc90000000000 move the range to their 1 GiB base', () => {
  const base = 0xb0c5c0000000;
  const text = [
    line(base + 0x3000, 0x5000, 'dup_task_struct+0x50/0x1a0 pages=4 vmalloc N0=4'),
    line(0xffffa0000000, 0x5000, 'load_module+0x1/0x2 pages=4 vmalloc N0=4'),
  ].join('\n');
  const r = rebuildVmallocinfo(parseVmallocinfo(text));
  assert.equal(r.inferred, true);
  assert.equal(r.start, base);
  assert.equal(r.areas.length, 1);
  assert.equal(r.outside.length, 1);
  assert.deepEqual(r.free[0], { start: base, size: 0x3000 });
  const forced = rebuildVmallocinfo(parseVmallocinfo(text), { vmallocStart: base - 2 ** 30 });
  assert.equal(forced.start, base - 2 ** 30);
});

test('the report model of a snapshot: areas in the range, lazy areas, free extents', () => {
  const entries = parseVmallocinfo(readFileSync(EXAMPLE, 'utf8'));
  const r = rebuildVmallocinfo(entries);
  const m = replayReportModel(null, { file: 'vmallocinfo.txt', rebuild: r }, 'kmem replay x');
  const v = m.vmalloc!;
  assert.equal(v.start, V);
  assert.equal(v.areas.length, r.areas.length);
  assert.equal(v.lazy.length, 3);
  assert.deepEqual(v.free, r.free);
  assert.ok(
    v.areas.every((a, i) => i === 0 || a.start > v.areas[i - 1]!.start),
    'address order',
  );
  assert.deepEqual(m.replay, []);
  assert.equal(m.time, null);
  assert.ok(m.tables.some((t) => t.title === 'what if'));
});
