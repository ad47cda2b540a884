// Prints the README's performance table (markdown) from a `npm run bench` JSONL file:
//   node scripts/perf-table.mjs bench/baseline/<file>.jsonl
import { readFileSync } from 'node:fs';

// The kernel's own C, built in userspace (bench/WORKLOADS.md, "Reference results").
const KERNEL_C = {
  'G-fill/first-fit/alloc': 2045,
  'G-steady/first-fit/': 2004,
  'G-steady/best-fit/': 3180,
  'G-steady/first-fit-order-align/': 2662,
  'G-high/first-fit/': 7085,
  'G-high/best-fit/': 6636,
  'G-high/first-fit-order-align/': 11665,
};

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/perf-table.mjs <bench.jsonl>');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l));
const key = (r) => `${r.workload}/${r.algo ?? ''}/${r.phase ?? ''}`;
const by = (impl) => new Map(rows.filter((r) => r.impl === impl).map((r) => [key(r), r]));
const scan = by('kernel-scan');
const thing = new Map(rows.filter((r) => r.impl === 'thi.ng').map((r) => [r.workload, r]));
const fmt = (n) => (n === undefined ? '—' : n.toLocaleString('en-US'));

console.log(
  '| workload | algorithm | kmem ns/op | kernel C ns/op | kernel-scan (JS) ns/op | @thi.ng/malloc ns/op | failed | checksum |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows.filter(
  (x) => x.impl === 'kmem' && x.workload.startsWith('G-') && x.workload !== 'G-shared',
)) {
  const k = key(r);
  const phase = r.phase ? ` (${r.phase})` : '';
  const peer = r.algo === 'first-fit' && !r.phase ? thing.get(r.workload)?.ns_per_op : undefined;
  console.log(
    `| ${r.workload}${phase} | ${r.algo} | **${fmt(r.ns_per_op)}** | ${fmt(KERNEL_C[k])} | ${fmt(scan.get(k)?.ns_per_op)} | ${fmt(peer)} | ${r.failed} | ${r.checksum} |`,
  );
}

// G-shared: G-steady first fit on one pool shared by 1, 2 and 4 worker threads, beside the plain
// pool run in a worker of its own (bench/gshared.bench.ts): ns per operation per worker and
// total operations per second.
const sRows = rows.filter((x) => x.workload === 'G-shared');
if (sRows.length > 0) {
  const plain = sRows.find((x) => x.impl === 'kmem');
  const one = sRows.find((x) => x.impl === 'kmem-shared' && x.workers === 1);
  console.log('');
  console.log(
    '| G-shared | workers | ns/op per worker | total ops/s | × 1 worker (shared) | failed | checksum |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of sRows) {
    const what = r.impl === 'kmem' ? 'plain GenPool' : 'shared pool';
    const x =
      one && r.impl === 'kmem-shared' ? `${(r.ops_per_s / one.ops_per_s).toFixed(2)}×` : '—';
    const mops = `${(r.ops_per_s / 1e6).toFixed(2)} M`;
    console.log(
      `| ${what} | ${r.workers} | **${fmt(r.ns_per_op)}** | ${mops} | ${x} | ${r.failed} | ${r.checksum} |`,
    );
  }
  if (plain && one)
    console.log(`\nshared ÷ plain, 1 worker: ${(one.ns_per_op / plain.ns_per_op).toFixed(2)}×`);
}

// dmapool: ns per alloc+free pair (D-test rows) or per operation (D-churn), beside the kernel's
// mm/dmapool.c built in userspace (bench/WORKLOADS.md) and the goal of at most 2x.
const KERNEL_D = {
  'D-test size=16 align=16 boundary=0': 3.1,
  'D-test size=64 align=64 boundary=0': 6.1,
  'D-test size=256 align=256 boundary=0': 16.9,
  'D-test size=1024 align=1024 boundary=0': 18.7,
  'D-test size=4096 align=4096 boundary=0': 61,
  'D-test size=68 align=32 boundary=4096': 6.4,
  'D-churn': 4.7,
};
const dRows = rows.filter((x) => x.impl === 'kmem' && x.workload.startsWith('D-'));
if (dRows.length > 0) {
  console.log('');
  console.log('| dmapool workload | kmem ns | kernel C ns | kmem / kernel C | pages |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of dRows) {
    const c = KERNEL_D[r.workload];
    const ratio = c === undefined ? '—' : `${(r.ns_per_op / c).toFixed(1)}×`;
    console.log(
      `| ${r.workload} | **${fmt(r.ns_per_op)}** | ${fmt(c)} | ${ratio} | ${r.pages ?? '—'} |`,
    );
  }
}

// vmap areas: ns per operation (alloc_vmap_area or free_vmap_area, busy tree included) for
// both initial layouts, beside mm/vmalloc.c built in userspace (bench/WORKLOADS.md).
const KERNEL_V = {
  'V-steady': 240,
  'V-align': 275,
};
const vRows = rows.filter((x) => x.impl === 'kmem' && x.workload in KERNEL_V);
if (vRows.length > 0) {
  console.log('');
  console.log(
    '| vmap workload | initial layout | kmem ns/op | kernel C ns/op | kmem / kernel C | failed | checksum |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of vRows) {
    const c = KERNEL_V[r.workload];
    const ratio = c === undefined ? '—' : `${(r.ns_per_op / c).toFixed(2)}×`;
    console.log(
      `| ${r.workload} | ${r.layout ?? '—'} | **${fmt(r.ns_per_op)}** | ${fmt(c)} | ${ratio} | ${r.failed} | ${r.checksum} |`,
    );
  }
}
