// SPDX-License-Identifier: GPL-2.0-only
/*
 * The best-fit index alone (RunIndex) against an oracle that recomputes the maximal free
 * runs of a bitmap after every claim and release: its runs, its boundary tags (R1, R3) and
 * its best fit must agree. Claims come from findBest (its fast path) and from arbitrary
 * positions inside runs (a cut that leaves both sides, the path that scans the bitmap);
 * runs reach past the tag threshold, bitmaps have ragged last words, and one case builds
 * buckets of thousands of runs in ascending, descending and random order (re-centring,
 * growth and long shifts).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorShift32 } from '../../src/base/rng.js';
import { RunIndex } from '../../src/genalloc/run-index.js';

function setBits(bits: Uint32Array, s: number, e: number, on: boolean): void {
  for (let i = s; i < e; i++) {
    if (on) bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31));
    else bits[i >>> 5] = bits[i >>> 5]! & ~(1 << (i & 31));
  }
}

function isSet(bits: Uint32Array, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** The maximal free runs of the bitmap as [len, start], by length then start. */
function runsOf(bits: Uint32Array, nbits: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i < nbits) {
    if (isSet(bits, i)) {
      i++;
      continue;
    }
    let j = i;
    while (j < nbits && !isSet(bits, j)) j++;
    out.push([j - i, i]);
    i = j;
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function oracleBest(runs: Array<[number, number]>, nr: number): number {
  for (const [len, start] of runs) if (len >= nr) return start; // sorted by (len, start)
  return -1;
}

function check(
  idx: RunIndex,
  bits: Uint32Array,
  nbits: number,
  where: string,
  rng: XorShift32,
): void {
  const runs = runsOf(bits, nbits);
  assert.deepEqual(idx.entries(), runs, `${where}: runs`);
  assert.equal(idx.size, runs.length, `${where}: size`);
  assert.equal(idx.checkBoundaryMaps(), '', `${where}: R1/R3`);
  for (let k = 0; k < 4; k++) {
    const nr = 1 + rng.below(Math.min(nbits, 200));
    assert.equal(idx.findBest(nr), oracleBest(runs, nr), `${where}: findBest(${nr})`);
  }
}

function build(bits: Uint32Array, nbits: number): RunIndex {
  const idx = new RunIndex(nbits);
  for (const [len, start] of runsOf(bits, nbits)) idx.insert(len, start);
  return idx;
}

for (const nbits of [1, 31, 32, 33, 97, 200, 1029, 3000]) {
  test(`RunIndex of ${nbits} bits agrees with the bitmap's runs over seeded claims and releases`, () => {
    const rng = new XorShift32(0x4e11 + nbits);
    const bits = new Uint32Array(Math.ceil(nbits / 64) * 2);
    const idx = build(bits, nbits);
    const live: Array<[number, number]> = [];
    for (let step = 0; step < 3000; step++) {
      const where = `${nbits} bits, step ${step}`;
      if (live.length === 0 || rng.below(5) < 3) {
        const big = rng.below(6) === 0;
        const nr = 1 + rng.below(Math.min(nbits, big ? 300 : 20));
        let runStart: number;
        let s: number;
        if (rng.below(2) === 0) {
          s = idx.findBest(nr);
          runStart = s;
        } else {
          // a cut anywhere inside a run that holds nr bits: the bitmap-scanning path
          const fit = runsOf(bits, nbits).filter(([len]) => len >= nr);
          const [len, start] = fit.length === 0 ? [0, -1] : fit[rng.below(fit.length)]!;
          runStart = start;
          s = start < 0 ? -1 : start + rng.below(len - nr + 1);
        }
        if (s < 0) {
          assert.equal(oracleBest(runsOf(bits, nbits), nr), -1, `${where}: a fit was missed`);
          continue;
        }
        setBits(bits, s, s + nr, true);
        assert.equal(idx.claim(bits, runStart, s, s + nr), true, `${where}: claim`);
        live.push([s, nr]);
      } else {
        const i = rng.below(live.length);
        const [s, nr] = live[i]!;
        live[i] = live[live.length - 1]!;
        live.pop();
        setBits(bits, s, s + nr, false);
        assert.equal(idx.release(bits, s, s + nr), true, `${where}: release`);
      }
      check(idx, bits, nbits, where, rng);
    }
  });
}

test('RunIndex buckets of thousands of runs, filled and emptied in every order', () => {
  const nbits = 24_000;
  const rng = new XorShift32(0xb0c4);
  const bits = new Uint32Array(nbits / 32);
  const idx = build(bits, nbits);
  // Claim every other bit in ascending order: 12,000 runs of length 1, each insert at the
  // high end of bucket 1, and the long tail cut each time.
  for (let s = 1; s < nbits; s += 2) {
    setBits(bits, s, s + 1, true);
    assert.equal(idx.claim(bits, s - 1, s, s + 1), true);
  }
  check(idx, bits, nbits, 'ascending claims', rng);
  const used: number[] = [];
  for (let s = 1; s < nbits; s += 2) used.push(s);
  // Release a third in descending order (merges into length 3 at the low end of bucket 3),
  // a third in random order, then claim lengths 1 back from findBest.
  const third = Math.floor(used.length / 3);
  const desc = used.slice(0, third).reverse();
  const rest = used.slice(third);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  let n = 0;
  for (const s of [...desc, ...rest.slice(0, rest.length >> 1)]) {
    setBits(bits, s, s + 1, false);
    assert.equal(idx.release(bits, s, s + 1), true);
    if (++n % 1000 === 0) check(idx, bits, nbits, `release ${n}`, rng);
  }
  check(idx, bits, nbits, 'releases', rng);
  for (let k = 0; k < 3000; k++) {
    const nr = 1 + rng.below(4);
    const s = idx.findBest(nr);
    assert.ok(s >= 0);
    setBits(bits, s, s + nr, true);
    assert.equal(idx.claim(bits, s, s, s + nr), true);
    if (k % 500 === 0) check(idx, bits, nbits, `best fit ${k}`, rng);
  }
  check(idx, bits, nbits, 'end', rng);
});

test('RunIndex reports a claim of no run and a release next to a run it lacks', () => {
  const nbits = 300;
  const bits = new Uint32Array(10);
  setBits(bits, 100, 110, true);
  const idx = build(bits, nbits); // runs 100@0 and 190@110
  assert.equal(idx.remove(100, 1), false, 'no run starts at 1');
  assert.equal(idx.remove(99, 0), false, 'the run at 0 is 100 long');
  setBits(bits, 5, 6, true);
  assert.equal(idx.claim(bits, 3, 5, 6), false, 'no run starts at 3');
  setBits(bits, 5, 6, false);
  assert.equal(idx.remove(190, 110), true);
  setBits(bits, 105, 110, false);
  assert.equal(idx.release(bits, 105, 110), false, 'the run after bit 110 is not indexed');
});
