// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem replay` as a user runs it: spawn `node dist/src/cli/main.js replay ...` and check
 * exit codes (0 done, 1 runtime error, 2 usage error or bad input line), the one-line
 * errors with file and line, the absence of stack traces, --json, and the report file.
 *
 * Kernel: none (kmem's command line).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TRACE = join(ROOT, 'scenarios/traces/example.trace');
const VMINFO = join(ROOT, 'scenarios/traces/vmallocinfo.txt');
const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

function kmem(
  args: string[],
  cwd = ROOT,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'replay', ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, KMEM_DEBUG: '' },
  });
  assert.doesNotMatch(r.stdout + r.stderr, STACK_FRAME, 'no stack trace');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'kmem-replay-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

test('kmem replay --help starts with the usage line and exits 0', () => {
  const r = kmem(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout.split('\n')[0]!, /^usage: kmem replay <trace \| vmallocinfo>/);
  assert.match(r.stdout, /--algo LIST/);
  const all = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
  assert.match(all.stdout, /^ {2}replay +replay an allocation trace/m);
});

test('the example trace: one comparison row per algorithm, nothing on stderr', () => {
  const r = kmem([TRACE, '--no-report']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(
    r.stdout,
    /^replay of .*example\.trace: sram 128 KiB order 5, ocram 16 KiB order 3;/,
  );
  assert.match(r.stdout, /^algo +order +allocs +failures +peak +end frag +largest free +avail$/m);
  for (const algo of ['first-fit', 'best-fit', 'first-fit-order-align'])
    assert.match(r.stdout, new RegExp(`^${algo} +5 +\\d+ +\\d+ `, 'm'));
  assert.doesNotMatch(r.stdout, /^report:/m);
});

test('--json: panels = algorithms × orders, each with a placement per alloc', () => {
  const r = kmem([
    TRACE,
    '--no-report',
    '--json',
    '--algo',
    'first-fit,order-align,best-fit',
    '--order',
    '5,7',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    replay: {
      allocs: number;
      panels: {
        algo: string;
        order: number;
        placements: (string | null)[];
        failures: number;
        failed: { line: number }[];
      }[];
    };
    vmallocinfo: null;
    report: null;
  };
  assert.equal(j.vmallocinfo, null);
  assert.equal(j.report, null);
  assert.deepEqual(
    j.replay.panels.map((p) => `${p.algo}/${p.order}`),
    [
      'first-fit/5',
      'first-fit/7',
      'first-fit-order-align/5',
      'first-fit-order-align/7',
      'best-fit/5',
      'best-fit/7',
    ],
  );
  for (const p of j.replay.panels) {
    assert.equal(p.placements.length, j.replay.allocs);
    assert.equal(p.placements.filter((a) => a === null).length, p.failures);
    assert.equal(p.failed.length, p.failures);
    assert.ok(p.placements.every((a) => a === null || /^0xffffc9/.test(a)));
  }
});

test('--placements prints every alloc with one address column per panel', () => {
  const r = kmem([TRACE, '--no-report', '--placements', '--algo', 'ff,bf']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^line +alloc +id +owner +first-fit\/5 +best-fit\/5$/m);
  assert.match(
    r.stdout,
    /^ +10 +alloc sram 8192 +vpu-fw +vpu +0xffffc90000200000 +0xffffc90000200000$/m,
  );
});

test('a bad trace line: kmem: <file>:<line>: <problem>, exit 2, one line', () => {
  const path = file('bad.trace', 'pool p size=4K order=5\nalloc p 64 id=a\nfree p b\n');
  const r = kmem([path, '--no-report']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `kmem: ${path}:3: free of 'b': no live allocation in pool 'p' has that id (never allocated, or already freed)\n`,
  );
});

test('a trace with no pool: kmem: <file>: <problem>, exit 2', () => {
  const path = file('empty.trace', '# nothing\n');
  const r = kmem([path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kmem: .*empty\.trace: no pool declared/);
});

test('usage errors exit 2 with the usage line', () => {
  for (const args of [
    [],
    [TRACE, '--algo', 'worst-fit'],
    [TRACE, '--order', '41'],
    [TRACE, '--try', '64M'],
    [VMINFO, '--algo', 'best-fit'],
    [TRACE, '--out', 'x.html', '--no-report'],
    [TRACE, 'extra'],
    [TRACE, '--bogus'],
    [VMINFO, '--vmallocinfo', VMINFO],
  ]) {
    const r = kmem(args);
    assert.equal(r.status, 2, args.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^kmem: /);
    assert.match(lines[1]!, /^usage: kmem replay .*\(kmem replay --help for more\)$/);
  }
});

test('a missing file exits 2 with its name', () => {
  const r = kmem([join(tmp, 'nope.trace')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kmem: .*nope\.trace: cannot read the file: no such file\n$/);
});

test('a pool that cannot be built at the order is a runtime error (exit 1)', () => {
  const path = file('huge.trace', 'pool huge size=2G order=0\nalloc huge 4K\n');
  const r = kmem([path, '--no-report']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^kmem: error: pool 'huge' \(line 1\): .*--order\n$/);
  assert.equal(kmem([path, '--no-report', '--order', '12']).status, 0);
});

test('the example snapshot: text summary, what-ifs, exit 0', () => {
  const r = kmem([VMINFO, '--no-report', '--try', '64M,40T']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^vmalloc range 0xffffc90000000000-0xffffe90000000000 \(32 TiB\)$/m);
  assert.match(r.stdout, /^outside the range: 3 areas/m);
  assert.match(r.stdout, /^vmalloc\(64 MiB\) +fits +0xffffc9/m);
  assert.match(r.stdout, /^vmalloc\(40 TiB\) +fails +no room$/m);
});

test('--vmallocinfo with a trace: both in one JSON document', () => {
  const r = kmem([TRACE, '--vmallocinfo', VMINFO, '--json', '--no-report']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    replay: { panels: unknown[] };
    vmallocinfo: { range: { start: string }; largest_vmalloc: { size: number; at: string } };
  };
  assert.equal(j.replay.panels.length, 3);
  assert.equal(j.vmallocinfo.range.start, '0xffffc90000000000');
  assert.ok(j.vmallocinfo.largest_vmalloc.size > 2 ** 44);
});

test('a malformed snapshot line: kmem: <file>:<line>: <problem>, exit 2', () => {
  const path = file(
    'vmi.txt',
    '0xffffc90000000000-0xffffc90000002000    8192 vmap\n0xffffc90000002000-0xffffc90000004000    4096 vmap\n',
  );
  const r = kmem([path]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `kmem: ${path}:2: size 4096 does not match the range (8192 bytes)\n`);
  const forced = kmem(['--vmallocinfo', file('v2.txt', 'hello\n')]);
  assert.equal(forced.status, 2);
  assert.match(forced.stderr, /v2\.txt:1: not a vmallocinfo line/);
});

test('the report: --out writes one HTML page, the default goes to the working directory', () => {
  const out = join(tmp, 'r.html');
  const r = kmem([TRACE, '--vmallocinfo', VMINFO, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`\\nreport: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`),
  );
  const html = readFileSync(out, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /first-fit-order-align/);
  const cwd = mkdtempSync(join(tmp, 'cwd-'));
  const d = kmem([TRACE, '--json'], cwd);
  assert.equal(d.status, 0, d.stderr);
  assert.equal((JSON.parse(d.stdout) as { report: string }).report, 'kmem-replay.html');
  assert.ok(existsSync(join(cwd, 'kmem-replay.html')));
  const bad = kmem([TRACE, '--out', join(tmp, 'no', 'such', 'dir.html')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^kmem: error: cannot write the report to .*: ENOENT\n$/);
});
