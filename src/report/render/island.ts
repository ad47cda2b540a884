// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report's JSON island (`<script type="application/json" id="kmem-data">`) with bounds:
 * the model as the page embeds it, thinned where a huge run would make the page tens of
 * megabytes (a 200k-line trace embeds 200k lives per panel) or pass V8's maximum string
 * length. What was thinned is said in the island (`truncated`: one line per list) and on
 * the page (renderHtml prints the same lines).
 *
 * Kernel: none (kmem's report).
 *
 * Limits, per list (the pictures have their own caps, see each map's file):
 *   - a replay panel's lives: at most MAX_LIVES_DRAWN (4,000) — exactly the lives the
 *     panel draws (livesToDraw: the largest by size × duration);
 *   - the time samples: at most MAX_ISLAND_SAMPLES (2,000) — every k-th sample, the last
 *     one kept, the same steps for every series;
 *   - the TLB flushes: at most MAX_ISLAND_FLUSHES (10,000) — every k-th;
 *   - a genpool chunk's runs: at most MAX_ISLAND_RUNS (20,000) — the first in offset order.
 * A model within every limit is embedded unchanged, without `truncated`.
 */

import type { ReportModel, TimeModel } from '../model.js';
import { livesToDraw, MAX_LIVES_DRAWN } from './replay-view.js';

/** Time samples the island keeps at most. */
export const MAX_ISLAND_SAMPLES = 2000;
/** TLB flushes the island keeps at most. */
export const MAX_ISLAND_FLUSHES = 10000;
/** Allocated runs of one genpool chunk the island keeps at most. */
export const MAX_ISLAND_RUNS = 20000;
/** Lives of one replay panel the island keeps at most (the ones drawn). */
export const MAX_ISLAND_LIVES = MAX_LIVES_DRAWN;

/** The island's model: the report model, and what was thinned (absent when nothing). */
export type IslandModel = ReportModel & { readonly truncated?: readonly string[] };

/**
 * Pick at most `max` indexes of `n` evenly: every k-th, and the last.
 * @returns ascending indexes (all of them when n <= max).
 */
export function thinIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const every = Math.ceil(n / Math.max(1, max - 1));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += every) out.push(i);
  out.push(n - 1);
  return out;
}

function thinTime(t: TimeModel, notes: string[]): TimeModel {
  let steps = t.steps;
  let series = t.series;
  if (t.steps.length > MAX_ISLAND_SAMPLES) {
    const keep = thinIndexes(t.steps.length, MAX_ISLAND_SAMPLES);
    steps = keep.map((i) => t.steps[i]!);
    series = t.series.map((s) => ({ ...s, values: keep.map((i) => s.values[i]!) }));
    notes.push(
      `time.steps and every series: ${steps.length} of ${t.steps.length} samples kept (evenly, the last included)`,
    );
  }
  let flushes = t.flushes;
  if (t.flushes.length > MAX_ISLAND_FLUSHES) {
    flushes = thinIndexes(t.flushes.length, MAX_ISLAND_FLUSHES).map((i) => t.flushes[i]!);
    notes.push(`time.flushes: ${flushes.length} of ${t.flushes.length} TLB flushes kept (evenly)`);
  }
  return steps === t.steps && flushes === t.flushes ? t : { steps, series, flushes };
}

/**
 * The model as the island embeds it, within the limits of the file header.
 * @returns the model itself when it is within every limit, else a thinned copy with
 *   `truncated` naming each thinned list and how much of it was kept.
 */
export function islandModel(model: ReportModel): IslandModel {
  const notes: string[] = [];
  const replay = model.replay.map((p, i) => {
    if (p.lives.length <= MAX_ISLAND_LIVES) return p;
    const kept = livesToDraw(p).map((k) => p.lives[k]!);
    notes.push(
      `replay[${i}] (${p.algo}/${p.order}).lives: ${kept.length} of ${p.lives.length} kept (the largest by size × duration, as drawn)`,
    );
    return { ...p, lives: kept };
  });
  const genpools = model.genpools.map((g, i) => {
    if (g.chunks.every((c) => c.runs.length <= MAX_ISLAND_RUNS)) return g;
    const chunks = g.chunks.map((c, j) => {
      if (c.runs.length <= MAX_ISLAND_RUNS) return c;
      notes.push(
        `genpools[${i}] (${g.name}).chunks[${j}].runs: the first ${MAX_ISLAND_RUNS} of ${c.runs.length} kept`,
      );
      return { ...c, runs: c.runs.slice(0, MAX_ISLAND_RUNS) };
    });
    return { ...g, chunks };
  });
  const time = model.time === null ? null : thinTime(model.time, notes);
  if (notes.length === 0) return model;
  return { ...model, genpools, replay, time, truncated: notes };
}
