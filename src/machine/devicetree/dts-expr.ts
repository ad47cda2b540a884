// SPDX-License-Identifier: GPL-2.0-only
/*
 * Integer expressions inside DTS cell lists: `< (0x1000 + 4 * 2) (1 << 4) >`.
 *
 * Kernel: scripts/dtc/dtc-parser.y (integer_expr and its precedence ladder: ?:, ||, &&,
 * |, ^, &, == !=, < > <= >=, << >>, + -, * / %, unary - ~ !).
 *
 * dtc evaluates in unsigned 64-bit arithmetic. Here values are JavaScript numbers that must
 * stay safe integers (|v| ≤ 2^53 - 1): a step that leaves that range is an error, not a
 * silent wrap. Negative values are allowed, as dtc's sign-extended 64-bit values are, and
 * the bitwise operators act on their 64-bit two's-complement form. Shifts are done with
 * multiplication and division, never with the 32-bit operators (HOUSE-STYLE §3.5).
 *
 * DEVIATION: character literals ('a') are not supported; `>>` of a negative value is an
 * arithmetic shift (dtc shifts the unsigned 64-bit value).
 */

import { describeChar, type DtsScanner } from './dts-lexer.js';

const TWO_32 = 4294967296;

/** Binding power of each binary operator (higher binds tighter), as in C. */
const PRECEDENCE: ReadonlyMap<string, number> = new Map([
  ['||', 1],
  ['&&', 2],
  ['|', 3],
  ['^', 4],
  ['&', 5],
  ['==', 6],
  ['!=', 6],
  ['<', 7],
  ['>', 7],
  ['<=', 7],
  ['>=', 7],
  ['<<', 8],
  ['>>', 8],
  ['+', 9],
  ['-', 9],
  ['*', 10],
  ['/', 10],
  ['%', 10],
]);

/**
 * Parse a parenthesised integer expression; `pos` is at its `(`.
 * @returns its value, a safe integer (possibly negative).
 * @throws {DtsSyntaxError} for a syntax error, a division by zero or a value beyond 2^53 - 1.
 */
export function parseParenExpression(s: DtsScanner): number {
  return primary(s);
}

function ternary(s: DtsScanner): number {
  const cond = binary(s, 1);
  s.skipTrivia();
  if (!s.eat('?')) return cond;
  const a = ternary(s);
  s.expect(':', "in '?:' expression");
  const b = ternary(s);
  return cond !== 0 ? a : b;
}

function peekOperator(s: DtsScanner): string | null {
  s.skipTrivia();
  const two = s.peek() + s.peek(1);
  if (PRECEDENCE.has(two)) return two;
  return PRECEDENCE.has(s.peek()) ? s.peek() : null;
}

function binary(s: DtsScanner, minPrecedence: number): number {
  let left = unary(s);
  for (;;) {
    const op = peekOperator(s);
    const prec = op === null ? 0 : PRECEDENCE.get(op)!;
    if (op === null || prec < minPrecedence) return left;
    const at = s.pos;
    s.pos += op.length;
    const right = binary(s, prec + 1);
    left = checked(s, apply(s, op, left, right, at), at);
  }
}

function unary(s: DtsScanner): number {
  s.skipTrivia();
  const c = s.peek();
  const at = s.pos;
  if (c === '-' || c === '~' || c === '!') {
    s.pos++;
    const v = unary(s);
    if (c === '-') return checked(s, -v, at);
    if (c === '~') return checked(s, -v - 1, at); // two's complement: ~v = -v - 1
    return v === 0 ? 1 : 0;
  }
  return primary(s);
}

function primary(s: DtsScanner): number {
  s.skipTrivia();
  const c = s.peek();
  if (c === '(') {
    s.pos++;
    const v = ternary(s);
    s.expect(')', 'to close the expression');
    return v;
  }
  if (c >= '0' && c <= '9') return s.readInteger();
  if (c === "'") throw s.error('character literals are not supported');
  throw s.error(`expected an integer, '(' or a unary operator, found ${describeChar(c)}`);
}

function checked(s: DtsScanner, v: number, at: number): number {
  if (!Number.isSafeInteger(v)) throw s.error('expression value is beyond 2^53 - 1', at);
  return v === 0 ? 0 : v; // no -0
}

function apply(s: DtsScanner, op: string, a: number, b: number, at: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
    case '%':
      if (b === 0) throw s.error('division by zero in expression', at);
      return op === '/' ? Math.trunc(a / b) : a % b;
    case '<<':
    case '>>':
      if (b < 0 || b > 63) throw s.error(`shift count ${b} is outside 0..63`, at);
      return op === '<<' ? a * 2 ** b : Math.floor(a / 2 ** b);
    case '&':
    case '|':
    case '^':
      return bitwise(op, a, b);
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '&&':
      return a !== 0 && b !== 0 ? 1 : 0;
    default: // '||'
      return a !== 0 || b !== 0 ? 1 : 0;
  }
}

/**
 * `a op b` on the 64-bit two's-complement forms of two safe integers, split into a signed
 * high word (|hi| ≤ 2^21) and an unsigned low word: each half fits the 32-bit operators.
 */
function bitwise(op: string, a: number, b: number): number {
  const ahi = Math.floor(a / TWO_32);
  const bhi = Math.floor(b / TWO_32);
  const alo = a - ahi * TWO_32;
  const blo = b - bhi * TWO_32;
  let hi: number;
  let lo: number;
  if (op === '&') {
    hi = ahi & bhi;
    lo = (alo & blo) >>> 0; // both < 2^32: ToInt32 keeps the bits, >>> 0 makes it unsigned
  } else if (op === '|') {
    hi = ahi | bhi;
    lo = (alo | blo) >>> 0;
  } else {
    hi = ahi ^ bhi;
    lo = (alo ^ blo) >>> 0;
  }
  return hi * TWO_32 + lo;
}

/**
 * Convert an integer to a 32-bit cell: values in 0..0xffffffff as they are, negative values
 * down to -2^32 wrapped as dtc does (its sign-extension rule).
 * @throws {DtsSyntaxError} at `at` for any other value.
 */
export function toCell(s: DtsScanner, v: number, at: number): number {
  if (v >= 0 && v < TWO_32) return v;
  if (v < 0 && v >= -TWO_32) return (v + TWO_32) % TWO_32;
  const hex = v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  throw s.error(`cell value ${hex} does not fit in 32 bits`, at);
}
