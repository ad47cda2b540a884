// SPDX-License-Identifier: GPL-2.0-only
/*
 * The platform bus: the machine's devices by name, its drivers, binding (probe when a
 * driver's compatible string matches a device's device-tree node; managed resources
 * released when the driver detaches or the device is unregistered), and the device tree
 * with platform devices created for its nodes.
 *
 * Kernel: drivers/base/dd.c (really_probe: a failed probe releases the devres;
 * call_driver_probe's dev_err "probe with driver %s failed with error %d", dev_dbg only
 * for -EPROBE_DEFER, -ENODEV and -ENXIO; device_release_driver), drivers/base/core.c
 * (device_unregister), drivers/of/platform.c (of_platform_populate: devices for the root's
 * children with a compatible property, recursing into simple-bus nodes;
 * of_device_make_bus_id: "<translated reg address in hex>.<node name>").
 */

import type { KernelLog } from '../base/log.js';
import { Device, type DeviceOptions, type Driver } from './device.js';
import type { DeviceNode, DeviceTree } from './devicetree/dts-parser.js';
import { parseDts } from './devicetree/dts-parser.js';
import type { Machine } from './machine.js';

const BUSES = ['simple-bus', 'simple-mfd', 'isa', 'arm,amba-bus'];

/** Devices, drivers and the device tree of a machine. */
export class Platform {
  readonly #devices = new Map<string, Device>();
  readonly #drivers: Driver[] = [];
  readonly #log: KernelLog;
  readonly #nodeDevice = new Map<DeviceNode, Device>();
  /** The loaded device tree, or null. */
  tree: DeviceTree | null = null;

  readonly #machine: Machine;
  /** Claimed device-memory ranges (the iomem resource tree, flat). */
  readonly #iomem: { start: number; end: number; dev: Device }[] = [];

  constructor(machine: Machine, log: KernelLog) {
    this.#machine = machine;
    this.#log = log;
  }

  /**
   * devm_request_mem_region: claim [start, start + size) of device memory for `dev`,
   * released with the device's managed resources.
   * @returns false when another claim overlaps it.
   */
  requestMemRegion(dev: Device, start: number, size: number): boolean {
    const end = start + size;
    for (let i = 0; i < this.#iomem.length; i++) {
      const r = this.#iomem[i]!;
      if (start < r.end && r.start < end) return false;
    }
    const claim = { start, end, dev };
    this.#iomem.push(claim);
    dev.devresAdd('devm_region_release', claim, (c) => {
      const i = this.#iomem.indexOf(c as typeof claim);
      if (i >= 0) this.#iomem.splice(i, 1); // control-plane: release of a claim
    });
    return true;
  }

  /** The registered device named `name`, or undefined. */
  device(name: string): Device | undefined {
    return this.#devices.get(name);
  }

  /** Every registered device, in registration order. */
  devices(): Device[] {
    return [...this.#devices.values()]; // control-plane: listing
  }

  /** The platform device created for device-tree node `np` (of_find_device_by_node), or null. */
  deviceOfNode(np: DeviceNode): Device | null {
    return this.#nodeDevice.get(np) ?? null;
  }

  /**
   * Create and register a device, and bind a matching driver.
   * @throws {RangeError} when the name is empty or taken (the kernel's duplicate sysfs name).
   */
  createDevice(
    name: string,
    options: DeviceOptions,
    ofNode: DeviceNode | null,
    bus: string,
  ): Device {
    if (typeof name !== 'string' || name === '' || name.includes('/')) {
      throw new RangeError(`device name '${String(name)}' is empty or contains '/'`);
    }
    if (this.#devices.has(name)) {
      throw new RangeError(`sysfs: cannot create duplicate filename '/devices/${name}'`);
    }
    const dev = new Device(name, options, ofNode, bus, this.#log);
    this.#devices.set(name, dev);
    if (ofNode !== null) this.#nodeDevice.set(ofNode, dev);
    for (let i = 0; i < this.#drivers.length && dev.driver === null; i++)
      this.#tryBind(this.#drivers[i]!, dev);
    return dev;
  }

  /** Register `driver` and bind it to every matching unbound device. */
  registerDriver(driver: Driver): void {
    if (this.#drivers.includes(driver)) return;
    this.#drivers.push(driver);
    for (const dev of this.#devices.values()) if (dev.driver === null) this.#tryBind(driver, dev);
  }

  #tryBind(driver: Driver, dev: Device): void {
    const np = dev.of_node as DeviceNode | null;
    if (np === null || !matches(driver, np)) return;
    dev.driver = driver;
    const ret = driver.probe(dev, this.#machine);
    if (ret < 0) {
      // call_driver_probe: dev_err while the driver is still bound (its name prefixes the
      // line); -EPROBE_DEFER, -ENODEV and -ENXIO are only dev_dbg.
      if (ret !== -517 && ret !== -19 && ret !== -6) {
        dev.err('call_driver_probe', `probe with driver ${driver.name} failed with error ${ret}`);
      }
      dev.devresReleaseAll();
      dev.driver = null;
    }
  }

  /**
   * device_release_driver: unbind the driver (its remove(), then every managed resource,
   * newest first). A device with no driver keeps its resources.
   */
  releaseDriver(dev: Device): void {
    const driver = dev.driver;
    if (driver === null) return;
    driver.remove?.(dev, this.#machine);
    dev.devresReleaseAll();
    dev.driver = null;
  }

  /**
   * device_unregister: unbind, release every managed resource, and remove the device and
   * its sysfs directory. A second call is ignored.
   */
  unregister(dev: Device): void {
    if (!dev.registered) return;
    this.releaseDriver(dev);
    dev.devresReleaseAll();
    dev.registered = false;
    this.#devices.delete(dev.name);
    const np = dev.of_node as DeviceNode | null;
    if (np !== null) this.#nodeDevice.delete(np);
  }

  /**
   * Parse DTS source and populate platform devices (of_platform_populate on the root).
   * @throws {DtsSyntaxError} for malformed source; {RangeError} when a device tree is
   *   already loaded.
   */
  loadDeviceTree(source: string, fileName: string): void {
    if (this.tree !== null) throw new RangeError('a device tree is already loaded');
    const tree = parseDts(source, fileName);
    this.tree = tree;
    this.#populate(tree.root);
  }

  #populate(bus: DeviceNode): void {
    const children = bus.children;
    for (let i = 0; i < children.length; i++) {
      const np = children[i]!;
      if (np.property('compatible') === undefined || !np.isAvailable()) continue;
      this.createDevice(busId(np, this.#devices), optionsOf(np), np, 'platform');
      if (BUSES.some((b) => np.isCompatible(b))) this.#populate(np);
    }
  }
}

function matches(driver: Driver, np: DeviceNode): boolean {
  for (let i = 0; i < driver.compatible.length; i++)
    if (np.isCompatible(driver.compatible[i]!)) return true;
  return false;
}

/** of_device_make_bus_id: "<address>.<name>" from the first reg entry, else the node name. */
function busId(np: DeviceNode, taken: ReadonlyMap<string, Device>): string {
  let name = np.fullName;
  const reg = np.property('reg') !== undefined ? np.reg() : [];
  if (reg.length > 0) {
    const addr = np.translateAddress(reg[0]!.address);
    if (addr >= 0) name = `${addr.toString(16)}.${np.name}`;
  }
  let unique = name;
  for (let n = 1; taken.has(unique); n++) unique = `${name}.${n}`;
  return unique;
}

function optionsOf(np: DeviceNode): DeviceOptions {
  const out = { value: 0 };
  return np.readU32('numa-node-id', out) === 0 ? { node: out.value } : {};
}
