// SPDX-License-Identifier: GPL-2.0-only
/*
 * The scenario loader (src/cli/scenario/{json-source,fields,schema,schema-workload,load}.ts):
 * the positional JSON reader gives JSON.parse's values and each value's line; every kind
 * of bad scenario is one ScenarioError naming file:line and the field; the simulator's
 * refusals are SimulationErrors (exit 1) with its own message.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { ScenarioError, SimulationError } from '../../src/cli/scenario/errors.js';
import { parseJsonDocument, positionOf } from '../../src/cli/scenario/json-source.js';
import { defaultScenarioPath, loadScenario, parseScenario } from '../../src/cli/scenario/load.js';
import { buildWorld } from '../../src/cli/scenario/setup.js';
import { smallMix, smallScript, SMALL_DTS, SMALL_POOLS, tempFiles } from './scenario-fixtures.js';

/** The message of the ScenarioError `text` raises. */
function problem(text: string, dir = '/tmp'): string {
  try {
    parseScenario(text, 'bad.json', dir);
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `not a ScenarioError: ${String(err)}`);
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail('no error');
}

test('the positional reader returns what JSON.parse returns, with lines and columns', () => {
  const text = '{\n  "a": [1, -2.5e3, "x\\n\\u00e9"],\n  "b": { "c": null, "d": true }\n}\n';
  const doc = parseJsonDocument(text);
  assert.deepEqual(doc.value, JSON.parse(text));
  assert.deepEqual(doc.positions.get('a'), { line: 2, col: 3 });
  assert.deepEqual(doc.positions.get('a[2]'), { line: 2, col: 20 });
  assert.deepEqual(doc.positions.get('b.d'), { line: 3, col: 21 });
  assert.equal(positionOf(doc, 'b.d.nothing').line, 3, 'a missing path falls back to its parent');
});

test('JSON syntax errors name file:line:column', () => {
  assert.equal(problem('{\n  "a": 1,\n}\n'), "bad.json:3:1: expected a property name, found '}'");
  assert.equal(
    problem('{\n  "a": 1\n  "b": 2\n}'),
    "bad.json:3:3: expected ',' or '}', found '\"'",
  );
  assert.equal(problem('{ "a": [1, 2 }'), "bad.json:1:14: expected ',' or ']', found '}'");
  assert.equal(problem('{ "a": tru }'), "bad.json:1:8: unexpected 't' (expected a value)");
  assert.equal(problem('{\n "a": "x'), 'bad.json:2:7: unterminated string');
  assert.equal(problem(''), 'bad.json:1:1: the file is empty (expected a JSON object)');
  assert.equal(problem('{ "a": 1, "a": 2 }'), "bad.json:1:11: duplicate key 'a'");
  assert.equal(problem('{}\n{}'), "bad.json:2:1: unexpected '{' after the JSON value");
});

