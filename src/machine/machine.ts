// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machine: the simulated computer kmem's kernel runs on — sparse physical memory, NUMA
 * nodes and zones with a buddy page allocator each, kmalloc, CPUs and their contexts,
 * kernel page tables with the direct map, a TLB per CPU, deferred work, devices with
 * managed resources, coherent DMA, a device tree with platform devices and drivers, the
 * simulated /proc and /sys files, fault injection, and the kernel log.
 *
 * Kernel: the boot-time setup of arch/x86 (e820 RAM map with the PCI hole, the direct map,
 * free_area_init: nodes and zones) and the services of the files in this folder.
 *
 * The kernel API object is created by src/linux (one layer up) and attached to
 * Machine.prototype there, so this file imports nothing from above it. Built-in drivers
 * (src/drivers) register themselves with Machine.registerBuiltinDriver when loaded.
 */

import { KernelLog } from '../base/log.js';
import { PAGE_SIZE, parseSize } from '../base/units.js';
import { BuddyZone } from './buddy.js';
import { type ContextKind, Cpus } from './cpu.js';
import type { Device, DeviceOptions, Driver } from './device.js';
import { DmaCoherent } from './dma.js';
import { FaultInjector, type FaultSite } from './fault-inject.js';
import { FileNotFound, FileSystem } from './files.js';
import {
  MAX_DMA32_PFN,
  MAX_DMA_PFN,
  MAX_MEMORY,
  PAGE_OFFSET,
  PCI_HOLE_END,
  PCI_HOLE_START,
  RESERVED_LOW,
} from './layout.js';
import { Ioremap } from './ioremap.js';
import { formatMeminfo } from './meminfo.js';
import { Memmap, PageOwner } from './memmap.js';
import { Mmu } from './mmu.js';
import { PageAllocator, type Zone } from './page-alloc.js';
import { PAGE_KERNEL, PageTable } from './page-table.js';
import { PhysMem } from './phys-mem.js';
import { Platform } from './platform.js';
import { Kmalloc } from './slab.js';
import { type TlbFlush, Tlbs } from './tlb.js';
import { Mm } from './user-mm.js';
import { WorkItem, WorkQueue } from './workqueue.js';

/** Options of a {@link Machine}; every one has a default. */
export interface MachineOptions {
  /** RAM, in bytes or as '512M', '8G'. @defaultValue '4G' */
  readonly memory?: number | string;
  /** NUMA nodes (RAM is split evenly among them). @defaultValue 1 */
  readonly nodes?: number;
  /** Online CPUs. @defaultValue 4 */
  readonly cpus?: number;
  /** Possible CPUs (num_possible_cpus). @defaultValue cpus */
  readonly possibleCpus?: number;
  /** NR_CPUS, the compile-time maximum. @defaultValue 64 */
  readonly nrCpus?: number;
  /** Turn every WARN into a thrown KernelWarning after logging it (panic_on_warn). @defaultValue false */
  readonly panicOnWarn?: boolean;
  /** The dmapool debug checks and poisoning (DMAPOOL_DEBUG). @defaultValue false */
  readonly dmapoolDebug?: boolean;
  /** init_on_alloc: zero every allocation. @defaultValue false */
  readonly initOnAlloc?: boolean;
  /** init_on_free: zero memory when it is freed. @defaultValue false */
  readonly initOnFree?: boolean;
  /**
   * Boot at once (run vmalloc_init and the other subsystem initialisers). With false the
   * machine stops before them, as early boot code runs (vm_area_add_early); call
   * {@link Machine.boot} to finish. @defaultValue true
   */
  readonly boot?: boolean;
}

/** One range of RAM, in pfns [start, end). */
export interface RamRange {
  readonly start: number;
  readonly end: number;
}

const builtinDrivers: Driver[] = [];
const bootHooks: ((m: Machine) => void)[] = [];

