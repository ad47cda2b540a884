// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices, their managed resources and coherent DMA: device names (a taken one is the
 * kernel's duplicate sysfs name), devres released newest first by device_unregister and by
 * device_release_driver (after the driver's remove), a failed probe; dma_alloc_coherent
 * (buffers aligned to their order, zeroed, bus address = physical + offset, the coherent
 * mask choosing the zone, size 0, no mask), the DMA-API debug checks of dma_free_coherent;
 * ioremap refusing RAM; and the device attributes under /sys/devices.
 *
 * Kernel: drivers/base/core.c (device_add's duplicate name, device_del/device_release
 * releasing devres), drivers/base/dd.c (__device_release_driver: remove, then
 * devres_release_all; call_driver_probe's dev_err, dev_dbg for -ENODEV/-ENXIO),
 * drivers/base/devres.c, kernel/dma/mapping.c (dma_alloc_attrs: WARN_ON_ONCE without a
 * coherent mask), kernel/dma/direct.c (zone from the mask), kernel/dma/debug.c
 * (check_unmap: entries found by device and DMA address; err_printk = WARN with
 * "DMA-API: <driver> <device>: "), arch/x86/mm/ioremap.c ("ioremap on RAM at %pa - %pa").
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileNotFound, Machine, type Device, type Driver } from '../../src/index.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const h = (n: number): string => `0x${n.toString(16).padStart(16, '0')}`;

/** A driver for compatible "kmem,test" that records what happens, and a board using it. */
function board(probeRet = 0): { m: Machine; dev: Device; order: string[]; drv: Driver } {
  const m = new Machine({ memory: '64M' });
  const order: string[] = [];
  const drv: Driver = {
    name: 'testdrv',
    compatible: ['kmem,test'],
    probe(dev) {
      for (const r of ['a', 'b', 'c']) dev.devresAdd(`res_${r}`, r, (d) => order.push(d as string));
      return probeRet;
    },
    remove() {
      order.push('remove');
    },
  };
  m.registerDriver(drv);
  m.loadDeviceTree(
    '/ { #address-cells = <1>; #size-cells = <1>; t@fe001000 { compatible = "kmem,test"; reg = <0xfe001000 0x100>; }; };',
  );
  const dev = m.platform.device('fe001000.t');
  assert.ok(dev !== undefined, 'the platform device was created');
  return { m, dev, order, drv };
}

// ── Devices and devres ──────────────────────────────────────────────────────

test('createDevice refuses a taken, empty or slashed name with a RangeError', () => {
  const m = new Machine({ memory: '16M' });
  const dev = m.createDevice('dev0');
  assert.equal(m.kernel.dev_name(dev), 'dev0');
  assert.equal(m.kernel.dev_to_node(dev), -1);
  assert.throws(() => m.createDevice('dev0'), {
    name: 'RangeError',
    message: "sysfs: cannot create duplicate filename '/devices/dev0'",
  });
  assert.throws(() => m.createDevice(''), RangeError);
  assert.throws(() => m.createDevice('a/b'), RangeError);
  m.kernel.device_unregister(dev);
  assert.equal(m.createDevice('dev0', { node: 0 }).numa_node, 0, 'the name is free again');
});

test('device_unregister releases the managed resources newest first, once', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  const order: string[] = [];
  for (const r of ['a', 'b', 'c']) dev.devresAdd(`res_${r}`, r, (d) => order.push(d as string));
  const free0 = k.nr_free_pages();
  const p = k.devm_kzalloc(dev, 100, k.GFP_KERNEL);
  assert.deepEqual(dev.devresNames(), ['res_a', 'res_b', 'res_c', 'devm_kmalloc_release']);
  k.device_release_driver(dev); // no driver: the resources stay
  assert.deepEqual(order, []);
  k.device_unregister(dev);
  assert.deepEqual(order, ['c', 'b', 'a']);
  assert.equal(k.ksize(p), 128, 'the slab object is still there...');
  assert.equal(m.kmalloc.caches.find((c) => c.size === 128)!.active, 0, '...but free');
  assert.equal(k.nr_free_pages(), free0 - 1, 'only the empty cache slab is kept');
  assert.equal(dev.registered, false);
  assert.equal(m.platform.device('dev0'), undefined);
  k.device_unregister(dev);
  assert.deepEqual(order, ['c', 'b', 'a'], 'a second unregister releases nothing');
});

test('device_release_driver calls remove, then releases devres newest first; the device stays', () => {
  const { m, dev, order, drv } = board();
  assert.equal(dev.driver, drv, 'probed at tree load');
  assert.deepEqual(dev.devresNames(), ['res_a', 'res_b', 'res_c']);
  m.kernel.device_release_driver(dev);
  assert.deepEqual(order, ['remove', 'c', 'b', 'a']);
  assert.equal(dev.driver, null);
  assert.equal(m.platform.device('fe001000.t'), dev);
  m.kernel.device_release_driver(dev);
  assert.deepEqual(order, ['remove', 'c', 'b', 'a'], 'nothing bound, nothing to release');
});

