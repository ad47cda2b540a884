// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated machine as it boots: its options (defaults, sizes, every impossible value
 * refused with a RangeError naming the option), the e820-like RAM map with the PCI hole
 * [3 GiB, 4 GiB) on machines with more than 3 GiB, the first MiB kept from the page
 * allocator, NUMA nodes and their DMA / DMA32 / Normal zones, and /proc/meminfo in the
 * kernel's format.
 *
 * Kernel: arch/x86/kernel/e820.c and setup.c (the PCI hole, the first MiB reserved since
 * 5.13), mm/mm_init.c free_area_init (zones by MAX_DMA_PFN / MAX_DMA32_PFN),
 * fs/proc/meminfo.c (show_val_kb: a 16-column label, the kB value right-aligned in 8).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createKernel,
  FileNotFound,
  kaddr,
  Machine,
  PageOwner,
  parseKaddr,
} from '../../src/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const PFN_3G = (3 * GiB) / 4096;
const PFN_4G = (4 * GiB) / 4096;

/** The /proc/meminfo value of `label`, in kB. */
function meminfo(m: Machine, label: string): number {
  const line = m
    .readFile('/proc/meminfo')
    .split('\n')
    .find((l) => l.startsWith(`${label}:`));
  assert.ok(line !== undefined, `no ${label} line`);
  return Number(/(\d+) kB$/.exec(line)![1]);
}

// ── Options ─────────────────────────────────────────────────────────────────

test('a machine with no options has 4 GiB, one node, 4 online CPUs and NR_CPUS 64', () => {
  const m = new Machine();
  const k = m.kernel;
  assert.equal(m.memoryBytes, 4 * GiB);
  assert.equal(m.pages.nrNodes, 1);
  assert.equal(k.num_online_cpus(), 4);
  assert.equal(k.num_possible_cpus(), 4);
  assert.equal(k.NR_CPUS, 64);
  assert.equal(m.currentCpu, 0);
  assert.deepEqual(m.dmesg(), [], 'a clean boot logs nothing');
});

test('machine.kernel is one object per machine, the same as createKernel(machine)', () => {
  const m = new Machine({ memory: '16M' });
  assert.equal(m.kernel, m.kernel);
  assert.equal(createKernel(m), m.kernel);
  assert.notEqual(new Machine({ memory: '16M' }).kernel, m.kernel);
});

test('memory is taken in bytes or with a K/M/G suffix and rounded down to whole pages', () => {
  assert.equal(new Machine({ memory: '512M' }).memoryBytes, 512 * MiB);
  assert.equal(new Machine({ memory: '1G' }).memoryBytes, GiB);
  assert.equal(new Machine({ memory: 16 * MiB + 4095 }).memoryBytes, 16 * MiB);
  const m = new Machine({ memory: 32 * MiB + 4096 });
  assert.equal(m.memoryBytes, 32 * MiB + 4096);
  assert.equal(m.kernel.totalram_pages(), (32 * MiB) / 4096 + 1 - 256);
});

test('CPU counts: cpus online, possibleCpus and nrCpus are kept apart', () => {
  const m = new Machine({ memory: '16M', cpus: 2, possibleCpus: 6, nrCpus: 8 });
  assert.equal(m.kernel.num_online_cpus(), 2);
  assert.equal(m.kernel.num_possible_cpus(), 6);
  assert.equal(m.kernel.NR_CPUS, 8);
  assert.equal(new Machine({ memory: '16M', nrCpus: 2 }).kernel.num_online_cpus(), 2);
});

test('every impossible option is a RangeError naming the option', () => {
  const bad: [object, RegExp][] = [
    [{ memory: '8M' }, /^memory: /],
    [{ memory: '2T' }, /^memory: /],
    [{ memory: '4X' }, /invalid size '4X'/],
    [{ memory: -1 }, /invalid size/],
    [{ nodes: 0 }, /^nodes: 0 /],
    [{ nodes: 1.5 }, /^nodes: 1.5 /],
    [{ nodes: 65 }, /^nodes: 65 /],
    [{ memory: '32M', nodes: 4 }, /^nodes: 4 nodes .* less than 16 MiB per node/],
    [{ cpus: 0 }, /^cpus: 0 /],
    [{ cpus: 65 }, /^cpus: 65 .*nrCpus \(64\)/],
    [{ cpus: 4, possibleCpus: 3 }, /^possibleCpus: 3 /],
    [{ nrCpus: 8, possibleCpus: 9 }, /^possibleCpus: 9 /],
    [{ nrCpus: 0 }, /^nrCpus: 0 /],
    [{ nrCpus: 8193 }, /^nrCpus: 8193 /],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => new Machine(options),
      (e: unknown) => {
        assert.ok(e instanceof RangeError, `${JSON.stringify(options)} threw ${String(e)}`);
        assert.match(e.message, message, JSON.stringify(options));
        return true;
      },
    );
  }
  // The limits themselves are allowed.
  assert.equal(new Machine({ memory: '16M' }).memoryBytes, 16 * MiB);
  assert.equal(new Machine({ memory: '32M', nodes: 2 }).pages.nrNodes, 2);
  assert.equal(new Machine({ memory: '16M', cpus: 64 }).kernel.num_online_cpus(), 64);
});