/** A simulated machine. */
export class Machine {
  /** The kernel log every subsystem of this machine writes to. */
  readonly log: KernelLog;
  readonly options: Readonly<MachineOptions>;
  /** Bytes of RAM. */
  readonly memoryBytes: number;
  /** RAM ranges in pfns, ascending. */
  readonly ram: readonly RamRange[];
  readonly phys: PhysMem;
  readonly memmap: Memmap;
  readonly pages: PageAllocator;
  readonly kmalloc: Kmalloc;
  readonly cpus: Cpus;
  readonly tlbs: Tlbs;
  /** The kernel page tables (init_mm.pgd). */
  readonly kernelPageTable: PageTable;
  readonly mmu: Mmu;
  readonly work: WorkQueue;
  readonly faults: FaultInjector;
  readonly dma: DmaCoherent;
  readonly files: FileSystem;
  readonly platform: Platform;
  readonly ioremap: Ioremap;
  /** Pages of vmalloc memory (VmallocUsed), kept by the vmalloc layer. */
  vmallocPages = 0;

  /**
   * Register a driver every machine created afterwards starts with (module_platform_driver
   * of a built-in driver).
   */
  static registerBuiltinDriver(driver: Driver): void {
    if (!builtinDrivers.includes(driver)) builtinDrivers.push(driver);
  }

  /**
   * Register a subsystem initialiser (vmalloc_init and friends) that every machine
   * constructed afterwards runs at the end of its boot. Layers above the machine use this
   * so the machine never imports them.
   */
  static registerBootHook(init: (m: Machine) => void): void {
    if (!bootHooks.includes(init)) bootHooks.push(init);
  }

  /**
   * Build and boot a machine.
   * @throws {RangeError} naming the option when an option is impossible.
   */
  constructor(options: MachineOptions = {}) {
    this.options = { ...options }; // control-plane: copied once at construction
    const mem = parseSize(options.memory ?? '4G');
    const nodes = options.nodes ?? 1;
    const nrCpus = options.nrCpus ?? 64;
    const online = options.cpus ?? Math.min(4, nrCpus);
    const possible = options.possibleCpus ?? online;
    checkOptions(mem, nodes, online, possible, nrCpus);
    this.memoryBytes = Math.floor(mem / PAGE_SIZE) * PAGE_SIZE;
    this.log = new KernelLog({
      panicOnWarn: options.panicOnWarn ?? false,
      cpu: () => this.cpus.current,
    });
    this.cpus = new Cpus(online, possible, nrCpus, this.log);
    this.faults = new FaultInjector(this.log);
    this.ram = ramRanges(this.memoryBytes);
    const maxPfn = this.ram[this.ram.length - 1]!.end;
    this.phys = new PhysMem(Math.max(maxPfn * PAGE_SIZE, PCI_HOLE_END));
    const nodeStart = splitNodes(this.ram, nodes);
    this.memmap = new Memmap(maxPfn, nodeStart, (pfn) => this.#isRam(pfn));
    this.pages = new PageAllocator(
      this.#buildZones(nodeStart, maxPfn),
      this.memmap,
      this.phys,
      this.log,
      this.cpus,
      this.faults,
    );
    this.kmalloc = new Kmalloc(
      this.pages,
      this.memmap,
      this.phys,
      this.log,
      this.faults,
      this.cpus,
    );
    this.pages.initOnAlloc = this.kmalloc.initOnAlloc = options.initOnAlloc ?? false;
    this.pages.initOnFree = this.kmalloc.initOnFree = options.initOnFree ?? false;
    this.tlbs = new Tlbs(nrCpus);
    this.kernelPageTable = new PageTable();
    for (let i = 0; i < this.ram.length; i++) {
      const r = this.ram[i]!;
      this.kernelPageTable.mapRange(
        PAGE_OFFSET + r.start * PAGE_SIZE,
        r.start,
        (r.end - r.start) * PAGE_SIZE,
        PAGE_KERNEL,
      );
    }
    this.mmu = new Mmu(this.kernelPageTable, this.tlbs, this.cpus, this.phys);
    this.work = new WorkQueue();
    this.ioremap = new Ioremap(
      this.kernelPageTable,
      this.tlbs,
      this.memmap,
      this.log,
      () => this.cpus.current,
    );
    this.dma = new DmaCoherent(this.pages, this.phys, this.log, this.faults);
    this.files = new FileSystem();
    this.files.register('/proc/meminfo', () => this.#meminfo());
    this.platform = new Platform(this, this.log);
    if (options.boot ?? true) this.boot();
    for (let i = 0; i < builtinDrivers.length; i++)
      this.platform.registerDriver(builtinDrivers[i]!);
  }

  /** Whether {@link boot} has run (vmalloc_init and friends). */
  get booted(): boolean {
    return this.#booted;
  }
  #booted = false;

  /**
   * Finish booting: run every registered subsystem initialiser (vmalloc_init turns the early
   * vm areas into busy areas). @throws {RangeError} when the machine already booted.
   */
  boot(): void {
    if (this.#booted) throw new RangeError('boot: this machine has already booted');
    this.#booted = true;
    for (let i = 0; i < bootHooks.length; i++) bootHooks[i]!(this);
  }

  #isRam(pfn: number): boolean {
    for (let i = 0; i < this.ram.length; i++) {
      const r = this.ram[i]!;
      if (pfn >= r.start && pfn < r.end) return true;
    }
    return false;
  }

  #buildZones(nodeStart: number[], maxPfn: number): (Zone | null)[][] {
    const limits = [0, MAX_DMA_PFN, MAX_DMA32_PFN, Number.MAX_SAFE_INTEGER];
    const zones: (Zone | null)[][] = [];
    const lowest = RESERVED_LOW / PAGE_SIZE;
    for (let nid = 0; nid < nodeStart.length; nid++) {
      const ns = nodeStart[nid]!;
      const ne = nid + 1 < nodeStart.length ? nodeStart[nid + 1]! : maxPfn;
      const row: (Zone | null)[] = [];
      for (let z = 0; z < 3; z++) {
        const s = Math.max(ns, limits[z]!);
        const e = Math.min(ne, limits[z + 1]!);
        let managed = 0;
        const buddy = s < e ? new BuddyZone(s, e) : null;
        if (buddy !== null) {
          for (let i = 0; i < this.ram.length; i++) {
            const r = this.ram[i]!;
            const fs = Math.max(s, r.start, lowest);
            const fe = Math.min(e, r.end);
            if (fs < fe) {
              buddy.freeRange(fs, fe);
              this.memmap.owner.fill(PageOwner.free, fs, fe);
              managed += fe - fs;
            }
          }
        }
        row.push(buddy !== null && managed > 0 ? { nid, zoneIdx: z, buddy, managed } : null);
      }
      zones.push(row);
    }
    return zones;
  }

  #meminfo(): string {
    return formatMeminfo({
      totalram: this.pages.totalramPages,
      free: this.pages.nrFreePages,
      slab: this.kmalloc.slabPages,
      pageTables: this.pages.inUse[PageOwner.pagetable]!,
      vmallocUsed: this.vmallocPages,
      percpu: 0,
    });
  }

