// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scenario format's checks for the workload: an operation script (every reference to a
 * pool resolved, every free matched to a live allocation of the right kind, in order) or a
 * seeded random mix (users with weights, size ranges, alignments and live-set caps).
 *
 * Kernel: none (kmem's command line); the operations are the kernel's gen_pool_alloc,
 * dma_pool_alloc, vmalloc/vzalloc, vm_map_ram and their frees, vm_unmap_aliases.
 */

import { isPowerOfTwo } from '../../base/units.js';
import { fieldError, Fields, sizeValue, whereOf } from './fields.js';
import { childPath } from './json-source.js';
import type {
  CpuSpec,
  MachineSpec,
  MixFault,
  MixSpec,
  MixUser,
  PoolSpec,
  ScriptOp,
} from './types.js';

const OPS = [
  'alloc',
  'free',
  'vmalloc',
  'vzalloc',
  'vfree',
  'vm_map_ram',
  'vm_unmap_ram',
  'purge',
  'work',
  'fail',
] as const;
type OpName = (typeof OPS)[number];
const SITES = ['page', 'kmalloc', 'vmap_area', 'dma'] as const;
/** The largest vm_map_ram a scenario may ask for, in pages (1 GiB). */
const MAX_MAP_PAGES = 262144;

function poolRef(f: Fields, pools: readonly PoolSpec[]): PoolSpec {
  const id = f.str('pool');
  const pool = pools.find((p) => p.id === id);
  if (pool === undefined) {
    const known = pools.map((p) => p.id).join(', ');
    throw f.error('pool', `no pool '${id}' (pools: ${known === '' ? 'none' : known})`);
  }
  return pool;
}

function isGenpool(p: PoolSpec): boolean {
  return p.type === 'genpool' || p.type === 'devm-genpool';
}

/** The alloc-like op `name` on `pool`, its fields checked against the pool's kind. */
function checkAllocOp(f: Fields, name: OpName, pool: PoolSpec, cpu: number): ScriptOp {
  const need =
    name === 'vmalloc' || name === 'vzalloc'
      ? 'vmalloc'
      : name === 'vm_map_ram'
        ? 'vm_map_ram'
        : null;
  if (need !== null && pool.type !== need) {
    throw f.error('pool', `'${name}' needs a ${need} user, and '${pool.id}' is a ${pool.type}`);
  }
  const base = ['op', 'pool', 'id', 'cpu', 'owner'];
  let size = 0;
  let align = 0;
  let offset = -1;
  let zero = name === 'vzalloc';
  if (pool.type === 'vm_map_ram') {
    f.allowFields([...base, 'pages']);
    size = f.int('pages', 1, MAX_MAP_PAGES);
  } else if (pool.type === 'dmapool') {
    f.allowFields([...base, 'zero']);
    zero = f.bool('zero', false);
  } else {
    f.allowFields([...base, 'size', 'align', 'zero', ...(isGenpool(pool) ? ['offset'] : [])]);
    size = f.size('size');
    align = f.size('align', 0);
    if (align !== 0 && !isPowerOfTwo(align)) throw f.error('align', 'must be a power of two');
    offset = f.has('offset') ? f.size('offset') : -1;
    if (offset >= 0 && (align !== 0 || f.has('zero'))) {
      throw f.error('offset', "a fixed 'offset' takes no 'align' or 'zero'");
    }
    zero = f.bool('zero', zero);
  }
  const id = f.has('id') ? f.name('id') : null;
  const owner = f.str('owner', id ?? pool.id);
  return { op: 'alloc', pool: pool.id, size, align, offset, zero, id, owner, cpu, path: f.path };
}

/**
 * Check `workload.script`: each operation, in order, with ids tracked as the engine will.
 * @returns the operations. @throws {ScenarioError} for the first bad one.
 */
export function checkScript(
  w: Fields,
  pools: readonly PoolSpec[],
  machine: MachineSpec,
): ScriptOp[] {
  const list = w.array('script');
  const live = new Map<string, { pool: PoolSpec; path: string }>();
  const ops: ScriptOp[] = [];
  for (let i = 0; i < list.length; i++) {
    const f = new Fields(w.ctx, childPath(w.at('script'), i), list[i]);
    const name = f.oneOf('op', OPS);
    if (typeof f.raw('cpu') === 'string') {
      throw f.error(
        'cpu',
        `expected a CPU number 0..${machine.cpus - 1} (a script op runs on one CPU; "any" is for a mix user), got ${JSON.stringify(f.raw('cpu'))}`,
      );
    }
    const cpu = f.int('cpu', 0, machine.cpus - 1, 0);
    if (name === 'purge' || name === 'work') {
      f.allowFields(['op', 'cpu']);
      ops.push({ op: name, cpu, path: f.path });
    } else if (name === 'fail') {
      f.allowFields(['op', 'cpu', 'site', 'nth', 'times']);
      const site = f.oneOf('site', SITES);
      ops.push({
        op: 'fail',
        site,
        nth: f.int('nth', 1, 1e9, 1),
        times: f.int('times', 1, 1e9, 1),
        cpu,
        path: f.path,
      });
    } else if (name === 'free' || name === 'vfree' || name === 'vm_unmap_ram') {
      f.allowFields(['op', 'id', 'cpu']);
      const id = f.name('id');
      const got = live.get(id);
      if (got === undefined) throw f.error('id', `'${id}' is not a live allocation here`);
      const want = name === 'vfree' ? 'vmalloc' : name === 'vm_unmap_ram' ? 'vm_map_ram' : null;
      if (want !== null && got.pool.type !== want) {
        throw f.error(
          'op',
          `'${name}' of '${id}', a ${got.pool.type} allocation (${whereOf(w.ctx, got.path)})`,
        );
      }
      live.delete(id);
      ops.push({ op: 'free', id, cpu, path: f.path });
    } else {
      const op = checkAllocOp(f, name, poolRef(f, pools), cpu);
      if (op.op === 'alloc' && op.id !== null) {
        const prev = live.get(op.id);
        if (prev !== undefined) {
          throw f.error(
            'id',
            `'${op.id}' is still live (allocated at ${whereOf(w.ctx, prev.path)})`,
          );
        }
        live.set(op.id, { pool: poolRef(f, pools), path: f.path });
      }
      ops.push(op);
    }
  }
  return ops;
}

/** A [min, max] range of a mix user: a number, a size string, or a two-element array. */
function range(f: Fields, key: string, pages: boolean): [number, number] {
  const v = f.raw(key);
  const one = (x: unknown, path: string): number => {
    if (!pages) return sizeValue(f.ctx, path, x);
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1 || x > MAX_MAP_PAGES) {
      throw fieldError(f.ctx, path, `expected a page count in 1..${MAX_MAP_PAGES}`);
    }
    return x;
  };
  f.require(key);
  let lo: number;
  let hi: number;
  if (Array.isArray(v)) {
    if (v.length !== 2) throw f.error(key, 'expected [min, max]');
    lo = one(v[0], childPath(f.at(key), 0));
    hi = one(v[1], childPath(f.at(key), 1));
  } else {
    lo = hi = one(v, f.at(key));
  }
  if (lo < 1 || hi < lo) throw f.error(key, `expected 1 <= min <= max, got [${lo}, ${hi}]`);
  return [lo, hi];
}

