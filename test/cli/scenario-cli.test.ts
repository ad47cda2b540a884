// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem`, `kmem run` and `kmem cat` as a user runs them (spawned dist/src/cli/main.js):
 * the built-in scenario's summary and report, --json, --seed, --out, --no-report, the
 * simulated files after a scenario, and the exit codes and one-line errors of bad input
 * (2 for usage and malformed scenario files, 1 when the simulator refuses), never a stack
 * trace.
 */

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { kmem, smallMix, smallScript, STACK_FRAME, tempFiles } from './scenario-fixtures.js';

const dir = tempFiles({
  'mix.json': smallMix(),
  'script.json': smallScript([
    { op: 'vmalloc', pool: 'fw', size: '64K', id: 'v' },
    { op: 'alloc', pool: 'desc', id: 'd' },
  ]),
  'trunc.json': '{\n  "machine": {},\n',
  'machine.json': '{\n  "machine": { "memory": "4T" },\n  "workload": { "script": [] }\n}\n',
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The one error line of a failed run, checked for shape. */
function oneLine(
  r: { status: number | null; stdout: string; stderr: string },
  status: number,
): string {
  assert.equal(r.status, status, r.stderr);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, STACK_FRAME);
  return r.stderr.split('\n')[0]!;
}

test('kmem alone runs the built-in scenario, prints the summary and names the report last', () => {
  const cwd = tempFiles({});
  const r = kmem(cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no progress bar without a terminal');
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^kmem run: default \(seed 1; 2 GiB, 1 node, 4 CPUs; \d+ steps\)$/);
  for (const title of ['genpools:', 'dmapools:', 'vmalloc users:', 'vmalloc space:', 'subsystems:'])
    assert.ok(lines.includes(title), title);
  assert.match(r.stdout, /^ {2}subsystem +size +used +use +failures +fragmentation +TLB flushes$/m);
  assert.match(r.stdout, /^ {2}vmalloc +[\d.]+ [KM]iB .* \d+$/m);
  assert.equal(lines[lines.length - 1], 'report: kmem-report.html');
  const html = readFileSync(join(cwd, 'kmem-report.html'), 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  rmSync(cwd, { recursive: true, force: true });
});

test('kmem run <file> --json prints the summary; --seed changes it; --no-report writes nothing', () => {
  const a = kmem(dir, 'run', 'mix.json', '--json', '--no-report');
  assert.equal(a.status, 0, a.stderr);
  const j = JSON.parse(a.stdout) as {
    scenario: string;
    seed: number;
    report: string | null;
    genpools: { id: string; failures: number }[];
    subsystems: { name: string }[];
  };
  assert.equal(j.scenario, 'small-mix');
  assert.equal(j.seed, 7);
  assert.equal(j.report, null);
  assert.deepEqual(
    j.genpools.map((g) => g.id),
    ['sram', 'fast'],
  );
  assert.deepEqual(
    j.subsystems.map((s) => s.name),
    ['genpool', 'dmapool', 'vmalloc'],
  );
  assert.ok(!existsSync(join(dir, 'kmem-report.html')));
  const same = kmem(dir, 'run', 'mix.json', '--json', '--no-report');
  assert.equal(same.stdout, a.stdout);
  const b = kmem(dir, 'run', 'mix.json', '--json', '--no-report', '--seed', '12345');
  assert.equal((JSON.parse(b.stdout) as { seed: number }).seed, 12345);
  assert.notEqual(b.stdout, a.stdout);
});

test('kmem run --out writes the report there and names it on the last line', () => {
  const r = kmem(dir, 'run', 'script.json', '-o', 'out.html', '-q');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\n').pop(), 'report: out.html');
  assert.match(readFileSync(join(dir, 'out.html'), 'utf8'), /^<!DOCTYPE html>/);
});

test('kmem cat prints a simulated file as it reads after the scenario', () => {
  const r = kmem(dir, 'cat', '/proc/vmallocinfo', '--scenario', 'script.json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^0xffffc9[0-9a-f]{10}-0xffffc9[0-9a-f]{10} +69632 fw_load\+0x10\/0x40 pages=16 vmalloc N0=16$/m,
  );
  assert.match(
    r.stdout,
    /^0xffffc9[0-9a-f]{10}-0xffffc9[0-9a-f]{10} +69632 ioremap phys=0x00000000fe000000 ioremap$/m,
  );
  const pools = kmem(
    dir,
    'cat',
    '/sys/devices/fe200000.ethernet/pools',
    '--scenario',
    'script.json',
  );
  assert.equal(pools.stdout, 'poolinfo - 0.1\ndesc                1   64   64  1\n');
  const meminfo = kmem(dir, 'cat', '/proc/meminfo', '--scenario', 'script.json', '--json');
  const j = JSON.parse(meminfo.stdout) as { path: string; text: string };
  assert.equal(j.path, '/proc/meminfo');
  assert.match(j.text, /^MemTotal: /);
});

test('kmem cat of an unknown file lists the files there are, exit 1', () => {
  const line = oneLine(kmem(dir, 'cat', '/proc/slabinfo', '--scenario', 'script.json'), 1);
  assert.equal(
    line,
    'kmem: /proc/slabinfo: no such file (there are: /proc/meminfo, /proc/vmallocinfo, /sys/devices/fe200000.ethernet/pools)',
  );
});

test('bad input: one line, exit 2 for usage and malformed files, 1 when the simulator refuses', () => {
  assert.equal(
    oneLine(kmem(dir, 'run', 'trunc.json'), 2),
    'kmem: trunc.json:3:1: expected a property name, found the end of the file',
  );
  assert.equal(oneLine(kmem(dir, 'run', 'nope.json'), 2), 'kmem: nope.json: no such file');
  assert.equal(oneLine(kmem(dir, 'run', dir), 2), `kmem: ${dir}: is a directory`);
  assert.match(
    oneLine(kmem(dir, 'run', 'machine.json'), 1),
    /^kmem: machine\.json:2: machine: the simulator refuses it: memory: \d+ bytes is outside 16 MiB \.\. 1024 GiB$/,
  );
  assert.equal(
    oneLine(kmem(dir, 'cat', '/proc/meminfo', '--scenario', 'trunc.json'), 2),
    'kmem: trunc.json:3:1: expected a property name, found the end of the file',
  );
  const usage: [string[], string][] = [
    [['run', '--seed', '0'], "kmem: --seed '0' is not an integer in 1..4294967295"],
    [['run', 'a.json', 'b.json'], "kmem: unexpected argument 'b.json'"],
    [['run', '--frob'], "kmem: unknown option '--frob'"],
    [['run', '--no-report', '--out', 'x.html'], 'kmem: --out and --no-report cannot go together'],
    [['cat'], 'kmem: which file? (e.g. /proc/vmallocinfo)'],
    [['--seed'], "kmem: option '--seed' needs a value"],
  ];
  for (const [args, first] of usage) {
    const r = kmem(dir, ...args);
    assert.equal(oneLine(r, 2), first, args.join(' '));
    assert.match(r.stderr.split('\n')[1]!, /^usage: kmem /);
  }
});

test('run and cat have --help; kmem --help lists them, run as the default', () => {
  for (const cmd of ['run', 'cat']) {
    const r = kmem(dir, cmd, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^usage: kmem ${cmd} `));
  }
  const all = kmem(dir, '--help');
  assert.match(all.stdout, /^ {2}run +run a scenario .* \(the default\)$/m);
  assert.match(all.stdout, /^ {2}cat +/m);
});
