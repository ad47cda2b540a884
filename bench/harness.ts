// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark harness, for code under bench/: it lives in src/cli/bench/harness.ts so
 * that `kmem bench` (shipped in dist/src) runs the same workloads as `npm run bench`.
 *
 * Kernel: none (kmem's benchmarks).
 */

export {
  benchLine,
  repeat,
  roundNs,
  type BenchLine,
  type Timing,
} from '../src/cli/bench/harness.js';
