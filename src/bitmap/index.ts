// SPDX-License-Identifier: GPL-2.0-only
/* The bitmap layer: re-exports only. */
export * from './bitmap.js';
export * from './zero-area.js';
export * from './ll.js';
export * from './summary.js';
