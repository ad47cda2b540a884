// SPDX-License-Identifier: GPL-2.0-only
/*
 * The allocation trace format of `kmem replay` and its parser: a text file with one
 * declaration or operation per line, which kmem replays against genalloc's fit algorithms
 * (engine.ts). The format is documented for users in docs/cli/replay.md.
 *
 * Kernel: lib/genalloc.c — a trace line is one gen_pool_create/gen_pool_add_virt
 * (`pool`, `chunk`), gen_pool_alloc_algo / gen_pool_dma_alloc_align / fixed alloc (`alloc`)
 * or gen_pool_free (`free`) call.
 *
 * Grammar (fields are `key=value`, in any order; `#` starts a comment; blank lines are
 * ignored; numbers are decimal, 0x-hex, or decimal with a K/M/G/T suffix):
 *
 *   pool  <name> size=<n> [order=<n>] [base=<addr>]   a pool with its first chunk
 *   chunk <name> size=<n> [base=<addr>]               one more chunk for that pool
 *   alloc <pool> <size> [align=<n>|offset=<n>] [owner=<word>] [id=<word>] [addr=<addr>]
 *   free  <pool> <id-or-addr>
 *
 * Data structure: the parse resolves every free to the alloc it releases (`target`, an
 * index into `ops`), so a replay never looks names up and every algorithm frees the same
 * allocation. A free names an id (the live alloc with that id in the pool: an id is live
 * at most once at a time) or an address (the live alloc whose recorded `addr=` it is).
 *
 * Invariants:
 *   T1: every free's target is an alloc of the same pool, live at that line (no double
 *       free, no free of an unknown id: both are parse errors).
 *   T2: the chunks of one pool do not overlap; every base is > 0 (address 0 is genalloc's
 *       failure value).
 */

import { hex, isPowerOfTwo } from '../../base/units.js';
import { parseKaddr } from '../../machine/layout.js';

/** A problem in an input file, at a line (1-based). */
export class InputError extends Error {
  /** The line of the problem, 1-based (0: the file as a whole). */
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.name = 'InputError';
    this.line = line;
  }
}

/** One chunk of a trace pool. */
export interface TraceChunk {
  readonly base: number;
  readonly size: number;
  /** The line that declared it. */
  readonly line: number;
}

/** One pool of a trace. */
export interface TracePool {
  readonly name: string;
  /** min_alloc_order declared by the trace (0 when not given). */
  readonly order: number;
  /** Chunks in declaration order (the kernel searches the newest first). */
  readonly chunks: TraceChunk[];
  readonly line: number;
}

/** One allocation of a trace. */
export interface TraceAlloc {
  readonly kind: 'alloc';
  readonly line: number;
  /** Index of the pool in {@link Trace.pools}. */
  readonly pool: number;
  readonly size: number;
  /** Requested alignment in bytes (0: none). */
  readonly align: number;
  /** Fixed offset from each chunk's start (-1: none). */
  readonly offset: number;
  readonly owner: string;
  /** The id a free may name ('' when none). */
  readonly id: string;
  /** The address the traced system returned (-1 when not recorded). */
  readonly addr: number;
}

/** One free of a trace. */
export interface TraceFree {
  readonly kind: 'free';
  readonly line: number;
  readonly pool: number;
  /** Index in {@link Trace.ops} of the alloc it frees (T1). */
  readonly target: number;
}

/** One operation (a replay step). */
export type TraceOp = TraceAlloc | TraceFree;

/** A parsed trace. */
export interface Trace {
  readonly pools: readonly TracePool[];
  readonly ops: readonly TraceOp[];
  /** Number of allocs among the ops. */
  readonly nrAllocs: number;
}

/** Default chunk bases are multiples of this (so that no allocation is address 0). */
const DEFAULT_BASE_STEP = 2 ** 32;
/** Every chunk ends at or below this: kmem's virtual addresses are 48-bit. */
const ADDRESS_LIMIT = 2 ** 48;
/** The largest size or offset a trace may give (genalloc sizes are safe integers). */
const MAX_TRACE_NUMBER = 2 ** 50;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const WORD = /^[^\s=#]+$/;

/**
 * Parse a size, alignment or offset: decimal, 0x-hex, or decimal with K, M, G or T.
 * @returns the number of bytes, or NaN when the text is not a number of that form.
 */
export function parseTraceNumber(text: string): number {
  let n = Number.NaN;
  if (/^0x[0-9a-f]+$/i.test(text)) n = Number.parseInt(text.slice(2), 16);
  else {
    const m = /^(\d+)([KMGT]?)$/i.exec(text);
    if (m !== null) {
      const unit = (m[2] ?? '').toUpperCase();
      n = Number(m[1]) * 2 ** (unit === '' ? 0 : 10 * ('KMGT'.indexOf(unit) + 1));
    }
  }
  return Number.isSafeInteger(n) && n <= MAX_TRACE_NUMBER ? n : Number.NaN;
}

/** Parse an address: 48-bit or sign-extended 64-bit hex (`0xffff888000000000`), or NaN. */
function parseAddress(text: string): number {
  if (!/^0x[0-9a-f]+$/i.test(text)) return Number.NaN;
  return parseKaddr(text);
}

/** The `key=value` fields of a line after its positional words. */
function fields(
  words: readonly string[],
  from: number,
  allowed: readonly string[],
  line: number,
  what: string,
): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = from; i < words.length; i++) {
    const w = words[i]!;
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InputError(line, `unexpected '${w}' (expected key=value)`);
    const key = w.slice(0, eq);
    const value = w.slice(eq + 1);
    if (!allowed.includes(key)) {
      const list = allowed.map((k) => `${k}=`).join(', ');
      throw new InputError(line, `unknown field '${key}' (${what} takes ${list})`);
    }
    if (out.has(key)) throw new InputError(line, `field '${key}' given twice`);
    if (value === '') throw new InputError(line, `field '${key}' has no value`);
    out.set(key, value);
  }
  return out;
}

