// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kmem CLI as a user runs it: spawn `node dist/src/cli/main.js` and check exit codes,
 * stdout and stderr (HOUSE-STYLE §3.12: 0 success, 2 usage error, one-line errors, no stack
 * traces), plus the in-process entry run() with captured output. `kmem` alone runs the
 * built-in scenario (test/cli/scenario-cli.test.ts); the genpool story is `kmem genpool`.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatBytes as cliBytes } from '../../src/cli/format.js';
import { captureOutput } from '../../src/cli/out.js';
import { bytes as replayBytes } from '../../src/cli/replay/output.js';
import { formatBytes } from '../../src/report/render/html.js';
import { run } from '../../src/cli/run.js';

/** dist/test/cli/cli.test.js → dist/src/cli/main.js */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function kmem(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KMEM_DEBUG: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

test('the built CLI keeps its #! line', () => {
  assert.equal(readFileSync(MAIN, 'utf8').split('\n')[0], '#!/usr/bin/env node');
});

test('kmem genpool runs the genpool scenario and exits 0', () => {
  const r = kmem('genpool');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = r.stdout;
  assert.match(out, /k\.gen_pool_create\(5, NUMA_NO_NODE\) = pool/);
  assert.match(
    out,
    /k\.gen_pool_dma_alloc_align\(pool, 2048, dma, 4096\) = 0x[0-9a-f]+\n.*dma\.value = 0xfe[0-9a-f]+/,
  );
  assert.match(out, /k\.gen_pool_alloc_algo\(pool, 10240, k\.gen_pool_best_fit, null\)/);
  assert.match(out, /^chunks, in search order \(newest first\):$/m);
  assert.match(
    out,
    /^ {2}chunk +start_addr-end_addr +phys_addr +size +avail +allocs +largest free run +fragmentation$/m,
  );
  assert.match(out, /^ {2}sram1 +0x[0-9a-f]+-0x[0-9a-f]+ +0xfe100000 +32 KiB .*%$/m);
  assert.match(out, /^ {2}sram0 +0x[0-9a-f]+-0x[0-9a-f]+ +0xfe000000 +256 KiB .*%$/m);
  const summary = out.slice(out.indexOf('chunks, in search order'));
  assert.ok(summary.indexOf('  sram1 ') < summary.indexOf('  sram0 '), 'newest chunk listed first');
  assert.match(out, /WARNING: CPU: 0 PID: 0 at lib\/genalloc\.c gen_pool_fixed_alloc/);
  assert.match(out, /k\.gen_pool_free\(pool, usb, 12288\) = throws KernelBug/);
  assert.match(out, /kernel BUG at lib\/genalloc\.c!/);
  const dmesg = out.slice(out.indexOf('\ndmesg ('));
  assert.match(dmesg, /^\ndmesg \(2 WARN, 1 BUG\):\n/);
  assert.match(dmesg, /kernel BUG at lib\/genalloc\.c!\n.*gen_pool_free_owner: .*double free/);
  assert.doesNotMatch(out, STACK_FRAME);
});

test('kmem genpool prints the same bytes on every run', () => {
  const a = kmem('genpool');
  const b = kmem('genpool');
  assert.equal(b.status, 0);
  assert.equal(a.stdout, b.stdout);
});

test('kmem genpool --json prints one JSON document with both chunks', () => {
  const r = kmem('genpool', '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    command: string;
    granule: number;
    chunks: Array<{
      name: string;
      free_bytes: number;
      largest_free_run: number;
      fragmentation: number;
      avail: number;
    }>;
    pool: { size: number; avail: number };
    events: Array<{ driver: string; dma: number | null }>;
    warnings: number;
    bugs: number;
    dmesg: string[];
  };
  assert.equal(j.command, 'genpool');
  assert.equal(j.granule, 32);
  assert.equal(j.chunks.length, 2);
  assert.deepEqual(
    j.chunks.map((c) => c.name),
    ['sram1', 'sram0'],
  );
  for (const c of j.chunks) {
    const expected = c.free_bytes === 0 ? 0 : 1 - c.largest_free_run / c.free_bytes;
    assert.equal(c.fragmentation, expected);
    assert.ok(c.largest_free_run <= c.free_bytes);
  }
  assert.equal(j.pool.size, 288 * 1024);
  assert.equal(j.pool.avail, j.chunks[0]!.avail + j.chunks[1]!.avail);
  assert.equal(j.warnings, 2);
  assert.equal(j.bugs, 1);
  assert.ok(j.events.some((e) => e.driver === 'dsp' && e.dma !== null && e.dma % 4096 === 0));
  assert.ok(j.dmesg.includes('kernel BUG at lib/genalloc.c!'));
});

test('an unknown option exits 2 with a one-line error, a usage hint and no stack trace', () => {
  const r = kmem('--no-such-option');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines[0], "kmem: unknown option '--no-such-option'");
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[1]!, /^usage: kmem /);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
});

