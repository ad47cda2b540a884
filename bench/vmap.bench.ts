// SPDX-License-Identifier: GPL-2.0-only
/*
 * V-steady and V-align of bench/WORKLOADS.md: the vmap-area allocator alone (VaSpace), one
 * guard page after every area, immediate frees (free_vmap_area), over the x86-64 vmalloc
 * range, starting either from the whole address space (vmalloc_init) or the range alone.
 *
 * Kernel: mm/vmalloc.c alloc_vmap_area/__alloc_vmap_area and free_vmap_area.
 */

import { XorShift32 } from '../src/base/rng.js';
import { VaSpace } from '../src/vmalloc/va-space.js';
import type { WorkloadResult } from './workloads.js';

const START = 0xc90000000000;
const END = START + 32 * 2 ** 40;
const PAGE = 4096;

/** One run of V-steady (align false) or V-align (align true). */
export function runVmap(align: boolean, steps: number, whole: boolean, crossCheck = false): WorkloadResult {
  const space = whole ? new VaSpace({ capacity: 32768 }) : new VaSpace({ lo: START, hi: END, capacity: 32768 });
  space.crossCheck = crossCheck;
  const rng = new XorShift32();
  const K = 10000;
  const live = new Int32Array(K);
  const addrs = new Float64Array(K);
  let n = 0;
  let failed = 0;
  let checksum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) {
    const r = rng.next();
    if (n === 0 || (n < K && r % 4 !== 0)) {
      const size = PAGE * (1 + ((r >>> 2) % 64)) + PAGE;
      const a = align ? PAGE << ((r >>> 10) % 8) : PAGE;
      const addr = space.allocRange(size, a, START, END);
      if (addr < 0) {
        failed++;
        continue;
      }
      const va = space.insertBusy(addr, size, 0);
      live[n] = va;
      addrs[n] = addr;
      n++;
      checksum = (checksum + (addr - START)) % 4294967296;
    } else {
      const j = (r >>> 8) % n;
      const va = space.findBusy(addrs[j]!);
      space.freeNow(va);
      n--;
      live[j] = live[n]!;
      addrs[j] = addrs[n]!;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { ops: steps, ns, failed, checksum } as unknown as WorkloadResult;
}
