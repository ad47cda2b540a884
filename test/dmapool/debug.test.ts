// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMAPOOL_DEBUG (`new Machine({ dmapoolDebug: true })`), KERNEL-SPEC §2.3: a new buffer
 * poisoned 0xa7 before carving, allocated blocks filled 0xa9 (zeroed with zalloc), freed
 * blocks 0xa7 after their header; a corrupted free block reported on its next allocation
 * ("pool_check_block <name>, <vaddr> (corrupted)" and a print_hex_dump of the block, 16
 * bytes a row, offset prefix, ASCII column) while the allocation still succeeds; a free
 * with a dma outside every page ("(bad dma)") and a double free ("already free") refused
 * with nothing changed, checked in that order.
 *
 * Kernel: mm/dmapool.c pool_init_page, pool_check_block, pool_block_err (6.3+),
 * include/linux/poison.h, lib/hexdump.c (hex_dump_to_buffer: ascii_column = 16 * 2 + 16 + 1
 * = 49; print_hex_dump with DUMP_PREFIX_OFFSET prints "%.8x: " and no device prefix).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine, type Device, type DmaPool } from '../../src/index.js';

const FREED = 0xa7;
const ALLOCATED = 0xa9;

function setup(size: number, align = 0, boundary = 0) {
  const m = new Machine({ dmapoolDebug: true });
  const dev = m.createDevice('dbg', { dmaMask: -1 });
  const pool = m.kernel.dma_pool_create('dbgpool', dev, size, align, boundary);
  assert.ok(pool !== null);
  return { m, k: m.kernel, dev, pool };
}

function get(m: Machine, pool: DmaPool, zero = false): [number, number] {
  const h = { value: -1 };
  const k = m.kernel;
  const v = zero
    ? k.dma_pool_zalloc(pool, k.GFP_KERNEL, h)
    : k.dma_pool_alloc(pool, k.GFP_KERNEL, h);
  assert.notEqual(v, 0);
  return [v, h.value];
}

function u64(bytes: Uint8Array, at: number): number {
  let v = 0;
  for (let i = 7; i >= 0; i--) v = v * 256 + bytes[at + i]!;
  return v;
}

function all(bytes: Uint8Array, value: number): boolean {
  return bytes.every((b) => b === value);
}

/** %p of a direct-map address (raw, sign-extended) and %pad (0x + 16 hex digits). */
const ptr = (a: number) => `0xffff${a.toString(16).padStart(12, '0')}`;
const pad = (d: number) => `0x${d.toString(16).padStart(16, '0')}`;
const devErr = (dev: Device, line: string) => `${dev.logPrefix}: ${line}`;

test('a new buffer is poisoned 0xa7; still-free blocks keep it after their header', () => {
  const { m, k, pool } = setup(68, 32);
  const [a, da] = get(m, pool);
  // Block 1 is free: header {next = block 2, dma}, then 0xa7 up to size 96.
  const b1 = k.mem_read(a + 96, 96);
  assert.equal(u64(b1, 0), a + 192);
  assert.equal(u64(b1, 8), da + 96);
  assert.ok(all(b1.subarray(16), FREED));
  // The unused tail after the 42nd block (4032..4096) is poisoned too.
  assert.ok(all(k.mem_read(a + 4032, 64), FREED));
  // Without debug the same bytes are the zeroes of dma_alloc_coherent.
  const plain = new Machine();
  const pp = plain.kernel.dma_pool_create(
    'p',
    plain.createDevice('d', { dmaMask: -1 }),
    68,
    32,
    0,
  )!;
  const [pa] = get(plain, pp);
  assert.ok(all(plain.kernel.mem_read(pa + 96 + 16, 80), 0));
});

test('an allocated block is filled 0xa9 (size bytes only); zalloc gives zeroes', () => {
  const { m, k, pool } = setup(64);
  const [a] = get(m, pool);
  assert.ok(all(k.mem_read(a, 64), ALLOCATED), 'header included');
  assert.equal(u64(k.mem_read(a + 64, 8), 0), a + 128, 'the next block is untouched');
  const [b] = get(m, pool, true);
  assert.equal(b, a + 64);
  assert.ok(all(k.mem_read(b, 64), 0));
  assert.deepEqual(m.dmesg(), [], 'fresh blocks pass the check');
});

test('a freed block is 0xa7 after its {next, dma} header', () => {
  const { m, k, pool } = setup(64);
  const [a, da] = get(m, pool);
  const [b, db] = get(m, pool);
  k.memset(b, 0x33, 64);
  k.dma_pool_free(pool, b, db);
  k.dma_pool_free(pool, a, da);
  const bytes = k.mem_read(a, 64);
  assert.equal(u64(bytes, 0), b);
  assert.equal(u64(bytes, 8), da);
  assert.ok(all(bytes.subarray(16), FREED));
  assert.ok(all(k.mem_read(b + 16, 48), FREED), "the caller's 0x33 is overwritten");
  assert.equal(pool.nr_active, 0);
  assert.deepEqual(m.dmesg(), []);
});