  // ── CPUs and contexts ───────────────────────────────────────────────────────

  /** The CPU the caller runs on. */
  get currentCpu(): number {
    return this.cpus.current;
  }

  /** Run `fn` on CPU `cpu`. @throws {RangeError} when the CPU is not online. */
  onCpu<T>(cpu: number, fn: () => T): T {
    return this.cpus.onCpu(cpu, fn);
  }

  /** Run `fn` in hardirq context on the current CPU (in_interrupt() is true inside). */
  inInterrupt<T>(fn: () => T): T {
    return this.cpus.enter('hardirq', fn);
  }

  /** Run `fn` in a context of `kind`: 'hardirq', 'softirq', 'nmi' or 'atomic'. */
  inContext<T>(kind: ContextKind, fn: () => T): T {
    return this.cpus.enter(kind, fn);
  }

  // ── User address spaces ─────────────────────────────────────────────────────

  /** A new, empty user address space (mm_alloc) with page tables of its own. */
  createMm(): Mm {
    return new Mm(this.memmap, this.pages, this.phys);
  }

  // ── Deferred work ───────────────────────────────────────────────────────────

  /** Queue `work` (schedule_work). @returns false when it was already pending. */
  schedule(work: WorkItem): boolean {
    return this.work.schedule(work);
  }

  /** Make a work item running `fn`, named `name`, to pass to {@link schedule}. */
  workItem(name: string, fn: () => void): WorkItem {
    return new WorkItem(name, fn);
  }

  /** Run every queued work item, in order, until none is left. @returns how many ran. */
  runPendingWork(): number {
    return this.work.runAll();
  }

  // ── TLBs, faults, files, log ──────────────────────────────────────────────────

  /** The kernel TLB flushes so far, each with the range it covered. */
  tlbFlushes(): readonly TlbFlush[] {
    return this.tlbs.flushes();
  }

