/**
 * MD5 of file contents: DVC 3 (`md5`, raw bytes, spec §5.1) and the legacy
 * DVC 2 `md5-dos2unix` (§5.2), which is only ever verified, never written.
 * Sync I/O on purpose: Deno's sync fs calls are several times faster than the
 * async ones for the small files that dominate data trees. OpenSSL through
 * FFI when it can be used, else a TypeScript MD5; never `node:crypto`, whose
 * import loads Deno's Node-compat layer on every start-up (issue 16).
 */
import { fsError } from "../errors.ts";
import { Md5Js } from "./_md5_js.ts";
import { nativeMd5, nativeMd5Bytes } from "./_native_md5.ts";

/** Files up to this size are read in one call; larger ones are streamed. */
export const WHOLE_READ_LIMIT = 1 << 20;
/** Streaming chunk; also DVC's dos2unix chunk size (1 MiB). */
export const CHUNK_SIZE = 1 << 20;

/** md5 of the empty input (used for empty files without touching them). */
export const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

/** An incremental md5 (hex digest). */
export interface Md5Hasher {
  update(data: Uint8Array | string): Md5Hasher;
  /** hex digest; the hasher cannot be used afterwards. */
  digest(): string;
}

/** md5 hex of `data` (strings as UTF-8). */
export function md5Bytes(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return nativeMd5Bytes(bytes) ?? new Md5Js().update(bytes).digest();
}

/** An incremental md5 of several pieces (strings as UTF-8). */
export function md5Hasher(): Md5Hasher {
  const native = nativeMd5();
  if (!native) return new Md5Js();
  const h: Md5Hasher = {
    update(data) {
      native.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
      return h;
    },
    digest: () => native.digest(),
  };
  return h;
}

export interface Md5FileOptions {
  /** known byte size (from a stat); picks whole-read vs streaming without another stat. */
  size?: number;
  /** called with the number of bytes hashed since the previous call (large files). */
  onBytes?: (n: number) => void;
}

/** DVC 3 md5 of a file's raw bytes. Symlinks are followed. */
export function md5File(path: string, opts: Md5FileOptions = {}): string {
  try {
    if (opts.size === 0) return EMPTY_MD5;
    if (opts.size !== undefined && opts.size <= WHOLE_READ_LIMIT) {
      const data = Deno.readFileSync(path);
      opts.onBytes?.(data.length);
      return md5Bytes(data);
    }
    return streamMd5(path, false, opts.onBytes);
  } catch (err) {
    throw fsError(err, "hashing", path);
  }
}

/**
 * Legacy DVC 2.x `md5-dos2unix`: per 1 MiB chunk, if the chunk's first 512
 * bytes look like text, CRLF -> LF in that chunk before hashing (dvc-data's
 * Dos2UnixHashStreamFile; a CRLF split across chunks is left alone).
 */
export function md5FileDos2Unix(path: string): string {
  try {
    return streamMd5(path, true);
  } catch (err) {
    throw fsError(err, "hashing", path);
  }
}

/** Legacy hash of an in-memory buffer, same chunking as the file version. */
export function md5BytesDos2Unix(data: Uint8Array): string {
  const h = md5Hasher();
  for (let off = 0; off < data.length; off += CHUNK_SIZE) {
    const chunk = data.subarray(off, Math.min(off + CHUNK_SIZE, data.length));
    h.update(isTextBlock(chunk.subarray(0, 512)) ? dos2unix(chunk) : chunk);
  }
  return h.digest();
}

function streamMd5(
  path: string,
  legacy: boolean,
  onBytes?: (n: number) => void,
): string {
  // OpenSSL when available (as fast as md5sum; node:crypto's is ~20% slower).
  const native = nativeMd5();
  const h = native ?? new Md5Js();
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch (err) {
    native?.free();
    throw err;
  }
  try {
    const buf = new Uint8Array(CHUNK_SIZE);
    for (;;) {
      // Fill a whole chunk: dos2unix decisions are per 1 MiB chunk, so short
      // reads must not change the chunk boundaries.
      let n = 0;
      while (n < CHUNK_SIZE) {
        const r = f.readSync(buf.subarray(n));
        if (r === null || r === 0) break;
        n += r;
      }
      if (n === 0) break;
      const chunk = n === CHUNK_SIZE ? buf : buf.subarray(0, n);
      if (legacy && isTextBlock(chunk.subarray(0, 512))) {
        h.update(dos2unix(chunk));
      } else h.update(chunk);
      onBytes?.(n);
      if (n < CHUNK_SIZE) break;
    }
  } catch (err) {
    native?.free();
    throw err;
  } finally {
    f.close();
  }
  return h.digest();
}

/** dvc-data istextblock: empty, or no NUL and <= 30% bytes outside printable ASCII + \n\r\t\f\b. */
export function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nontext = 0;
  for (let i = 0; i < block.length; i++) {
    const c = block[i];
    if (c === 0) return false;
    if (
      (c < 0x20 || c > 0x7e) && c !== 0x0a && c !== 0x0d && c !== 0x09 &&
      c !== 0x0c && c !== 0x08
    ) nontext++;
  }
  return nontext / block.length <= 0.3;
}

/** Replace every CRLF with LF. */
export function dos2unix(data: Uint8Array): Uint8Array {
  let crlf = 0;
  for (let i = 0; i + 1 < data.length; i++) {
    if (data[i] === 0x0d && data[i + 1] === 0x0a) crlf++;
  }
  if (crlf === 0) return data;
  const out = new Uint8Array(data.length - crlf);
  let j = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0d && i + 1 < data.length && data[i + 1] === 0x0a) {
      continue;
    }
    out[j++] = data[i];
  }
  return out;
}
