// SPDX-License-Identifier: GPL-2.0-only
/*
 * The two kinds of workload on an Engine: a script, performed operation by operation
 * exactly as written, and a seeded random mix — each step picks a user by weight, then
 * frees one of its live allocations (chosen at random) or allocates a size drawn from its
 * range, under its live-set cap; faults are injected and aliases purged at fixed steps.
 *
 * Kernel: none of its own (the engine calls the kernel API).
 *
 * The mix draws from base/rng's xorshift32 only, in a fixed order per step (user, then
 * CPU if 'any', then the alloc-or-free coin, then the size or the victim), so a seed
 * gives the same run everywhere. Log-distributed sizes pick a power-of-two band first,
 * then a size inside it, all in integers.
 */

import { XorShift32 } from '../../base/rng.js';
import { fls } from '../../base/units.js';
import type { Allocation, Engine } from './engine.js';
import { SimulationError } from './errors.js';
import type { MixSpec, MixUser, Scenario, ScriptOp } from './types.js';

/** Called now and then with the steps done and the total. */
export type ProgressFn = (done: number, total: number) => void;

const PROGRESS_EVERY = 1024;

function opFailed(s: Scenario, path: string, err: unknown): SimulationError {
  const why = err instanceof Error ? err.message : String(err);
  return new SimulationError(`${s.where(path)}: ${path}: ${why}`);
}

/**
 * Perform a script. An op whose allocation failed leaves its id dead, and a later free of
 * that id does nothing.
 * @returns nothing; the engine holds what happened (a NULL allocation is counted as a
 *   failure of its pool, not thrown).
 * @throws {SimulationError} when the kernel throws (a BUG) during an operation, naming it.
 */
export function runScript(
  s: Scenario,
  e: Engine,
  ops: readonly ScriptOp[],
  sampleEvery: number,
  progress: ProgressFn,
): void {
  const ids = new Map<string, Allocation | null>();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    try {
      e.onCpu(op.cpu, () => {
        switch (op.op) {
          case 'alloc': {
            const a = e.alloc(op.pool, op);
            if (op.id !== null) ids.set(op.id, a);
            break;
          }
          case 'free': {
            const a = ids.get(op.id);
            ids.delete(op.id);
            if (a !== undefined && a !== null) e.free(a);
            break;
          }
          case 'purge':
            e.purge();
            break;
          case 'work':
            e.world.m.runPendingWork();
            break;
          case 'fail':
            e.fail(op.site, op.nth, op.times);
            break;
        }
      });
    } catch (err) {
      throw opFailed(s, op.path, err);
    }
    e.endStep(sampleEvery);
    if (i % PROGRESS_EVERY === 0) progress(i, ops.length);
  }
}

/**
 * A size for `u`: uniform in [min, max], or log-uniform by power-of-two bands.
 * @returns a size in [u.min, u.max] (never fails).
 */
export function drawSize(rng: XorShift32, u: MixUser): number {
  if (u.min === u.max) return u.min;
  if (u.dist === 'uniform') return u.min + rng.below(u.max - u.min + 1);
  const lo = fls(u.min) - 1;
  const hi = fls(u.max) - 1;
  const band = lo + rng.below(hi - lo + 1);
  const a = Math.max(u.min, 2 ** band);
  const b = Math.min(u.max, 2 ** (band + 1) - 1);
  return a + rng.below(b - a + 1);
}

/** The per-user state of a mix: its live allocations, for picking a victim. */
interface UserState {
  readonly user: MixUser;
  readonly live: Allocation[];
}

function pickUser(rng: XorShift32, users: readonly UserState[], total: number): UserState {
  let r = rng.below(total);
  for (let i = 0; i < users.length; i++) {
    const w = users[i]!.user.weight;
    if (r < w) return users[i]!;
    r -= w;
  }
  return users[users.length - 1]!;
}

/** One step of the mix for `st`: free one of its allocations or allocate. */
function mixStep(rng: XorShift32, e: Engine, st: UserState): void {
  const u = st.user;
  const cpu = u.cpu === 'any' ? rng.below(e.world.m.cpus.online) : u.cpu;
  const coin = rng.next() / 2 ** 32;
  const n = st.live.length;
  if (n === 0 || (n < u.live && coin < u.allocBias)) {
    const size = drawSize(rng, u);
    const a = e.onCpu(cpu, () =>
      e.alloc(u.pool, { size, align: u.align, offset: -1, zero: u.zero, owner: u.owner }),
    );
    if (a !== null) st.live.push(a);
    return;
  }
  const i = rng.below(n);
  const victim = st.live[i]!;
  st.live[i] = st.live[n - 1]!;
  st.live.pop();
  e.onCpu(cpu, () => e.free(victim));
}

/**
 * Perform a mix of `mix.steps` steps seeded with `seed`.
 * @returns nothing; the engine holds what happened (a NULL allocation is counted as a
 *   failure of its pool, not thrown).
 * @throws {SimulationError} when the kernel throws (a BUG) during a step, naming the step.
 */
export function runMix(
  s: Scenario,
  e: Engine,
  mix: MixSpec,
  seed: number,
  sampleEvery: number,
  progress: ProgressFn,
): void {
  const rng = new XorShift32(seed);
  const users: UserState[] = mix.users.map((user) => ({ user, live: [] }));
  const total = mix.users.reduce((sum, u) => sum + u.weight, 0);
  for (let step = 1; step <= mix.steps; step++) {
    let st: UserState | null = null;
    try {
      for (const f of mix.faults) if (step % f.every === 0) e.fail(f.site, 1, 1);
      if (mix.purgeEvery > 0 && step % mix.purgeEvery === 0) e.purge();
      st = pickUser(rng, users, total);
      mixStep(rng, e, st);
    } catch (err) {
      const path = st === null ? 'workload.mix' : st.user.path;
      throw opFailed(
        s,
        path,
        new Error(`step ${step}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    e.endStep(sampleEvery);
    if (step % PROGRESS_EVERY === 0) progress(step, mix.steps);
  }
  if (mix.drain) {
    for (const st of users) {
      const u = st.user;
      while (st.live.length > 0) {
        const a = st.live.pop()!;
        e.onCpu(u.cpu === 'any' ? 0 : u.cpu, () => e.free(a));
      }
    }
    e.endStep(sampleEvery); // the drain is one last step
  }
}
