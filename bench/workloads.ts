// SPDX-License-Identifier: GPL-2.0-only
/*
 * The genpool workloads of bench/WORKLOADS.md (G-fill, G-steady, G-high and the live-set
 * rule), for code under bench/ and the tests: they live in src/cli/bench/workloads.ts so
 * that `kmem bench` (shipped in dist/src) runs the same workloads as `npm run bench`.
 *
 * Kernel: none (the workloads of bench/WORKLOADS.md).
 */

export {
  GENPOOL_BASE,
  GENPOOL_ORDER,
  GENPOOL_SIZE,
  runGFill,
  runGSteady,
  runLiveSet,
  type WorkloadResult,
  type WorkloadTarget,
} from '../src/cli/bench/workloads.js';
