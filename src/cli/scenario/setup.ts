// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building a scenario's world: the machine, its device tree (whose mmio-sram nodes the
 * sram driver turns into genpools as it probes), and the pools the scenario's drivers make
 * on its devices — found with of_gen_pool_get / gen_pool_get, or created with
 * devm_gen_pool_create + gen_pool_add_virt and dma_pool_create — all through the kernel
 * API, as driver probe code would.
 *
 * Kernel: drivers/misc/sram.c (through src/drivers/sram.ts), lib/genalloc.c
 * (of_gen_pool_get, gen_pool_get, devm_gen_pool_create, gen_pool_add_virt,
 * gen_pool_set_algo), mm/dmapool.c (dma_pool_create), kernel/dma/mapping.c
 * (dma_alloc_coherent), arch/x86/mm/ioremap.c (ioremap).
 *
 * Errors: a name the scenario gets wrong (a label, a device, a node the tree lacks) is a
 * ScenarioError (exit 2); something the simulator refuses (machine options, a pool the
 * kernel would not create) is a SimulationError (exit 1) with the simulator's message.
 */

import type { DmaPool } from '../../dmapool/dma-pool.js';
import type { GenPool } from '../../genalloc/gen-pool.js';
import type { Kernel } from '../../linux/kernel.js';
import '../../linux/kernel.js'; // attaches machine.kernel
import type { Device } from '../../machine/device.js';
import { type DeviceNode, DtsSyntaxError } from '../../machine/devicetree/dts-parser.js';
import { Machine, type MachineOptions } from '../../machine/machine.js';
import { ScenarioError, SimulationError } from './errors.js';
import type {
  AlgoName,
  DevmGenpoolSpec,
  DmapoolSpec,
  DtGenpoolSpec,
  PoolSpec,
  Scenario,
  VmallocUserSpec,
  VmMapRamUserSpec,
} from './types.js';

/** A genpool of the scenario, live. */
export interface LiveGenpool {
  readonly kind: 'genpool';
  readonly spec: DtGenpoolSpec | DevmGenpoolSpec;
  readonly pool: GenPool;
  /** The device the pool belongs to. */
  readonly device: string;
}

/** A dmapool of the scenario, live. */
export interface LiveDmapool {
  readonly kind: 'dmapool';
  readonly spec: DmapoolSpec;
  readonly pool: DmaPool;
}

/** A vmalloc or vm_map_ram user. */
export interface LiveVmUser {
  readonly kind: 'vmalloc' | 'vm_map_ram';
  readonly spec: VmallocUserSpec | VmMapRamUserSpec;
}

/** Any pool or user, live. */
export type LivePool = LiveGenpool | LiveDmapool | LiveVmUser;

/** The machine of a scenario with its pools, ready for the workload. */
export interface World {
  readonly m: Machine;
  readonly k: Kernel;
  /** Pools and users by id, in the scenario's order. */
  readonly pools: ReadonlyMap<string, LivePool>;
}

function refused(s: Scenario, path: string, message: string): SimulationError {
  return new SimulationError(`${s.where(path)}: ${path}: ${message}`);
}

function machineOf(s: Scenario): Machine {
  const spec = s.machine;
  const options: MachineOptions = {
    memory: spec.memory,
    nodes: spec.nodes,
    cpus: spec.cpus,
    nrCpus: spec.nrCpus,
    dmapoolDebug: spec.dmapoolDebug,
    ...(spec.possibleCpus === undefined ? {} : { possibleCpus: spec.possibleCpus }),
  };
  try {
    return new Machine(options);
  } catch (err) {
    if (err instanceof RangeError)
      throw refused(s, 'machine', `the simulator refuses it: ${err.message}`);
    throw err;
  }
}

function loadDts(s: Scenario, m: Machine): void {
  const dts = s.dts;
  if (dts === null) return;
  try {
    m.loadDeviceTree(dts.text, dts.fileName);
  } catch (err) {
    if (err instanceof DtsSyntaxError) {
      throw new ScenarioError(
        dts.ownFile
          ? `${err.fileName}:${err.line}:${err.column}: ${err.reason}`
          : `${dts.lineAt(err.line)}, column ${err.column}: ${err.reason}`,
      );
    }
    if (err instanceof RangeError) throw refused(s, dts.ownFile ? 'dtsFile' : 'dts', err.message);
    throw err;
  }
}

/** A node by absolute path or dtc label (with or without '&'). */
function findNode(m: Machine, ref: string): DeviceNode | null {
  const tree = m.platform.tree;
  if (tree === null) return null;
  if (ref.startsWith('/')) return tree.findNodeByPath(ref);
  return tree.findNodeByLabel(ref.startsWith('&') ? ref.slice(1) : ref);
}

/** A device by name (`fe000000.sram`), node path or dtc label. */
function findDevice(s: Scenario, m: Machine, ref: string, path: string): Device {
  const byName = m.platform.device(ref);
  if (byName !== undefined) return byName;
  const np = findNode(m, ref);
  const dev = np === null ? null : m.platform.deviceOfNode(np);
  if (dev !== null) return dev;
  const names = m.platform.devices().map((d) => d.name);
  throw new ScenarioError(
    `${s.where(path)}: ${path}: no device '${ref}' (devices: ${names.length === 0 ? 'none' : names.join(', ')})`,
  );
}

