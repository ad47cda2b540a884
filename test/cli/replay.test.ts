// SPDX-License-Identifier: GPL-2.0-only
/*
 * `kmem replay` for traces: the trace parser (every error with its line number), the
 * replay engine against an independent oracle (a linear scan over a boolean[] per chunk,
 * written here from KERNEL-SPEC §1.2, sharing no code with kmem), the panel count, and
 * peak use and fragmentation (R1, R2 of src/cli/replay/engine.ts).
 *
 * Kernel: lib/genalloc.c gen_pool_first_fit, gen_pool_best_fit,
 * gen_pool_first_fit_order_align, gen_pool_first_fit_align, gen_pool_fixed_alloc.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayTrace, sampleSteps, algoName } from '../../src/cli/replay/engine.js';
import { replayReportModel, type TraceReplay } from '../../src/cli/replay/output.js';
import {
  InputError,
  parseTrace,
  parseTraceNumber,
  type Trace,
  type TraceAlloc,
} from '../../src/cli/replay/trace.js';

// ── The parser ───────────────────────────────────────────────────────────────

const HEAD = 'pool sram size=64K order=5\n';

function parseError(text: string): { line: number; message: string } {
  try {
    parseTrace(text);
  } catch (err) {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    return { line: err.line, message: err.message };
  }
  assert.fail('the trace parsed');
}

test('numbers: decimal, hex and K/M/G/T suffixes; anything else is NaN', () => {
  assert.equal(parseTraceNumber('4096'), 4096);
  assert.equal(parseTraceNumber('0x1000'), 4096);
  assert.equal(parseTraceNumber('4K'), 4096);
  assert.equal(parseTraceNumber('4k'), 4096);
  assert.equal(parseTraceNumber('2M'), 2 * 2 ** 20);
  assert.equal(parseTraceNumber('1G'), 2 ** 30);
  assert.equal(parseTraceNumber('1T'), 2 ** 40);
  for (const bad of ['', '4KB', '-1', '1.5K', '0x', 'abc', '4 K', '99999999999999999999'])
    assert.ok(Number.isNaN(parseTraceNumber(bad)), bad);
});

test('a trace parses: pools, chunks, allocs, frees by id and by recorded address', () => {
  const t = parseTrace(
    [
      '# a comment',
      '',
      'pool sram size=64K order=5 base=0xffffc90000200000 # trailing comment',
      'chunk sram size=0x8000',
      'pool ocram size=4K',
      'alloc sram 1K align=64 owner=usb id=a',
      'alloc ocram 100 addr=0x1000 owner=eth',
      'alloc sram 64 offset=0x400',
      'free sram a',
      'free ocram 0x1000',
      'alloc sram 2K id=a',
      'free sram a',
    ].join('\n'),
  );
  assert.equal(t.pools.length, 2);
  assert.deepEqual(
    t.pools[0]!.chunks.map((c) => [c.base, c.size]),
    [
      [0xc90000200000, 65536],
      [2 ** 32, 0x8000],
    ],
  );
  assert.equal(t.pools[1]!.order, 0, 'order defaults to 0');
  assert.equal(t.pools[1]!.chunks[0]!.base, 2 * 2 ** 32, 'default bases are multiples of 2^32');
  assert.equal(t.ops.length, 7);
  assert.equal(t.nrAllocs, 4);
  const a = t.ops[0] as TraceAlloc;
  assert.deepEqual([a.size, a.align, a.owner, a.id, a.offset], [1024, 64, 'usb', 'a', -1]);
  assert.equal((t.ops[2] as TraceAlloc).offset, 0x400);
  assert.deepEqual(t.ops[3], { kind: 'free', line: 9, pool: 0, target: 0 });
  assert.deepEqual(t.ops[4], { kind: 'free', line: 10, pool: 1, target: 1 });
  assert.deepEqual(t.ops[6], { kind: 'free', line: 12, pool: 0, target: 5 }, 'an id may be reused');
});

const ERRORS: readonly [string, string, number, RegExp][] = [
  ['unknown keyword', `${HEAD}\nmalloc sram 4`, 3, /unknown keyword 'malloc'/],
  ['unknown pool', `${HEAD}alloc dram 4`, 2, /unknown pool 'dram'/],
  ['alloc without a pool', `${HEAD}alloc`, 2, /alloc needs a pool name/],
  ['alloc without a size', `${HEAD}alloc sram`, 2, /needs a size/],
  ['a bad size', `${HEAD}alloc sram 4KB`, 2, /size '4KB' is not a number/],
  ['size 0', `${HEAD}alloc sram 0`, 2, /size 0/],
  ['an unknown field', `${HEAD}alloc sram 4 colour=red`, 2, /unknown field 'colour'/],
  ['a field twice', `${HEAD}alloc sram 4 id=a id=b`, 2, /field 'id' given twice/],
  ['a field without value', `${HEAD}alloc sram 4 owner=`, 2, /field 'owner' has no value/],
  ['a word that is not key=value', `${HEAD}alloc sram 4 usb`, 2, /unexpected 'usb'/],
  ['align not a power of two', `${HEAD}alloc sram 4 align=48`, 2, /not a power of two/],
  ['align and offset', `${HEAD}alloc sram 4 align=64 offset=0`, 2, /exclude each other/],
  ['a bad addr', `${HEAD}alloc sram 4 addr=12`, 2, /addr=12: not an address/],
  ['free of an unknown id', `${HEAD}alloc sram 4 id=a\nfree sram b`, 3, /free of 'b': no live/],
  ['a double free', `${HEAD}alloc sram 4 id=a\nfree sram a\n\nfree sram a`, 5, /free of 'a'/],
  ['free in another pool', `${HEAD}pool o size=4K\nalloc sram 4 id=a\nfree o a`, 4, /pool 'o'/],
  ['free without a ref', `${HEAD}free sram`, 2, /needs an id or address/],
  ['free with more words', `${HEAD}alloc sram 4 id=a\nfree sram a 4`, 3, /unexpected '4'/],
  ['a live id reused', `${HEAD}alloc sram 4 id=a\nalloc sram 8 id=a`, 3, /id 'a' is still live/],
  ['a live addr reused', `${HEAD}alloc sram 4 addr=0x10\nalloc sram 4 addr=0x10`, 3, /still live/],
  ['a pool twice', `${HEAD}# x\npool sram size=4K`, 3, /already declared \(line 1\)/],
  ['a pool without size', 'pool sram order=5', 1, /size= is required/],
  ['a pool without name', 'pool size=4K', 1, /pool needs a name/],
  ['a bad pool name', 'pool 9x size=4K', 1, /is not a word/],
  ['a bad order', 'pool sram size=4K order=41', 1, /order=41/],
  ['base 0', 'pool sram size=4K base=0x0', 1, /base=0/],
  [
    'overlapping chunks',
    'pool s size=8K base=0x10000\nchunk s size=4K base=0x11000',
    2,
    /overlaps/,
  ],
  ['a chunk of an unknown pool', `${HEAD}chunk dram size=4K`, 2, /unknown pool 'dram'/],
  ['a chunk of size 0', `${HEAD}chunk sram size=0`, 2, /size=0/],
  [
    'a chunk past 2^48',
    'pool s size=64K base=0xfffffffffffff000',
    1,
    /^chunk 0xfffffffff000\+65536 ends past 2\^48 \(kmem's 48-bit virtual address space\)$/,
  ],
  [
    'a chunk that ends past 2^48',
    `${HEAD}chunk sram size=2 base=0xffffffffffffffff`,
    2,
    /past 2\^48/,
  ],
];

for (const [what, text, line, message] of ERRORS) {
  test(`parse error: ${what}, at line ${line}`, () => {
    const e = parseError(text);
    assert.equal(e.line, line);
    assert.match(e.message, message);
  });
}

test('a chunk that ends exactly at 2^48 is accepted', () => {
  const t = parseTrace('pool s size=4K base=0xfffffffffffff000');
  assert.equal(t.pools[0]!.chunks[0]!.base + 4096, 2 ** 48);
});

test('parse error: a trace with no pool is an error of the whole file (line 0)', () => {
  const e = parseError('# only a comment\n\n');
  assert.equal(e.line, 0);
  assert.match(e.message, /no pool declared/);
});

test('--algo words: names and aliases', () => {
  assert.equal(algoName('order-align'), 'first-fit-order-align');
  assert.equal(algoName('best-fit'), 'best-fit');
  assert.equal(algoName('worst-fit'), null);
  assert.equal(algoName('toString'), null);
});

// ── An independent oracle ────────────────────────────────────────────────────

/** A genpool over boolean[] with the kernel's semantics, by linear scans. */
class OraclePool {
  readonly unit: number;
  /** Chunks newest first (the kernel's search order). */
  readonly chunks: { start: number; nbits: number; map: boolean[]; avail: number }[] = [];
  constructor(order: number) {
    this.unit = 2 ** order;
  }
  add(start: number, size: number): void {
    const nbits = Math.floor(size / this.unit);
    this.chunks.unshift({ start, nbits, map: new Array<boolean>(nbits).fill(false), avail: size });
  }
  #free(map: boolean[], i: number, n: number): boolean {
    for (let k = i; k < i + n; k++) if (map[k]) return false;
    return true;
  }
  #find(c: OraclePool['chunks'][number], n: number, op: TraceAlloc, algo: string): number {
    const fits = (i: number): boolean => i + n <= c.nbits && this.#free(c.map, i, n);
    if (op.offset >= 0) {
      if (op.offset % this.unit !== 0) return -1;
      const i = op.offset / this.unit;
      return fits(i) ? i : -1;
    }
    if (op.align > this.unit) {
      for (let i = 0; i < c.nbits; i++)
        if ((c.start + i * this.unit) % op.align === 0 && fits(i)) return i;
      return -1;
    }
    if (algo === 'first-fit-order-align') {
      let step = 1;
      while (step < n) step *= 2;
      for (let i = 0; i < c.nbits; i += step) if (fits(i)) return i;
      return -1;
    }
    if (algo === 'best-fit') {
      let best = -1;
      let bestLen = Infinity;
      for (let i = 0; i < c.nbits;) {
        if (c.map[i]) {
          i++;
          continue;
        }
        let j = i;
        while (j < c.nbits && !c.map[j]) j++;
        if (j - i >= n && j - i < bestLen) {
          best = i;
          bestLen = j - i;
        }
        i = j;
      }
      return best;
    }
    for (let i = 0; i < c.nbits; i++) if (fits(i)) return i;
    return -1;
  }
  alloc(op: TraceAlloc, algo: string): number {
    const n = Math.ceil(op.size / this.unit);
    for (const c of this.chunks) {
      if (op.size > c.avail) continue;
      const i = this.#find(c, n, op, algo);
      if (i < 0) continue;
      for (let k = i; k < i + n; k++) c.map[k] = true;
      c.avail -= n * this.unit;
      return c.start + i * this.unit;
    }
    return 0;
  }
  free(addr: number, size: number): void {
    const c = this.chunks.find((x) => addr >= x.start && addr < x.start + x.nbits * this.unit)!;
    const n = Math.ceil(size / this.unit);
    const i = (addr - c.start) / this.unit;
    for (let k = i; k < i + n; k++) {
      assert.ok(c.map[k], 'oracle: double free');
      c.map[k] = false;
    }
    c.avail += n * this.unit;
  }
  used(): number {
    let n = 0;
    for (const c of this.chunks) for (const b of c.map) if (b) n += this.unit;
    return n;
  }
  /** Whole free granules in bytes, and the largest free run in bytes. */
  freeRuns(): { free: number; largest: number } {
    let free = 0;
    let largest = 0;
    for (const c of this.chunks) {
      let run = 0;
      for (let i = 0; i <= c.nbits; i++) {
        if (i < c.nbits && !c.map[i]) {
          free++;
          run++;
        } else {
          largest = Math.max(largest, run);
          run = 0;
        }
      }
    }
    return { free: free * this.unit, largest: largest * this.unit };
  }
}

