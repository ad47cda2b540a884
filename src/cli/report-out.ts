// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where `kmem run` and `kmem replay` write their report (--out): the path checked before
 * the run starts, so a run of minutes does not end in "cannot write"; the write itself;
 * and the errors in plain words, the same in both commands.
 *
 * Kernel: none (kmem's command line).
 *
 * The check, before running:
 *   - an empty --out is a usage error (exit 2);
 *   - an existing path must be a regular file we may write (not a directory);
 *   - a new path is probed: created exclusively, then removed at once — this catches a
 *     missing directory, a read-only or special file system (/proc), no permission.
 * The write after the run can still fail (the disk filled up meanwhile): the command then
 * prints its summary first, and the error after it (exit 1).
 */

import { accessSync, closeSync, constants, openSync, statSync, unlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Plain words for the errno codes a file write meets. */
const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'the file exists',
  ENAMETOOLONG: 'the file name is too long',
  EMFILE: 'too many open files',
  EBUSY: 'the file is busy',
  ETXTBSY: 'the file is busy',
  EFBIG: 'the file is too large',
  EINVAL: 'invalid argument',
  EIO: 'input/output error',
};

/**
 * Say a filesystem error in plain words: `no such file or directory`, `permission denied`.
 * @returns the words; for an unknown code `error <CODE>`, for an error with no code its
 *   message.
 */
export function errnoWords(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return ERRNO_WORDS[code] ?? `error ${code}`;
  return err instanceof Error ? err.message : String(err);
}

/** The line of a report that cannot be written (without the `kmem: ` prefix). */
function cannotWrite(shown: string, why: string): string {
  return `cannot write the report to '${shown}': ${why}`;
}

/** The result of {@link checkReportPath}. */
export type ReportPathCheck =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly usage: boolean; readonly problem: string };

/**
 * Check before a run that the report can be written to `shown` (relative to `cwd`).
 * @returns `{ ok: true, path }` with the absolute path; `{ ok: false, usage: true }` for an
 *   empty name; `{ ok: false, usage: false, problem }` when the file cannot be written.
 */
export function checkReportPath(shown: string, cwd: string): ReportPathCheck {
  if (shown === '') {
    return { ok: false, usage: true, problem: '--out needs a file name, not an empty one' };
  }
  const path = isAbsolute(shown) ? shown : resolve(cwd, shown);
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st !== undefined) {
      if (st.isDirectory())
        return { ok: false, usage: false, problem: cannotWrite(shown, 'it is a directory') };
      if (!st.isFile()) {
        return { ok: false, usage: false, problem: cannotWrite(shown, 'it is not a regular file') };
      }
      accessSync(path, constants.W_OK);
      return { ok: true, path };
    }
    closeSync(openSync(path, 'wx'));
    unlinkSync(path);
    return { ok: true, path };
  } catch (err) {
    return { ok: false, usage: false, problem: cannotWrite(shown, errnoWords(err)) };
  }
}

/**
 * Write the report's HTML to `path` (checked by checkReportPath); `shown` names it.
 * @returns null when written, else the problem in words (without `kmem: `).
 */
export function writeReportFile(path: string, shown: string, html: string): string | null {
  try {
    writeFileSync(path, html);
    return null;
  } catch (err) {
    return cannotWrite(shown, errnoWords(err));
  }
}
