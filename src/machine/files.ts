// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated files of /proc (and of /sys outside devices): a path → text generator
 * table. Device attributes (/sys/devices/<name>/<attr>) are kept by each device.
 *
 * Kernel: fs/proc (proc_create_single), fs/sysfs.
 */

/** Reading a simulated file that does not exist (ENOENT). */
export class FileNotFound extends Error {
  readonly code = 'ENOENT';
  readonly path: string;
  constructor(path: string) {
    super(`${path}: No such file or directory`);
    this.name = 'FileNotFound';
    this.path = path;
  }
}

/** The simulated files of a machine. */
export class FileSystem {
  readonly #files = new Map<string, () => string>();

  /** Add (or replace) the file at `path`, whose text `show` produces on each read. */
  register(path: string, show: () => string): void {
    this.#files.set(path, show);
  }

  /** Remove the file at `path`. */
  unregister(path: string): void {
    this.#files.delete(path);
  }

  /** True when `path` exists. */
  has(path: string): boolean {
    return this.#files.has(path);
  }

  /** The text of `path`. @throws {FileNotFound} when it does not exist. */
  read(path: string): string {
    const show = this.#files.get(path);
    if (show === undefined) throw new FileNotFound(path);
    return show();
  }

  /** Every registered path, sorted. */
  paths(): string[] {
    return [...this.#files.keys()].sort(); // control-plane: listing
  }
}
