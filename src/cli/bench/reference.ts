// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fidelity gate of the benchmarks: kmem and the kernel-scan baseline must print the
 * same checksum and failure count on every workload they both run, and at full size both
 * must print the kernel's own results (bench/WORKLOADS.md, "Reference results": the
 * kernel's C built in userspace). A checksum proves the same placement decisions, so a
 * mismatch is a fidelity bug, whatever the speed.
 *
 * Kernel: lib/genalloc.c and mm/vmalloc.c (their userspace builds gave REFERENCE).
 *
 *   check          applies to                               when
 *   agreement      kmem and kernel-scan lines of one        always
 *                  workload/algo/phase
 *   reference      kmem and kernel-scan lines with a        full size only (--quick
 *                  REFERENCE entry (not G-fill's free)      runs are smaller)
 */

import type { BenchLine } from './harness.js';

/** The kernel's own C results: [failed, checksum] by `workload/algo` or `workload/layout`. */
export const REFERENCE: Readonly<Record<string, readonly [failed: number, checksum: number]>> = {
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

/** The implementations the gate checks (peers have placement rules of their own). */
const GATED_IMPLS: ReadonlySet<string> = new Set(['kmem', 'kernel-scan']);

/** The key pairing a kmem line with its kernel-scan line. */
function pairKey(l: BenchLine): string {
  return `${l.workload}/${String(l['algo'])}/${String(l['phase'] ?? '')}`;
}

/**
 * The agreement check of `l` against its counterpart among `lines` (kernel-scan for a
 * kmem line and the other way round).
 * @returns the problem as one line, '' when they agree, or null when there is no
 *   counterpart (or `l` is not a kmem or kernel-scan line).
 */
export function agreementProblem(l: BenchLine, lines: readonly BenchLine[]): string | null {
  if (!GATED_IMPLS.has(l.impl)) return null;
  const other = l.impl === 'kmem' ? 'kernel-scan' : 'kmem';
  const key = pairKey(l);
  const o = lines.find((x) => x.impl === other && pairKey(x) === key);
  if (o === undefined) return null;
  const [k, s] = l.impl === 'kmem' ? [l, o] : [o, l];
  return k.checksum === s.checksum && k.failed === s.failed
    ? ''
    : `${key}: kmem ${k.checksum}/${k.failed} != kernel-scan ${s.checksum}/${s.failed}`;
}

/**
 * The reference check of a full-size line against the kernel's own result.
 * @returns the problem as one line, '' when it matches, or null when no reference applies.
 */
export function referenceProblem(l: BenchLine): string | null {
  if (!GATED_IMPLS.has(l.impl) || l['phase'] === 'free') return null;
  const variant = String(l['layout'] ?? l['algo']);
  const ref = REFERENCE[`${l.workload}/${variant}`];
  if (ref === undefined) return null;
  return ref[0] === l.failed && ref[1] === l.checksum
    ? ''
    : `${l.workload} ${l.impl} ${variant}: ${l.checksum}/${l.failed}, kernel reference ${ref[1]}/${ref[0]}`;
}

/**
 * Gate a whole run: every kmem/kernel-scan disagreement (reported once, from the
 * kernel-scan line), then, at full size, every line off the kernel's reference.
 * @returns the problems, one line each; empty when the run passes.
 */
export function gateProblems(lines: readonly BenchLine[], quick: boolean): string[] {
  const problems: string[] = [];
  for (const l of lines) {
    if (l.impl !== 'kernel-scan') continue;
    const p = agreementProblem(l, lines);
    if (p !== null && p !== '') problems.push(p);
  }
  if (quick) return problems;
  for (const l of lines) {
    const p = referenceProblem(l);
    if (p !== null && p !== '') problems.push(p);
  }
  return problems;
}

/** The mark of {@link lineCheck}: passed, failed, or nothing to compare with. */
export type CheckMark = '✓' | '✗' | '—';

/**
 * The table's check of one line: its agreement with its counterpart and, at full size,
 * its reference value.
 * @returns '✗' when a check fails, '✓' when at least one applies and all pass, '—' when
 *   none applies.
 */
export function lineCheck(l: BenchLine, lines: readonly BenchLine[], quick: boolean): CheckMark {
  const results = [agreementProblem(l, lines), quick ? null : referenceProblem(l)];
  if (results.some((p) => p !== null && p !== '')) return '✗';
  return results.some((p) => p === '') ? '✓' : '—';
}
