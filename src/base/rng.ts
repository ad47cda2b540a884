// SPDX-License-Identifier: GPL-2.0-only
/*
 * xorshift32, the generator of bench/WORKLOADS.md, shared by tests and benchmarks so that
 * every implementation sees the same sequence.
 *
 *   x ^= x << 13;  x ^= x >>> 17;  x ^= x << 5;   (all on uint32)
 */

/** The seed every canonical workload starts from. */
export const WORKLOAD_SEED = 2463534242;

/** A xorshift32 generator; `next()` returns a uint32 in [1, 2^32). */
export class XorShift32 {
  #x: number;

  /** @param seed - a non-zero uint32; defaults to {@link WORKLOAD_SEED}. */
  constructor(seed: number = WORKLOAD_SEED) {
    const s = seed >>> 0;
    if (s === 0) throw new RangeError('xorshift32 seed must be non-zero');
    this.#x = s;
  }

  /** Return the next value, a uint32. */
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#x = x;
    return x;
  }

  /** Return an integer in [0, n) (n ≤ 2^32), by modulo like the workloads do. */
  below(n: number): number {
    return this.next() % n;
  }
}
