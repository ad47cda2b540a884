// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel log (dmesg): WARN, BUG, pr_warn and dev_err records, with the kernel's wording.
 *
 * It lives in base/ because every allocator WARNs, and genalloc's core must work without a
 * machine: a GenPool created on its own gets a log of its own, a pool created through a
 * machine's kernel API shares the machine's log.
 *
 * Kernel: include/asm-generic/bug.h (WARN, "------------[ cut here ]------------"),
 * kernel/panic.c (__warn: "WARNING: CPU: %d PID: %d at %pS"), include/linux/printk.h.
 */

import { KernelWarning } from './errors.js';

/** The severity of a log record, as the kernel's printk levels and WARN/BUG. */
export type LogLevel = 'warn' | 'bug' | 'err' | 'info';

/** One record of the log: what happened, where, and the lines it printed. */
export interface LogRecord {
  readonly seq: number;
  readonly level: LogLevel;
  /** The kernel function that logged it (`gen_pool_fixed_alloc`). */
  readonly site: string;
  /** The printed lines, exactly as dmesg shows them. */
  readonly lines: readonly string[];
  /**
   * What kmem knows about the cause (the values involved), for reports and exceptions; not
   * printed by dmesg, because the kernel's WARN_ON prints no message. Empty when none.
   */
  readonly detail: string;
}

/** Options of a {@link KernelLog}. */
export interface KernelLogOptions {
  /**
   * Turn every WARN into a thrown {@link KernelWarning} after logging it (panic_on_warn).
   * @defaultValue false
   */
  readonly panicOnWarn?: boolean;
  /**
   * Return the CPU number printed in WARNING lines.
   * @defaultValue () => 0
   */
  readonly cpu?: () => number;
}

/** The kernel log of one machine, or of a machine-less pool. */
export class KernelLog {
  readonly panicOnWarn: boolean;
  readonly #cpu: () => number;
  readonly #records: LogRecord[] = [];

  constructor(options: KernelLogOptions = {}) {
    this.panicOnWarn = options.panicOnWarn ?? false;
    this.#cpu = options.cpu ?? (() => 0);
  }

  /**
   * Log a WARN()/WARN_ON() at `file` in `site`. `message` is the printed line of WARN(cond,
   * fmt) (null for WARN_ON, which prints none); `detail` names the values involved for the
   * record and for the KernelWarning of panicOnWarn, without being printed.
   *
   * @throws {KernelWarning} when the log was created with `panicOnWarn`.
   */
  warn(file: string, site: string, message: string | null, detail = ''): void {
    const lines: string[] = ['------------[ cut here ]------------'];
    if (message !== null) lines.push(message);
    lines.push(`WARNING: CPU: ${this.#cpu()} PID: 0 at ${file} ${site}`);
    this.#push('warn', site, lines, detail);
    if (this.panicOnWarn) {
      const why = message ?? (detail !== '' ? detail : `WARNING at ${file}`);
      throw new KernelWarning(`${site}: ${why} (panic_on_warn)`);
    }
  }

  /** Log a BUG() at `file` in `site` ("kernel BUG at ..."), before the caller throws. */
  bug(file: string, site: string, message: string): void {
    this.#push(
      'bug',
      site,
      ['------------[ cut here ]------------', `kernel BUG at ${file}!`, `${site}: ${message}`],
      message,
    );
  }

  /** Log one line at warning level (pr_warn). */
  prWarn(site: string, line: string): void {
    this.#push('warn', site, [line], '');
  }

  /** Log one line at error level (dev_err, pr_err). */
  err(site: string, line: string): void {
    this.#push('err', site, [line], '');
  }

  /** Log one informational line (pr_info). */
  info(site: string, line: string): void {
    this.#push('info', site, [line], '');
  }

  /** Return every printed line so far, oldest first, as `dmesg` prints them. */
  dmesg(): string[] {
    const out: string[] = [];
    for (const r of this.#records) out.push(...r.lines);
    return out;
  }

  /** Return the records so far, oldest first. */
  records(): readonly LogRecord[] {
    return this.#records;
  }

  /** Return the number of records logged at `level`. */
  count(level: LogLevel): number {
    let n = 0;
    for (const r of this.#records) if (r.level === level) n++;
    return n;
  }

  /** Forget every record (dmesg -C). */
  clear(): void {
    this.#records.length = 0;
  }

  #push(level: LogLevel, site: string, lines: string[], detail: string): void {
    this.#records.push({ seq: this.#records.length, level, site, lines, detail });
  }
}
