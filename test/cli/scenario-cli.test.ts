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
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { catPath } from '../../src/cli/commands/cat.js';
import { finish } from '../../src/cli/commands/run.js';
import { MAX_INPUT_BYTES, printable } from '../../src/cli/input-file.js';
import { captureOutput } from '../../src/cli/out.js';
import { errnoWords } from '../../src/cli/report-out.js';
import { parseScenario } from '../../src/cli/scenario/load.js';
import { runScenario } from '../../src/cli/scenario/run-scenario.js';
import { kmem, smallMix, smallScript, STACK_FRAME, tempFiles } from './scenario-fixtures.js';

const dir = tempFiles({
  'mix.json': smallMix(),
  'script.json': smallScript([
    { op: 'vmalloc', pool: 'fw', size: '64K', id: 'v' },
    { op: 'alloc', pool: 'desc', id: 'd' },
  ]),
  'trunc.json': '{\n  "machine": {},\n',
  'example.trace': 'pool p size=4K order=5\nalloc p 100\n',
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
  assert.match(
    r.stdout,
    /^ {2}subsystem +size +used +use +failures +fragmentation +TLB flushes +size \/ used are$/m,
  );
  assert.match(
    r.stdout,
    /^ {2}vmalloc +[\d.]+ [KMG]iB .* \d+ +reserved address space \/ mapped bytes$/m,
  );
  assert.match(r.stdout, /^ {2}dmapool .* +- +- +page bytes \/ bytes of blocks in use$/m);
  assert.match(
    r.stdout,
    /^ {2}areas +reserved +mapped pages +vmalloc pages +lazy pages +pooled areas /m,
  );
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

test('a script has no seed in its heading or report; a mix has', () => {
  const script = kmem(dir, 'run', 'script.json', '-o', 'script.html', '-q');
  assert.equal(script.status, 0, script.stderr);
  assert.match(
    script.stdout.split('\n')[0]!,
    /^kmem run: small-script \(256 MiB, 1 node, 2 CPUs; 2 steps\)$/,
  );
  assert.doesNotMatch(readFileSync(join(dir, 'script.html'), 'utf8'), /<dt>seed<\/dt>/);
  const mix = kmem(dir, 'run', 'mix.json', '--no-report', '-q');
  assert.match(
    mix.stdout.split('\n')[0]!,
    /^kmem run: small-mix \(seed 7; 256 MiB, 1 node, 2 CPUs; 3000 steps\)$/,
  );
});

test('"cpu": "all" is refused with a message that names "any" where it is allowed', () => {
  const files = tempFiles({
    'mix.json': smallMix().replace('"cpu": "any"', '"cpu": "all"'),
    'script.json': smallScript([{ op: 'purge', cpu: 'all' }]),
  });
  assert.match(
    oneLine(kmem(files, 'run', 'mix.json'), 2),
    /^kmem: mix\.json:\d+: workload\.mix\.users\[2\]\.cpu: expected a CPU number 0\.\.1 or "any", got "all"$/,
  );
  assert.match(
    oneLine(kmem(files, 'run', 'script.json'), 2),
    /^kmem: script\.json:\d+: workload\.script\[0\]\.cpu: expected a CPU number 0\.\.1 \(a script op runs on one CPU; "any" is for a mix user\), got "all"$/,
  );
  rmSync(files, { recursive: true, force: true });
});

test('--out is checked before the run: empty is a usage error, a bad place an error in words', () => {
  const t0 = Date.now();
  const empty = kmem(dir, 'run', 'mix.json', '--out', '');
  assert.equal(oneLine(empty, 2), 'kmem: --out needs a file name, not an empty one');
  assert.match(empty.stderr.split('\n')[1]!, /^usage: kmem run /);
  const bad: [string, string][] = [
    ['/proc/x.html', "kmem: cannot write the report to '/proc/x.html': no such file or directory"],
    [
      'no/such/dir/r.html',
      "kmem: cannot write the report to 'no/such/dir/r.html': no such file or directory",
    ],
    [dir, `kmem: cannot write the report to '${dir}': it is a directory`],
    [
      'mix.json/r.html',
      "kmem: cannot write the report to 'mix.json/r.html': a part of the path is not a directory",
    ],
  ];
  for (const [out, line] of bad) {
    for (const command of ['run', 'replay']) {
      const input = command === 'run' ? 'mix.json' : 'example.trace';
      const r = kmem(dir, command, input, '--out', out);
      assert.equal(oneLine(r, 1), line, `${command} --out ${out}`);
    }
  }
  assert.ok(!existsSync(join(dir, 'no')), 'the probe leaves nothing behind');
  assert.ok(Date.now() - t0 < 20_000);
});

test('a report that cannot be written after the run: the summary is printed first, then the error', () => {
  const r = runScenario(parseScenario(smallMix(), 'mix.json', dir), {
    command: 'kmem run mix.json',
  });
  const sub = tempFiles({});
  const path = join(sub, 'r.html');
  rmSync(sub, { recursive: true, force: true }); // the directory goes away during the run
  const out = captureOutput();
  const ctx = { out, stderrIsTTY: false, writeProgress: null, cwd: dir };
  assert.equal(finish(r, false, { path, shown: 'gone/r.html' }, ctx), 1);
  assert.match(out.stdout[0]!, /^kmem run: small-mix /);
  assert.ok(out.stdout.some((l) => l === 'subsystems:'));
  assert.ok(!out.stdout.some((l) => l.startsWith('report:')));
  assert.deepEqual(out.stderr, [
    "kmem: cannot write the report to 'gone/r.html': no such file or directory",
  ]);
  const json = captureOutput();
  assert.equal(finish(r, true, { path, shown: 'gone/r.html' }, { ...ctx, out: json }), 1);
  assert.equal((JSON.parse(json.stdout.join('\n')) as { report: null }).report, null);
  assert.equal(json.stderr.length, 1);
});

test('special and huge files are refused at once, not read forever', () => {
  const big = join(dir, 'big.json');
  closeSync(openSync(big, 'w'));
  truncateSync(big, MAX_INPUT_BYTES + 1); // sparse: no disk used
  const cases: [string[], number, string][] = [
    [['run', '/dev/zero'], 2, 'kmem: /dev/zero: is a character device, not a regular file'],
    [
      ['cat', '/proc/meminfo', '--scenario', '/dev/zero'],
      2,
      'kmem: /dev/zero: is a character device, not a regular file',
    ],
    [
      ['replay', '/dev/zero'],
      2,
      'kmem: /dev/zero: cannot read the file: is a character device, not a regular file',
    ],
    [
      ['run', 'big.json'],
      2,
      `kmem: big.json: is too large: ${MAX_INPUT_BYTES + 1} bytes (the limit is 64 MiB)`,
    ],
    [
      ['replay', 'big.json'],
      2,
      `kmem: big.json: cannot read the file: is too large: ${MAX_INPUT_BYTES + 1} bytes (the limit is 64 MiB)`,
    ],
  ];
  for (const [args, status, line] of cases) {
    const t0 = Date.now();
    assert.equal(oneLine(kmem(dir, ...args), status), line, args.join(' '));
    assert.ok(Date.now() - t0 < 10_000, `${args.join(' ')} took ${Date.now() - t0} ms`);
  }
  rmSync(big);
});

test('non-printable characters of the input are escaped in messages', () => {
  assert.equal(printable('a\x1b[31mb\u0007\n\u2028\\'), 'a\\x1b[31mb\\x07\\x0a\\u2028\\');
  const trace = join(dir, 'esc.trace');
  writeFileSync(trace, 'pool p size=4K\nfrob\x1b[31m p\n');
  assert.equal(
    oneLine(kmem(dir, 'replay', 'esc.trace'), 2),
    "kmem: esc.trace:2: unknown keyword 'frob\\x1b[31m' (expected pool, chunk, alloc or free)",
  );
  const cat = kmem(dir, 'cat', '/proc/\x1b]0;x\x07', '--scenario', 'script.json');
  assert.equal(cat.status, 2);
  assert.doesNotMatch(cat.stderr, /\x1b|\x07/);
});

test('kmem cat checks the path before running and normalises it', () => {
  assert.deepEqual(catPath('//proc//meminfo'), { path: '/proc/meminfo' });
  assert.deepEqual(catPath('/proc/meminfo/'), { path: '/proc/meminfo' });
  assert.deepEqual(catPath('/proc/./x/../vmallocinfo'), { path: '/proc/vmallocinfo' });
  assert.deepEqual(catPath('/../../proc/meminfo'), { path: '/proc/meminfo' });
  assert.ok('problem' in catPath(''));
  assert.ok('problem' in catPath('proc/meminfo'));
  assert.ok('problem' in catPath('/proc/mem info'));
  const t0 = Date.now();
  const empty = kmem(dir, 'cat', '');
  assert.equal(oneLine(empty, 2), 'kmem: the path is empty (e.g. /proc/vmallocinfo)');
  assert.match(empty.stderr.split('\n')[1]!, /^usage: kmem cat /);
  assert.equal(
    oneLine(kmem(dir, 'cat', 'proc/meminfo'), 2),
    "kmem: 'proc/meminfo' is not an absolute path (e.g. /proc/vmallocinfo)",
  );
  assert.ok(Date.now() - t0 < 3000, 'refused before running the built-in scenario');
  const r = kmem(dir, 'cat', '//proc//meminfo/', '--scenario', 'script.json', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { path: string }).path, '/proc/meminfo');
});

test('errnoWords says errno codes in plain words', () => {
  assert.equal(errnoWords({ code: 'ENOENT' }), 'no such file or directory');
  assert.equal(errnoWords({ code: 'EACCES' }), 'permission denied');
  assert.equal(errnoWords({ code: 'ENOSPC' }), 'no space left on device');
  assert.equal(errnoWords({ code: 'EWHAT' }), 'error EWHAT');
  assert.equal(errnoWords(new Error('boom')), 'boom');
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

test('bad input: one line, exit 2 for usage and malformed or impossible files', () => {
  assert.equal(
    oneLine(kmem(dir, 'run', 'trunc.json'), 2),
    'kmem: trunc.json:3:1: expected a property name, found the end of the file',
  );
  assert.equal(oneLine(kmem(dir, 'run', 'nope.json'), 2), 'kmem: nope.json: no such file');
  assert.equal(oneLine(kmem(dir, 'run', dir), 2), `kmem: ${dir}: is a directory`);
  assert.equal(
    oneLine(kmem(dir, 'run', 'machine.json'), 2),
    "kmem: machine.json:2: machine.memory: 4398046511104 bytes is outside the simulator's 16 MiB..1 TiB",
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