// ── RAM layout ──────────────────────────────────────────────────────────────

test('up to 3 GiB, RAM is one range from physical address 0', () => {
  assert.deepEqual(new Machine({ memory: '2G' }).ram, [{ start: 0, end: (2 * GiB) / 4096 }]);
  assert.deepEqual(new Machine({ memory: '3G' }).ram, [{ start: 0, end: PFN_3G }]);
});

test('above 3 GiB the PCI hole [3G, 4G) splits RAM and the rest resumes at 4 GiB', () => {
  const m = new Machine({ memory: '4G' });
  const k = m.kernel;
  assert.deepEqual(m.ram, [
    { start: 0, end: PFN_3G },
    { start: PFN_4G, end: PFN_4G + PFN_4G - PFN_3G },
  ]);
  for (const [pfn, ram] of [
    [PFN_3G - 1, true],
    [PFN_3G, false],
    [(3.5 * GiB) / 4096, false],
    [PFN_4G - 1, false],
    [PFN_4G, true],
    [(5 * GiB) / 4096 - 1, true],
    [(5 * GiB) / 4096, false],
  ] as const) {
    assert.equal(k.pfn_valid(pfn), ram, `pfn ${pfn.toString(16)}`);
    assert.equal(k.pfn_to_page(pfn) === null, !ram, `pfn_to_page ${pfn.toString(16)}`);
  }
  // The direct map covers RAM and only RAM.
  assert.equal(k.mem_read(k.PAGE_OFFSET + 4 * GiB, 1).length, 1);
  assert.throws(() => k.mem_read(k.PAGE_OFFSET + 3 * GiB, 1), { code: 'PAGE_FAULT' });
});

test('the first MiB is RAM but reserved: never handed out, not in totalram_pages', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  assert.equal(k.totalram_pages(), 4096 - 256);
  assert.equal(k.nr_free_pages(), 4096 - 256);
  assert.ok(k.pfn_valid(0));
  assert.equal(k.pfn_to_page(0)!.owner, PageOwner.reserved);
  assert.equal(k.pfn_to_page(255)!.owner, PageOwner.reserved);
  assert.equal(k.pfn_to_page(256)!.owner, PageOwner.free);
  let n = 0;
  let lowest = Infinity;
  for (;;) {
    const page = k.alloc_page(k.GFP_KERNEL | k.__GFP_NOWARN);
    if (page === null) break;
    lowest = Math.min(lowest, page.pfn);
    n++;
  }
  assert.equal(n, 4096 - 256, 'every managed page, and no more');
  assert.equal(lowest, 256, 'physical address 0 (and the whole first MiB) is never returned');
  assert.equal(k.nr_free_pages(), 0);
});

// ── Nodes and zones ─────────────────────────────────────────────────────────

test('one node of 4 GiB has DMA [1M,16M), DMA32 [16M,3G) and Normal [4G,5G)', () => {
  const m = new Machine({ memory: '4G' });
  const [dma, dma32, normal] = m.pages.zones[0]!;
  assert.equal(dma!.managed, (15 * MiB) / 4096);
  assert.equal(dma32!.managed, PFN_3G - 4096);
  assert.equal(normal!.managed, GiB / 4096);
  assert.deepEqual(
    [dma!.zoneIdx, dma32!.zoneIdx, normal!.zoneIdx, dma!.nid, normal!.nid],
    [0, 1, 2, 0, 0],
  );
  assert.equal(m.kernel.totalram_pages(), dma!.managed + dma32!.managed + normal!.managed);
  assert.equal(m.pages.zoneOf(PFN_4G).zoneIdx, 2);
  assert.equal(m.pages.zoneOf(4095).zoneIdx, 0);
  assert.equal(m.pages.zoneOf(4096).zoneIdx, 1);
  assert.equal(m.pages.zoneOf(PFN_3G - 1).zoneIdx, 1);
});

test('a machine of at most 3 GiB has no Normal zone; one of 16 MiB only ZONE_DMA', () => {
  assert.equal(new Machine({ memory: '3G' }).pages.zones[0]![2], null);
  const tiny = new Machine({ memory: '16M' }).pages.zones[0]!;
  assert.deepEqual(
    tiny.map((z) => z?.managed ?? null),
    [3840, null, null],
  );
});

test('RAM is split evenly among nodes; a node holds only the zones its range reaches', () => {
  // 8 GiB of RAM = [0,3G) + [4G,9G): node 1 starts 4 GiB of RAM in, at 5 GiB.
  const m = new Machine({ memory: '8G', nodes: 2 });
  const k = m.kernel;
  const [n0, n1] = m.pages.zones;
  assert.deepEqual(
    n0!.map((z) => z?.managed ?? null),
    [3840, PFN_3G - 4096, GiB / 4096],
  );
  assert.deepEqual(
    n1!.map((z) => z?.managed ?? null),
    [null, null, (4 * GiB) / 4096],
  );
  assert.equal(k.page_to_nid(k.pfn_to_page((5 * GiB) / 4096 - 1)!), 0);
  assert.equal(k.page_to_nid(k.pfn_to_page((5 * GiB) / 4096)!), 1);
  // 64 MiB over two nodes: node 1 is [32M, 64M), all of it DMA32.
  const small = new Machine({ memory: '64M', nodes: 2 }).pages.zones;
  assert.deepEqual(
    small.map((row) => row.map((z) => z?.managed ?? null)),
    [
      [3840, 4096, null],
      [null, 8192, null],
    ],
  );
});