function numberField(f: Map<string, string>, key: string, line: number, dflt: number): number {
  const text = f.get(key);
  if (text === undefined) return dflt;
  const n = parseTraceNumber(text);
  if (Number.isNaN(n))
    throw new InputError(line, `${key}=${text}: not a number (use 4096, 0x1000, 4K)`);
  return n;
}

function addressField(f: Map<string, string>, key: string, line: number): number {
  const text = f.get(key);
  if (text === undefined) return -1;
  const a = parseAddress(text);
  if (Number.isNaN(a)) throw new InputError(line, `${key}=${text}: not an address (use 0x hex)`);
  return a;
}

/** Mutable parser state. */
interface ParseState {
  readonly pools: TracePool[];
  readonly byName: Map<string, number>;
  readonly ops: TraceOp[];
  /** Live allocs per pool: id → op index, and recorded address → op index. */
  readonly liveIds: Map<string, number>[];
  readonly liveAddrs: Map<number, number>[];
  nextBase: number;
  nrAllocs: number;
}

function poolOf(st: ParseState, name: string | undefined, line: number, what: string): number {
  if (name === undefined || name.includes('=')) {
    throw new InputError(line, `${what} needs a pool name`);
  }
  const p = st.byName.get(name);
  if (p === undefined)
    throw new InputError(line, `unknown pool '${name}' (declare it with a pool line first)`);
  return p;
}

function addChunk(st: ParseState, pool: TracePool, f: Map<string, string>, line: number): void {
  const sizeText = f.get('size');
  if (sizeText === undefined) throw new InputError(line, 'size= is required');
  const size = numberField(f, 'size', line, 0);
  if (size === 0) throw new InputError(line, 'size=0: a chunk needs at least one byte');
  let base = addressField(f, 'base', line);
  if (base === -1) {
    base = st.nextBase;
    st.nextBase += Math.ceil(size / DEFAULT_BASE_STEP) * DEFAULT_BASE_STEP;
  } else if (base === 0) {
    throw new InputError(
      line,
      'base=0: genalloc returns address 0 for a failure, so no chunk may start there',
    );
  }
  if (!Number.isSafeInteger(base + size) || base + size > ADDRESS_LIMIT) {
    throw new InputError(
      line,
      `chunk ${hex(base)}+${size} ends past 2^48 (kmem's 48-bit virtual address space)`,
    );
  }
  for (const c of pool.chunks) {
    if (base < c.base + c.size && c.base < base + size) {
      throw new InputError(
        line,
        `chunk overlaps the chunk of line ${c.line} of pool '${pool.name}'`,
      );
    }
  }
  pool.chunks.push({ base, size, line });
}

function parsePool(st: ParseState, words: readonly string[], line: number): void {
  const name = words[1];
  if (name === undefined || name.includes('=')) throw new InputError(line, 'pool needs a name');
  if (!NAME.test(name))
    throw new InputError(line, `pool name '${name}' is not a word ([A-Za-z_][A-Za-z0-9_.-]*)`);
  if (st.byName.has(name)) {
    const first = st.pools[st.byName.get(name)!]!.line;
    throw new InputError(
      line,
      `pool '${name}' is already declared (line ${first}); add chunks with 'chunk ${name} size=...'`,
    );
  }
  const f = fields(words, 2, ['size', 'order', 'base'], line, 'pool');
  const orderText = f.get('order');
  let order = 0;
  if (orderText !== undefined) {
    if (!/^\d+$/.test(orderText) || Number(orderText) > 40) {
      throw new InputError(line, `order=${orderText}: min_alloc_order must be an integer 0..40`);
    }
    order = Number(orderText);
  }
  const pool: TracePool = { name, order, chunks: [], line };
  addChunk(st, pool, f, line);
  st.byName.set(name, st.pools.length);
  st.pools.push(pool);
  st.liveIds.push(new Map());
  st.liveAddrs.push(new Map());
}