function checkUser(f: Fields, pools: readonly PoolSpec[], machine: MachineSpec): MixUser {
  const pool = poolRef(f, pools);
  const common = ['pool', 'owner', 'weight', 'live', 'allocBias', 'cpu'];
  let lo = 0;
  let hi = 0;
  if (pool.type === 'vm_map_ram') {
    f.allowFields([...common, 'pages', 'dist']);
    [lo, hi] = range(f, 'pages', true);
  } else if (pool.type === 'dmapool') {
    f.allowFields([...common, 'zero']);
  } else {
    f.allowFields([...common, 'size', 'dist', 'align', 'zero']);
    [lo, hi] = range(f, 'size', false);
  }
  const align = f.size('align', 0);
  if (align !== 0 && !isPowerOfTwo(align)) throw f.error('align', 'must be a power of two');
  let cpu: CpuSpec = 0;
  const raw = f.raw('cpu');
  if (raw === 'any') cpu = 'any';
  else if (typeof raw === 'string') {
    throw f.error(
      'cpu',
      `expected a CPU number 0..${machine.cpus - 1} or "any", got ${JSON.stringify(raw)}`,
    );
  } else cpu = f.int('cpu', 0, machine.cpus - 1, 0);
  return {
    pool: pool.id,
    owner: f.str('owner', pool.id),
    weight: f.int('weight', 1, 1_000_000, 1),
    min: lo,
    max: hi,
    dist: f.oneOf('dist', ['uniform', 'log'], 'uniform'),
    align,
    live: f.int('live', 1, 1_000_000, 64),
    allocBias: f.num('allocBias', 0, 1, 0.55),
    zero: f.bool('zero', false),
    cpu,
    path: f.path,
  };
}

/**
 * Check `workload.mix`.
 * @returns the mix. @throws {ScenarioError} for the first problem.
 */
export function checkMix(f: Fields, pools: readonly PoolSpec[], machine: MachineSpec): MixSpec {
  f.allowFields(['steps', 'users', 'purgeEvery', 'faults', 'drain']);
  const list = f.array('users');
  if (list.length === 0) throw f.error('users', 'a mix needs at least one user');
  const users = list.map((u, i) =>
    checkUser(new Fields(f.ctx, childPath(f.at('users'), i), u), pools, machine),
  );
  const faults: MixFault[] = f.array('faults', []).map((x, i) => {
    const g = new Fields(f.ctx, childPath(f.at('faults'), i), x);
    g.allowFields(['site', 'every']);
    return { site: g.oneOf('site', SITES), every: g.int('every', 1, 1e9) };
  });
  return {
    steps: f.int('steps', 1, 100_000_000),
    users,
    purgeEvery: f.int('purgeEvery', 0, 1e9, 0),
    faults,
    drain: f.bool('drain', false),
  };
}