test('an unknown command or a value for a flag is a usage error too', () => {
  const cmd = kmem('frobnicate');
  assert.equal(cmd.status, 2);
  assert.equal(cmd.stderr.split('\n')[0], "kmem: unknown command 'frobnicate'");
  const value = kmem('--json=yes');
  assert.equal(value.status, 2);
  assert.equal(value.stderr.split('\n')[0], "kmem: option '--json' takes no value");
  assert.doesNotMatch(cmd.stderr + value.stderr, STACK_FRAME);
});

/** Run kmem in-process: its exit code and the first line it printed on stderr. */
function inProcess(...argv: string[]): { code: number; first: string; stderr: string[] } {
  const out = captureOutput();
  const code = run(argv, out);
  return { code, first: out.stderr[0] ?? '', stderr: out.stderr };
}

test('every shape of parseArgs error is one right line and exit 2', () => {
  const cases: [string[], string][] = [
    [
      ['run', '--seed', '--json'],
      "kmem: option '--seed' needs a value (a value starting with '-' is written --seed=-X)",
    ],
    [['run', '--seed'], "kmem: option '--seed' needs a value"],
    [['run', '-o'], "kmem: option '-o (--out)' needs a value"],
    [['run', '-qo'], "kmem: option '-o (--out)' needs a value"],
    [
      ['run', '-o', '--json'],
      "kmem: option '-o' needs a value (a value starting with '-' is written --out=-X)",
    ],
    [
      ['run', '--out', '-q'],
      "kmem: option '--out' needs a value (a value starting with '-' is written --out=-X)",
    ],
    [['run', '--json=1'], "kmem: option '--json' takes no value"],
    [['run', '--bogus'], "kmem: unknown option '--bogus'"],
    [['run', '-x'], "kmem: unknown option '-x'"],
    [['run', '-qx'], "kmem: unknown option '-x'"],
    [['replay', '--algo'], "kmem: option '--algo' needs a value"],
  ];
  for (const [argv, line] of cases) {
    const r = inProcess(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.first, line, argv.join(' '));
    assert.doesNotMatch(r.first, /,'|, /, 'no stray comma');
    assert.match(r.stderr[1]!, /^usage: kmem \w+ .* \(kmem \w+ --help for more\)$/);
  }
});

test('the top-level usage error has one hint; kmem help <command> prints its help', () => {
  const r = inProcess('frobnicate');
  assert.equal(r.code, 2);
  assert.deepEqual(r.stderr, [
    "kmem: unknown command 'frobnicate'",
    'usage: kmem [command] [options] (kmem --help for more)',
  ]);
  for (const name of ['run', 'replay', 'cat']) {
    const out = captureOutput();
    assert.equal(run(['help', name], out), 0);
    const own = captureOutput();
    assert.equal(run([name, '--help'], own), 0);
    assert.deepEqual(out.stdout, own.stdout, `kmem help ${name} is kmem ${name} --help`);
  }
  assert.equal(inProcess('help', 'bogus').first, "kmem: unknown command 'bogus'");
  assert.equal(inProcess('help', 'bogus').code, 2);
  const all = captureOutput();
  assert.equal(run(['help'], all), 0);
  assert.match(all.stdout.join('\n'), /kmem help <command>/);
});

test('kmem --help and -h print the usage and exit 0', () => {
  for (const flag of ['--help', '-h']) {
    const r = kmem(flag);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^usage: kmem /);
    assert.match(r.stdout, /--json/);
    assert.match(r.stdout, /genpool/);
  }
});

test('run() prints through the Output it is given', () => {
  const out = captureOutput();
  assert.equal(run(['genpool', '--json'], out), 0);
  assert.deepEqual(out.stderr, []);
  assert.equal((JSON.parse(out.stdout.join('\n')) as { chunks: unknown[] }).chunks.length, 2);
  const bad = captureOutput();
  assert.equal(run(['--nope'], bad), 2);
  assert.deepEqual(bad.stdout, []);
  assert.equal(bad.stderr[0], "kmem: unknown option '--nope'");
});

test('one byte formatter: the CLI, the replay and the report print sizes alike, up to TiB', () => {
  assert.equal(cliBytes, formatBytes, 'cli/format.ts re-exports the report`s');
  assert.equal(replayBytes, formatBytes, 'replay/output.ts uses the report`s');
  const cases: [number, string][] = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1048575, '1.0 MiB'],
    [6.04 * 2 ** 20, '6.0 MiB'],
    [34 * 2 ** 20, '34 MiB'],
    [1.5 * 2 ** 30, '1.5 GiB'],
    [805 * 2 ** 20 * 1.25, '1006.3 MiB'],
    [32 * 2 ** 40, '32 TiB'],
    [-2048, '-2 KiB'],
  ];
  for (const [n, text] of cases) assert.equal(formatBytes(n), text, String(n));
});
