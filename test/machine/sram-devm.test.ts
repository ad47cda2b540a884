// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device-managed genpools and the mmio-sram driver: devm_gen_pool_create's error pointers
 * (a name already used on the device is -EINVAL, an allocation failure -ENOMEM),
 * gen_pool_get's NULL-name rule, the pool destroyed with the device; and a board with an
 * mmio-sram node: the main pool is the SRAM minus its child regions, a `pool` child is a
 * pool named by its label or its full name, of_gen_pool_get finds both through phandles,
 * bad child regions fail the probe with the driver's dev_err and the driver core's line,
 * gen_pool_dma_zalloc zeroes SRAM bytes, and removing the driver with SRAM still allocated
 * logs the driver's complaint and then BUGs in gen_pool_destroy.
 *
 * Kernel: lib/genalloc.c (devm_gen_pool_create, devm_gen_pool_match, gen_pool_get,
 * of_gen_pool_get, gen_pool_destroy's BUG_ON), drivers/misc/sram.c (sram_probe,
 * sram_reserve_regions, sram_add_pool, sram_free_partitions, sram_remove; dev_err with
 * %pOF, which prints the node's full path), drivers/base/dd.c (call_driver_probe).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelBug, Machine, type Device, type GenPool } from '../../src/index.js';

const SRAM = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;

	sram: sram@fe000000 {
		compatible = "mmio-sram";
		reg = <0xfe000000 0x10000>;
		#address-cells = <1>;
		#size-cells = <1>;
		ranges = <0 0xfe000000 0x10000>;

		smp: smp-sram@100 {
			reg = <0x100 0x100>;
		};
		audio: audio-sram@1000 {
			reg = <0x1000 0x1000>;
			pool;
			label = "audio";
		};
		video: video-sram@4000 {
			reg = <0x4000 0x2000>;
			pool;
		};
	};

	consumer {
		compatible = "kmem,consumer";
		sram = <&audio>, <&video>, <&sram>, <&smp>;
	};
};
`;

function boot(dts = SRAM): { m: Machine; dev: Device | undefined } {
  const m = new Machine({ memory: '4G' });
  m.loadDeviceTree(dts, 'board.dts');
  return { m, dev: m.platform.device('fe000000.sram') };
}

/** [offset from the SRAM start, size] of each chunk, in address order. */
function chunks(pool: GenPool): [number, number][] {
  const out: [number, number][] = [];
  pool.forEachChunk((_p, c) => {
    assert.equal(c.phys_addr - 0xfe000000, pool.virtToPhys(c.start_addr) - 0xfe000000);
    out.push([c.phys_addr - 0xfe000000, c.end_addr - c.start_addr + 1]);
  }, null);
  return out.sort((a, b) => a[0] - b[0]);
}

// ── devm_gen_pool_create / gen_pool_get ─────────────────────────────────────

test('devm_gen_pool_create: a name already used on the device is ERR_PTR(-EINVAL)', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  const named = k.devm_gen_pool_create(dev, 5, -1, 'x');
  const unnamed = k.devm_gen_pool_create(dev, 5, -1, null);
  assert.ok(!k.IS_ERR(named) && !k.IS_ERR(unnamed));
  assert.equal((named as GenPool).name, 'x');
  const dup = k.devm_gen_pool_create(dev, 5, -1, 'x');
  assert.ok(k.IS_ERR(dup));
  assert.equal(k.PTR_ERR(dup), -k.EINVAL);
  assert.equal(k.PTR_ERR(k.devm_gen_pool_create(dev, 5, -1, null)), -k.EINVAL);
  assert.ok(!k.IS_ERR(k.devm_gen_pool_create(m.createDevice('dev1'), 5, -1, 'x')), 'per device');
  assert.deepEqual(dev.devresNames(), ['devm_gen_pool_release', 'devm_gen_pool_release']);
});

test('gen_pool_get: NULL finds only the unnamed pool, a name only the pool of that name', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  const a = k.devm_gen_pool_create(dev, 5, -1, 'a') as GenPool;
  assert.equal(k.gen_pool_get(dev, null), null, 'a named pool never matches NULL');
  assert.equal(k.gen_pool_get(dev, 'a'), a);
  assert.equal(k.gen_pool_get(dev, 'b'), null);
  const anon = k.devm_gen_pool_create(dev, 5, -1, null) as GenPool;
  assert.equal(k.gen_pool_get(dev, null), anon);
  assert.equal(k.gen_pool_get(dev, 'a'), a);
  assert.equal(k.gen_pool_get(m.createDevice('dev1'), 'a'), null);
});

test('devm_gen_pool_create is ERR_PTR(-ENOMEM) when kmalloc fails, and adds nothing', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  m.failNth('kmalloc');
  const p = k.devm_gen_pool_create(dev, 5, -1, 'x');
  assert.equal(k.PTR_ERR(p), -k.ENOMEM);
  assert.ok(k.IS_ERR_OR_NULL(p));
  assert.deepEqual(dev.devresNames(), []);
  assert.equal(k.gen_pool_get(dev, 'x'), null);
  assert.ok(m.dmesg().includes('FAULT_INJECTION: forcing a failure.'));
  assert.ok(!k.IS_ERR(k.devm_gen_pool_create(dev, 5, -1, 'x')), 'one shot');
});

test('the pool is destroyed with the device; a destroyed pool hands out nothing', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  const pool = k.devm_gen_pool_create(dev, 5, -1, 'x') as GenPool;
  assert.equal(k.gen_pool_add(pool, 0x10000, 4096, -1), 0);
  k.gen_pool_free(pool, k.gen_pool_alloc(pool, 64), 64);
  k.device_unregister(dev);
  assert.ok(pool.destroyed);
  assert.equal(k.gen_pool_size(pool), 0, 'its chunks are gone');
  assert.equal(k.gen_pool_alloc(pool, 64), 0);
  assert.throws(() => k.gen_pool_add(pool, 0x20000, 4096, -1), KernelBug);
});

test('unregistering a device whose pool is still in use BUGs in gen_pool_destroy', () => {
  const m = new Machine({ memory: '16M' });
  const k = m.kernel;
  const dev = m.createDevice('dev0');
  const pool = k.devm_gen_pool_create(dev, 5, -1, 'x') as GenPool;
  k.gen_pool_add(pool, 0x10000, 4096, -1);
  const addr = k.gen_pool_alloc(pool, 64);
  assert.throws(() => k.device_unregister(dev), KernelBug);
  assert.match(m.dmesg().join('\n'), /kernel BUG at lib\/genalloc\.c/);
  assert.equal(pool.destroyed, false, 'the busy chunk stays for inspection');
  assert.equal(k.gen_pool_avail(pool), 4096 - 64);
  k.gen_pool_free(pool, addr, 64);
});

// ── The mmio-sram driver ────────────────────────────────────────────────────

test('sram: the main pool is the SRAM minus every child region, in 32-byte granules', () => {
  const { m, dev } = boot();
  const k = m.kernel;
  assert.ok(dev !== undefined);
  assert.equal(dev.driver?.name, 'sram');
  const pool = k.gen_pool_get(dev, null);
  assert.ok(pool !== null);
  assert.equal(pool.min_alloc_order, 5);
  assert.deepEqual(chunks(pool), [
    [0, 0x100],
    [0x200, 0xe00],
    [0x2000, 0x2000],
    [0x6000, 0xa000],
  ]);
  assert.equal(k.gen_pool_size(pool), 0x10000 - 0x100 - 0x1000 - 0x2000);
  assert.equal(k.gen_pool_avail(pool), k.gen_pool_size(pool));
  assert.deepEqual(m.dmesg(), []);
});

test('sram: a pool child with a label is a pool of that name; without, of its full name', () => {
  const { m, dev } = boot();
  const k = m.kernel;
  const audio = k.gen_pool_get(dev!, 'audio');
  const video = k.gen_pool_get(dev!, 'video-sram@4000');
  assert.ok(audio !== null && video !== null);
  assert.deepEqual(chunks(audio), [[0x1000, 0x1000]]);
  assert.deepEqual(chunks(video), [[0x4000, 0x2000]]);
  assert.equal(k.gen_pool_get(dev!, 'audio-sram@1000'), null, 'the label replaces the name');
  assert.equal(k.gen_pool_get(dev!, 'smp-sram@100'), null, 'a reserved block is no pool');
  // Pool memory is the SRAM, reached through the ioremap mapping.
  const handle = { value: 0 };
  const v = k.gen_pool_dma_alloc(audio, 64, handle);
  assert.equal(handle.value, 0xfe001000);
  k.mem_write(v, new Uint8Array([0xab]));
  assert.deepEqual(m.phys.read(0xfe001000, 1), new Uint8Array([0xab]));
});

test('of_gen_pool_get follows phandles to a pool child (parent device + label) or the sram node', () => {
  const { m, dev } = boot();
  const k = m.kernel;
  const np = k.of_find_node_by_path('/consumer');
  assert.ok(np !== null);
  assert.equal(k.of_gen_pool_get(np, 'sram', 0), k.gen_pool_get(dev!, 'audio'));
  assert.equal(k.of_gen_pool_get(np, 'sram', 1), k.gen_pool_get(dev!, 'video-sram@4000'));
  assert.equal(k.of_gen_pool_get(np, 'sram', 2), k.gen_pool_get(dev!, null), 'the unnamed pool');
  assert.ok(k.of_gen_pool_get(np, 'sram', 2) !== null);
  assert.equal(k.of_gen_pool_get(np, 'sram', 3), null, 'smp-sram@100 is no pool');
  assert.equal(k.of_gen_pool_get(np, 'sram', 4), null, 'no such phandle');
  assert.equal(k.of_gen_pool_get(np, 'nosuch', 0), null);
  assert.equal(new Machine({ memory: '16M' }).kernel.of_gen_pool_get(np, 'sram', 0), null);
});

test('sram: a child region outside the SRAM fails the probe (-EINVAL) and undoes it', () => {
  const dts = SRAM.replace('reg = <0x100 0x100>;', 'reg = <0xff00 0x200>;');
  const { m, dev } = boot(dts);
  assert.ok(dev !== undefined);
  assert.deepEqual(m.dmesg(), [
    'sram fe000000.sram: reserved block /sram@fe000000/smp-sram@100 outside the sram area',
    'sram fe000000.sram: probe with driver sram failed with error -22',
  ]);
  assert.equal(dev.driver, null);
  assert.deepEqual(dev.devresNames(), [], 'the pools, the mapping and the region are released');
  assert.equal(m.ioremap.mappings().size, 0);
  assert.equal(m.kernel.gen_pool_get(dev, null), null);
});

test('sram: overlapping child regions fail the probe with the offsets in the dev_err', () => {
  const dts = SRAM.replace('reg = <0x100 0x100>;', 'reg = <0xf00 0x200>;');
  const { m, dev } = boot(dts);
  assert.deepEqual(m.dmesg(), [
    'sram fe000000.sram: block at 0x1000 starts after current offset 0x1100',
    'sram fe000000.sram: probe with driver sram failed with error -22',
  ]);
  assert.equal(dev!.driver, null);
  assert.equal(m.kernel.gen_pool_get(dev!, 'audio'), null);
});

test('sram: a kmalloc failure in probe is -ENOMEM from the driver core', () => {
  const m = new Machine({ memory: '4G' });
  m.failNth('kmalloc');
  m.loadDeviceTree(SRAM);
  assert.deepEqual(m.dmesg(), [
    'FAULT_INJECTION: forcing a failure.',
    'sram fe000000.sram: probe with driver sram failed with error -12',
  ]);
});

test('gen_pool_dma_zalloc on the SRAM pool zeroes the simulated SRAM bytes', () => {
  const { m, dev } = boot();
  const k = m.kernel;
  const pool = k.gen_pool_get(dev!, null)!;
  const a = k.gen_pool_alloc(pool, 256);
  k.mem_write(a, new Uint8Array(256).fill(0xff));
  const phys = k.gen_pool_virt_to_phys(pool, a);
  assert.deepEqual(m.phys.read(phys, 256), new Uint8Array(256).fill(0xff));
  k.gen_pool_free(pool, a, 256);
  const handle = { value: 0 };
  const z = k.gen_pool_dma_zalloc(pool, 256, handle);
  assert.equal(z, a, 'the same SRAM comes back');
  assert.equal(handle.value, phys);
  assert.deepEqual(k.mem_read(z, 256), new Uint8Array(256));
  assert.deepEqual(m.phys.read(phys, 256), new Uint8Array(256));
});

test('sram: removing the driver with SRAM allocated complains, then gen_pool_destroy BUGs', () => {
  const { m, dev } = boot();
  const k = m.kernel;
  const pool = k.gen_pool_get(dev!, null)!;
  const audio = k.gen_pool_get(dev!, 'audio')!;
  const a = k.gen_pool_alloc(pool, 64);
  const b = k.gen_pool_alloc(audio, 64);
  assert.throws(() => k.device_release_driver(dev!), KernelBug);
  const log = m.dmesg();
  assert.deepEqual(log.slice(0, 2), [
    'sram fe000000.sram: removed pool while SRAM allocated',
    'sram fe000000.sram: removed while SRAM allocated',
  ]);
  assert.match(log.slice(2).join('\n'), /kernel BUG at lib\/genalloc\.c/);
  // The BUG stopped devres_release_all at the audio pool (the newest resource that is busy).
  assert.ok(k.gen_pool_get(dev!, 'video-sram@4000') === null, 'released before the BUG');
  assert.equal(audio.destroyed, false);
  assert.deepEqual(dev!.devresNames(), [
    'devm_region_release',
    'devm_ioremap_release',
    'devm_gen_pool_release',
  ]);
  assert.equal(dev!.driver?.name, 'sram', 'the driver was not unbound');
  assert.equal(k.gen_pool_avail(audio), 0x1000 - 64);
  // Freeing the SRAM and releasing again finishes the job.
  k.gen_pool_free(audio, b, 64);
  k.gen_pool_free(pool, a, 64);
  k.device_release_driver(dev!);
  assert.deepEqual(dev!.devresNames(), []);
  assert.equal(dev!.driver, null);
  assert.ok(pool.destroyed);
});
