// SPDX-License-Identifier: GPL-2.0-only
/*
 * The built-in drivers: importing this module registers each with Machine (the
 * module_platform_driver initcalls of a kernel image).
 */
export { sramDriver, SRAM_GRANULARITY } from './sram.js';