/** The last kernel log line, as a hint for a refusal. */
function lastLog(m: Machine): string {
  const lines = m.dmesg();
  return lines.length === 0 ? '' : ` (dmesg: ${lines[lines.length - 1]!.trim()})`;
}

function setAlgo(k: Kernel, pool: GenPool, algo: AlgoName | null, align: number): void {
  if (algo === null) return;
  const fns = {
    'first-fit': k.gen_pool_first_fit,
    'best-fit': k.gen_pool_best_fit,
    'first-fit-order-align': k.gen_pool_first_fit_order_align,
    'first-fit-align': k.gen_pool_first_fit_align,
  } as const;
  k.gen_pool_set_algo(pool, fns[algo], algo === 'first-fit-align' ? { align } : null);
}

function dtGenpool(s: Scenario, m: Machine, spec: DtGenpoolSpec): LiveGenpool {
  const k = m.kernel;
  let pool: GenPool | null;
  if (spec.consumer !== null) {
    const c = spec.consumer;
    const np = findNode(m, c.node);
    if (np === null)
      throw new ScenarioError(
        `${s.where(`${spec.path}.consumer.node`)}: ${spec.path}.consumer.node: no node '${c.node}' in the device tree`,
      );
    pool = k.of_gen_pool_get(np, c.property, c.index);
  } else {
    const label = spec.label!;
    const np = findNode(m, label);
    if (np === null)
      throw new ScenarioError(
        `${s.where(`${spec.path}.label`)}: ${spec.path}.label: no node labelled '${label}' in the device tree`,
      );
    const dev = m.platform.deviceOfNode(np);
    const parent = np.parent === null ? null : m.platform.deviceOfNode(np.parent);
    const name = { value: '' };
    pool =
      dev !== null
        ? k.gen_pool_get(dev, null)
        : parent === null
          ? null
          : k.gen_pool_get(parent, np.readString('label', name) === 0 ? name.value : np.fullName);
  }
  if (pool === null) throw refused(s, spec.path, `the kernel made no genpool for it${lastLog(m)}`);
  setAlgo(k, pool, spec.algo, spec.align);
  let device = '';
  for (const d of m.platform.devices()) {
    if (k.gen_pool_get(d, pool.name) === pool) device = d.name;
  }
  return { kind: 'genpool', spec, pool, device };
}

function devmGenpool(s: Scenario, m: Machine, spec: DevmGenpoolSpec): LiveGenpool {
  const k = m.kernel;
  const dev = findDevice(s, m, spec.device, `${spec.path}.device`);
  const pool = k.devm_gen_pool_create(dev, spec.order, k.NUMA_NO_NODE, spec.name);
  if (typeof pool === 'number') {
    throw refused(s, spec.path, `devm_gen_pool_create failed with error ${pool}${lastLog(m)}`);
  }
  for (let i = 0; i < spec.chunks.length; i++) {
    const c = spec.chunks[i]!;
    const handle = { value: 0 };
    const virt =
      c.phys >= 0
        ? k.ioremap(c.phys, c.size)
        : k.dma_alloc_coherent(dev, c.size, handle, k.GFP_KERNEL);
    const phys = c.phys >= 0 ? c.phys : handle.value;
    const where = `${spec.path}.chunks[${i}]`;
    if (virt === 0) throw refused(s, where, `no memory for the chunk${lastLog(m)}`);
    const r = k.gen_pool_add_virt(pool, virt, phys, c.size, k.NUMA_NO_NODE);
    if (r < 0) throw refused(s, where, `gen_pool_add_virt failed with error ${r}`);
  }
  setAlgo(k, pool, spec.algo, spec.align);
  return { kind: 'genpool', spec, pool, device: dev.name };
}

function dmapool(s: Scenario, m: Machine, spec: DmapoolSpec): LiveDmapool {
  const dev = findDevice(s, m, spec.device, `${spec.path}.device`);
  const pool = m.kernel.dma_pool_create(spec.name, dev, spec.size, spec.align, spec.boundary);
  if (pool === null) {
    throw refused(
      s,
      spec.path,
      `dma_pool_create('${spec.name}', ${dev.name}, ${spec.size}, ${spec.align}, ${spec.boundary}) returned NULL${lastLog(m)}`,
    );
  }
  return { kind: 'dmapool', spec, pool };
}

function livePool(s: Scenario, m: Machine, spec: PoolSpec): LivePool {
  switch (spec.type) {
    case 'genpool':
      return dtGenpool(s, m, spec);
    case 'devm-genpool':
      return devmGenpool(s, m, spec);
    case 'dmapool':
      return dmapool(s, m, spec);
    case 'vmalloc':
    case 'vm_map_ram':
      return { kind: spec.type, spec };
  }
}

/**
 * Boot the scenario's machine, load its device tree and make its pools.
 * @returns the world. @throws {ScenarioError} for a name the tree lacks or malformed DTS;
 *   {SimulationError} when the simulator refuses the machine or a pool.
 */
export function buildWorld(s: Scenario): World {
  const m = machineOf(s);
  loadDts(s, m);
  const pools = new Map<string, LivePool>();
  for (const spec of s.pools) pools.set(spec.id, livePool(s, m, spec));
  return { m, k: m.kernel, pools };
}
