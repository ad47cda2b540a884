// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem test-vmalloc` and `kmem dmapool-test`, the kernel's test modules as commands: the
 * kernel log of a scaled-down test_vmalloc run (every case passes, align_shift_alloc_test
 * fails as designed and counts as xfailed; the allocator's warnings come first), its
 * --json results, a failing case as exit 1, the module parameters parsed as
 * kernel/params.c does and every bad one a usage error naming it (in-process and through
 * the built CLI); then dmapool_test's six pr_info lines and its --json rows.
 *
 * Kernel: lib/test_vmalloc.c, mm/dmapool_test.c, kernel/params.c.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dmapoolTestCommand } from '../../src/cli/commands/dmapool-test.js';
import {
  parseModuleParams,
  parseParamValue,
  testVmallocCommand,
} from '../../src/cli/commands/test-vmalloc.js';
import type { Command } from '../../src/cli/command.js';
import { captureOutput } from '../../src/cli/out.js';
import { plainContext } from '../../src/cli/run.js';
import { POOL_PARMS } from '../../src/kmods/dmapool-test.js';
import { TEST_CASE_ARRAY } from '../../src/kmods/test-vmalloc.js';

/** dist/test/cli/kmods.test.js → dist/src/cli/main.js */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
const SUMMARY =
  /^Summary: (\w+) passed: (\d+) failed: (\d+) xfailed: (\d+) repeat: 1 loops: 20 avg: \d+ usec$/;

function run(
  cmd: Command,
  ...args: string[]
): { code: number; stdout: string[]; stderr: string[] } {
  const out = captureOutput();
  const code = cmd.run(args, plainContext(out));
  return { code, stdout: out.stdout, stderr: out.stderr };
}

function kmem(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('test-vmalloc: every case passes, align_shift_alloc_test is xfailed', () => {
  const r = run(
    testVmallocCommand,
    'test_loop_count=20',
    'run_test_mask=0x7ff',
    'sequential_test_order=y',
  );
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.deepEqual(r.stderr, []);
  const summaries = r.stdout.filter((l) => l.startsWith('Summary:'));
  assert.equal(summaries.length, TEST_CASE_ARRAY.length);
  for (let i = 0; i < summaries.length; i++) {
    const m = SUMMARY.exec(summaries[i]!);
    assert.ok(m !== null, summaries[i]);
    const name = TEST_CASE_ARRAY[i]!.test_name;
    assert.equal(m[1], name);
    const expected = name === 'align_shift_alloc_test' ? ['0', '0', '1'] : ['1', '0', '0'];
    assert.deepEqual(m.slice(2, 5), expected, name);
  }
  assert.match(r.stdout.at(-1)!, /^All test took worker0=\d+ cycles$/);
  // align_shift_alloc_test's allocator warnings come before the Summary lines.
  const warning = r.stdout.findIndex((l) => /^vmalloc_node_range for size 8192 failed/.test(l));
  assert.ok(warning >= 0 && warning < r.stdout.indexOf(summaries[0]!));
  assert.match(testVmallocCommand.help.split('\n')[0]!, /^usage: kmem test-vmalloc /);
  const help = run(testVmallocCommand, '--help');
  assert.equal(help.code, 0);
  assert.equal(help.stdout.join('\n'), testVmallocCommand.help);
});

test('test-vmalloc --seed: the shuffled order follows it; the same seed, the same results', () => {
  const timeless = (lines: string[]): string[] =>
    lines.map((l) => l.replace(/avg: \d+ usec/, 'avg: N usec').replace(/=\d+ cycles/, '=N cycles'));
  const args = ['test_loop_count=20', 'run_test_mask=0x3f', 'nr_threads=2', '--json'];
  const doc = (seed: string[]) => {
    const r = run(testVmallocCommand, ...args, ...seed);
    assert.equal(r.code, 0, r.stderr.join('\n'));
    const j = JSON.parse(r.stdout.join('\n')) as {
      seed: number;
      workers: { order: string[]; cases: { test_name: string; passed: number }[] }[];
      log: string[];
    };
    const results = j.workers.map((w) => [w.order, w.cases.map((c) => [c.test_name, c.passed])]);
    return { seed: j.seed, results, log: timeless(j.log) };
  };
  const a = doc(['--seed', '5']);
  const b = doc(['--seed', '5']);
  const c = doc(['--seed', '99']);
  const d = doc([]);
  assert.equal(a.seed, 5);
  assert.equal(d.seed, 2463534242, 'the default is WORKLOAD_SEED');
  assert.deepEqual(a, b, 'the same seed gives the same order, results and lines');
  assert.notDeepEqual(a.results, c.results, 'another seed shuffles the cases otherwise');
  assert.deepEqual(a.log, c.log, 'the kernel prints the summaries in case order, seed or not');
  const bad = run(testVmallocCommand, '--seed', '0');
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr[0], "kmem: --seed '0' is not an integer in 1..4294967295");
  assert.match(testVmallocCommand.help, /--seed N/);
});