/** Replay a trace on the oracle: placements, peak, and the end's free runs. */
function oracleReplay(trace: Trace, algo: string, order: number) {
  const pools = trace.pools.map((p) => {
    const o = new OraclePool(order >= 0 ? order : p.order);
    for (const c of p.chunks) o.add(c.base, c.size);
    return o;
  });
  const placements: number[] = [];
  const addrOf = new Map<number, number>();
  let peak = 0;
  trace.ops.forEach((op, i) => {
    const pool = pools[op.pool]!;
    if (op.kind === 'alloc') {
      const a = pool.alloc(op, algo);
      placements.push(a);
      if (a !== 0) addrOf.set(i, a);
    } else {
      const a = addrOf.get(op.target);
      if (a !== undefined) pool.free(a, (trace.ops[op.target] as TraceAlloc).size);
    }
    peak = Math.max(
      peak,
      pools.reduce((n, p) => n + p.used(), 0),
    );
  });
  const ends = pools.map((p) => {
    const r = p.freeRuns();
    return { free: r.free, largest: r.largest, frag: r.free === 0 ? 0 : 1 - r.largest / r.free };
  });
  return { placements, peak, ends };
}

/** A seeded random trace (xorshift32), as text, so the parser is part of the test. */
function randomTrace(seed: number, nOps: number, order: number): string {
  let x = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
  const lines = [
    `pool a size=${4096 + rnd(4096)} order=${order} base=0x10000`,
    `chunk a size=3000 base=0x40000`,
    `pool b size=2K order=${order} base=0x80040`,
  ];
  const live: string[][] = [[], []];
  for (let i = 0; i < nOps; i++) {
    const p = rnd(4) === 0 ? 1 : 0;
    const name = p === 0 ? 'a' : 'b';
    if (live[p]!.length > 0 && rnd(100) < 45) {
      const k = rnd(live[p]!.length);
      lines.push(`free ${name} ${live[p]!.splice(k, 1)[0]!}`);
      continue;
    }
    const size = 1 + rnd(rnd(8) === 0 ? 900 : 200);
    const r = rnd(20);
    const extra =
      r === 0 ? ` align=${2 ** (1 + rnd(9))}` : r === 1 ? ` offset=${rnd(64) * 2 ** order}` : '';
    lines.push(`alloc ${name} ${size}${extra} id=x${i}`);
    live[p]!.push(`x${i}`);
  }
  return lines.join('\n');
}

