// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUs, execution contexts and deferred work: m.onCpu (the current CPU, restored also when
 * the callback throws, RangeError for CPUs that are not online), hardirq / softirq / NMI /
 * atomic context as the preempt count says and as the kernel API's in_interrupt, in_irq,
 * in_nmi, in_atomic and smp_processor_id report it, the "sleeping function called from
 * invalid context" complaint, and the work queue: FIFO order, no double queueing of a
 * pending item, work queued by work run in the same runPendingWork.
 *
 * Kernel: include/linux/preempt.h (the preempt-count layout; __nmi_enter adds NMI_OFFSET +
 * HARDIRQ_OFFSET), kernel/sched/core.c __might_resched (the complaint), kernel/workqueue.c
 * (queue_work_on returns false for a pending work; the PENDING bit is cleared before the
 * function runs, so a work item may queue itself again).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Machine } from '../../src/index.js';

function machine(cpus = 4): Machine {
  return new Machine({ memory: '16M', cpus, possibleCpus: cpus + 2 });
}

/** [in_interrupt, in_irq, in_nmi, in_atomic] as the kernel API reports them. */
function context(m: Machine): boolean[] {
  const k = m.kernel;
  return [k.in_interrupt(), k.in_irq(), k.in_nmi(), k.in_atomic()];
}

// ── CPUs ────────────────────────────────────────────────────────────────────

test('onCpu runs the callback on that CPU, returns its value and restores the CPU', () => {
  const m = machine();
  const k = m.kernel;
  assert.equal(k.smp_processor_id(), 0);
  const seen = m.onCpu(2, () => [
    k.smp_processor_id(),
    m.currentCpu,
    m.onCpu(3, () => k.smp_processor_id()),
    k.smp_processor_id(),
  ]);
  assert.deepEqual(seen, [2, 2, 3, 2], 'nested onCpu restores the outer CPU');
  assert.equal(k.smp_processor_id(), 0);
});

test('onCpu restores the previous CPU when the callback throws', () => {
  const m = machine();
  assert.throws(
    () =>
      m.onCpu(1, () =>
        m.onCpu(3, () => {
          throw new Error('boom');
        }),
      ),
    /^Error: boom$/,
  );
  assert.equal(m.currentCpu, 0);
  m.onCpu(1, () => {
    assert.throws(() => m.onCpu(2, () => assert.fail('inner')));
    assert.equal(m.currentCpu, 1);
  });
});

test('onCpu refuses CPUs that are not online with a RangeError', () => {
  const m = machine(2); // CPUs 0-1 online, 4 possible
  for (const cpu of [2, 3, 64, -1, 1.5, Number.NaN]) {
    assert.throws(
      () => m.onCpu(cpu, () => 0),
      (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, /is not online \(online CPUs: 0-1\)$/);
        return true;
      },
    );
  }
  assert.equal(m.currentCpu, 0);
  assert.equal(
    m.onCpu(1, () => m.currentCpu),
    1,
  );
});

// ── Contexts ────────────────────────────────────────────────────────────────

test('hardirq, softirq, NMI and atomic context as in_interrupt/in_irq/in_nmi/in_atomic say', () => {
  const m = machine();
  assert.deepEqual(context(m), [false, false, false, false], 'process context');
  assert.deepEqual(
    m.inInterrupt(() => context(m)),
    [true, true, false, true],
  );
  assert.deepEqual(
    m.inContext('hardirq', () => context(m)),
    [true, true, false, true],
  );
  assert.deepEqual(
    m.inContext('softirq', () => context(m)),
    [true, false, false, true],
  );
  assert.deepEqual(
    m.inContext('nmi', () => context(m)),
    [true, true, true, true],
  );
  assert.deepEqual(
    m.inContext('atomic', () => context(m)),
    [false, false, false, true],
  );
  assert.equal(
    m.inContext('softirq', () => m.kernel.in_hardirq()),
    false,
  );
  assert.deepEqual(
    m.inContext('atomic', () => m.inContext('softirq', () => m.inInterrupt(() => context(m)))),
    [true, true, false, true],
    'contexts nest',
  );
  assert.deepEqual(context(m), [false, false, false, false], 'every level was left');
});

test('a context ends when its callback throws, and belongs to one CPU only', () => {
  const m = machine();
  assert.throws(() =>
    m.inInterrupt(() => {
      throw new Error('irq handler');
    }),
  );
  assert.equal(m.cpus.preemptCount, 0);
  assert.deepEqual(context(m), [false, false, false, false]);
  // In an interrupt on CPU 0, CPU 1 still runs in process context.
  assert.deepEqual(
    m.inInterrupt(() => m.onCpu(1, () => context(m))),
    [false, false, false, false],
  );
  assert.deepEqual(
    m.onCpu(2, () => m.inInterrupt(() => [m.kernel.smp_processor_id(), m.cpus.preemptCount])),
    [2, 0x10000],
    'HARDIRQ_OFFSET',
  );
});

