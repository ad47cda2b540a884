// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RCU part of the kernel API: call_rcu, synchronize_rcu, rcu_barrier, and the
 * deferred frees kvfree_rcu / kvfree_rcu_mightsleep (and their kfree_rcu aliases) with
 * kvfree, under their kernel names, bound to one machine. Grace periods are the machine's
 * (src/machine/rcu.ts): memory handed to kvfree_rcu is freed only when a grace period has
 * elapsed, i.e. when the machine's deferred work runs.
 *
 * Kernel: include/linux/rcupdate.h (kvfree_rcu(ptr, rhf), kvfree_rcu_mightsleep(ptr),
 * kfree_rcu and kfree_rcu_mightsleep being the same macros since 6.x), mm/slab_common.c
 * kvfree_call_rcu (kernel/rcu/tree.c before 6.12: might_sleep() for the head-less form),
 * mm/util.c kvfree (vfree for is_vmalloc_addr(), kfree otherwise).
 *
 * kvfree_rcu(ptr, rhf) names its rcu_head field by its byte offset (offsetof(type, rhf)),
 * since TypeScript has no field names for simulated memory. The object goes to the
 * machine's RCU queue, as the kernel puts it in a per-CPU bulk array (kvfree_rcu_bulk_data)
 * rather than linking the rcu_head: the head is not written.
 *
 * DEVIATION: no per-CPU batching, no KFREE_DRAIN_JIFFIES monitor delay, no page cache of
 * bulk blocks and so no "synchronize_rcu() then inline kvfree" fallback of the head-less
 * form; no CONFIG_DEBUG_OBJECTS_RCU_HEAD double-queue check (a double free is caught by
 * vfree's or kfree's own checks when the grace period ends). The might_sleep() complaint
 * of the head-less form names no line (0).
 */

import type { Machine } from '../machine/machine.js';
import { Rcu, type RcuCallback } from '../machine/rcu.js';

/** The kernel functions kvfree dispatches to (m.kernel's). */
interface KvfreeOps {
  is_vmalloc_addr(addr: number): boolean;
  vfree(addr: number): void;
  kfree(addr: number): void;
}

/** Build the RCU functions of the kernel API of `m`. */
export function rcuApi(m: Machine) {
  const rcu = Rcu.of(m);
  // m.kernel is being built when this runs: look it up at the first free instead.
  let k: KvfreeOps | null = null;
  const kvfree = (addr: number): void => {
    if (k === null) k = m.kernel;
    if (k.is_vmalloc_addr(addr)) k.vfree(addr);
    else k.kfree(addr);
  };
  /** The one RCU callback of every kvfree_rcu: made once, never per call. */
  const kvfreeCallback: RcuCallback = (ptr) => kvfree(ptr);
  const mightSleep = (): void => {
    m.cpus.mightSleep('mm/slab_common.c', 0, 'kvfree_call_rcu');
  };
  return {
    /**
     * call_rcu(head, func): run `func(head)` after a full grace period.
     * `head` is the address of the rcu_head (passed back to `func`, not written).
     */
    call_rcu(head: number, func: RcuCallback): void {
      rcu.callRcu(head, func);
    },
    /** synchronize_rcu(): a grace period elapses (might_sleep()); callbacks run from the work. */
    synchronize_rcu(): void {
      rcu.synchronize();
    },
    /** rcu_barrier(): invoke every callback queued so far, completing grace periods as needed. */
    rcu_barrier(): void {
      rcu.barrier();
    },
    /**
     * kvfree(addr): vfree() for a vmalloc address, kfree() otherwise; NULL is ignored.
     * @throws {KernelBug} as kfree for a double free of kmalloc memory.
     */
    kvfree(addr: number): void {
      kvfree(addr);
    },
    /**
     * kvfree_rcu(ptr, rhf): kvfree `ptr` after a grace period; `rhf` is the byte offset of
     * its rcu_head. NULL is ignored. Never sleeps.
     */
    kvfree_rcu(ptr: number, rhf: number): void {
      void rhf; // the object goes to the bulk queue; its rcu_head stays untouched
      if (ptr !== 0) rcu.callRcu(ptr, kvfreeCallback);
    },
    /**
     * kvfree_rcu_mightsleep(ptr) (formerly the one-argument kvfree_rcu(ptr)): kvfree `ptr`
     * after a grace period; the object needs no rcu_head. NULL is ignored. Might sleep:
     * complains in atomic context.
     */
    kvfree_rcu_mightsleep(ptr: number): void {
      if (ptr === 0) return;
      mightSleep();
      rcu.callRcu(ptr, kvfreeCallback);
    },
    /** kfree_rcu(ptr, rhf): the same macro as kvfree_rcu. */
    kfree_rcu(ptr: number, rhf: number): void {
      void rhf;
      if (ptr !== 0) rcu.callRcu(ptr, kvfreeCallback);
    },
    /** kfree_rcu_mightsleep(ptr): the same macro as kvfree_rcu_mightsleep. */
    kfree_rcu_mightsleep(ptr: number): void {
      if (ptr === 0) return;
      mightSleep();
      rcu.callRcu(ptr, kvfreeCallback);
    },
  };
}