const ALGOS = ['first-fit', 'best-fit', 'first-fit-order-align'];

for (const [seed, order] of [
  [1, 0],
  [2, 3],
  [3, 5],
  [4, 2],
] as const) {
  test(`every placement, the peak and the end fragmentation match the oracle (seed ${seed}, order ${order})`, () => {
    const trace = parseTrace(randomTrace(seed, 1500, order));
    for (const algo of ALGOS) {
      const got = replayTrace(trace, algo, {});
      const want = oracleReplay(trace, algo, -1);
      const first = got.placements.findIndex((a, k) => a !== want.placements[k]);
      assert.equal(
        first,
        -1,
        `${algo}, seed ${seed}: alloc #${first} placed at ${got.placements[first]}, oracle ${want.placements[first]}`,
      );
      assert.equal(got.failures, want.placements.filter((a) => a === 0).length, `${algo} failures`);
      assert.ok(got.failures > 0 && got.allocs > 0, 'the trace exercises success and failure');
      assert.equal(got.peak, want.peak, `${algo} peak`);
      assert.deepEqual(
        got.pools.map((p) => ({ free: p.free, largest: p.largestFree, frag: p.fragmentation })),
        want.ends,
        `${algo}: each pool's free, largest free run and fragmentation`,
      );
      assert.deepEqual(
        got.panel.pools,
        got.pools.map((p) => ({
          name: p.name,
          free: p.free,
          largestFree: p.largestFree,
          fragmentation: p.fragmentation,
        })),
      );
    }
  });
}

