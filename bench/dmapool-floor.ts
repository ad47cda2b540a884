// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor under the dmapool benchmarks on this machine: what JavaScript takes for the
 * bare list operations of mm/dmapool_test.c's 16-byte row and for D-churn's own loop, with
 * no pool, no checks and no simulated machine. These are the figures behind issue 3's
 * status (README, "dmapool"): a row whose goal is below its floor cannot be met by any
 * implementation that keeps the blocks' headers in memory.
 *
 *   node dist/bench/dmapool-floor.js [--rounds N]
 *
 * Prints one JSON line per measurement, ns per alloc+free pair (per operation for the
 * churn loop), fastest of N rounds (default 7) after the first:
 *
 *   chase        8192 pops of a LIFO list of 16-byte headers in one Uint32Array (the next
 *                link read from the block, as pool_block_pop does), then 8192 pushes:
 *                the dependent-load floor, which the kernel's 3.1 ns row sits on
 *   test-arrays  the same, keeping every address and handle in Float64Arrays and writing
 *                the handle into the header on push, as the ported dmapool_test does, with
 *                the arrays made per run (as the test makes them per row)
 *   const-arrays the same over module-level arrays, which V8 folds into the code as
 *                constants (no loads of the arrays' base and length): the absolute floor,
 *                out of reach of a pool whose memory belongs to a machine made at run time
 *   churn-loop   D-churn's live-set loop (src/cli/bench/workloads.ts runLiveSet, 1,000,000
 *                steps, K = 8192) over an allocator that does nothing
 *
 * Kernel: none (measures JavaScript itself; see mm/dmapool.c pool_block_pop/push for the
 * operations imitated).
 */

import { runLiveSet, type WorkloadTarget } from '../src/cli/bench/workloads.js';

const BLOCKS = 8192; // nr_blocks(16) of dmapool_test
const ROUNDS_PER_RUN = 100; // NR_TESTS
const HEADER_WORDS = 4; // a 16-byte block: {next_block, dma}
const DIRECT_MAP = 0xffff888000000000; // PAGE_OFFSET, as the pool's addresses
const U32 = 2 ** 32;
const DIRECT_HI = DIRECT_MAP / U32;

/** A 16-byte-block list in one Uint32Array, carved in ascending order (-1 ends it). */
function carve(mem: Uint32Array): number {
  let head = -1;
  for (let j = BLOCKS - 1; j >= 0; j--) {
    const q = j * HEADER_WORDS;
    mem[q] = head;
    mem[q + 1] = DIRECT_HI;
    mem[q + 2] = j * 16;
    mem[q + 3] = 0;
    head = q;
  }
  return head;
}

/** ns per pair of the bare pop/push chase. */
function chase(): number {
  const mem = new Uint32Array(BLOCKS * HEADER_WORDS);
  const taken = new Int32Array(BLOCKS);
  let head = carve(mem);
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < ROUNDS_PER_RUN; t++) {
    for (let i = 0; i < BLOCKS; i++) {
      taken[i] = head;
      head = mem[head]! | 0;
    }
    for (let i = 0; i < BLOCKS; i++) {
      const q = taken[i]!;
      mem[q] = head;
      head = q;
    }
  }
  return Number(process.hrtime.bigint() - t0) / (ROUNDS_PER_RUN * BLOCKS);
}

/** Arrays made once, at module level: V8 folds them into the optimized code as constants. */
const CONST_MEM = new Uint32Array(BLOCKS * HEADER_WORDS);
const CONST_VADDR = new Float64Array(BLOCKS);
const CONST_DMA = new Float64Array(BLOCKS);

/** ns per pair with arrays made per run, as the ported test makes them. */
function testArrays(): number {
  return popPush(
    new Uint32Array(BLOCKS * HEADER_WORDS),
    new Float64Array(BLOCKS),
    new Float64Array(BLOCKS),
  );
}

/**
 * ns per pair with the module's constant arrays (what no pool over a machine can have).
 * The loop is popPush's again, on purpose: V8 folds the arrays only where the code names
 * the module constants itself; passed as arguments, they are loaded like any array.
 */
function constArrays(): number {
  const mem = CONST_MEM;
  const vaddr = CONST_VADDR;
  const dma = CONST_DMA;
  let head = carve(mem);
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < ROUNDS_PER_RUN; t++) {
    for (let i = 0; i < BLOCKS; i++) {
      const q = head;
      head = mem[q]! | 0;
      dma[i] = mem[q + 2]! + mem[q + 3]! * U32;
      vaddr[i] = DIRECT_MAP + q * 4;
    }
    for (let i = 0; i < BLOCKS; i++) {
      const q = (vaddr[i]! - DIRECT_MAP) >>> 2;
      const d = dma[i]!;
      mem[q] = head;
      mem[q + 1] = DIRECT_HI;
      mem[q + 2] = d;
      mem[q + 3] = d / U32;
      head = q;
    }
  }
  return Number(process.hrtime.bigint() - t0) / (ROUNDS_PER_RUN * BLOCKS);
}

/** The pop and push rounds over a list in `mem`, addresses and handles kept as doubles. */
function popPush(mem: Uint32Array, vaddr: Float64Array, dma: Float64Array): number {
  let head = carve(mem);
  const t0 = process.hrtime.bigint();
  for (let t = 0; t < ROUNDS_PER_RUN; t++) {
    for (let i = 0; i < BLOCKS; i++) {
      const q = head;
      head = mem[q]! | 0;
      dma[i] = mem[q + 2]! + mem[q + 3]! * U32;
      vaddr[i] = DIRECT_MAP + q * 4;
    }
    for (let i = 0; i < BLOCKS; i++) {
      const q = (vaddr[i]! - DIRECT_MAP) >>> 2; // offsets below 4 GiB
      const d = dma[i]!;
      mem[q] = head;
      mem[q + 1] = DIRECT_HI;
      mem[q + 2] = d;
      mem[q + 3] = d / U32;
      head = q;
    }
  }
  return Number(process.hrtime.bigint() - t0) / (ROUNDS_PER_RUN * BLOCKS);
}

/** An allocator that hands out consecutive offsets and forgets frees. */
class NullTarget implements WorkloadTarget {
  #next = 0;
  alloc(size: number): number {
    const off = this.#next;
    this.#next += size;
    return off;
  }
  free(_off: number, _size: number): void {}
}

/** ns per operation of D-churn's loop alone. */
function churnLoop(): number {
  const r = runLiveSet(new NullTarget(), 8192, 1_000_000, () => 64);
  return r.ns / r.ops;
}

function best(run: () => number, rounds: number): number {
  run(); // warm-up
  let min = Infinity;
  for (let i = 0; i < rounds; i++) min = Math.min(min, run());
  return Math.round(min * 100) / 100;
}

function main(argv: string[]): void {
  const at = argv.indexOf('--rounds');
  const rounds = at >= 0 ? Number(argv[at + 1]) : 7;
  if (!(Number.isInteger(rounds) && rounds > 0)) {
    console.error('dmapool-floor: --rounds takes a positive integer');
    process.exitCode = 2;
    return;
  }
  for (const [name, run] of [
    ['chase', chase],
    ['test-arrays', testArrays],
    ['const-arrays', constArrays],
    ['churn-loop', churnLoop],
  ] as const) {
    console.log(JSON.stringify({ floor: name, ns: best(run, rounds), rounds }));
  }
}

main(process.argv.slice(2));