  /**
   * Make the `nth` next allocation at `site` ('page', 'kmalloc', 'vmap_area', 'dma') fail,
   * and the `times - 1` after it.
   */
  failNth(site: FaultSite, nth = 1, times = 1): void {
    this.faults.failNth(site, nth, times);
  }

  /**
   * Return the text of a simulated file (/proc/meminfo, /sys/devices/<dev>/pools, ...).
   * @throws {FileNotFound} when the file does not exist.
   */
  readFile(path: string): string {
    const dev = /^\/sys\/devices\/(?:platform\/)?([^/]+)\/([^/]+)$/.exec(path);
    if (dev !== null) {
      const d = this.platform.device(dev[1]!);
      const text = d?.readAttribute(dev[2]!);
      if (text === undefined) throw new FileNotFound(path);
      return text;
    }
    return this.files.read(path);
  }

  /** Return the kernel log's lines, oldest first, as `dmesg` prints them. */
  dmesg(): string[] {
    return this.log.dmesg();
  }

  // ── Devices and the device tree ─────────────────────────────────────────────

  /** Create and register a device. @throws {RangeError} when the name is taken or invalid. */
  createDevice(name: string, options: DeviceOptions = {}): Device {
    return this.platform.createDevice(name, options, null, '');
  }

  /** Register a driver and bind it to every matching unbound device. */
  registerDriver(driver: Driver): void {
    this.platform.registerDriver(driver);
  }

  /**
   * Read a device tree from DTS source text and create platform devices for its nodes.
   * @throws {DtsSyntaxError} naming file, line and column for malformed source.
   */
  loadDeviceTree(source: string, fileName = '<dts>'): void {
    this.platform.loadDeviceTree(source, fileName);
  }
}

function checkOptions(
  mem: number,
  nodes: number,
  online: number,
  possible: number,
  nrCpus: number,
): void {
  if (mem < 16 * 2 ** 20 || mem > MAX_MEMORY) {
    throw new RangeError(`memory: ${mem} bytes is outside 16 MiB .. ${MAX_MEMORY / 2 ** 30} GiB`);
  }
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64) {
    throw new RangeError(`nodes: ${nodes} is not an integer in 1..64`);
  }
  if (!Number.isInteger(nrCpus) || nrCpus < 1 || nrCpus > 8192) {
    throw new RangeError(`nrCpus: ${nrCpus} is not an integer in 1..8192`);
  }
  if (!Number.isInteger(online) || online < 1 || online > nrCpus) {
    throw new RangeError(`cpus: ${online} is not an integer in 1..nrCpus (${nrCpus})`);
  }
  if (!Number.isInteger(possible) || possible < online || possible > nrCpus) {
    throw new RangeError(
      `possibleCpus: ${possible} must be between cpus (${online}) and nrCpus (${nrCpus})`,
    );
  }
  if (mem / nodes < 16 * 2 ** 20) {
    throw new RangeError(`nodes: ${nodes} nodes of ${mem} bytes leave less than 16 MiB per node`);
  }
}

/** The e820-like RAM map: [0, mem), or [0, 3G) + [4G, 4G + mem - 3G) with the PCI hole. */
function ramRanges(mem: number): RamRange[] {
  const pages = mem / PAGE_SIZE;
  const holeStart = PCI_HOLE_START / PAGE_SIZE;
  if (pages <= holeStart) return [{ start: 0, end: pages }];
  const high = PCI_HOLE_END / PAGE_SIZE;
  return [
    { start: 0, end: holeStart },
    { start: high, end: high + pages - holeStart },
  ];
}

/** Split RAM evenly among `nodes`, at 4 MiB boundaries: the first pfn of each node. */
function splitNodes(ram: readonly RamRange[], nodes: number): number[] {
  let total = 0;
  for (let i = 0; i < ram.length; i++) total += ram[i]!.end - ram[i]!.start;
  const starts = [0];
  for (let n = 1; n < nodes; n++) {
    let want = Math.floor((total * n) / nodes / 1024) * 1024;
    let pfn = 0;
    for (let i = 0; i < ram.length; i++) {
      const r = ram[i]!;
      const len = r.end - r.start;
      if (want < len) {
        pfn = r.start + want;
        break;
      }
      want -= len;
    }
    starts.push(pfn);
  }
  return starts;
}

export { FileNotFound };