test('--order overrides every pool: the oracle agrees at another order', () => {
  const trace = parseTrace(randomTrace(9, 800, 0));
  for (const algo of ALGOS) {
    const got = replayTrace(trace, algo, { order: 4 });
    const want = oracleReplay(trace, algo, 4);
    assert.deepEqual(got.placements, want.placements, algo);
    assert.equal(got.order, 4);
    assert.equal(got.panel.order, 4);
    assert.ok(got.pools.every((p) => p.order === 4));
  }
});

// ── Peak, fragmentation, lives, skipped frees ────────────────────────────────

test('peak, fragmentation and lives of a small trace, computed by hand', () => {
  // 8 granules of 32 B: [a a b b c c . .] then free b -> free runs 2 (hole) and 2 (tail)
  const trace = parseTrace(
    [
      'pool p size=256 order=5 base=0x1000',
      'alloc p 64 id=a owner=x', // step 1
      'alloc p 40 id=b', // step 2: 2 granules
      'alloc p 33 id=c', // step 3: 2 granules
      'free p b', // step 4
      'alloc p 1000 id=big', // step 5: fails
      'free p big', // step 6: skipped
    ].join('\n'),
  );
  const r = replayTrace(trace, 'first-fit');
  assert.deepEqual(r.placements, [0x1000, 0x1040, 0x1080, 0]);
  assert.equal(r.peak, 192);
  assert.equal(r.used, 128);
  assert.deepEqual(
    [r.pools[0]!.free, r.pools[0]!.largestFree, r.pools[0]!.fragmentation],
    [128, 64, 0.5],
  );
  assert.equal(r.avail, 128);
  assert.equal(r.skippedFrees, 1);
  assert.deepEqual(r.panel.failures, [{ step: 5, size: 1000 }]);
  assert.deepEqual(r.panel.lives, [
    { offset: 0, size: 64, from: 1, to: -1, owner: 'x' },
    { offset: 64, size: 64, from: 2, to: 4, owner: '' },
    { offset: 128, size: 64, from: 3, to: -1, owner: '' },
  ]);
  assert.equal(r.panel.span, 256);
  assert.equal(r.panel.steps, 6);
});

