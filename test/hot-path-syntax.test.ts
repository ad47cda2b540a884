// SPDX-License-Identifier: GPL-2.0-only
/*
 * HOUSE-STYLE §3.1's no-restricted-syntax rules (no delete, for…in, BigInt, spread,
 * map/filter/reduce in src/{bitmap,genalloc,dmapool,vmalloc,machine}, except code marked
 * `// control-plane: <reason>`), and §3.9's file header (SPDX line + header comment) on
 * every src file. ESLint cannot run with TypeScript 7, so these rules are tests.
 *
 * The checkers live in test/lint/hot-path.ts; this file runs them on the real tree and
 * proves on synthetic files that they catch what they should.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHeaders, checkHotPathSyntax, HOT_FOLDERS } from './lint/hot-path.js';
import { readSources, ROOT } from './lint/files.js';

const LICENSE = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string }
).license;
const SPDX = `// SPDX-License-Identifier: ${LICENSE}\n/* Test file. */\n`;

function messages(v: readonly { message: string }[]): string {
  return `\n${v.map((x) => x.message).join('\n')}\n`;
}

test('the hot-path folders use no restricted syntax outside control-plane code', () => {
  const files = HOT_FOLDERS.flatMap((f) => readSources(`src/${f}`));
  assert.ok(files.length >= 5, `expected the hot-path sources, found ${files.length}`);
  const v = checkHotPathSyntax(files);
  assert.deepEqual(
    v.map((x) => x.message),
    [],
    messages(v),
  );
});

test('every src file starts with the SPDX line and a header comment', () => {
  const files = readSources('src');
  const v = checkHeaders(files, LICENSE);
  assert.deepEqual(
    v.map((x) => x.message),
    [],
    messages(v),
  );
});

// ── Self-test: the checkers catch what they should ─────────────────────────

function rules(path: string, body: string): string[] {
  return checkHotPathSyntax([{ path, text: SPDX + body }]).map((v) => `${v.rule}@${v.line}`);
}

test('each restricted construct is reported with its rule and line', () => {
  const body = [
    'delete o.x;', // 3
    'for (const k in o) f(k);', // 4
    'const a = 123n + 0xffn;', // 5
    'const b = BigInt(7);', // 6
    'const c = [...xs];', // 7
    'function g(...args: number[]) { return args; }', // 8
    'const d = xs.map((x) => x).filter(Boolean);', // 9
    'const e = xs?.reduce((s, x) => s + x, 0);', // 10
    '',
  ].join('\n');
  assert.deepEqual(rules('src/genalloc/x.ts', body), [
    'H1@3',
    'H2@4',
    'H3@5',
    'H3@5',
    'H3@6',
    'H4@7',
    'H4@8',
    'H5@9',
    'H5@9',
    'H5@10',
  ]);
  const v = checkHotPathSyntax([{ path: 'src/bitmap/y.ts', text: `${SPDX}const c = [...xs];\n` }]);
  assert.match(v[0]!.message, /^src\/bitmap\/y\.ts:3:12 - error H4: .*`const c = \[\.\.\.xs\];`/);
});

test('look-alikes are not reported', () => {
  const body = [
    'map.delete(key);',
    'for (let i = 0; i < n; i++) index += i;',
    'for (const x of xs) if (x in o) n++;',
    'const a = 123 + n; const b = x1n; const t: bigint | null = null;',
    'const u = new BigUint64Array(1);',
    "const s = 'a...b .map( delete x'; // ... .filter(",
    'const r = /\\.\\.\\./; const m = tree.mapping(1); const f = o.filtered;',
    '',
  ].join('\n');
  assert.deepEqual(rules('src/machine/x.ts', body), []);
});

test('other folders are not checked', () => {
  assert.deepEqual(rules('src/linux/x.ts', 'const k = { ...a };\n'), []);
  assert.deepEqual(rules('src/base/x.ts', 'const k = xs.map(f);\n'), []);
  assert.deepEqual(rules('src/cli/x.ts', 'delete o.x;\n'), []);
});

test('// control-plane: on the line or the line above exempts that line', () => {
  const body = [
    'const a = { ...o }; // control-plane: options copied once at construction',
    '// control-plane: checker only',
    'const b = xs.map(f);',
    'const c = xs.map(f);',
    '',
  ].join('\n');
  assert.deepEqual(rules('src/machine/x.ts', body), ['H5@6']);
});

test('// control-plane: above a function exempts the whole function, comments in between', () => {
  const body = [
    'export function hot(): number { return 1; }',
    '// control-plane: recomputes everything, tests and DEBUG=2 only',
    '/** Check it. */',
    'export function check(',
    '  xs: { a: number }[],',
    '): string {',
    '  const ys = xs.map((x) => x.a);',
    '  return [...ys].join();',
    '}',
    'export const after = [...[1]];',
    '',
  ].join('\n');
  assert.deepEqual(rules('src/genalloc/x.ts', body), ['H4@12']);
});

test('a statement marker stops at the end of the statement', () => {
  const body = [
    "import { xs, f } from './y.js';",
    '// control-plane: once',
    'const a = xs.map(f);',
    'function later() {',
    '  return xs.map(f);',
    '}',
    '',
  ].join('\n');
  assert.deepEqual(rules('src/genalloc/x.ts', body), ['H5@7']);
});

test('// control-plane: before the first line of code exempts the file', () => {
  const body =
    '// control-plane: debug dump, never on the data plane\n\nimport { x } from "./y.js";\nconst a = [...x];\n';
  assert.deepEqual(rules('src/vmalloc/x.ts', body), []);
});

test('a marker without a reason is itself an error and exempts nothing', () => {
  assert.deepEqual(
    rules('src/genalloc/x.ts', 'const z = 0;\n// control-plane:\nconst a = [...x];\n'),
    ['H0@4', 'H4@5'],
  );
});

test('a missing SPDX line or header comment is reported', () => {
  const lic = 'GPL-2.0-only';
  const ok = `// SPDX-License-Identifier: ${lic}\n/*\n * The thing.\n */\n`;
  assert.deepEqual(checkHeaders([{ path: 'src/a.ts', text: ok }], lic), []);
  assert.deepEqual(
    checkHeaders([{ path: 'src/cli/main.ts', text: `#!/usr/bin/env node\n${ok}` }], lic),
    [],
  );
  assert.deepEqual(
    checkHeaders(
      [{ path: 'src/b.ts', text: `// SPDX-License-Identifier: ${lic}\n// The thing.\n` }],
      lic,
    ),
    [],
  );
  const noSpdx = checkHeaders([{ path: 'src/c.ts', text: '/* The thing. */\n' }], lic);
  assert.match(noSpdx[0]!.message, /^src\/c\.ts:1:1 - error S1: the file must start with/);
  const wrongLicense = checkHeaders(
    [{ path: 'src/d.ts', text: '// SPDX-License-Identifier: MIT\n/* x */\n' }],
    lic,
  );
  assert.equal(wrongLicense.length, 1);
  const noHeader = checkHeaders(
    [{ path: 'src/e.ts', text: `// SPDX-License-Identifier: ${lic}\n\nexport const x = 1;\n` }],
    lic,
  );
  assert.match(noHeader[0]!.message, /^src\/e\.ts:3:1 - error S1: .*header comment/);
  const emptyHeader = checkHeaders(
    [
      {
        path: 'src/f.ts',
        text: `// SPDX-License-Identifier: ${lic}\n/* */\nexport const x = 1;\n`,
      },
    ],
    lic,
  );
  assert.equal(emptyHeader.length, 1);
});
