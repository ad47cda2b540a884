// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scenario format's checks: a parsed JSON document in, a Scenario (types.ts) out, or
 * a ScenarioError naming the file, the line and the field. docs/cli/scenario.md documents
 * every field; this file is its executable form.
 *
 * Kernel: none (kmem's command line).
 *
 * What is checked here is what the file alone can tell: types, ranges the format sets,
 * unique pool ids, references from the workload to pools, and that a script frees only
 * what it allocated. The machine's static limits (memory, nodes, CPUs) are the simulator's,
 * checked here too so the file's line is named (exit 2); what only the simulator can tell
 * (whether a device exists in the tree) is checked when the machine is built.
 */

import { MAX_MEMORY } from '../../machine/layout.js';
import { isPowerOfTwo } from '../../base/units.js';
import { fieldError, Fields, type FieldContext, whereOf } from './fields.js';
import { childPath, type JsonDocument, positionOf } from './json-source.js';
import type {
  AlgoName,
  ChunkSpec,
  DtsSpec,
  MachineSpec,
  PoolSpec,
  Scenario,
  WorkloadSpec,
} from './types.js';
import { checkMix, checkScript } from './schema-workload.js';

/** Reads a DTS file named by `dtsFile`, relative to the scenario. */
export type DtsReader = (relPath: string) => { text: string; fileName: string };

const ALGOS: readonly AlgoName[] = [
  'first-fit',
  'best-fit',
  'first-fit-order-align',
  'first-fit-align',
];
const TOP = ['name', 'description', 'seed', 'machine', 'dts', 'dtsFile', 'pools', 'workload'];
/** The largest seed: xorshift32 takes a non-zero uint32. */
export const MAX_SEED = 0xffffffff;

/**
 * Check a parsed scenario document.
 * @returns the scenario. @throws {ScenarioError} for the first problem, with file:line.
 */
export function checkScenario(doc: JsonDocument, file: string, readDts: DtsReader): Scenario {
  const ctx: FieldContext = { file, doc };
  const top = new Fields(ctx, '', doc.value);
  top.allowFields(TOP);
  const machine = checkMachine(top.object('machine'));
  const dts = checkDts(top, readDts);
  const pools = checkPools(top);
  const workload = checkWorkload(top.object('workload'), pools, machine);
  return {
    file,
    name: top.str('name', file.replace(/^.*[\\/]/, '').replace(/\.json$/i, '')),
    description: top.str('description', ''),
    seed: top.int('seed', 1, MAX_SEED, 1),
    machine,
    dts,
    pools,
    workload,
    where: (path) => whereOf(ctx, path),
  };
}

/** The simulator's static machine limits (src/machine/machine.ts checkOptions). */
const MIN_MEMORY = 16 * 2 ** 20;
const MAX_NODES = 64;
const MAX_NR_CPUS = 8192;

/**
 * The machine, checked against the simulator's static limits here, so that every
 * impossible machine the file alone shows is a file error (exit 2, with its line): memory
 * 16 MiB..1 TiB, nodes 1..64 of at least 16 MiB each, nrCpus 1..8192, cpus 1..nrCpus,
 * possibleCpus cpus..nrCpus.
 */
function checkMachine(f: Fields): MachineSpec {
  f.allowFields(['memory', 'nodes', 'cpus', 'possibleCpus', 'nrCpus', 'dmapoolDebug']);
  const memory = f.has('memory') ? f.size('memory') : 4 * 2 ** 30;
  if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
    throw f.error('memory', `${memory} bytes is outside the simulator's 16 MiB..1 TiB`);
  }
  const nrCpus = f.int('nrCpus', 1, MAX_NR_CPUS, 64);
  const cpus = f.int('cpus', 1, MAX_NR_CPUS, Math.min(4, nrCpus));
  if (cpus > nrCpus) throw f.error('cpus', `${cpus} is more than nrCpus (${nrCpus})`);
  const nodes = f.int('nodes', 1, MAX_NODES, 1);
  if (memory / nodes < MIN_MEMORY) {
    throw f.error('nodes', `${nodes} nodes of ${memory} bytes leave less than 16 MiB per node`);
  }
  const spec: MachineSpec = {
    memory,
    nodes,
    cpus,
    nrCpus,
    dmapoolDebug: f.bool('dmapoolDebug', false),
  };
  if (!f.has('possibleCpus')) return spec;
  const possibleCpus = f.int('possibleCpus', 1, MAX_NR_CPUS);
  if (possibleCpus < cpus || possibleCpus > nrCpus) {
    throw f.error(
      'possibleCpus',
      `${possibleCpus} must be between cpus (${cpus}) and nrCpus (${nrCpus})`,
    );
  }
  return { ...spec, possibleCpus };
}

function checkDts(top: Fields, readDts: DtsReader): DtsSpec | null {
  const ctx = top.ctx;
  if (top.has('dts') && top.has('dtsFile')) {
    throw top.error('dtsFile', "give either 'dts' or 'dtsFile', not both");
  }
  if (top.has('dtsFile')) {
    const rel = top.str('dtsFile');
    let got: { text: string; fileName: string };
    try {
      got = readDts(rel);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw top.error('dtsFile', `cannot read '${rel}': ${why}`);
    }
    return { text: got.text, fileName: got.fileName, ownFile: true, lineAt: () => got.fileName };
  }
  if (!top.has('dts')) return null;
  const v = top.raw('dts');
  if (typeof v === 'string') {
    const at = whereOf(ctx, 'dts');
    return { text: v, fileName: ctx.file, ownFile: false, lineAt: (l) => `${at}: dts: line ${l}` };
  }
  if (!Array.isArray(v) || v.some((l) => typeof l !== 'string')) {
    throw top.error('dts', 'expected the DTS source as a string or an array of lines (strings)');
  }
  const lines = v as string[];
  return {
    text: `${lines.join('\n')}\n`,
    fileName: ctx.file,
    ownFile: false,
    lineAt: (l) => {
      const path = childPath('dts', Math.min(Math.max(l - 1, 0), lines.length - 1));
      return `${ctx.file}:${positionOf(ctx.doc, path).line}: ${path}`;
    },
  };
}

