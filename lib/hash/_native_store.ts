/**
 * Hash a file and write it as a cache object through libc (FFI), for `add`
 * of many small files: openat(2) relative to an open directory instead of
 * absolute paths the kernel resolves component by component, one reused
 * read buffer instead of a new zeroed Uint8Array per file (20k x 100 KiB
 * allocated 2 GB), no FsFile resource per open. Same steps and guarantees as
 * the Deno path in ./_hash_store.ts (temp file named as tempPathFor names it,
 * created O_EXCL with mode 0444, renamed over the object name). Optional:
 * without libc or the FFI permission, or on any failed call, `nativeStore`
 * returns undefined and the caller runs the Deno path, which either succeeds
 * or throws the error the user should see (ENOSPC, EACCES... with the path).
 */
import { openNative } from "../native_lib.ts";
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  cString,
  DirFd,
  LIBC_UNNAMED_FILE_CALLS,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_TMPFILE,
  O_WRONLY,
  pathBuffer,
} from "../fs/native_fd.ts";
import { nativeMd5 as nativeMd5Stream, nativeMd5Bytes } from "./_native_md5.ts";

const SYMBOLS = {
  ...LIBC_UNNAMED_FILE_CALLS,
  // on a runtime thread: the next chunk of a big file is read while this one is hashed
  readAsync: {
    name: "read",
    parameters: ["i32", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | null | undefined;

const AT_SYMLINK_FOLLOW = 0x400;
const EEXIST = 17;
const EISDIR = 21;
const EINVAL = 22;
const EOPNOTSUPP = 95;

function load(): Lib | null {
  if (lib !== undefined) return lib;
  lib = Deno.build.os === "linux"
    ? openNative(["libc.so.6"], SYMBOLS, "CAIRN_NO_NATIVE_STORE")
    : null;
  return lib;
}

/** Whether the native path can run here (libc, FFI, and OpenSSL for the md5). */
export function nativeStoreAvailable(): boolean {
  return load() !== null && nativeMd5Bytes(new Uint8Array(0)) !== undefined;
}

// Two path buffers: renameat needs both names at once (the DirFds have their own).
const pathA = pathBuffer();
const pathB = pathBuffer();

/** The read buffer, grown to the largest file met (a Worker has its own). */
let buf = new Uint8Array(64 << 10);

let source: DirFd | undefined;
let target: DirFd | undefined;

/**
 * Close the directories kept open between calls. Call at the end of every
 * batch (a Worker may be terminated between batches: its fds would stay
 * open in the process otherwise).
 */
export function releaseNativeStore(): void {
  source?.close();
  target?.close();
}

/** What the store needs from the caller (kept in ./_hash_store.ts). */
export interface NativeStoreHooks {
  /** has the object `rest` in fan-out dir `dir` (abs) been seen, and is it trusted? */
  present(dir: string, rest: string): boolean;
  /** the fan-out dir exists (listed or created); records the new object after */
  stored(dir: string, rest: string): void;
  /** a temp path for `obj` (abs), as tempPathFor names it */
  tempFor(obj: string): string;
  /** true when open(..., 0444) gives exactly 0444 (umask keeps the read bits) */
  plainOpenIsReadOnly(): boolean;
}

/**
 * Hash `path` (a regular file of `size` bytes, size <= buf limit the caller
 * picks) and store it under `root` (`xx/rest` fan-out). Returns undefined
 * when anything did not go as planned (nothing is left behind then); the
 * caller redoes the file the Deno way.
 */
export function nativeStore(
  path: string,
  size: number,
  root: string,
  hooks: NativeStoreHooks,
): { md5: string; stored: boolean } | undefined {
  const l = load();
  if (!l) return undefined;
  source ??= new DirFd(l);
  target ??= new DirFd(l);
  const slash = path.lastIndexOf("/");
  if (slash <= 0) return undefined;
  const dfd = source.get(path.slice(0, slash));
  if (dfd < 0) return undefined;
  const name = cString(path.slice(slash + 1), pathB);
  if (!name) return undefined;
  const fd = l.openat(dfd, name, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  // Read up to size + 1 bytes: a short read of a regular file is its end; a
  // file that grew since the walk goes to the Deno path (read whole there).
  if (buf.length < size + 1) buf = new Uint8Array(Math.max(size + 1, buf.length * 2));
  let n = 0;
  let ok = true;
  for (;;) {
    const want = size + 1 - n;
    const r = l.read(fd, n === 0 ? buf : buf.subarray(n), BigInt(want));
    if (r < 0) {
      ok = false;
      break;
    }
    n += r;
    if (n === size + 1) {
      ok = false;
      break;
    }
    // A short read of a regular file is its end (no read returning 0 needed).
    if (r < want) break;
  }
  l.close(fd);
  if (!ok) return undefined;
  const data = n === buf.length ? buf : buf.subarray(0, n);
  const md5 = nativeMd5Bytes(data);
  if (md5 === undefined) return undefined;
  const dir = `${root}/${md5.slice(0, 2)}`;
  const rest = md5.slice(2);
  if (hooks.present(dir, rest)) return { md5, stored: false };
  const rfd = target.get(root);
  if (rfd < 0) return undefined;
  const sub = md5.slice(0, 2);
  if (linkMode !== "off") {
    const r = storeUnnamed(l, rfd, sub, rest, data, hooks);
    if (r === "stored") {
      hooks.stored(dir, rest);
      return { md5, stored: true };
    }
    if (r === "failed") return undefined;
    // "unsupported": this file system or kernel has no O_TMPFILE: named temp below
  }
  const tmpAbs = hooks.tempFor(`${dir}/${rest}`);
  const tmp = cString(tmpAbs.slice(root.length + 1), pathA);
  const obj = cString(`${sub}/${rest}`, pathB);
  if (!tmp || !obj) return undefined;
  const out = l.openat(rfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444);
  if (out < 0) return undefined; // e.g. the fan-out dir is gone: the Deno path recreates it
  ok = writeAll(l, out, data) && (hooks.plainOpenIsReadOnly() || l.fchmod(out, 0o444) === 0);
  if (l.close(out) !== 0) ok = false;
  if (ok && l.renameat(rfd, tmp, rfd, obj) !== 0) ok = false;
  if (!ok) {
    l.unlinkat(rfd, tmp, 0);
    return undefined;
  }
  hooks.stored(dir, rest);
  return { md5, stored: true };
}

function writeAll(l: Lib, fd: number, data: Uint8Array): boolean {
  let w = 0;
  while (w < data.length) {
    const r = l.write(fd, w === 0 ? data : data.subarray(w), BigInt(data.length - w));
    if (r <= 0) return false;
    w += r;
  }
  return true;
}

function errno(l: Lib): number {
  const p = l.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/**
 * How an unnamed file gets its name here: linkat(fd, "", AT_EMPTY_PATH)
 * (allowed for a file the process opened itself on recent kernels, or with
 * CAP_DAC_READ_SEARCH), else through /proc/self/fd; "off" when neither works
 * (then named temps + rename). Learned at the first object, per thread.
 */
let linkMode: "empty" | "proc" | "off" | undefined;
const procPath = new Uint8Array(64);

/**
 * Write an object as an unnamed file (O_TMPFILE) in its fan-out dir and link
 * it under its name once complete: as atomic as temp + rename (the name only
 * ever shows whole content) with less directory work per object (no temp
 * entry to look up, add and remove: ~20% of the kernel time of a 100k add),
 * and nothing is left behind when the process is killed mid-write.
 */
function storeUnnamed(
  l: Lib,
  rfd: number,
  sub: string,
  rest: string,
  data: Uint8Array,
  hooks: NativeStoreHooks,
): "stored" | "failed" | "unsupported" {
  const dirName = cString(sub, pathA);
  const obj = cString(`${sub}/${rest}`, pathB);
  if (!dirName || !obj) return "failed";
  const out = l.openat(rfd, dirName, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0o444);
  if (out < 0) {
    const e = errno(l);
    if (e === EOPNOTSUPP || e === EISDIR || e === EINVAL) {
      linkMode = "off";
      return "unsupported";
    }
    return "failed";
  }
  let ok = writeAll(l, out, data) &&
    (hooks.plainOpenIsReadOnly() || l.fchmod(out, 0o444) === 0);
  if (ok) {
    if (linkMode !== "proc" && l.linkat(out, EMPTY, rfd, obj, AT_EMPTY_PATH) === 0) {
      linkMode = "empty";
    } else if (linkMode !== "proc" && errno(l) === EEXIST) {
      ok = false; // stored meanwhile by another process: the caller's path decides
    } else if (linkMode !== "empty" && linkViaProc(l, out, rfd, obj)) {
      linkMode = "proc";
    } else {
      ok = false;
      if (linkMode === undefined) {
        // neither way of naming it works here (no capability, no /proc)
        linkMode = "off";
        l.close(out);
        return "unsupported";
      }
    }
  }
  if (l.close(out) !== 0) ok = false; // the name may exist now: content is complete either way
  return ok ? "stored" : "failed";
}

const EMPTY = new Uint8Array(1);

function linkViaProc(l: Lib, fd: number, rfd: number, obj: Uint8Array): boolean {
  const p = cString(`/proc/self/fd/${fd}`, procPath);
  return !!p && l.linkat(AT_FDCWD, p, rfd, obj, AT_SYMLINK_FOLLOW) === 0;
}

/** Tests: force how objects are named (undefined: learn it again). */
export function setLinkModeForTests(mode: "empty" | "proc" | "off" | undefined): void {
  linkMode = mode;
}

/** Chunk of the overlapped reader (fewer event-loop turns than 1 MiB). */
const OVERLAP_CHUNK = 4 << 20;

/**
 * md5 of a big file with the reads on another thread: chunk k + 1 is read
 * (a libc read on a Deno runtime thread, straight into the second buffer)
 * while chunk k is hashed here, so the hashing thread only hashes: md5sum
 * does both on one core, and a 1 GiB read is ~0.2 s of it. Undefined when
 * libc or OpenSSL cannot be used, or the file cannot be opened this way (the
 * caller hashes it the plain way, which reports errors with the path).
 */
export async function nativeMd5FileOverlapped(
  path: string,
  onBytes?: (n: number) => void,
): Promise<string | undefined> {
  const l = load();
  if (!l) return undefined;
  const h = nativeMd5Stream();
  if (!h) return undefined;
  const c = cString(path, pathA);
  const fd = c ? l.openat(AT_FDCWD, c, O_RDONLY | O_CLOEXEC, 0) : -1;
  if (fd < 0) {
    h.free();
    return undefined;
  }
  let a = new Uint8Array(OVERLAP_CHUNK);
  let b = new Uint8Array(OVERLAP_CHUNK);
  try {
    let pending = l.readAsync(fd, a, BigInt(a.length));
    for (;;) {
      const n = Number(await pending);
      if (n < 0) {
        h.free();
        return undefined;
      }
      if (n === 0) break;
      const cur = a;
      a = b;
      b = cur;
      pending = l.readAsync(fd, a, BigInt(a.length));
      h.update(n === cur.length ? cur : cur.subarray(0, n));
      onBytes?.(n);
    }
  } catch (err) {
    h.free();
    throw err;
  } finally {
    l.close(fd);
  }
  return h.digest();
}