test('a corrupted free block is reported with a hex dump on its next alloc, which succeeds', () => {
  const { m, k, dev, pool } = setup(20, 1);
  const [a, da] = get(m, pool);
  get(m, pool);
  k.dma_pool_free(pool, a, da);
  const header = k.mem_read(a, 16);
  k.mem_write(a + 16, new Uint8Array([0x41, 0x42, 0x43, 0x44])); // "ABCD" over 0xa7
  const [again, d] = get(m, pool);
  assert.equal(again, a);
  assert.equal(d, da);
  assert.ok(all(k.mem_read(a, 20), ALLOCATED), 'then filled as allocated');
  const lines = m.dmesg();
  assert.equal(lines.length, 3, 'one report line and two dump rows (20 bytes)');
  assert.equal(lines[0], devErr(dev, `pool_check_block dbgpool, ${ptr(a)} (corrupted)`));
  // Row 0 is the header: 16 hex bytes, two spaces, 16 ASCII characters (col 49 + 10).
  const hex = [...header].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const ascii = [...header].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));
  assert.equal(lines[1], `00000000: ${hex}  ${ascii.join('')}`);
  // Row 1 holds 4 bytes; the ASCII column still starts at character 10 + 49.
  assert.equal(lines[2], '00000010: 41 42 43 44' + ' '.repeat(38) + 'ABCD');
  assert.equal(lines[2]!.indexOf('ABCD'), 59);
});

test('the hex dump covers the whole block, 16 bytes a row, one report per alloc', () => {
  const { m, k, dev, pool } = setup(64);
  const [a, da] = get(m, pool);
  k.dma_pool_free(pool, a, da);
  k.memset(a + 16, 0x7e, 48); // "~" everywhere after the header
  k.memset(a + 40, 0x00, 1);
  get(m, pool);
  const lines = m.dmesg();
  assert.equal(lines.length, 5);
  assert.equal(lines[0], devErr(dev, `pool_check_block dbgpool, ${ptr(a)} (corrupted)`));
  const tilde = (n: number) => Array(n).fill('7e').join(' ');
  assert.equal(lines[2], `00000010: ${tilde(16)}  ${'~'.repeat(16)}`);
  assert.equal(lines[3], `00000020: ${tilde(8)} 00 ${tilde(7)}  ${'~'.repeat(8)}.${'~'.repeat(7)}`);
  assert.equal(lines[4], `00000030: ${tilde(16)}  ${'~'.repeat(16)}`);
  // A block whose poison is intact is not reported.
  const [b, db] = get(m, pool);
  k.dma_pool_free(pool, b, db);
  const before = m.dmesg().length;
  get(m, pool);
  assert.equal(m.dmesg().length, before, 'an intact block is not reported');
});

test('free with a dma outside every page: "(bad dma)", nothing changes', () => {
  const { m, k, dev, pool } = setup(64);
  const [a, da] = get(m, pool);
  const [b] = get(m, pool);
  const page = pool.page_list[0]!;
  const head = pool.next_block;
  const content = k.mem_read(a, 64);
  for (const bad of [page.dma + 4096, page.dma - 1, 0, da + 2 ** 40]) {
    m.log.clear();
    k.dma_pool_free(pool, a, bad);
    assert.deepEqual(m.dmesg(), [
      devErr(dev, `pool_block_err dbgpool, ${ptr(a)}/${pad(bad)} (bad dma)`),
    ]);
    assert.equal(pool.nr_active, 2);
    assert.equal(pool.next_block, head);
    assert.deepEqual(k.mem_read(a, 64), content, 'not poisoned, no header written');
  }
  // Any dma inside a page passes (the pre-2023 "bad vaddr" check is gone) and is stored.
  m.log.clear();
  k.dma_pool_free(pool, a, page.dma + 4095);
  assert.deepEqual(m.dmesg(), []);
  assert.equal(pool.nr_active, 1);
  const h = { value: 0 };
  assert.equal(k.dma_pool_alloc(pool, k.GFP_KERNEL, h), a);
  assert.equal(h.value, page.dma + 4095);
  assert.equal(b, a + 64);
});

test('a double free: "dma <dma> already free", nothing changes', () => {
  const { m, k, dev, pool } = setup(64);
  const [a, da] = get(m, pool);
  const [b, db] = get(m, pool);
  k.dma_pool_free(pool, a, da);
  k.dma_pool_free(pool, b, db); // a is now second on the list
  const head = pool.next_block;
  const content = k.mem_read(a, 64);
  k.dma_pool_free(pool, a, da);
  assert.deepEqual(m.dmesg(), [devErr(dev, `pool_block_err dbgpool, dma ${pad(da)} already free`)]);
  assert.equal(pool.nr_active, 0);
  assert.equal(pool.next_block, head);
  assert.deepEqual(k.mem_read(a, 64), content);
  // A block never handed out is on the free list too.
  m.log.clear();
  k.dma_pool_free(pool, a + 640, da + 640);
  assert.deepEqual(m.dmesg(), [
    devErr(dev, `pool_block_err dbgpool, dma ${pad(da + 640)} already free`),
  ]);
  // The list is intact: b, a, then the untouched blocks in ascending order.
  assert.deepEqual([get(m, pool)[0], get(m, pool)[0], get(m, pool)[0]], [b, a, a + 128]);
});

test('the bad-dma check comes before the double-free check', () => {
  const { m, k, dev, pool } = setup(64);
  const [a, da] = get(m, pool);
  k.dma_pool_free(pool, a, da);
  k.dma_pool_free(pool, a, 0x10);
  assert.deepEqual(m.dmesg(), [
    devErr(dev, `pool_block_err dbgpool, ${ptr(a)}/${pad(0x10)} (bad dma)`),
  ]);
});

test('a free in another page of the pool is found by the page walk', () => {
  const { m, k, pool } = setup(2048);
  const blocks = [get(m, pool), get(m, pool), get(m, pool), get(m, pool), get(m, pool)];
  assert.equal(pool.nr_pages, 3);
  for (const [v, d] of blocks) k.dma_pool_free(pool, v, d);
  assert.deepEqual(m.dmesg(), []);
  assert.equal(pool.nr_active, 0);
  for (const [v] of blocks) assert.ok(all(k.mem_read(v + 16, 2032), FREED));
});
