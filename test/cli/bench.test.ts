// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem bench` and the benchmark code under src/cli/bench that `npm run bench` shares: the
 * table with its check column and the JSON lines of bench/WORKLOADS.md on one small
 * workload (--quick G-fill, each implementation in its child process), the usage error for
 * an unknown workload (in-process and through the built CLI), the selection by name, the
 * fidelity gate on made-up lines, and the child protocol in-process (a --quick V-steady
 * run prints the checksum `npm run bench -- --quick` printed before the move).
 *
 * Kernel: none (kmem's benchmarks; the checks compare with the kernel's own C results,
 * bench/WORKLOADS.md).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchCommand } from '../../src/cli/commands/bench.js';
import { captureOutput } from '../../src/cli/out.js';
import { plainContext } from '../../src/cli/run.js';
import {
  benchCases,
  knownWorkloadNames,
  runBenchCase,
  selectCases,
} from '../../src/cli/bench/cases.js';
import type { BenchLine } from '../../src/cli/bench/harness.js';
import { gateProblems, lineCheck } from '../../src/cli/bench/reference.js';
import { childMain } from '../../src/cli/bench/runner.js';

/** dist/test/cli/bench.test.js → dist/src/cli/main.js */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;
/** The fields every JSON line starts with, in WORKLOADS.md's order. */
const WORKLOADS_FIELDS = ['workload', 'impl', 'ops', 'ns_per_op', 'failed', 'checksum'];
/** G-fill's checksum at --quick size (16,384 allocations of 64 bytes). */
const G_FILL_QUICK = 4294443008;

function bench(...args: string[]): { code: number; stdout: string[]; stderr: string[] } {
  const out = captureOutput();
  const code = benchCommand.run(args, plainContext(out));
  return { code, stdout: out.stdout, stderr: out.stderr };
}

test('bench --quick G-fill prints a table with the check of every line', () => {
  const r = bench('--quick', 'G-fill');
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.deepEqual(r.stderr, []);
  assert.match(
    r.stdout[0]!,
    /^workload +impl +algo\/params +ops +ns\/op +failed +checksum +check$/,
  );
  const rows = r.stdout.slice(1, 5);
  const expected = [
    ['kmem', 'alloc'],
    ['kmem', 'free'],
    ['kernel-scan', 'alloc'],
    ['kernel-scan', 'free'],
  ];
  for (let i = 0; i < 4; i++) {
    const cells = rows[i]!.split(/ {2,}/);
    assert.deepEqual(cells.slice(0, 3), [
      'G-fill',
      expected[i]![0],
      `first-fit ${expected[i]![1]}`,
    ]);
    assert.equal(cells[3], '16384');
    assert.match(cells[4]!, /^\d+(\.\d)?$/);
    assert.deepEqual(cells.slice(5), ['0', String(G_FILL_QUICK), '✓']);
  }
  assert.equal(r.stdout[5], '');
  assert.equal(r.stdout[6], '4 lines: 4 ✓, 0 ✗ (checked against kernel-scan)');
  assert.equal(r.stdout.length, 7);
});

test('bench --quick --json prints the JSON lines of WORKLOADS.md', () => {
  const r = bench('--quick', '--json', 'G-fill');
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.equal(r.stdout.length, 4);
  const lines = r.stdout.map((t) => JSON.parse(t) as BenchLine);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l).slice(0, 6), WORKLOADS_FIELDS);
    assert.equal(l.workload, 'G-fill');
    assert.equal(l['algo'], 'first-fit');
    assert.equal(typeof l.ns_per_op, 'number');
    assert.equal(typeof l['median_ns'], 'number');
    assert.deepEqual([l.ops, l.failed, l.checksum], [16384, 0, G_FILL_QUICK]);
  }
  assert.deepEqual(
    lines.map((l) => `${l.impl} ${l['phase']}`),
    ['kmem alloc', 'kmem free', 'kernel-scan alloc', 'kernel-scan free'],
  );
});

test('an unknown workload is a usage error naming the known ones', () => {
  const r = bench('--quick', 'G-fill', 'X-nope');
  assert.equal(r.code, 2);
  assert.deepEqual(r.stdout, []);
  assert.equal(
    r.stderr[0],
    "kmem: unknown workload 'X-nope' (known: G-fill, G-steady, G-high, D-test, dmapool_test, D-churn, V-steady, V-align, V-vmalloc, test_vmalloc)",
  );
  assert.match(r.stderr[1]!, /^usage: kmem bench /);
  assert.match(bench('--help').stdout[0]!, /^usage: kmem bench \[names\.\.\.\]/);
  assert.equal(bench('--nope').code, 2);
});

