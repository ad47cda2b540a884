// SPDX-License-Identifier: GPL-2.0-only
/*
 * `npm run bench [-- names...] [--quick]`: runs the workloads of bench/WORKLOADS.md and
 * prints one JSON line per run. A name selects the workloads it is a prefix of (G-steady,
 * G-high, G, V). Each (workload, implementation) runs in its own child process so JIT state
 * does not leak between implementations. With --quick every workload runs small (CI).
 *
 * Fidelity gate: kmem and kernel-scan must print the same checksum and failure count on
 * every workload (and, full size, the kernel's reference values); a mismatch exits 1.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { genpoolCases, runGenpoolCase, type GenpoolCase } from './genpool.bench.js';
import { dmapoolCases, runDmapoolCase, type DmapoolCase } from './dmapool.bench.js';
import { runVmapCase, vmapCases, type VmapCase } from './vmap.bench.js';
import { vmallocPairLine } from './vmalloc.bench.js';
import { runTestVmallocCase, testVmallocCases, type TestVmallocCase } from './test-vmalloc.bench.js';
import type { BenchLine } from './harness.js';

/** The kernel's own C results (bench/WORKLOADS.md, "Reference results"). */
const REFERENCE: Record<string, [failed: number, checksum: number]> = {
  'G-fill/first-fit': [0, 4286578688],
  'G-steady/first-fit': [0, 3873226336],
  'G-steady/best-fit': [0, 1546878528],
  'G-steady/first-fit-order-align': [0, 1760469248],
  'G-high/first-fit': [0, 2641118784],
  'G-high/best-fit': [0, 1410417824],
  'G-high/first-fit-order-align': [113263, 3831834336],
  // vmap areas: keyed by the initial layout (vmalloc_init's whole space, or the range alone)
  'V-steady/whole': [0, 2994196480],
  'V-steady/range': [0, 2994196480],
  'V-align/whole': [0, 914386944],
  'V-align/range': [0, 2544091136],
};

type BenchCase = GenpoolCase | DmapoolCase | VmapCase | TestVmallocCase;

function main(argv: string[]): number {
  const child = argv.indexOf('--child');
  if (child >= 0) {
    const c = JSON.parse(argv[child + 1]!) as BenchCase;
    const q = argv.includes('--quick');
    const out = c.workload.startsWith('D-')
      ? runDmapoolCase(c as DmapoolCase, q)
      : c.workload === 'V-vmalloc'
        ? [vmallocPairLine(q)]
        : c.workload.startsWith('V-')
          ? runVmapCase(c as VmapCase, q)
          : c.workload.startsWith('test_vmalloc')
            ? runTestVmallocCase(c as TestVmallocCase, q)
            : runGenpoolCase(c as GenpoolCase, q);
    for (const l of out) console.log(JSON.stringify(l));
    return 0;
  }
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = argv.filter((a) => a.startsWith('--') && a !== '--quick');
  if (unknown.length > 0) {
    console.error(`bench: unknown option ${unknown[0]} (use names of workloads and --quick)`);
    return 2;
  }
  const all: BenchCase[] = [
    ...genpoolCases(),
    ...dmapoolCases(),
    ...vmapCases(),
    { workload: 'V-vmalloc', impl: 'kmem' } as TestVmallocCase,
    ...testVmallocCases(),
  ];
  const selects = (n: string, w: string): boolean =>
    w.startsWith(n) || (n === 'dmapool_test' && w.startsWith('D-test'));
  const cases = all.filter((c) => names.length === 0 || names.some((n) => selects(n, c.workload)));
  if (cases.length === 0) {
    console.error(
      `bench: no workload matches ${names.join(' ')} (known: G-fill, G-steady, G-high, D-test, dmapool_test, D-churn, V-steady, V-align, V-vmalloc, test_vmalloc)`,
    );
    return 2;
  }
  const self = fileURLToPath(import.meta.url);
  const lines: BenchLine[] = [];
  for (const c of cases) {
    const args = ['--expose-gc', self, '--child', JSON.stringify(c)];
    if (quick) args.push('--quick');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      console.error(`bench: ${c.workload} ${c.impl} failed (exit ${r.status})`);
      return 1;
    }
    for (const text of r.stdout.split('\n')) {
      if (text.trim() === '') continue;
      console.log(text);
      lines.push(JSON.parse(text) as BenchLine);
    }
  }
  return checkAgreement(lines, quick);
}

function checkAgreement(lines: BenchLine[], quick: boolean): number {
  let bad = 0;
  const key = (l: BenchLine): string =>
    `${l.workload}/${String(l['algo'])}/${String(l['phase'] ?? '')}`;
  const kmem = new Map(lines.filter((l) => l.impl === 'kmem').map((l) => [key(l), l]));
  for (const l of lines) {
    if (l.impl !== 'kernel-scan') continue;
    const k = kmem.get(key(l));
    if (k !== undefined && (k.checksum !== l.checksum || k.failed !== l.failed)) {
      console.error(
        `bench: ${key(l)}: kmem ${k.checksum}/${k.failed} != kernel-scan ${l.checksum}/${l.failed}`,
      );
      bad++;
    }
  }
  if (!quick) {
    for (const l of lines) {
      if (l.impl === 'thi.ng' || l['phase'] === 'free') continue;
      const variant = l['layout'] ?? l['algo'];
      const ref = REFERENCE[`${l.workload}/${String(variant)}`];
      if (ref !== undefined && (ref[0] !== l.failed || ref[1] !== l.checksum)) {
        console.error(
          `bench: ${l.workload} ${l.impl} ${String(variant)}: ${l.checksum}/${l.failed}, kernel reference ${ref[1]}/${ref[0]}`,
        );
        bad++;
      }
    }
  }
  return bad === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