test('a full pool has fragmentation 0 (nothing free), an empty one too', () => {
  const full = replayTrace(parseTrace('pool p size=128 order=5\nalloc p 128'), 'best-fit');
  assert.equal(full.pools[0]!.free, 0);
  assert.equal(full.pools[0]!.fragmentation, 0);
  const empty = replayTrace(parseTrace('pool p size=128 order=5'), 'best-fit');
  assert.equal(empty.pools[0]!.fragmentation, 0);
  assert.equal(empty.pools[0]!.largestFree, 128);
});

test('two pools are never mixed: each has its own largest free run and fragmentation', () => {
  // a: 64 KiB, one 128-byte allocation at its start -> one free run of 64K - 128 bytes;
  // b: untouched, one run of 64 KiB. Mixed, "largest of any pool / free of all" said 50%.
  const trace = parseTrace('pool a size=64K order=5\npool b size=64K order=5\nalloc a 100\n');
  const r = replayTrace(trace, 'first-fit', { sampleSteps: [0, 1] });
  assert.deepEqual(
    r.pools.map((p) => [p.name, p.free, p.largestFree, p.fragmentation]),
    [
      ['a', 65536 - 128, 65536 - 128, 0],
      ['b', 65536, 65536, 0],
    ],
  );
  assert.deepEqual(
    r.largestSamples,
    [
      [65536, 65536 - 128],
      [65536, 65536],
    ],
    'sampled per pool',
  );
});

