// SPDX-License-Identifier: GPL-2.0-only
/*
 * `npm run bench [-- names...] [--quick]`: runs the workloads of bench/WORKLOADS.md and
 * prints one JSON line per run. A name selects the workloads it is a prefix of (G-steady,
 * G-high, G, V). Each (workload, implementation) runs in its own child process so JIT state
 * does not leak between implementations. With --quick every workload runs small (CI).
 *
 * The workloads, kmem's and the kernel-scan baseline's cases, the child protocol and the
 * fidelity gate are src/cli/bench's (shared with `kmem bench`); this runner adds the peers
 * that use dev dependencies (genpool.bench.ts: @thi.ng/malloc) and spawns itself as the
 * child so that they run too.
 *
 * G-shared (the shared genpool with 1, 2 and 4 worker threads, gshared.bench.ts) runs last,
 * in a child of its own: it starts its own workers, so it is not one case per child.
 *
 * Fidelity gate: kmem and kernel-scan must print the same checksum and failure count on
 * every workload (and, full size, the kernel's reference values); a mismatch exits 1.
 *
 * Kernel: none (kmem's benchmarks; see src/cli/bench).
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  benchCases,
  knownWorkloadNames,
  runBenchCase,
  selectCases,
  type BenchCase,
} from '../src/cli/bench/cases.js';
import type { GenpoolCase } from '../src/cli/bench/genpool.js';
import type { BenchLine } from '../src/cli/bench/harness.js';
import { gateProblems } from '../src/cli/bench/reference.js';
import { CHILD_FLAG, childMain, QUICK_FLAG, runCaseInChild } from '../src/cli/bench/runner.js';
import { processOutput } from '../src/cli/out.js';
import { runThingCase, THING_IMPL } from './genpool.bench.js';

/** Run one case in this process: the peer's own, or kmem's (src/cli/bench). */
function runAnyCase(c: BenchCase, quick: boolean): BenchLine[] {
  return c.impl === THING_IMPL ? runThingCase(c as GenpoolCase, quick) : runBenchCase(c, quick);
}

/** The workload of gshared.bench.ts. */
const G_SHARED = 'G-shared';

/** Run gshared.bench.ts in a child, its JSON lines to stdout. @returns false if it failed. */
function runShared(quick: boolean): boolean {
  const script = fileURLToPath(new URL('./gshared.bench.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(r.stdout);
  if (r.status === 0) return true;
  console.error(`bench: ${G_SHARED} failed (exit ${r.status})`);
  return false;
}

function main(argv: string[]): number {
  if (argv.includes(CHILD_FLAG)) return childMain(argv, processOutput(), runAnyCase);
  const quick = argv.includes(QUICK_FLAG);
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = argv.filter((a) => a.startsWith('--') && a !== QUICK_FLAG);
  if (unknown.length > 0) {
    console.error(`bench: unknown option ${unknown[0]} (use names of workloads and --quick)`);
    return 2;
  }
  const all = benchCases([THING_IMPL]);
  const { cases } = selectCases(all, names);
  const shared = names.length === 0 || names.some((n) => G_SHARED.startsWith(n));
  if (cases.length === 0 && !shared) {
    const known = [...knownWorkloadNames(all), G_SHARED].join(', ');
    console.error(`bench: no workload matches ${names.join(' ')} (known: ${known})`);
    return 2;
  }
  const self = fileURLToPath(import.meta.url);
  const lines: BenchLine[] = [];
  for (const c of cases) {
    const r = runCaseInChild(self, c, quick);
    if (!r.ok) {
      process.stderr.write(r.stderr);
      console.error(`bench: ${c.workload} ${c.impl} failed (exit ${r.status})`);
      return 1;
    }
    for (const text of r.texts) console.log(text);
    lines.push(...r.lines);
  }
  if (shared && !runShared(quick)) return 1;
  const problems = gateProblems(lines, quick);
  for (const p of problems) console.error(`bench: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
