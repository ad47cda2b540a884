// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices: a named device with a NUMA node, DMA masks and offset, its managed resources
 * (devres: released in reverse order of addition when the driver detaches or the device
 * is unregistered), its dmapools list, sysfs attributes, the device-tree node it came from,
 * and the driver bound to it.
 *
 * Kernel: include/linux/device.h (struct device: dma_mask, coherent_dma_mask, dma_pools,
 * of_node, numa_node), drivers/base/devres.c (devres_add, devres_find, devres_release,
 * devres_destroy, devres_release_all), drivers/base/core.c (dev_driver_string + dev_name
 * prefix of dev_err).
 */

import type { KernelLog } from '../base/log.js';
import type { Machine } from './machine.js';

/** A managed resource: released (in reverse order of addition) when the device lets go. */
export interface Devres {
  /** The release function's name (the kernel matches devres by their release function). */
  readonly name: string;
  /** The resource (a pool, a buffer...). */
  readonly data: unknown;
  /** Called when the resource is released. */
  readonly release: (data: unknown) => void;
}

/** A driver: matched to devices by `compatible`, probed when matched. */
export interface Driver {
  readonly name: string;
  /** Device-tree compatible strings this driver binds to. */
  readonly compatible: readonly string[];
  /** Bind to `dev`; return 0 or a negative errno (the device then stays unbound). */
  probe(dev: Device, machine: Machine): number;
  /** Unbind from `dev` (optional; managed resources are released after it either way). */
  remove?(dev: Device, machine: Machine): void;
}

/** Options of a device. */
export interface DeviceOptions {
  /** NUMA node (dev_to_node); NUMA_NO_NODE (-1) for none. @defaultValue -1 */
  readonly node?: number;
  /**
   * DMA mask (both the streaming and the coherent mask): the highest bus address the device
   * can reach. @defaultValue 2^32 - 1 (DMA_BIT_MASK(32), the default of a platform device)
   */
  readonly dmaMask?: number;
  /** Added to a physical address to form the device's bus (DMA) address. @defaultValue 0 */
  readonly dmaOffset?: number;
}

/** Anything the device keeps per subsystem; the kernel's dev->dma_pools is `dma_pools`. */
export class Device {
  readonly name: string;
  readonly numa_node: number;
  /** dev->dma_mask (the streaming DMA mask); -1 means all ones. */
  dma_mask: number;
  /** dev->coherent_dma_mask. */
  coherent_dma_mask: number;
  /** Physical → bus address offset. */
  readonly dmaOffset: number;
  /** The device-tree node this device was created for (dev->of_node), or null. */
  readonly of_node: unknown;
  /** The bus name printed by dev_err when no driver is bound ('platform'), or ''. */
  readonly bus: string;
  /** The bound driver, or null. */
  driver: Driver | null = null;
  /** The dmapools of this device, most recently created first (dev->dma_pools). */
  readonly dma_pools: unknown[] = [];
  /** True until the device is unregistered. */
  registered = true;
  readonly #devres: Devres[] = [];
  readonly #attrs = new Map<string, () => string>();
  readonly #log: KernelLog;

  constructor(name: string, options: DeviceOptions, ofNode: unknown, bus: string, log: KernelLog) {
    this.name = name;
    this.numa_node = options.node ?? -1;
    this.dma_mask = options.dmaMask ?? 0xffffffff;
    this.coherent_dma_mask = this.dma_mask;
    this.dmaOffset = options.dmaOffset ?? 0;
    this.of_node = ofNode;
    this.bus = bus;
    this.#log = log;
  }

  /** dev_name(dev). */
  get init_name(): string {
    return this.name;
  }

  /**
   * The prefix of dev_err/dev_warn lines: "%s %s" of dev_driver_string (the driver's name,
   * else the bus name, else "") and the device name — so a device with neither starts with
   * a space, as in the kernel.
   */
  get logPrefix(): string {
    return `${this.driver?.name ?? this.bus} ${this.name}`;
  }

  /** dev_err(dev, line): log `line` prefixed with the device's names. */
  err(site: string, line: string): void {
    this.#log.err(site, `${this.logPrefix}: ${line}`);
  }

  /** dev_warn(dev, line). */
  warn(site: string, line: string): void {
    this.#log.prWarn(site, `${this.logPrefix}: ${line}`);
  }

  // ── devres ─────────────────────────────────────────────────────────────────

  /** devres_add: manage `data`, to be released by `release` when the device lets go. */
  devresAdd(name: string, data: unknown, release: (data: unknown) => void): void {
    this.#devres.push({ name, data, release });
  }

  /**
   * devres_find: the data of the newest resource named `name` for which `match` is true.
   * @returns the data, or undefined when none matches.
   */
  devresFind(name: string, match: (data: unknown) => boolean): unknown {
    for (let i = this.#devres.length - 1; i >= 0; i--) {
      const r = this.#devres[i]!;
      if (r.name === name && match(r.data)) return r.data;
    }
    return undefined;
  }

  /**
   * devres_release: remove the newest matching resource and release it.
   * @returns 0, or -ENOENT (-2) when none matches.
   */
  devresRelease(name: string, match: (data: unknown) => boolean): number {
    const i = this.#indexOf(name, match);
    if (i < 0) return -2;
    const [r] = this.#devres.splice(i, 1); // control-plane: devres lists are short
    r!.release(r!.data);
    return 0;
  }

  /**
   * devres_destroy: remove the newest matching resource without releasing it.
   * @returns 0, or -ENOENT (-2) when none matches.
   */
  devresDestroy(name: string, match: (data: unknown) => boolean): number {
    const i = this.#indexOf(name, match);
    if (i < 0) return -2;
    this.#devres.splice(i, 1); // control-plane: devres lists are short
    return 0;
  }

  #indexOf(name: string, match: (data: unknown) => boolean): number {
    for (let i = this.#devres.length - 1; i >= 0; i--) {
      const r = this.#devres[i]!;
      if (r.name === name && match(r.data)) return i;
    }
    return -1;
  }

  /** devres_release_all: release every managed resource, newest first. @returns how many. */
  devresReleaseAll(): number {
    let n = 0;
    while (this.#devres.length > 0) {
      const r = this.#devres.pop()!;
      r.release(r.data);
      n++;
    }
    return n;
  }

  /** The names of the managed resources, oldest first. */
  devresNames(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#devres.length; i++) out.push(this.#devres[i]!.name);
    return out;
  }

  // ── sysfs ──────────────────────────────────────────────────────────────────

  /**
   * device_create_file: add the read-only attribute `name`.
   * @returns 0, or -EEXIST (-17) when the device already has it.
   */
  createFile(name: string, show: () => string): number {
    if (this.#attrs.has(name)) return -17;
    this.#attrs.set(name, show);
    return 0;
  }

  /** device_remove_file. */
  removeFile(name: string): void {
    this.#attrs.delete(name);
  }

  /** The text of attribute `name`, or undefined when the device has none. */
  readAttribute(name: string): string | undefined {
    return this.#attrs.get(name)?.();
  }

  /** Names of the sysfs attributes. */
  attributes(): string[] {
    return [...this.#attrs.keys()]; // control-plane: listing for reports
  }
}
