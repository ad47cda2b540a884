// SPDX-License-Identifier: GPL-2.0-only
/*
 * print_hex_dump with DUMP_PREFIX_OFFSET, 16 bytes per row, 1-byte groups and the ASCII
 * column: the dump dmapool's debug mode prints under a "(corrupted)" line.
 *
 * Kernel: lib/hexdump.c (hex_dump_to_buffer: the ASCII column starts at
 * rowsize * 2 + rowsize / groupsize + 1 = 49; printable bytes as themselves, others as
 * '.'), print_hex_dump ("%.8x: " offset prefix).
 */

/** The lines of print_hex_dump(DUMP_PREFIX_OFFSET, 16, 1, data, len, true). */
export function hexDumpLines(data: Uint8Array): string[] {
  const out: string[] = [];
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, Math.min(off + 16, data.length));
    let hexPart = '';
    let ascii = '';
    for (let i = 0; i < row.length; i++) {
      const b = row[i]!;
      hexPart += `${i === 0 ? '' : ' '}${b.toString(16).padStart(2, '0')}`;
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out.push(`${off.toString(16).padStart(8, '0')}: ${hexPart.padEnd(49)}${ascii}`);
  }
  return out;
}
