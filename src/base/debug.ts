// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug levels, resolved once at module load from KMEM_DEBUG (0, 1 or 2).
 *
 * DEBUG >= 1 runs assert(); DEBUG >= 2 also runs assertExpensive() (full cross-checks after
 * every mutation). With the default 0 both are a single predictable branch.
 */

import { InvariantError } from './errors.js';

function readLevel(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const raw = env?.['KMEM_DEBUG'];
  const level = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isFinite(level) ? Math.max(0, Math.min(2, level)) : 0;
}

/** The debug level of this process: 0 (off), 1 (cheap asserts), 2 (expensive cross-checks). */
export const DEBUG: number = readLevel();

/** Throw InvariantError(`why`) when DEBUG >= 1 and `cond` is false. */
export function assert(cond: boolean, why: string): void {
  if (DEBUG >= 1 && !cond) throw new InvariantError(why);
}

/** Run `check` (which throws on failure) when DEBUG >= 2. */
export function assertExpensive(check: () => void): void {
  if (DEBUG >= 2) check();
}