test('device_unregister of a bound device detaches the driver first', () => {
  const { m, dev, order } = board();
  m.kernel.device_unregister(dev);
  assert.deepEqual(order, ['remove', 'c', 'b', 'a']);
  assert.equal(m.platform.device('fe001000.t'), undefined);
});

test('a failed probe releases its devres, leaves the device unbound and logs dev_err', () => {
  const { m, dev, order } = board(-22);
  assert.deepEqual(order, ['c', 'b', 'a'], 'no remove() for a probe that failed');
  assert.equal(dev.driver, null);
  assert.deepEqual(m.dmesg(), [
    'testdrv fe001000.t: probe with driver testdrv failed with error -22',
  ]);
  assert.equal(m.log.records()[0]!.level, 'err');
  // -ENODEV and -ENXIO reject the match quietly (dev_dbg).
  assert.deepEqual(board(-19).m.dmesg(), []);
  assert.deepEqual(board(-6).m.dmesg(), []);
});

// ── dma_alloc_coherent / dma_free_coherent ──────────────────────────────────

test('dma_alloc_coherent: block aligned to its order, handle = phys + offset, bytes zeroed', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('dmatest', { dmaOffset: 0x10000000 });
  for (const [size, align] of [
    [1, 4096],
    [4096, 4096],
    [4097, 8192],
    [3 * 4096, 16384],
    [5 * 4096, 32768],
    [65536, 65536],
  ]) {
    const handle = { value: -1 };
    const v = k.dma_alloc_coherent(dev, size!, handle, k.GFP_KERNEL);
    assert.ok(v !== 0, `size ${size}`);
    const phys = k.virt_to_phys(v);
    assert.equal(phys % align!, 0, `size ${size} is aligned to ${align}`);
    assert.equal(handle.value, phys + 0x10000000);
    k.memset(v, 0xee, size!);
    k.dma_free_coherent(dev, size!, v, handle.value);
    const again = k.dma_alloc_coherent(dev, size!, handle, k.GFP_KERNEL);
    assert.equal(again, v, 'the same block comes back');
    assert.deepEqual(k.mem_read(again, align!), new Uint8Array(align!), 'and it is zeroed');
    k.dma_free_coherent(dev, size!, again, handle.value);
  }
  assert.deepEqual(m.dma.buffers(dev), []);
  assert.deepEqual(m.dmesg(), []);
});

test('the coherent mask picks the zone: 24 bits below 16 MiB, 32 bits below 4 GiB, 64 bits Normal', () => {
  const m = new Machine({ memory: '8G' });
  const k = m.kernel;
  const below = (dev: Device, size: number): number => {
    const handle = { value: 0 };
    const v = k.dma_alloc_coherent(dev, size, handle, k.GFP_KERNEL | k.__GFP_HIGHMEM);
    assert.ok(v !== 0);
    return handle.value + size;
  };
  const isa = m.createDevice('isa');
  assert.equal(k.dma_set_mask_and_coherent(isa, k.DMA_BIT_MASK(24)), 0);
  assert.ok(below(isa, 65536) <= 16 * MiB);
  const pci = m.createDevice('pci32'); // a platform device's default mask is 32 bits
  assert.equal(pci.coherent_dma_mask, k.DMA_BIT_MASK(32));
  for (let i = 0; i < 4; i++) assert.ok(below(pci, 4 * MiB) <= 4 * GiB);
  const wide = m.createDevice('pci64', { dmaMask: -1 });
  assert.ok(below(wide, 4096) > 4 * GiB, 'GFP_KERNEL prefers ZONE_NORMAL');
  assert.equal(k.dma_set_mask(isa, k.DMA_BIT_MASK(16)), -k.EIO, 'cannot reach ZONE_DMA');
  assert.equal(isa.dma_mask, k.DMA_BIT_MASK(24), 'unchanged');
});

test('dma_alloc_coherent of size 0 fails in the page allocator (get_order(0) = 52)', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const free0 = k.nr_free_pages();
  const handle = { value: 5 };
  assert.equal(k.get_order(0), 52);
  assert.equal(k.dma_alloc_coherent(m.createDevice('d'), 0, handle, k.GFP_KERNEL), 0);
  assert.equal(handle.value, 5);
  assert.deepEqual(m.dmesg(), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 0 at mm/page_alloc.c __alloc_pages_noprof',
  ]);
  assert.equal(k.nr_free_pages(), free0);
});

test('a device with coherent_dma_mask 0 gets the WARN_ON and NULL', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('nomask', { dmaMask: 0 });
  const handle = { value: 5 };
  assert.equal(k.dma_alloc_coherent(dev, 4096, handle, k.GFP_KERNEL), 0);
  assert.equal(handle.value, 5);
  assert.deepEqual(m.dmesg(), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 0 at kernel/dma/mapping.c dma_alloc_attrs',
  ]);
  m.failNth('dma');
  assert.equal(k.dma_alloc_coherent(m.createDevice('ok'), 4096, handle, k.GFP_KERNEL), 0);
});