test('test-vmalloc --json gives each worker its per-case results', () => {
  const r = run(
    testVmallocCommand,
    '--json',
    'test_loop_count=5',
    'run_test_mask=5',
    'nr_threads=2',
  );
  assert.equal(r.code, 0, r.stderr.join('\n'));
  const doc = JSON.parse(r.stdout.join('\n')) as {
    ret: number;
    config: { nr_threads: number; test_loop_count: number; run_test_mask: number };
    workers: { worker: number; cases: { test_name: string; passed: number; avg_usec: number }[] }[];
    log: string[];
  };
  assert.equal(doc.ret, -11);
  assert.deepEqual(
    [doc.config.nr_threads, doc.config.test_loop_count, doc.config.run_test_mask],
    [2, 5, 5],
  );
  assert.equal(doc.workers.length, 2);
  for (const w of doc.workers) {
    assert.deepEqual(
      w.cases.map((c) => [c.test_name, c.passed]),
      [
        ['fix_size_alloc_test', 1],
        ['long_busy_list_alloc_test', 1],
      ],
    );
    assert.ok(w.cases.every((c) => Number.isInteger(c.avg_usec)));
  }
  assert.equal(doc.log.filter((l) => l.startsWith('Summary:')).length, 4);
});

test('test-vmalloc: a failed run of a case exits 1', () => {
  const r = run(
    testVmallocCommand,
    'run_test_mask=1',
    'nr_pages=100000',
    'test_loop_count=1',
    '--memory',
    '64M',
  );
  assert.equal(r.code, 1);
  assert.match(r.stdout.join('\n'), /Summary: fix_size_alloc_test passed: 0 failed: 1 /);
  assert.deepEqual(r.stderr, ['kmem: test-vmalloc: 1 failed run of a case']);
});

test('module parameters are parsed as kernel/params.c does', () => {
  assert.equal(parseParamValue('int', '0x10'), 16);
  assert.equal(parseParamValue('int', '010'), 8);
  assert.equal(parseParamValue('int', '+5\n'), 5);
  assert.equal(parseParamValue('int', '-5'), -5);
  assert.equal(parseParamValue('int', '2147483647'), 2147483647);
  assert.equal(parseParamValue('int', '2147483648'), null);
  assert.equal(parseParamValue('int', '08'), null);
  assert.equal(parseParamValue('int', '1e3'), null);
  assert.equal(parseParamValue('int', ''), null);
  assert.equal(parseParamValue('ulong', '-1'), null);
  assert.equal(parseParamValue('ulong', '0xffffffffffffffff'), 0xffffffff);
  assert.equal(parseParamValue('ulong', '0x10000000000000000'), null);
  assert.deepEqual(
    ['y', 'Y', '1', 'on', 'yes', 'n', 'N', '0', 'off', 'x', ''].map((s) =>
      parseParamValue('bool', s),
    ),
    [true, true, true, true, true, false, false, false, false, null, null],
  );
  assert.deepEqual(parseModuleParams(['nr_threads=3', 'sequential_test_order', 'nr_pages=2']), {
    nr_threads: 3,
    sequential_test_order: true,
    nr_pages: 2,
  });
});