function checkPools(top: Fields): PoolSpec[] {
  const list = top.array('pools', []);
  const pools: PoolSpec[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const f = new Fields(top.ctx, childPath('pools', i), list[i]);
    const pool = checkPool(f);
    if (ids.has(pool.id)) throw f.error('id', `pool id '${pool.id}' is used twice`);
    ids.add(pool.id);
    pools.push(pool);
  }
  return pools;
}

function checkPool(f: Fields): PoolSpec {
  const type = f.oneOf('type', ['genpool', 'devm-genpool', 'dmapool', 'vmalloc', 'vm_map_ram']);
  const id = f.name('id');
  const path = f.path;
  switch (type) {
    case 'genpool':
      return checkDtGenpool(f, id);
    case 'devm-genpool':
      return checkDevmGenpool(f, id);
    case 'dmapool': {
      f.allowFields(['type', 'id', 'device', 'name', 'size', 'align', 'boundary']);
      const align = f.size('align', 0);
      const boundary = f.size('boundary', 0);
      if (align !== 0 && !isPowerOfTwo(align)) throw f.error('align', 'must be a power of two');
      if (boundary !== 0 && !isPowerOfTwo(boundary))
        throw f.error('boundary', 'must be a power of two');
      return {
        type,
        id,
        path,
        device: f.str('device'),
        name: f.str('name', id),
        size: f.size('size'),
        align,
        boundary,
      };
    }
    case 'vmalloc':
      f.allowFields(['type', 'id', 'caller']);
      return { type, id, path, caller: f.str('caller', id) };
    case 'vm_map_ram':
      f.allowFields(['type', 'id']);
      return { type, id, path };
  }
}

function checkAlgo(f: Fields): { algo: AlgoName | null; align: number } {
  const algo = f.has('algo') ? f.oneOf('algo', ALGOS) : null;
  const align = f.size('align', 0);
  if (algo === 'first-fit-align' && !isPowerOfTwo(align)) {
    throw f.error('align', "first-fit-align needs 'align', a power of two");
  }
  if (algo !== 'first-fit-align' && f.has('align')) {
    throw f.error('align', "'align' belongs to algo first-fit-align");
  }
  return { algo, align };
}

function checkDtGenpool(f: Fields, id: string): PoolSpec {
  f.allowFields(['type', 'id', 'label', 'consumer', 'algo', 'align']);
  if (f.has('label') === f.has('consumer')) {
    throw fieldError(f.ctx, f.path, "a genpool needs exactly one of 'label' or 'consumer'");
  }
  let consumer = null;
  if (f.has('consumer')) {
    const c = f.object('consumer');
    c.allowFields(['node', 'property', 'index']);
    consumer = {
      node: c.str('node'),
      property: c.str('property', 'sram'),
      index: c.int('index', 0, 1023, 0),
    };
  }
  const { algo, align } = checkAlgo(f);
  return {
    type: 'genpool',
    id,
    path: f.path,
    label: f.has('label') ? f.str('label') : null,
    consumer,
    algo,
    align,
  };
}

function checkDevmGenpool(f: Fields, id: string): PoolSpec {
  f.allowFields(['type', 'id', 'device', 'name', 'order', 'algo', 'align', 'chunks']);
  const { algo, align } = checkAlgo(f);
  const list = f.array('chunks');
  if (list.length === 0) throw f.error('chunks', 'a devm-genpool needs at least one chunk');
  const chunks: ChunkSpec[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = new Fields(f.ctx, childPath(f.at('chunks'), i), list[i]);
    c.allowFields(['size', 'phys']);
    const size = c.size('size');
    if (size === 0) throw c.error('size', 'a chunk needs a size above 0');
    chunks.push({ size, phys: c.has('phys') ? c.size('phys') : -1 });
  }
  return {
    type: 'devm-genpool',
    id,
    path: f.path,
    device: f.str('device'),
    name: f.str('name', id),
    order: f.int('order', 0, 30, 5),
    algo,
    align,
    chunks,
  };
}

function checkWorkload(f: Fields, pools: readonly PoolSpec[], machine: MachineSpec): WorkloadSpec {
  f.allowFields(['script', 'mix', 'sampleEvery']);
  if (f.has('script') === f.has('mix')) {
    throw fieldError(f.ctx, f.path, "a workload needs exactly one of 'script' or 'mix'");
  }
  if (f.has('script')) {
    const ops = checkScript(f, pools, machine);
    return { kind: 'script', ops, sampleEvery: f.int('sampleEvery', 1, 1e9, 1) };
  }
  const mix = checkMix(f.object('mix'), pools, machine);
  const every = Math.max(1, Math.floor(mix.steps / 200));
  return { kind: 'mix', mix, sampleEvery: f.int('sampleEvery', 1, 1e9, every) };
}