function parseAllocFields(f: Map<string, string>, line: number): { align: number; offset: number } {
  const align = numberField(f, 'align', line, 0);
  if (f.has('align') && !isPowerOfTwo(align))
    throw new InputError(line, `align=${f.get('align')!}: not a power of two`);
  if (align > 2 ** 30)
    throw new InputError(line, `align=${f.get('align')!}: larger than 1G (a C int)`);
  const offset = numberField(f, 'offset', line, -1);
  if (f.has('align') && f.has('offset'))
    throw new InputError(line, 'align= and offset= exclude each other');
  for (const key of ['owner', 'id']) {
    const v = f.get(key);
    if (v !== undefined && !WORD.test(v)) throw new InputError(line, `${key}=${v}: not a word`);
  }
  return { align, offset };
}

function parseAlloc(st: ParseState, words: readonly string[], line: number): void {
  const pool = poolOf(st, words[1], line, 'alloc');
  const sizeText = words[2];
  if (sizeText === undefined || sizeText.includes('='))
    throw new InputError(line, 'alloc needs a size after the pool name');
  const size = parseTraceNumber(sizeText);
  if (Number.isNaN(size))
    throw new InputError(line, `size '${sizeText}' is not a number (use 4096, 0x1000, 4K)`);
  if (size === 0)
    throw new InputError(line, 'size 0: gen_pool_alloc(0) returns 0, there is nothing to replay');
  const f = fields(words, 3, ['align', 'offset', 'owner', 'id', 'addr'], line, 'alloc');
  const { align, offset } = parseAllocFields(f, line);
  const id = f.get('id') ?? '';
  const addr = addressField(f, 'addr', line);
  const index = st.ops.length;
  const ids = st.liveIds[pool]!;
  if (id !== '') {
    const same = ids.get(id);
    if (same !== undefined) {
      throw new InputError(
        line,
        `id '${id}' is still live (allocated at line ${st.ops[same]!.line})`,
      );
    }
    ids.set(id, index);
  }
  if (addr !== -1) {
    const other = st.liveAddrs[pool]!.get(addr);
    if (other !== undefined)
      throw new InputError(
        line,
        `addr=${f.get('addr')!} is still live (line ${st.ops[other]!.line})`,
      );
    st.liveAddrs[pool]!.set(addr, index);
  }
  st.ops.push({
    kind: 'alloc',
    line,
    pool,
    size,
    align,
    offset,
    owner: f.get('owner') ?? '',
    id,
    addr,
  });
  st.nrAllocs++;
}

function parseFree(st: ParseState, words: readonly string[], line: number): void {
  const pool = poolOf(st, words[1], line, 'free');
  const ref = words[2];
  if (ref === undefined)
    throw new InputError(line, 'free needs an id or address after the pool name');
  if (words.length > 3) throw new InputError(line, `unexpected '${words[3]!}' after the id`);
  const name = st.pools[pool]!.name;
  let target = -1;
  const byId = st.liveIds[pool]!.get(ref);
  if (byId !== undefined) {
    target = byId;
  } else {
    const a = parseAddress(ref);
    const byAddr = Number.isNaN(a) ? undefined : st.liveAddrs[pool]!.get(a);
    if (byAddr === undefined) {
      const hint = Number.isNaN(a) ? 'id' : 'id or recorded addr=';
      throw new InputError(
        line,
        `free of '${ref}': no live allocation in pool '${name}' has that ${hint} (never allocated, or already freed)`,
      );
    }
    target = byAddr;
  }
  const alloc = st.ops[target] as TraceAlloc;
  if (alloc.id !== '') st.liveIds[pool]!.delete(alloc.id);
  if (alloc.addr !== -1) st.liveAddrs[pool]!.delete(alloc.addr);
  st.ops.push({ kind: 'free', line, pool, target });
}

/**
 * Parse the text of a trace.
 *
 * @returns the pools and the operations, every free resolved to its alloc.
 * @throws {InputError} at the first problem, with its line number: an unknown keyword,
 *   pool or field, a bad number, a free of an id that is not live, a trace with no pool.
 */
export function parseTrace(text: string): Trace {
  const st: ParseState = {
    pools: [],
    byName: new Map(),
    ops: [],
    liveIds: [],
    liveAddrs: [],
    nextBase: DEFAULT_BASE_STEP,
    nrAllocs: 0,
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const body = (hash < 0 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (body === '') continue;
    const words = body.split(/\s+/);
    const line = i + 1;
    const keyword = words[0]!;
    if (keyword === 'pool') parsePool(st, words, line);
    else if (keyword === 'chunk') {
      const p = poolOf(st, words[1], line, 'chunk');
      addChunk(st, st.pools[p]!, fields(words, 2, ['size', 'base'], line, 'chunk'), line);
    } else if (keyword === 'alloc') parseAlloc(st, words, line);
    else if (keyword === 'free') parseFree(st, words, line);
    else
      throw new InputError(
        line,
        `unknown keyword '${keyword}' (expected pool, chunk, alloc or free)`,
      );
  }
  if (st.pools.length === 0)
    throw new InputError(
      0,
      'no pool declared (a trace starts with: pool <name> size=<n> order=<n>)',
    );
  return { pools: st.pools, ops: st.ops, nrAllocs: st.nrAllocs };
}