test('an unusable chunk tail is in avail but not in free (R2)', () => {
  const r = replayTrace(parseTrace('pool p size=100 order=5\nalloc p 32'), 'first-fit');
  assert.equal(r.avail, 68, 'the kernel counts the 4-byte tail');
  assert.equal(r.pools[0]!.free, 64);
});

test('lives of two pools sit end to end on the panel axis, chunks in address order', () => {
  const trace = parseTrace(
    [
      'pool a size=256 order=5 base=0x2000',
      'chunk a size=128 base=0x1000', // newest: searched first, but first on the axis
      'pool b size=64 order=5 base=0x9000',
      'alloc a 32',
      'alloc b 32',
      'alloc a 200',
    ].join('\n'),
  );
  const r = replayTrace(trace, 'first-fit');
  assert.deepEqual(r.placements, [0x1000, 0x9000, 0x2000]);
  assert.deepEqual(
    r.panel.lives.map((l) => l.offset),
    [0, 384, 128],
  );
  assert.equal(r.panel.span, 448);
});

test('a pool too large for its order is an Error naming the pool and the line', () => {
  const trace = parseTrace('pool huge size=2G order=0');
  assert.throws(() => replayTrace(trace, 'first-fit'), /pool 'huge' \(line 1\).*--order/);
});

test('sample steps: at most the asked number, ascending, 0 and the last step included', () => {
  assert.deepEqual(sampleSteps(0), [0]);
  assert.deepEqual(sampleSteps(3, 10), [0, 1, 2, 3]);
  const s = sampleSteps(100000, 256);
  assert.ok(s.length <= 256);
  assert.equal(s[0], 0);
  assert.equal(s[s.length - 1], 100000);
  assert.ok(s.every((v, i) => i === 0 || v > s[i - 1]!));
});

test('the report model: one panel per algorithm × order, time series per panel', () => {
  const trace = parseTrace(randomTrace(5, 300, 3));
  const samples = sampleSteps(trace.ops.length, 50);
  const panels = [];
  for (const algo of ALGOS)
    for (const order of [3, 5])
      panels.push(replayTrace(trace, algo, { order, sampleSteps: samples }));
  const r: TraceReplay = { file: 't.trace', trace, panels, samples };
  const m = replayReportModel(r, null, 'kmem replay t.trace');
  assert.equal(m.replay.length, ALGOS.length * 2);
  assert.deepEqual(
    m.replay.map((p) => `${p.algo}/${p.order}`),
    ALGOS.flatMap((a) => [`${a}/3`, `${a}/5`]),
  );
  for (const p of m.replay) {
    assert.equal(p.steps, trace.ops.length);
    for (const l of p.lives) {
      assert.ok(l.offset >= 0 && l.offset + l.size <= p.span, 'a life lies inside the panel');
      assert.ok(l.to === -1 || l.to > l.from);
    }
  }
  assert.equal(m.vmalloc, null);
  assert.equal(m.genpools.length, ALGOS.length * 2 * trace.pools.length);
  assert.deepEqual(m.time!.steps, samples);
  assert.ok(m.time!.series.every((s) => s.values.length === samples.length));
  assert.equal(m.tables[0]!.rows.length, ALGOS.length * 2 * trace.pools.length, 'a row per pool');
  assert.equal(
    m.time!.series.filter((s) => s.name.startsWith('largest free ')).length,
    ALGOS.length * 2 * trace.pools.length,
    'the largest free run is sampled per pool',
  );
  assert.doesNotThrow(() => JSON.stringify(m));
});
