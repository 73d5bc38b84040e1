/** Reading a file into a caller's buffer, for small files read whole into a reused buffer. */

/**
 * Read `path` (from byte `offset`) into `buf` until it is full or the file ends;
 * the bytes read. A file longer than `buf` shows as a full buffer: callers pass
 * one byte more than they expect to tell "exactly this long" from "longer".
 * Errors (a missing path...) throw.
 */
export function readFullSync(path: string, buf: Uint8Array, offset = 0): number {
  const f = Deno.openSync(path);
  let n = 0;
  try {
    if (offset) f.seekSync(offset, Deno.SeekMode.Start);
    for (let r; n < buf.length && (r = f.readSync(buf.subarray(n))) !== null && r > 0;) n += r;
  } finally {
    f.close();
  }
  return n;
}
