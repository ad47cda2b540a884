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
import { parseTrace } from '../../src/cli/replay/trace.js';

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

test('the example trace: one comparison row per algorithm and pool, nothing on stderr', () => {
  const r = kmem([TRACE, '--no-report']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(
    r.stdout,
    /^replay of .*example\.trace: sram 128 KiB order 5, ocram 16 KiB order 3;/,
  );
  assert.match(
    r.stdout,
    /^algo +order +allocs +failures +peak +pool +free +largest free +end frag +avail$/m,
  );
  // the values, checked against the independent computation of the next test
  const rows = [
    /^first-fit +5 +107 +1 +109\.5 KiB +sram +21\.6 KiB +13\.5 KiB +37\.6% +21\.6 KiB$/m,
    /^ +ocram +15 KiB +14\.8 KiB +1\.7% +15 KiB$/m,
    /^best-fit +5 +107 +1 +109\.5 KiB +sram +21\.6 KiB +16 KiB +26\.0% +21\.6 KiB$/m,
    /^first-fit-order-align +5 +106 +2 +109\.5 KiB +sram +21\.6 KiB +3\.5 KiB +83\.8% +21\.6 KiB$/m,
    /^ +ocram +15 KiB +14\.6 KiB +2\.9% +15 KiB$/m,
  ];
  for (const row of rows) assert.match(r.stdout, row);
  assert.doesNotMatch(r.stdout, /^report:/m);
});

/** A panel of the --json document, as the next test reads it. */
interface JsonPanel {
  algo: string;
  allocs: number;
  failures: number;
  peak: number;
  placements: (string | null)[];
  pools: { name: string; free: number; largest_free: number; fragmentation: number }[];
}

test('the example trace: peak, free, largest free run and fragmentation, recomputed per pool', () => {
  const r = kmem([TRACE, '--no-report', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { replay: { panels: JsonPanel[] } };
  const trace = parseTrace(readFileSync(TRACE, 'utf8'));
  for (const p of doc.replay.panels) {
    // replay the placements the command printed, with intervals only (no bitmap)
    const granule = trace.pools.map((x) => 2 ** x.order);
    const live = new Map<number, { pool: number; start: number; size: number }>();
    let used = 0;
    let peak = 0;
    let k = 0;
    trace.ops.forEach((op, i) => {
      if (op.kind === 'alloc') {
        const at = p.placements[k++];
        if (at === null || at === undefined) return;
        const g = granule[op.pool]!;
        const size = Math.ceil(op.size / g) * g;
        live.set(i, { pool: op.pool, start: Number(BigInt.asUintN(48, BigInt(at))), size });
        used += size;
        peak = Math.max(peak, used);
      } else if (live.has(op.target)) {
        used -= live.get(op.target)!.size;
        live.delete(op.target);
      }
    });
    assert.equal(p.peak, peak, `${p.algo}: peak`);
    trace.pools.forEach((pool, i) => {
      const g = granule[i]!;
      let free = 0;
      let largest = 0;
      for (const c of pool.chunks) {
        const end = c.base + Math.floor(c.size / g) * g;
        const inside = [...live.values()]
          .filter((x) => x.pool === i && x.start >= c.base && x.start < end)
          .sort((x, y) => x.start - y.start);
        let at = c.base;
        for (const x of [...inside, { start: end, size: 0 }]) {
          free += x.start - at;
          largest = Math.max(largest, x.start - at);
          at = x.start + x.size;
        }
      }
      const got = p.pools[i]!;
      assert.equal(got.name, pool.name);
      assert.deepEqual(
        [got.free, got.largest_free, got.fragmentation],
        [free, largest, free === 0 ? 0 : 1 - largest / free],
        `${p.algo} ${pool.name}`,
      );
    });
  }
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

test('--algo and --order given twice are refused, with the names that collide', () => {
  const cases: [string[], string][] = [
    [
      ['--algo', 'first-fit,first-fit'],
      "kmem: --algo: 'first-fit' is given twice; give each algorithm once",
    ],
    [
      ['--algo', 'ff,first-fit'],
      "kmem: --algo: 'ff' and 'first-fit' are both first-fit; give each algorithm once",
    ],
    [
      ['--algo', 'order-align,first-fit-order-align'],
      "kmem: --algo: 'order-align' and 'first-fit-order-align' are both first-fit-order-align; give each algorithm once",
    ],
    [['--order', '5,7,5'], 'kmem: --order: 5 is given twice; give each order once'],
  ];
  for (const [args, line] of cases) {
    const r = kmem([TRACE, '--no-report', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.split('\n')[0], line);
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
  assert.equal(bad.stdout, '', 'checked before the replay: nothing replayed');
  assert.match(
    bad.stderr,
    /^kmem: cannot write the report to '.*dir\.html': no such file or directory\n$/,
  );
});