test('the built CLI: an unknown workload exits 2 with one error line, no stack', () => {
  const r = spawnSync(process.execPath, [MAIN, 'bench', 'nope'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^kmem: unknown workload 'nope' \(known: G-fill, /);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
});

test('names select by prefix; dmapool_test selects the D-test rows; peers add cases', () => {
  const all = benchCases();
  assert.ok(all.every((c) => c.impl === 'kmem' || c.impl === 'kernel-scan'));
  assert.equal(selectCases(all, []).cases.length, all.length);
  const g = selectCases(all, ['G']);
  assert.ok(g.cases.length === 14 && g.cases.every((c) => c.workload.startsWith('G-')));
  const d = selectCases(all, ['dmapool_test', 'nope']);
  assert.deepEqual(
    d.cases.map((c) => c.workload),
    [
      'D-test size=16 align=16 boundary=0',
      'D-test size=64 align=64 boundary=0',
      'D-test size=256 align=256 boundary=0',
      'D-test size=1024 align=1024 boundary=0',
      'D-test size=4096 align=4096 boundary=0',
      'D-test size=68 align=32 boundary=4096',
    ],
  );
  assert.deepEqual(d.unknown, ['nope']);
  const withPeer = benchCases(['peer']);
  assert.deepEqual(
    withPeer.filter((c) => c.impl === 'peer').map((c) => c.workload),
    ['G-steady', 'G-high'],
  );
  assert.equal(withPeer.length, all.length + 2);
  assert.deepEqual(knownWorkloadNames(all).slice(0, 5), [
    'G-fill',
    'G-steady',
    'G-high',
    'D-test',
    'dmapool_test',
  ]);
});

function line(impl: string, workload: string, checksum: number, extra = {}): BenchLine {
  return { workload, impl, ops: 1, ns_per_op: 1, failed: 0, checksum, ...extra };
}

test('the gate: kmem and kernel-scan agree, and full size matches the kernel', () => {
  const ff = { algo: 'first-fit' };
  const ok = [
    line('kmem', 'G-steady', 3873226336, ff),
    line('kernel-scan', 'G-steady', 3873226336, ff),
    line('kmem', 'D-churn', 5),
  ];
  assert.deepEqual(gateProblems(ok, false), []);
  assert.deepEqual(
    ok.map((l) => lineCheck(l, ok, false)),
    ['✓', '✓', '—'],
  );
  const off = [line('kmem', 'G-steady', 7, ff), line('kernel-scan', 'G-steady', 8, ff)];
  assert.deepEqual(gateProblems(off, true), ['G-steady/first-fit/: kmem 7/0 != kernel-scan 8/0']);
  assert.deepEqual(gateProblems(off, false), [
    'G-steady/first-fit/: kmem 7/0 != kernel-scan 8/0',
    'G-steady kmem first-fit: 7/0, kernel reference 3873226336/0',
    'G-steady kernel-scan first-fit: 8/0, kernel reference 3873226336/0',
  ]);
  assert.deepEqual(
    off.map((l) => lineCheck(l, off, true)),
    ['✗', '✗'],
  );
  // --quick sizes have no reference: a lone kmem line has nothing to compare with.
  const lone = [line('kmem', 'V-align', 1, { layout: 'whole' })];
  assert.equal(lineCheck(lone[0]!, lone, true), '—');
  assert.equal(lineCheck(lone[0]!, lone, false), '✗');
  const peer = [line('thi.ng', 'G-steady', 1)];
  assert.equal(lineCheck(peer[0]!, peer, false), '—');
});

test('the child protocol prints a case as JSON lines (the checksum of before the move)', () => {
  const out = captureOutput();
  const c = { workload: 'V-steady', impl: 'kmem', layout: 'range' };
  const code = childMain(['--child', JSON.stringify(c), '--quick'], out, runBenchCase);
  assert.equal(code, 0, out.stderr.join('\n'));
  assert.equal(out.stdout.length, 1);
  const l = JSON.parse(out.stdout[0]!) as BenchLine;
  assert.deepEqual(Object.keys(l), [...WORKLOADS_FIELDS, 'layout', 'median_ns']);
  assert.deepEqual([l.ops, l.failed, l.checksum, l['layout']], [20000, 0, 2638143488, 'range']);
  const bad = captureOutput();
  assert.equal(childMain(['--child', '{nope'], bad, runBenchCase), 2);
  const unknown = captureOutput();
  const x = JSON.stringify({ workload: 'X', impl: 'kmem' });
  assert.equal(childMain(['--child', x], unknown, runBenchCase), 1);
  assert.deepEqual(unknown.stderr, ['kmem: error: unknown workload X']);
});
