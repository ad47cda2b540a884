// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading the files a user names (a scenario, its dtsFile, a trace, a /proc/vmallocinfo
 * snapshot): only a regular file, and at most MAX_INPUT_BYTES, so `kmem run /dev/zero` or
 * a FIFO is refused at once instead of reading forever; the failures in plain words.
 *
 * Kernel: none (kmem's command line).
 */

import { readFileSync, statSync } from 'node:fs';
import { errnoWords } from './report-out.js';

/** The largest input file kmem reads: 64 MiB. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** A named input file cannot be read; the message is the problem in words. */
export class InputFileError extends Error {}

/** What a non-regular file is, in words. */
function kindOf(st: ReturnType<typeof statSync> & object): string {
  if (st.isDirectory()) return 'is a directory';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isFIFO()) return 'is a FIFO, not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

/**
 * Read a user's input file as UTF-8 text.
 * @returns the text.
 * @throws {InputFileError} when the file is missing, not a regular file, larger than
 *   MAX_INPUT_BYTES or unreadable: `no such file`, `is a character device, not a regular
 *   file`, `is too large: 70000000 bytes (the limit is 64 MiB)`, `permission denied`.
 */
export function readInputFile(path: string): string {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputFileError(kindOf(st));
    if (st.size > MAX_INPUT_BYTES) {
      throw new InputFileError(`is too large: ${st.size} bytes (the limit is 64 MiB)`);
    }
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new InputFileError(code === 'ENOENT' ? 'no such file' : errnoWords(err));
  }
}

/**
 * Make text safe to echo on one terminal line: control characters (C0, DEL, C1) and the
 * line and paragraph separators become `\xNN` / `\uNNNN` escapes, a backslash stays one.
 * @returns the text with every non-printable character escaped.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