test('dma_free_coherent: DMA-API reports for foreign, wrong-size, wrong-handle frees; nothing is freed', () => {
  const m = new Machine({ memory: '64M' });
  const k = m.kernel;
  const dev = m.createDevice('dmatest');
  const other = m.createDevice('other');
  const handle = { value: 0 };
  const v = k.dma_alloc_coherent(dev, 8192, handle, k.GFP_KERNEL);
  const dma = handle.value;
  const phys = k.virt_to_phys(v);
  const free0 = k.nr_free_pages();
  const line = (text: string): string[] => [
    '------------[ cut here ]------------',
    `DMA-API:  dmatest: ${text}`,
    'WARNING: CPU: 0 PID: 0 at kernel/dma/debug.c check_unmap',
  ];
  const attempt = (d: Device, size: number, vaddr: number, handleValue: number): string[] => {
    m.log.clear();
    k.dma_free_coherent(d, size, vaddr, handleValue);
    assert.equal(k.nr_free_pages(), free0, 'nothing was freed');
    assert.equal(m.dma.buffers(dev).length, 1);
    return m.dmesg();
  };
  assert.deepEqual(
    attempt(dev, 8192, v, dma + 4096),
    line(
      `device driver tries to free DMA memory it has not allocated [device address=${h(dma + 4096)}] [size=8192 bytes]`,
    ),
  );
  assert.deepEqual(
    attempt(dev, 4096, v, dma),
    line(
      `device driver frees DMA memory with different size [device address=${h(dma)}] [map size=8192 bytes] [unmap size=4096 bytes]`,
    ),
  );
  assert.deepEqual(
    attempt(dev, 8192, v + 4096, dma),
    line(
      `device driver frees DMA memory with different CPU address [device address=${h(dma)}] [size=8192 bytes] [cpu alloc address=0x${h(phys)}] [cpu free address=0x${h(phys + 4096)}]`,
    ),
  );
  assert.deepEqual(
    attempt(other, 8192, v, dma)[1],
    `DMA-API:  other: device driver tries to free DMA memory it has not allocated [device address=${h(dma)}] [size=8192 bytes]`,
  );
  assert.deepEqual(attempt(dev, 8192, 0, 0), [], 'NULL is ignored');
  k.dma_free_coherent(dev, 8192, v, dma);
  assert.equal(k.nr_free_pages(), free0 + 2);
  assert.deepEqual(m.dma.buffers(dev), []);
});

// ── ioremap ─────────────────────────────────────────────────────────────────

test('ioremap maps device memory outside RAM and refuses RAM with a WARN', () => {
  const m = new Machine({ memory: '4G' });
  const k = m.kernel;
  const va = k.ioremap(0xfe000010, 0x2000);
  assert.ok(va >= k.VMALLOC_START && va <= k.VMALLOC_END);
  assert.equal(va % 4096, 0x10, 'the offset in the page is kept');
  k.mem_write(va, new Uint8Array([1, 2, 3]));
  assert.deepEqual(m.phys.read(0xfe000010, 3), new Uint8Array([1, 2, 3]));
  assert.deepEqual(m.dmesg(), []);
  assert.equal(k.ioremap(0x100000, 4096), 0);
  assert.equal(k.ioremap(3 * GiB - 4096, 8192), 0, 'a range that only starts in RAM');
  assert.deepEqual(m.dmesg().slice(0, 3), [
    '------------[ cut here ]------------',
    'ioremap on RAM at 0x0000000000100000 - 0x0000000000100fff',
    'WARNING: CPU: 0 PID: 0 at arch/x86/mm/ioremap.c __ioremap_caller',
  ]);
  assert.equal(k.ioremap(0xfe000000, 0), 0, 'size 0');
  k.iounmap(va);
  assert.throws(() => k.mem_read(va, 1), { code: 'PAGE_FAULT' });
  const last = m.tlbFlushes().at(-1)!;
  assert.deepEqual([last.start, last.end], [va - 0x10, va - 0x10 + 0x3000]);
});

// ── sysfs ───────────────────────────────────────────────────────────────────

test('/sys/devices/<name>/<attr> reads a device attribute; anything else is ENOENT', () => {
  const m = new Machine({ memory: '16M' });
  const dev = m.createDevice('dev0');
  let n = 0;
  assert.equal(
    dev.createFile('count', () => `${++n}\n`),
    0,
  );
  assert.equal(
    dev.createFile('count', () => ''),
    -17,
    '-EEXIST',
  );
  assert.equal(m.readFile('/sys/devices/dev0/count'), '1\n');
  assert.equal(m.readFile('/sys/devices/platform/dev0/count'), '2\n', 'show() runs per read');
  const enoent = (path: string): void => {
    assert.throws(
      () => m.readFile(path),
      (e: unknown) => e instanceof FileNotFound && e.code === 'ENOENT',
    );
  };
  enoent('/sys/devices/dev0/other');
  enoent('/sys/devices/dev1/count');
  enoent('/sys/devices/dev0');
  dev.removeFile('count');
  enoent('/sys/devices/dev0/count');
  dev.createFile('count', () => 'x');
  m.kernel.device_unregister(dev);
  enoent('/sys/devices/dev0/count');
});
