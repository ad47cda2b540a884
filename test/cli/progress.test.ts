// SPDX-License-Identifier: GPL-2.0-only
/*
 * The progress bar (src/cli/progress.ts) with its injectable clock and a fake CliContext:
 * nothing before PROGRESS_DELAY_MS, at most one redraw per PROGRESS_REDRAW_MS, erased at
 * the end only if drawn, never drawn with --quiet or without a terminal, and the bar's
 * text.
 *
 * Kernel: none (kmem's command line).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CliContext } from '../../src/cli/command.js';
import { captureOutput } from '../../src/cli/out.js';
import {
  Progress,
  PROGRESS_DELAY_MS,
  PROGRESS_REDRAW_MS,
  progressLine,
} from '../../src/cli/progress.js';

/** A fake terminal: what the bar wrote, and a clock the test moves. */
function fake(tty = true): { ctx: CliContext; writes: string[]; clock: { t: number } } {
  const writes: string[] = [];
  const out = captureOutput();
  const ctx: CliContext = {
    out,
    stderrIsTTY: tty,
    writeProgress: tty ? (text) => void writes.push(text) : null,
    cwd: '/',
  };
  return { ctx, writes, clock: { t: 5000 } };
}

test('nothing is drawn before the delay; the first update after it draws', () => {
  const { ctx, writes, clock } = fake();
  const bar = new Progress(ctx, 'work', 100, false, () => clock.t);
  for (let ms = 0; ms < PROGRESS_DELAY_MS; ms += 50) {
    clock.t = 5000 + ms;
    bar.update(ms / 20);
  }
  assert.deepEqual(writes, [], 'a short run prints nothing');
  clock.t = 5000 + PROGRESS_DELAY_MS;
  bar.update(50);
  assert.deepEqual(writes, [progressLine('work', 50, 100)]);
  assert.deepEqual((ctx.out as ReturnType<typeof captureOutput>).stderr, [], 'not via out');
});

test('redraws at most every PROGRESS_REDRAW_MS', () => {
  const { ctx, writes, clock } = fake();
  const bar = new Progress(ctx, 'work', 1000, false, () => clock.t);
  clock.t += PROGRESS_DELAY_MS;
  bar.update(1);
  for (let i = 1; i < PROGRESS_REDRAW_MS; i += 10) {
    clock.t += 10;
    if (clock.t - 5000 - PROGRESS_DELAY_MS >= PROGRESS_REDRAW_MS) break;
    bar.update(1 + i);
  }
  assert.equal(writes.length, 1, 'no redraw inside the interval');
  clock.t = 5000 + PROGRESS_DELAY_MS + PROGRESS_REDRAW_MS;
  bar.update(500);
  assert.equal(writes.length, 2);
  assert.equal(writes[1], progressLine('work', 500, 1000));
  clock.t += 10 * PROGRESS_REDRAW_MS;
  bar.update(2000);
  assert.equal(writes[2], progressLine('work', 1000, 1000), 'done is clamped to the total');
});

test('end erases a drawn bar once, and a bar never drawn is not erased', () => {
  const drawn = fake();
  const bar = new Progress(drawn.ctx, 'work', 10, false, () => drawn.clock.t);
  drawn.clock.t += PROGRESS_DELAY_MS;
  bar.update(3);
  bar.end();
  bar.end();
  assert.deepEqual(drawn.writes, [progressLine('work', 3, 10), '']);
  const quick = fake();
  const short = new Progress(quick.ctx, 'work', 10, false, () => quick.clock.t);
  short.update(10);
  short.end();
  assert.deepEqual(quick.writes, []);
});

test('--quiet and a stderr that is not a terminal never draw', () => {
  for (const [tty, quiet] of [
    [true, true],
    [false, false],
  ] as const) {
    const f = fake(tty);
    const writes: string[] = [];
    const ctx: CliContext = { ...f.ctx, writeProgress: (t) => void writes.push(t) };
    const bar = new Progress(ctx, 'work', 10, quiet, () => f.clock.t);
    f.clock.t += 10 * PROGRESS_DELAY_MS;
    bar.update(5);
    bar.end();
    assert.deepEqual(writes, [], `tty ${tty}, quiet ${quiet}`);
  }
});

test('the bar: label, 30 columns, percentage floored; a zero total is complete', () => {
  assert.equal(progressLine('x', 0, 10), `x [${'.'.repeat(30)}]   0%`);
  assert.equal(progressLine('x', 5, 10), `x [${'#'.repeat(15)}${'.'.repeat(15)}]  50%`);
  assert.equal(progressLine('x', 999, 1000), `x [${'#'.repeat(30)}]  99%`);
  assert.equal(progressLine('x', 0, 0), `x [${'#'.repeat(30)}] 100%`);
  assert.equal(progressLine('x', -5, 10), `x [${'.'.repeat(30)}]   0%`);
});
