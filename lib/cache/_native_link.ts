/**
 * Copying a small cache object into the workspace through libc (FFI), for
 * checkout of many small files: openat(2)/renameat(2) relative to open
 * directories instead of absolute paths the kernel resolves component by
 * component, one reused read buffer, the new file's stamp from statx(2) on
 * the open file (no stat by path afterwards), no FsFile resource per open.
 * Same steps and guarantees as the Deno path in ./link.ts (temp named by
 * tempPathFor, created O_EXCL, written, renamed over the destination).
 * Optional: without libc or the FFI permission, for an object that is not a
 * read-only regular file when that is required, one over `maxBytes`, or on
 * any failed call, `nativeCopy` returns undefined with nothing left behind;
 * the caller then runs the Deno path, which succeeds or throws the error the
 * user should see (ENOSPC, EACCES, an untrusted object... with the path).
 */
import { openNative } from "../native_lib.ts";
import {
  AT_EMPTY_PATH,
  cString,
  DirFd,
  LIBC_FILE_CALLS,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_READ_UNTYPED,
  O_WRONLY,
  pathBuffer,
} from "../fs/native_fd.ts";
import type { FileStamp } from "../fs/walk.ts";

const SYMBOLS = {
  ...LIBC_FILE_CALLS, // reads/writes here: at most maxBytes (<= 1 MiB)
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | null | undefined;

/** STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_INO | STATX_SIZE */
const STATX_WANTED = 0x1 | 0x2 | 0x40 | 0x100 | 0x200;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function load(): Lib | null {
  if (lib !== undefined) return lib;
  lib = Deno.build.os === "linux"
    ? openNative(["libc.so.6"], SYMBOLS, "CAIRN_NO_NATIVE_LINK")
    : null;
  return lib;
}

// Two name buffers: renameat needs both at once (the DirFds have their own).
const nameB = pathBuffer();
const nameC = pathBuffer();

// struct statx (linux/stat.h, the same on every architecture), read as words.
const stx = new Uint8Array(256);
const stxU32 = new Uint32Array(stx.buffer);
const stxI32 = new Int32Array(stx.buffer);
const stxU16 = new Uint16Array(stx.buffer);
const emptyPath = new Uint8Array(1);

/** statx of an open fd into `stx`; false if it failed. */
function fstatx(l: Lib, fd: number): boolean {
  return l.statx(fd, emptyPath, AT_EMPTY_PATH, STATX_WANTED, stx) === 0;
}
// stx_mode @0x1c, stx_ino @0x20, stx_size @0x28, stx_mtime @0x70
const stxMode = () => stxU16[14];
const stxSize = () => stxU32[10] + stxU32[11] * 4294967296;

let source: DirFd | undefined;
let target: DirFd | undefined;

/**
 * Close the directories kept open between calls. Call at the end of every
 * batch (a Worker may be terminated between batches: its fds would stay
 * open in the process otherwise).
 */
export function releaseNativeLink(): void {
  source?.close();
  target?.close();
}

/** The read buffer, grown to the largest object copied (a Worker has its own). */
let buf = new Uint8Array(64 << 10);

export interface NativeCopyOptions {
  /** mode of the new file */
  mode: number;
  /** open() with 0666 under the umask gives exactly `mode`: no fchmod */
  plain: boolean;
  /** only copy a regular file of mode 0444 (else: undefined, nothing done) */
  requireReadOnly?: boolean;
  /** objects larger than this are left to the caller (copy_file_range) */
  maxBytes: number;
}

/**
 * Copy object `src` to `dst` by way of `tmp` (a temp name in dst's folder),
 * or straight to `dst` (created, never replaced) without `tmp` when its
 * folder is a staging folder of this process; returns the new file's stamp,
 * or undefined with nothing left behind (see the module comment): null when
 * that is because the object could not be opened (missing, most likely).
 */
export function nativeCopy(
  src: string,
  dst: string,
  tmp: string | undefined,
  o: NativeCopyOptions,
): FileStamp | undefined | null {
  const l = load();
  if (!l) return undefined;
  source ??= new DirFd(l);
  target ??= new DirFd(l);
  // Objects are opened relative to their fan-out's parent (`files/md5`): one
  // directory for all of them, so the open fd is reused across a batch.
  const s1 = src.lastIndexOf("/");
  const s0 = s1 > 0 ? src.lastIndexOf("/", s1 - 1) : -1;
  const d1 = dst.lastIndexOf("/");
  if (s0 < 0 || d1 < 0) return undefined;
  if (tmp !== undefined && (tmp.lastIndexOf("/") !== d1 || !tmp.startsWith(dst.slice(0, d1)))) {
    return undefined;
  }
  const sfd = source.get(src.slice(0, s0));
  if (sfd < 0) return undefined;
  const srcName = cString(src.slice(s0 + 1), nameB);
  if (!srcName) return undefined;
  const fd = l.openat(sfd, srcName, O_READ_UNTYPED, 0);
  if (fd < 0) return null;
  let n = 0;
  let ok = fstatx(l, fd);
  if (ok) {
    const mode = stxMode();
    const size = stxSize();
    if ((mode & S_IFMT) !== S_IFREG || size > o.maxBytes) ok = false;
    else if (o.requireReadOnly && (mode & 0o777) !== 0o444) ok = false;
    if (ok) {
      if (buf.length < size) buf = new Uint8Array(Math.max(size, buf.length * 2));
      while (n < size) {
        const r = l.read(fd, n === 0 ? buf : buf.subarray(n), BigInt(size - n));
        if (r <= 0) {
          ok = false; // an error, or the object shrank: the Deno path decides
          break;
        }
        n += r;
      }
    }
  }
  l.close(fd);
  if (!ok) return undefined;
  const dfd = target.get(dst.slice(0, d1));
  if (dfd < 0) return undefined;
  const dstName = cString(dst.slice(d1 + 1), nameC);
  const tmpName = tmp === undefined ? dstName : cString(tmp.slice(d1 + 1), nameB);
  if (!tmpName || !dstName) return undefined;
  const out = l.openat(dfd, tmpName, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, o.mode);
  if (out < 0) return undefined; // e.g. no such folder: the Deno path reports it
  let w = 0;
  while (w < n) {
    const r = l.write(out, w === 0 ? buf : buf.subarray(w), BigInt(n - w));
    if (r <= 0) {
      ok = false;
      break;
    }
    w += r;
  }
  if (ok && !o.plain && l.fchmod(out, o.mode) !== 0) ok = false;
  // mtime is final after the last write; rename keeps inode and mtime
  if (ok && !fstatx(l, out)) ok = false;
  if (l.close(out) !== 0) ok = false;
  let stamp: FileStamp | undefined;
  if (ok) {
    const sec = stxU32[28] + stxI32[29] * 4294967296;
    // Deno: whole ms since the epoch (Duration::as_millis); before 1970 its own rounding
    if (sec < 0) ok = false;
    else {
      stamp = {
        ino: stxU32[8] + stxU32[9] * 4294967296,
        mtimeMs: sec * 1000 + Math.floor(stxU32[30] / 1e6),
        size: stxSize(),
      };
    }
  }
  if (ok && tmp !== undefined && l.renameat(dfd, tmpName, dfd, dstName) !== 0) ok = false;
  if (!ok) {
    l.unlinkat(dfd, tmpName, 0);
    return undefined;
  }
  return stamp;
}