// ── /proc/meminfo ───────────────────────────────────────────────────────────

test('/proc/meminfo: kernel line format, MemTotal = totalram_pages, VmallocTotal of x86-64', () => {
  const m = new Machine({ memory: '4G' });
  const text = m.readFile('/proc/meminfo');
  assert.ok(text.endsWith(' kB\n'));
  const lines = text.slice(0, -1).split('\n');
  const labels = lines.map((l) => l.slice(0, l.indexOf(':')));
  // fs/proc/meminfo.c order, for the counters shown.
  for (const [a, b] of [
    ['MemTotal', 'MemFree'],
    ['MemFree', 'MemAvailable'],
    ['Slab', 'SReclaimable'],
    ['SReclaimable', 'SUnreclaim'],
    ['PageTables', 'VmallocTotal'],
    ['VmallocTotal', 'VmallocUsed'],
    ['VmallocUsed', 'VmallocChunk'],
  ]) {
    assert.ok(labels.indexOf(a) >= 0 && labels.indexOf(a) < labels.indexOf(b), `${a} before ${b}`);
  }
  for (const l of lines) {
    // show_val_kb: "Label:" padded to 16 columns, the value right-aligned in 8, " kB".
    assert.match(l, /^[A-Za-z]+: *\d+ kB$/, l);
    if (l.length - ' kB'.length <= 24) assert.equal(l.length, 27, `"${l}" is 16 + 8 + 3 wide`);
    assert.match(l.slice(0, 16), /^[A-Za-z]+: +$|^[A-Za-z]{15}:$/, l);
  }
  assert.equal(lines[0], 'MemTotal:        4193280 kB', '(4 GiB - 1 MiB) / 1 KiB');
  assert.equal(meminfo(m, 'MemTotal'), (m.kernel.totalram_pages() * 4096) / 1024);
  // VMALLOC_TOTAL >> 10 with 4-level paging: the value every x86-64 box shows.
  assert.ok(lines.includes('VmallocTotal:   34359738367 kB'));
  assert.equal(meminfo(m, 'VmallocUsed'), 0);
});

test('/proc/meminfo MemFree and Slab follow allocations and frees', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const free0 = meminfo(m, 'MemFree');
  assert.equal(free0, meminfo(m, 'MemTotal'), 'all managed memory is free at boot');
  const page = k.alloc_pages(k.GFP_KERNEL, 2);
  assert.equal(meminfo(m, 'MemFree'), free0 - 16);
  const obj = k.kmalloc(64, k.GFP_KERNEL);
  assert.equal(meminfo(m, 'Slab'), 4, 'one slab page for kmalloc-64');
  assert.equal(meminfo(m, 'SUnreclaim'), 4);
  assert.equal(meminfo(m, 'MemFree'), free0 - 20);
  k.__free_pages(page, 2);
  assert.equal(meminfo(m, 'MemFree'), free0 - 4);
  k.kfree(obj);
  assert.equal(meminfo(m, 'MemFree'), (k.nr_free_pages() * 4096) / 1024);
});

test('reading a file the machine does not have throws FileNotFound with code ENOENT', () => {
  const m = new Machine({ memory: '16M' });
  for (const path of ['/proc/nonexistent', '/proc/meminfo/x', '/sys/devices/nodev/pools']) {
    assert.throws(
      () => m.readFile(path),
      (e: unknown) =>
        e instanceof FileNotFound &&
        e.code === 'ENOENT' &&
        e.path === path &&
        e.message === `${path}: No such file or directory`,
    );
  }
});

// ── Address printing ────────────────────────────────────────────────────────

test('kernel addresses print sign-extended to 16 digits and parse back', () => {
  const k = new Machine({ memory: '16M' }).kernel;
  assert.equal(kaddr(k.PAGE_OFFSET), '0xffff888000000000');
  assert.equal(kaddr(k.VMALLOC_START), '0xffffc90000000000');
  assert.equal(kaddr(k.VMALLOC_END), '0xffffe8ffffffffff');
  assert.equal(kaddr(0x1000), '0x0000000000001000', 'a user address is not sign-extended');
  assert.equal(parseKaddr('0xffffc90000000000'), k.VMALLOC_START);
  assert.equal(parseKaddr('ffff888000001000'), k.PAGE_OFFSET + 0x1000);
  assert.equal(parseKaddr('0x1000'), 0x1000);
  assert.ok(Number.isNaN(parseKaddr('0x1234888000000000')), 'not canonical');
  assert.ok(Number.isNaN(parseKaddr('xyz')));
});