test('a bad field names the line of its key and the problem', () => {
  const text = [
    '{',
    '  "machine": { "memory": "2G" },',
    '  "pools": [',
    '    { "id": "a", "type": "dmapool", "device": "nic", "size": "lots" }',
    '  ],',
    '  "workload": { "script": [] }',
    '}',
  ].join('\n');
  assert.equal(
    problem(text),
    'bad.json:4: pools[0].size: expected a size (bytes, "64K", "2M" or "0x1000"), got "lots"',
  );
  assert.match(
    problem('{\n "machine": {},\n "workload": { "script": [] },\n "colour": 1\n}'),
    /^bad\.json:4: colour: unknown field \(expected one of: name, /,
  );
  assert.equal(
    problem('{\n "workload": { "script": [] }\n}'),
    "bad.json:1: missing field 'machine'",
  );
  assert.equal(
    problem('{ "machine": { "cpus": 1.5 }, "workload": { "script": [] } }'),
    'bad.json:1: machine.cpus: expected an integer, got 1.5',
  );
  assert.equal(problem('[1]'), 'bad.json:1: expected an object, got [1]');
  assert.equal(
    problem('{ "machine": {}, "workload": { "script": [], "mix": { "steps": 1, "users": [] } } }'),
    "bad.json:1: workload: a workload needs exactly one of 'script' or 'mix'",
  );
  assert.equal(
    problem('{ "machine": {}, "seed": 0, "workload": { "script": [] } }'),
    'bad.json:1: seed: 0 is outside 1..4294967295',
  );
});

test('pools: ids are unique, types known, alignments powers of two', () => {
  const pools = (list: object[]): string =>
    JSON.stringify({ machine: {}, pools: list, workload: { script: [] } }, null, 2);
  assert.match(
    problem(
      pools([
        { id: 'a', type: 'vmalloc' },
        { id: 'a', type: 'vm_map_ram' },
      ]),
    ),
    /^bad\.json:9: pools\[1\]\.id: pool id 'a' is used twice$/,
  );
  assert.match(
    problem(pools([{ id: 'a', type: 'slab' }])),
    /pools\[0\]\.type: 'slab' is not one of: genpool, devm-genpool, dmapool, vmalloc, vm_map_ram$/,
  );
  assert.match(
    problem(pools([{ id: 'a', type: 'dmapool', device: 'd', size: 64, align: 48 }])),
    /pools\[0\]\.align: must be a power of two$/,
  );
  assert.match(
    problem(pools([{ id: 'a', type: 'genpool' }])),
    /pools\[0\]: a genpool needs exactly one of 'label' or 'consumer'$/,
  );
  assert.match(
    problem(pools([{ id: 'a', type: 'genpool', label: 's', algo: 'first-fit-align' }])),
    /first-fit-align needs 'align'/,
  );
  assert.match(
    problem(pools([{ id: 'a b', type: 'vmalloc' }])),
    /pools\[0\]\.id: 'a b' is not a name/,
  );
});

test('a script must name known pools and free only live allocations of the right kind', () => {
  const at = (ops: object[]): string => problem(smallScript(ops));
  assert.match(
    at([{ op: 'alloc', pool: 'nope', size: 64 }]),
    /script\[0\]\.pool: no pool 'nope' \(pools: sram, fast, desc, fw, sg\)$/,
  );
  assert.match(
    at([{ op: 'free', id: 'x' }]),
    /script\[0\]\.id: 'x' is not a live allocation here$/,
  );
  assert.match(
    at([
      { op: 'alloc', pool: 'sram', size: 64, id: 'x' },
      { op: 'vfree', id: 'x' },
    ]),
    /script\[1\]\.op: 'vfree' of 'x', a genpool allocation \(bad\.json:\d+\)$/,
  );
  assert.match(
    at([{ op: 'vmalloc', pool: 'sram', size: 64 }]),
    /script\[0\]\.pool: 'vmalloc' needs a vmalloc user, and 'sram' is a genpool$/,
  );
  assert.match(
    at([
      { op: 'alloc', pool: 'sram', size: 64, id: 'x' },
      { op: 'alloc', pool: 'sram', size: 64, id: 'x' },
    ]),
    /script\[1\]\.id: 'x' is still live \(allocated at bad\.json:\d+\)$/,
  );
  assert.match(at([{ op: 'alloc', pool: 'desc', size: 64 }]), /script\[0\]\.size: unknown field/);
  assert.match(
    at([{ op: 'vm_map_ram', pool: 'sg', pages: 0 }]),
    /script\[0\]\.pages: 0 is outside 1\.\.262144$/,
  );
  assert.match(at([{ op: 'purge', cpu: 2 }]), /script\[0\]\.cpu: 2 is outside 0\.\.1$/);
  // the line is the line of the offending key in the pretty-printed file
  const text = smallScript([{ op: 'frob' }]);
  const line = text.split('\n').findIndex((l) => l.includes('"frob"')) + 1;
  assert.equal(
    problem(text),
    `bad.json:${line}: workload.script[0].op: 'frob' is not one of: alloc, free, vmalloc, vzalloc, vfree, vm_map_ram, vm_unmap_ram, purge, work, fail`,
  );
});

test('a mix checks its users', () => {
  const mix = (users: object[]): string =>
    JSON.stringify({ machine: {}, pools: SMALL_POOLS, workload: { mix: { steps: 10, users } } });
  assert.match(problem(mix([])), /workload\.mix\.users: a mix needs at least one user$/);
  assert.match(
    problem(mix([{ pool: 'sram', size: [64, 32] }])),
    /users\[0\]\.size: expected 1 <= min <= max, got \[64, 32\]$/,
  );
  assert.match(problem(mix([{ pool: 'sram' }])), /users\[0\]: missing field 'size'$/);
  assert.match(problem(mix([{ pool: 'sg', size: 64 }])), /users\[0\]\.size: unknown field/);
  assert.match(
    problem(mix([{ pool: 'fw', size: 64, allocBias: 2 }])),
    /users\[0\]\.allocBias: 2 is outside 0\.\.1$/,
  );
});

test('DTS errors point into the scenario: an array line, a string, or a dtsFile', () => {
  const lines = [...SMALL_DTS];
  lines[6] = '\t\treg = <0xfe000000 0x10000;';
  const text = JSON.stringify({ machine: {}, dts: lines, workload: { script: [] } }, null, 2);
  const jsonLine = text.split('\n').findIndex((l) => l.includes('0x10000;')) + 1;
  const s = parseScenario(text, 'board.json', '/tmp');
  assert.throws(
    () => buildWorld(s),
    (err: Error) =>
      err instanceof ScenarioError &&
      new RegExp(`^board\\.json:${jsonLine}: dts\\[6\\], column \\d+: `).test(err.message),
  );
  const inline = parseScenario(
    JSON.stringify({ machine: {}, dts: '/ {\n  x = <1;\n};', workload: { script: [] } }),
    'one.json',
    '/tmp',
  );
  assert.throws(() => buildWorld(inline), /^ScenarioError: one\.json:1: dts: line 2, column \d+: /);
});

test('a dtsFile is read relative to the scenario; its errors name its own lines', () => {
  const dir = tempFiles({
    'b.dts': '/dts-v1/;\n/ {\n\tbad\n};\n',
    's.json': JSON.stringify({ machine: {}, dtsFile: 'b.dts', workload: { script: [] } }),
    'gone.json': '{\n  "machine": {},\n  "dtsFile": "nope.dts",\n  "workload": { "script": [] }\n}',
  });
  const s = loadScenario('s.json', dir);
  assert.equal(s.dts?.fileName, 'b.dts');
  assert.throws(
    () => buildWorld(s),
    (err: Error) => err instanceof ScenarioError && /^b\.dts:4:1: /.test(err.message),
  );
  assert.throws(
    () => loadScenario('gone.json', dir),
    /^ScenarioError: gone\.json:3: dtsFile: cannot read 'nope\.dts': no such file$/,
  );
  assert.throws(() => loadScenario('none.json', dir), /^ScenarioError: none\.json: no such file$/);
});

test('an impossible machine is a file error at its line (exit 2), with the simulator`s limits', () => {
  const machine = (fields: string) =>
    problem(`{\n  "machine": { ${fields} },\n  "workload": { "script": [] }\n}`);
  const cases: [string, string][] = [
    ['"cpus": 0', 'bad.json:2: machine.cpus: 0 is outside 1..8192'],
    ['"cpus": 65', 'bad.json:2: machine.cpus: 65 is more than nrCpus (64)'],
    ['"cpus": 3, "nrCpus": 2', 'bad.json:2: machine.cpus: 3 is more than nrCpus (2)'],
    ['"nrCpus": 9000', 'bad.json:2: machine.nrCpus: 9000 is outside 1..8192'],
    ['"nodes": 65', 'bad.json:2: machine.nodes: 65 is outside 1..64'],
    [
      '"memory": "64M", "nodes": 8',
      'bad.json:2: machine.nodes: 8 nodes of 67108864 bytes leave less than 16 MiB per node',
    ],
    [
      '"memory": "4T"',
      "bad.json:2: machine.memory: 4398046511104 bytes is outside the simulator's 16 MiB..1 TiB",
    ],
    [
      '"memory": "1M"',
      "bad.json:2: machine.memory: 1048576 bytes is outside the simulator's 16 MiB..1 TiB",
    ],
    ['"memory": 1e400', 'bad.json:2:26: number 1e400 is too large (beyond 1.8e308)'],
    [
      '"possibleCpus": 2',
      'bad.json:2: machine.possibleCpus: 2 must be between cpus (4) and nrCpus (64)',
    ],
  ];
  for (const [fields, message] of cases) assert.equal(machine(fields), message, fields);
  // every machine the file checks pass, the simulator accepts: the limits are the same
  for (const fields of [
    '"cpus": 64',
    '"memory": "16M"',
    '"memory": "1T", "nodes": 64',
    '"nrCpus": 8192, "cpus": 8192',
  ]) {
    const s = parseScenario(
      `{ "machine": { ${fields} }, "workload": { "script": [] } }`,
      'ok.json',
      '/tmp',
    );
    assert.doesNotThrow(() => buildWorld(s), fields);
  }
});

test('the simulator refusing a pool is a SimulationError with its message', () => {
  const refused = (text: string): SimulationError => {
    try {
      buildWorld(parseScenario(text, 'm.json', '/tmp'));
    } catch (err) {
      assert.ok(err instanceof SimulationError, String(err));
      assert.equal(err.exitCode, 1);
      return err;
    }
    assert.fail('no error');
  };
  const badPool = JSON.stringify({
    machine: {},
    dts: SMALL_DTS,
    pools: [{ id: 'd', type: 'dmapool', device: 'nic', size: 8192, boundary: 4096 }],
    workload: { script: [] },
  });
  assert.match(
    refused(badPool).message,
    /^m\.json:1: pools\[0\]: dma_pool_create\('d', fe200000\.ethernet, 8192, 0, 4096\) returned NULL$/,
  );
  const noDev = JSON.stringify({
    machine: {},
    dts: SMALL_DTS,
    pools: [{ id: 'd', type: 'dmapool', device: 'gpu', size: 64 }],
    workload: { script: [] },
  });
  assert.throws(
    () => buildWorld(parseScenario(noDev, 'm.json', '/tmp')),
    /^ScenarioError: m\.json:1: pools\[0\]\.device: no device 'gpu' \(devices: fe000000\.sram, fe200000\.ethernet\)$/,
  );
});

test('the built-in scenario and the small fixtures load', () => {
  const s = loadScenario(defaultScenarioPath(), '/');
  assert.equal(s.name, 'default');
  assert.equal(s.workload.kind, 'mix');
  assert.ok(
    s.pools.some((p) => p.type === 'dmapool') && s.pools.some((p) => p.type === 'vm_map_ram'),
  );
  const dir = tempFiles({ 'mix.json': smallMix() });
  writeFileSync(join(dir, 'script.json'), smallScript([{ op: 'purge' }]));
  assert.equal(loadScenario('mix.json', dir).seed, 7);
  assert.equal(loadScenario('script.json', dir).workload.kind, 'script');
});
