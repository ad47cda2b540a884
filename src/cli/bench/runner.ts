// SPDX-License-Identifier: GPL-2.0-only
/*
 * One child process per benchmark run, so that JIT state does not leak from one
 * (workload, implementation) pair to the next: the parent spawns
 *
 *   node --expose-gc <script> --child '<case as JSON>' [--quick]
 *
 * and reads the JSON lines the child prints. `kmem bench` uses child.ts as the script;
 * bench/run.ts (npm run bench) uses itself, so that its peers can run in the child too.
 *
 * Kernel: none (kmem's benchmarks).
 */

import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, errorLine } from '../args.js';
import type { Output } from '../out.js';
import type { BenchLine } from './harness.js';

/** The argument that puts a benchmark script in child mode; the case's JSON follows it. */
export const CHILD_FLAG = '--child';
/** The argument for a small run of every workload (shape and agreement, not speed). */
export const QUICK_FLAG = '--quick';

/** The child script of `kmem bench`: child.ts, beside this file in dist/src/cli/bench. */
export const KMEM_CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url));

/** What a child run gave: its lines (and their text as printed), or how it failed. */
export type ChildOutcome =
  | { readonly ok: true; readonly lines: BenchLine[]; readonly texts: string[] }
  | { readonly ok: false; readonly status: number | null; readonly stderr: string };

/**
 * Run one case in a child process of `script` (with --expose-gc, as the harness wants).
 * @returns the lines it printed, or `{ ok: false, status, stderr }` when it exited non-zero,
 *   was killed, or printed something that is not a JSON line.
 */
export function runCaseInChild(script: string, c: object, quick: boolean): ChildOutcome {
  const args = ['--expose-gc', script, CHILD_FLAG, JSON.stringify(c)];
  if (quick) args.push(QUICK_FLAG);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const stderr = r.error === undefined ? r.stderr : `${errorLine(r.error)}\n`;
  if (r.status !== 0) return { ok: false, status: r.status, stderr };
  const texts = r.stdout.split('\n').filter((t) => t.trim() !== '');
  const lines: BenchLine[] = [];
  for (const text of texts) {
    try {
      lines.push(JSON.parse(text) as BenchLine);
    } catch {
      return { ok: false, status: r.status, stderr: `kmem: bad child output: ${text}\n` };
    }
  }
  return { ok: true, lines, texts };
}

/**
 * The child side: parse `--child <json> [--quick]` from `argv`, run the case with
 * `runCase` and print one JSON line per result on `out`.
 * @returns EXIT_OK, EXIT_USAGE for a missing or malformed case, or EXIT_ERROR (after one
 *   `kmem: error:` line) when the run throws.
 */
export function childMain<C extends object>(
  argv: readonly string[],
  out: Output,
  runCase: (c: C, quick: boolean) => BenchLine[],
): number {
  const at = argv.indexOf(CHILD_FLAG);
  let c: unknown;
  try {
    c = JSON.parse(argv[at + 1] ?? '');
  } catch {
    c = null;
  }
  if (at < 0 || typeof c !== 'object' || c === null) {
    out.error(`kmem: a benchmark child needs ${CHILD_FLAG} '<case as JSON>'`);
    return EXIT_USAGE;
  }
  try {
    for (const l of runCase(c as C, argv.includes(QUICK_FLAG))) out.print(JSON.stringify(l));
    return EXIT_OK;
  } catch (err) {
    out.error(errorLine(err));
    return EXIT_ERROR;
  }
}