test('test-vmalloc: a bad parameter name or value is a usage error naming it', () => {
  const cases: [string[], string][] = [
    [['foo=1'], "kmem: unknown parameter 'foo' (known: nr_threads, "],
    [['test_loop_count=abc'], "kmem: invalid value 'abc' for parameter 'test_loop_count' (int)"],
    [['run_test_mask=-1'], "kmem: invalid value '-1' for parameter 'run_test_mask' (ulong)"],
    [['use_huge=maybe'], "kmem: invalid value 'maybe' for parameter 'use_huge' (bool)"],
    [['nr_threads'], "kmem: parameter 'nr_threads' needs a value (nr_threads=<int>)"],
    [['--cpus', 'two'], "kmem: --cpus takes a positive integer, not 'two'"],
    [['--memory', '12Q'], 'kmem: bad machine (--cpus 1 --memory 12Q): '],
  ];
  for (const [args, message] of cases) {
    const r = run(testVmallocCommand, ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.deepEqual(r.stdout, []);
    assert.ok(r.stderr[0]!.startsWith(message), r.stderr[0]);
    assert.match(r.stderr[1]!, /^usage: kmem test-vmalloc /);
  }
  const p = kmem('test-vmalloc', 'test_loop_count=1', 'nr_pagez=1');
  assert.equal(p.status, 2);
  assert.equal(p.stdout, '');
  assert.match(p.stderr, /^kmem: unknown parameter 'nr_pagez' \(known: /);
  assert.doesNotMatch(p.stderr, STACK_FRAME);
});

const DMAPOOL_LINE = /^dmapool test: size:(\d+) +align:(\d+) +blocks:(\d+) +time:\d+$/;

test("dmapool-test prints the module's line for every row", () => {
  const r = run(dmapoolTestCommand);
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.deepEqual(r.stderr, []);
  assert.equal(r.stdout.length, POOL_PARMS.length);
  for (let i = 0; i < POOL_PARMS.length; i++) {
    const m = DMAPOOL_LINE.exec(r.stdout[i]!);
    assert.ok(m !== null, r.stdout[i]);
    assert.deepEqual(m.slice(1, 3).map(Number), [POOL_PARMS[i]!.size, POOL_PARMS[i]!.align]);
  }
  assert.match(r.stdout[0]!, /^dmapool test: size:16   align:16   blocks:8192 time:\d+$/);
  assert.match(run(dmapoolTestCommand, '--help').stdout[0]!, /^usage: kmem dmapool-test /);
});

test('dmapool-test --json gives the rows; an argument is a usage error', () => {
  const r = run(dmapoolTestCommand, '--json', '--quiet');
  assert.equal(r.code, 0, r.stderr.join('\n'));
  const doc = JSON.parse(r.stdout.join('\n')) as {
    ret: number;
    rows: { size: number; blocks: number; us: number; pages: number }[];
    log: string[];
  };
  assert.equal(doc.ret, 0);
  assert.deepEqual(
    doc.rows.map((row) => [row.size, row.blocks]),
    [
      [16, 8192],
      [64, 8192],
      [256, 8192],
      [1024, 2048],
      [4096, 1024],
      [68, 8192],
    ],
  );
  assert.ok(doc.rows.every((row) => row.us >= 0 && row.pages > 0));
  assert.equal(doc.log.length, 6);
  const p = kmem('dmapool-test', 'extra');
  assert.equal(p.status, 2);
  assert.match(p.stderr, /^kmem: unexpected argument 'extra'\nusage: kmem dmapool-test /);
  assert.doesNotMatch(p.stderr, STACK_FRAME);
});
