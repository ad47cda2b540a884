// SPDX-License-Identifier: GPL-2.0-only
/*
 * Small scenarios for the scenario tests: a board with a 64 KiB SRAM (one 16 KiB `pool`
 * child), a NIC, a vmalloc user and a vm_map_ram user, with a script or a short mix, as
 * JSON text, plus helpers to write them to a temporary directory and to run the built CLI.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/cli/*.js → dist/src/cli/main.js */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A stack frame line, which no error output may contain. */
export const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

/** The DTS of the small board, one line per array entry. */
export const SMALL_DTS = [
  '/dts-v1/;',
  '/ {',
  '\t#address-cells = <1>;',
  '\t#size-cells = <1>;',
  '\tsram: sram@fe000000 {',
  '\t\tcompatible = "mmio-sram";',
  '\t\treg = <0xfe000000 0x10000>;',
  '\t\t#address-cells = <1>;',
  '\t\t#size-cells = <1>;',
  '\t\tranges = <0 0xfe000000 0x10000>;',
  '\t\tfast: fast-sram@8000 {',
  '\t\t\treg = <0x8000 0x4000>;',
  '\t\t\tpool;',
  '\t\t\tlabel = "fast";',
  '\t\t};',
  '\t};',
  '\tnic: ethernet@fe200000 {',
  '\t\tcompatible = "kmem,nic";',
  '\t\treg = <0xfe200000 0x1000>;',
  '\t};',
  '};',
];

/** The pools of the small board. */
export const SMALL_POOLS = [
  { id: 'sram', type: 'genpool', label: 'sram' },
  { id: 'fast', type: 'genpool', label: 'fast', algo: 'best-fit' },
  { id: 'desc', type: 'dmapool', device: 'nic', size: 64, align: 64, boundary: 1024 },
  { id: 'fw', type: 'vmalloc', caller: 'fw_load+0x10/0x40' },
  { id: 'sg', type: 'vm_map_ram' },
];

/** A short mix on the small board (3000 steps). */
export function smallMix(seed = 7): string {
  return JSON.stringify(
    {
      name: 'small-mix',
      seed,
      machine: { memory: '256M', cpus: 2 },
      dts: SMALL_DTS,
      pools: SMALL_POOLS,
      workload: {
        sampleEvery: 100,
        mix: {
          steps: 3000,
          purgeEvery: 700,
          users: [
            { pool: 'sram', owner: 'isp', weight: 4, size: [32, 4096], dist: 'log', live: 40 },
            { pool: 'fast', owner: 'dsp', weight: 2, size: [64, 2048], live: 20 },
            { pool: 'desc', owner: 'nic', weight: 4, live: 100, cpu: 'any' },
            { pool: 'fw', weight: 1, size: ['4K', '256K'], dist: 'log', live: 4 },
            { pool: 'sg', weight: 2, pages: [1, 80], live: 8, cpu: 'any' },
          ],
        },
      },
    },
    null,
    2,
  );
}

/** The small board running `script` (operations as JSON objects). */
export function smallScript(script: readonly object[]): string {
  return JSON.stringify(
    {
      name: 'small-script',
      machine: { memory: '256M', cpus: 2 },
      dts: SMALL_DTS,
      pools: SMALL_POOLS,
      workload: { script },
    },
    null,
    2,
  );
}

/** Write `files` (name → text) into a new temporary directory. @returns its path. */
export function tempFiles(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmem-scenario-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Run the built CLI in `cwd`. */
export function kmem(
  cwd: string,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KMEM_DEBUG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
