// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deferred work: work items queued by the kernel (the lazy vmap purge, vfree_atomic's
 * deferred frees, ...) and run when the machine is told to, in queue order, so that tests
 * are deterministic.
 *
 * Kernel: kernel/workqueue.c (schedule_work: a work item already pending is not queued
 * twice), include/linux/workqueue.h.
 */

/** One work item: a named function; queued at most once until it runs (WORK_STRUCT_PENDING). */
export class WorkItem {
  readonly name: string;
  readonly fn: () => void;
  pending = false;

  constructor(name: string, fn: () => void) {
    this.name = name;
    this.fn = fn;
  }
}

/** The machine's work queue. */
export class WorkQueue {
  readonly #queue: WorkItem[] = [];
  #ran = 0;

  /** Queue `work` unless it is already pending. @returns false when it was pending. */
  schedule(work: WorkItem): boolean {
    if (work.pending) return false;
    work.pending = true;
    this.#queue.push(work);
    return true;
  }

  /** Number of items waiting. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Number of items run so far. */
  get ran(): number {
    return this.#ran;
  }

  /** Names of the waiting items, in queue order. */
  pendingNames(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#queue.length; i++) out.push(this.#queue[i]!.name);
    return out;
  }

  /**
   * Run every queued item, including items queued while running, until the queue is empty.
   * @returns the number of items run.
   */
  runAll(): number {
    let n = 0;
    while (this.#queue.length > 0) {
      const work = this.#queue.shift()!;
      work.pending = false;
      work.fn();
      n++;
      this.#ran++;
    }
    return n;
  }
}
