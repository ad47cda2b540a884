// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux errno values, as the kernel API returns them (negated: `-ENOMEM`).
 *
 * Kernel: include/uapi/asm-generic/errno-base.h, errno.h (x86-64 values).
 */

export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const E2BIG = 7;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENODATA = 61;
export const EOVERFLOW = 75;
export const EILSEQ = 84;

const NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [EIO]: 'EIO',
  [E2BIG]: 'E2BIG',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [ERANGE]: 'ERANGE',
  [ENODATA]: 'ENODATA',
  [EOVERFLOW]: 'EOVERFLOW',
  [EILSEQ]: 'EILSEQ',
};

/**
 * Return the symbolic name of an errno value, positive or negated (`-12` → `"ENOMEM"`).
 *
 * @returns the name, or `"E<n>"` for a value this table does not know.
 */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return NAMES[n] ?? `E${n}`;
}
