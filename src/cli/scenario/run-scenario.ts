// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a scenario from start to report model: build its world (setup.ts), perform its
 * workload (workload.ts) on an Engine, then collect the end state with the report's
 * collectors into a ReportModel and summarise it (summary.ts).
 *
 * Kernel: none of its own; see setup.ts, engine.ts and src/report/collect.
 *
 * The time series keep at most MAX_TIME_SAMPLES samples: a `sampleEvery` that would give
 * more is raised (effectiveSampleEvery), so a long run sampled every step stays small and
 * fast.
 *
 * The model has no wall-clock time in it: the same scenario and seed give the same model,
 * byte for byte.
 */

import { formatBytes } from '../format.js';
import { collectDmapool } from '../../report/collect/dmapool.js';
import { collectFiles, collectLog } from '../../report/collect/files.js';
import { collectGenpool } from '../../report/collect/genpool.js';
import { collectVmalloc } from '../../report/collect/vmalloc.js';
import type { DmapoolModel, GenpoolModel, ReportModel } from '../../report/model.js';
import { Vmalloc } from '../../vmalloc/vmalloc.js';
import { Engine } from './engine.js';
import { buildWorld, type World } from './setup.js';
import { summarize, summaryTables, type Summary } from './summary.js';
import type { Scenario } from './types.js';
import { type ProgressFn, runMix, runScript } from './workload.js';

/** Time samples a run keeps at most: sampleEvery is raised to stay under it. */
export const MAX_TIME_SAMPLES = 2000;

/**
 * The sampling interval a run uses: the scenario's `sampleEvery`, raised when needed so
 * that `steps` steps give at most MAX_TIME_SAMPLES samples (step 0 and the last included).
 * @returns the interval, at least 1.
 */
export function effectiveSampleEvery(sampleEvery: number, steps: number): number {
  return Math.max(1, sampleEvery, Math.ceil(steps / (MAX_TIME_SAMPLES - 2)));
}

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Overrides the scenario's seed (--seed). A script has no randomness: its model's seed is 0. */
  readonly seed?: number;
  /** The command line that ran it, for the report. */
  readonly command: string;
  readonly progress?: ProgressFn;
}

/** A finished run. */
export interface RunResult {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly world: World;
  readonly engine: Engine;
  readonly model: ReportModel;
  readonly summary: Summary;
}

/** `2 GiB, 1 node, 4 CPUs`. */
function machineWords(world: World): string {
  const m = world.m;
  const nodes = m.pages.nrNodes;
  const gib = m.memoryBytes / 2 ** 30;
  const mem = Number.isInteger(gib) ? `${gib} GiB` : formatBytes(m.memoryBytes);
  return `${mem}, ${nodes} node${nodes === 1 ? '' : 's'}, ${m.cpus.online} CPU${m.cpus.online === 1 ? '' : 's'}`;
}

function collectPools(e: Engine): { genpools: GenpoolModel[]; dmapools: DmapoolModel[] } {
  const genpools: GenpoolModel[] = [];
  const dmapools: DmapoolModel[] = [];
  for (const [id, p] of e.world.pools) {
    const failures = e.counts.get(id)!.failures;
    if (p.kind === 'genpool') {
      const allocations = [...e.live.get(id)!.values()].map((a) => ({
        addr: a.addr,
        size: a.size,
        owner: a.owner,
      }));
      genpools.push(collectGenpool(p.pool, { name: id, device: p.device, failures, allocations }));
    } else if (p.kind === 'dmapool') {
      dmapools.push(collectDmapool(e.world.m, p.pool, { align: p.spec.align, failures }));
    }
  }
  return { genpools, dmapools };
}

/**
 * Build, run and collect `s`.
 * @returns the run. @throws {ScenarioError} or {SimulationError} (see setup.ts and
 *   workload.ts); never a partial result.
 */
export function runScenario(s: Scenario, options: RunOptions): RunResult {
  const seed = options.seed ?? s.seed;
  const progress = options.progress ?? (() => undefined);
  const world = buildWorld(s);
  const e = new Engine(world);
  const w = s.workload;
  e.sample();
  const steps = w.kind === 'script' ? w.ops.length : w.mix.steps + (w.mix.drain ? 1 : 0);
  const every = effectiveSampleEvery(w.sampleEvery, steps);
  if (w.kind === 'script') runScript(s, e, w.ops, every, progress);
  else runMix(s, e, w.mix, seed, every, progress);
  e.sample();
  const v = Vmalloc.of(world.m);
  const { genpools, dmapools } = collectPools(e);
  const base: ReportModel = {
    title: s.name,
    command: options.command,
    seed: w.kind === 'script' ? 0 : seed,
    machine: machineWords(world),
    tables: [],
    genpools,
    dmapools,
    vmalloc: collectVmalloc(world.m),
    time: e.time(),
    replay: [],
    log: collectLog(world.m),
    files: collectFiles(world.m),
  };
  const summary = summarize(base, e, {
    purges: v.purges,
    usedPages: v.usedPages,
    lazyPages: v.lazyPages,
  });
  const model: ReportModel = { ...base, tables: summaryTables(summary) };
  return { scenario: s, seed, world, engine: e, model, summary };
}
