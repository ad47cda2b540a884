// SPDX-License-Identifier: GPL-2.0-only
/*
 * A progress bar on stderr for work that runs longer than about a second. It draws only
 * when stderr is a terminal and --quiet was not given, and only once the work has run for
 * PROGRESS_DELAY_MS, so short runs print nothing; it redraws at most every
 * PROGRESS_REDRAW_MS and erases itself at the end, so stdout is never touched.
 *
 * Kernel: none (kmem's command line).
 */

import type { CliContext } from './command.js';

/** Milliseconds of work before the bar first appears. */
export const PROGRESS_DELAY_MS = 1000;
/** Minimum milliseconds between two redraws. */
export const PROGRESS_REDRAW_MS = 100;
const BAR_WIDTH = 30;

/** A progress bar for `total` units of work (see the file header). */
export class Progress {
  readonly #write: ((text: string) => void) | null;
  readonly #label: string;
  readonly #total: number;
  readonly #started: number;
  readonly #now: () => number;
  #lastDraw = 0;
  #drawn = false;

  /**
   * @param ctx the command's context (no bar when it has no terminal)
   * @param quiet true for --quiet: never draw
   * @param now the clock, in milliseconds (tests pass their own)
   */
  constructor(
    ctx: CliContext,
    label: string,
    total: number,
    quiet: boolean,
    now: () => number = Date.now,
  ) {
    this.#write = quiet || !ctx.stderrIsTTY ? null : ctx.writeProgress;
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#now = now;
    this.#started = now();
  }

  /**
   * Report that `done` of the total units are finished; draws when it is time to.
   * @returns nothing (never fails).
   */
  update(done: number): void {
    if (this.#write === null) return;
    const t = this.#now();
    if (t - this.#started < PROGRESS_DELAY_MS || t - this.#lastDraw < PROGRESS_REDRAW_MS) return;
    this.#lastDraw = t;
    this.#drawn = true;
    this.#write(progressLine(this.#label, Math.min(done, this.#total), this.#total));
  }

  /**
   * Erase the bar if it was drawn.
   * @returns nothing (never fails).
   */
  end(): void {
    if (this.#drawn && this.#write !== null) this.#write('');
    this.#drawn = false;
  }
}

/**
 * The text of the bar: `label [#####.....]  42%` (done clamped to [0, total]; a total of
 * 0 or less is complete).
 * @returns the line, without a newline (never fails).
 */
export function progressLine(label: string, done: number, total: number): string {
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * BAR_WIDTH);
  const pct = String(Math.floor(fraction * 100)).padStart(3);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${pct}%`;
}
