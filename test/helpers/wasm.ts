// SPDX-License-Identifier: GPL-2.0-only
/*
 * WebAssembly.Memory for tests. The project's tsconfig (lib es2022, types node) declares no
 * WebAssembly global, so this file names the little of it the tests use.
 */

/** The part of WebAssembly.Memory the tests use. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

interface WasmGlobal {
  readonly WebAssembly: {
    readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  };
}

/** Return `new WebAssembly.Memory({ initial, maximum })`. */
export function newWasmMemory(initial: number, maximum?: number): WasmMemory {
  const Memory = (globalThis as unknown as WasmGlobal).WebAssembly.Memory;
  return maximum === undefined ? new Memory({ initial }) : new Memory({ initial, maximum });
}