test('might_sleep in atomic context logs the kernel complaint; in process context nothing', () => {
  const m = machine();
  const k = m.kernel;
  k.might_sleep();
  assert.deepEqual(m.dmesg(), []);
  m.onCpu(2, () => m.inInterrupt(() => k.might_sleep()));
  const log = m.dmesg();
  assert.equal(log.length, 2);
  assert.match(log[0]!, /^BUG: sleeping function called from invalid context at \S+:\d+$/);
  assert.equal(log[1], 'in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 0, name: swapper/2');
  assert.equal(m.log.count('err'), 2, 'pr_err lines, not a WARN');
});

test('irqs_disabled() is 1 only in hardirq and NMI context; softirq and atomic run with irqs on', () => {
  const m = machine();
  const k = m.kernel;
  const second = (kind: 'hardirq' | 'softirq' | 'nmi' | 'atomic'): string => {
    m.log.clear();
    m.inContext(kind, () => k.might_sleep());
    return m.dmesg()[1] ?? '';
  };
  assert.match(second('hardirq'), /irqs_disabled\(\): 1,/);
  assert.match(second('nmi'), /irqs_disabled\(\): 1,/);
  assert.match(second('softirq'), /irqs_disabled\(\): 0,/);
  assert.match(second('atomic'), /irqs_disabled\(\): 0,/);
});

test('GFP_KERNEL allocations complain in every atomic context; GFP_ATOMIC never does', () => {
  const m = machine();
  const k = m.kernel;
  for (const kind of ['hardirq', 'softirq', 'nmi', 'atomic'] as const) {
    m.log.clear();
    const page = m.inContext(kind, () => k.alloc_page(k.GFP_ATOMIC));
    assert.ok(page !== null);
    assert.deepEqual(m.dmesg(), [], `GFP_ATOMIC in ${kind}`);
    m.inContext(kind, () => k.__free_page(k.alloc_page(k.GFP_KERNEL)));
    assert.match(
      m.dmesg()[0] ?? '',
      // might_alloc() is an inline of include/linux/sched/mm.h: its __FILE__ is the header.
      /^BUG: sleeping function called from invalid context at include\/linux\/sched\/mm\.h:\d+$/,
      kind,
    );
    k.__free_page(page);
  }
});

// ── Deferred work ───────────────────────────────────────────────────────────

test('scheduled work runs in queue order; a pending item is not queued twice', () => {
  const m = machine();
  const ran: string[] = [];
  const a = m.workItem('a', () => ran.push('a'));
  const b = m.workItem('b', () => ran.push('b'));
  assert.equal(m.schedule(a), true);
  assert.equal(m.schedule(b), true);
  assert.equal(m.schedule(a), false, 'already pending');
  assert.equal(m.kernel.schedule_work(b), false);
  assert.deepEqual(m.work.pendingNames(), ['a', 'b']);
  assert.deepEqual(ran, [], 'nothing runs until asked');
  assert.equal(m.runPendingWork(), 2);
  assert.deepEqual(ran, ['a', 'b']);
  assert.equal(m.runPendingWork(), 0);
  assert.equal(m.schedule(a), true, 'no longer pending once it ran');
  m.kernel.flush_scheduled_work();
  assert.deepEqual(ran, ['a', 'b', 'a']);
  assert.equal(m.work.ran, 3);
});

test('work queued by running work runs in the same runPendingWork, after the queue', () => {
  const m = machine();
  const ran: string[] = [];
  let again = 1;
  const c = m.workItem('c', () => ran.push('c'));
  const self = m.workItem('self', () => {
    ran.push('self');
    // The PENDING bit is cleared before the function runs: it may queue itself.
    if (again-- > 0) assert.equal(m.schedule(self), true);
  });
  const a = m.workItem('a', () => {
    ran.push('a');
    m.schedule(c);
  });
  const b = m.workItem('b', () => ran.push('b'));
  m.schedule(a);
  m.schedule(self);
  m.schedule(b);
  assert.equal(m.runPendingWork(), 5);
  assert.deepEqual(ran, ['a', 'self', 'b', 'c', 'self']);
  assert.equal(m.work.pending, 0);
});

test('work that throws stops runPendingWork; the rest stays queued for the next run', () => {
  const m = machine();
  const ran: string[] = [];
  m.schedule(
    m.workItem('bad', () => {
      throw new Error('work failed');
    }),
  );
  m.schedule(m.workItem('good', () => ran.push('good')));
  assert.throws(() => m.runPendingWork(), /work failed/);
  assert.deepEqual(m.work.pendingNames(), ['good']);
  assert.equal(m.runPendingWork(), 1);
  assert.deepEqual(ran, ['good']);
});
