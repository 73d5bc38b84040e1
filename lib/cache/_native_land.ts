/**
 * Writing a verified download (bytes in memory) as a cache object through libc
 * (FFI), for fetches of many small objects: the object is created unnamed
 * (`open(fan-out dir, O_TMPFILE, 0444)`), written, and linked under its name
 * when complete (`linkat(fd, "", AT_EMPTY_PATH)`), relative to the fan-out
 * folder kept open between objects: as atomic as temp + rename (the name only
 * ever shows whole content), nothing left behind when the process is killed,
 * and four calls instead of the Deno path's open, write, fchmod, close and
 * rename on absolute paths. Optional: without libc or the FFI permission, on a
 * filesystem without O_TMPFILE, or on any failed call, `nativeLand` returns
 * false with nothing left behind and the caller writes the object the Deno way
 * (which succeeds or throws the error the user should see: ENOSPC, EACCES...).
 */
import { openNative } from "../native_lib.ts";
import {
  AT_EMPTY_PATH,
  cString,
  DirFd,
  LIBC_UNNAMED_FILE_CALLS,
  O_CLOEXEC,
  O_TMPFILE,
  O_WRONLY,
  pathBuffer,
} from "../fs/native_fd.ts";
import { processUmask } from "./link.ts";
import { lstatOrNull } from "../fs/stat_or_null.ts";

const SYMBOLS = LIBC_UNNAMED_FILE_CALLS;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | null | undefined;

const EEXIST = 17;

function load(): Lib | null {
  if (lib !== undefined) return lib;
  lib = Deno.build.os === "linux"
    ? openNative(["libc.so.6"], SYMBOLS, "CAIRN_NO_NATIVE_LAND")
    : null;
  return lib;
}

/** false once O_TMPFILE or linkat(AT_EMPTY_PATH) failed here: the Deno path from then on. */
let usable = true;
let dir: DirFd | undefined;
const nameBuf = pathBuffer();
const subBuf = new Uint8Array(64);
const EMPTY = new Uint8Array(1);

function errno(l: Lib): number {
  const p = l.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

/** Close the folder kept open (end of a transfer). */
export function releaseNativeLand(): void {
  dir?.close();
}

/**
 * Store `data` as the cache object `path` (mode 0444; its folder exists).
 * true: the object is in place (written here, or already there: an object's
 * name is its content's md5, so another writer's copy is the same object).
 * false: nothing was done or left; the caller takes the Deno path.
 */
export function nativeLand(path: string, data: Uint8Array): boolean {
  if (!usable) return false;
  const l = load();
  if (!l) return false;
  const fd = openUnnamed(l, path);
  if (fd < 0) return false;
  let ok = true;
  for (let w = 0; w < data.length;) {
    const r = l.write(fd, w === 0 ? data : data.subarray(w), BigInt(data.length - w));
    if (r <= 0) {
      ok = false; // ENOSPC...: the Deno path reports it
      break;
    }
    w += r;
  }
  return finish(l, fd, path, ok);
}

/**
 * The folder objects are reached from: the fan-out folders' parent
 * (`files/md5`), kept open for every object (objects arrive in listing order,
 * their fan-out folders at random). -1 when it cannot be used.
 */
function rootFd(l: Lib, path: string): { rfd: number; s0: number; s1: number } | undefined {
  dir ??= new DirFd(l);
  const s1 = path.lastIndexOf("/");
  const s0 = s1 > 0 ? path.lastIndexOf("/", s1 - 1) : -1;
  if (s0 < 0) return undefined;
  const rfd = dir.get(path.slice(0, s0));
  return rfd < 0 ? undefined : { rfd, s0, s1 };
}

/** An unnamed file (mode 0444) in `path`'s folder, or -1. */
function openUnnamed(l: Lib, path: string): number {
  const at = rootFd(l, path);
  if (!at) return -1;
  const sub = cString(path.slice(at.s0 + 1, at.s1), subBuf);
  if (!sub) return -1;
  const fd = l.openat(at.rfd, sub, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0o444);
  if (fd < 0) usable = false; // no O_TMPFILE here (or no folder: the Deno path says which)
  return fd;
}

/** Mode, name and close of an unnamed file written (`ok`); false: nothing left. */
function finish(l: Lib, fd: number, path: string, ok: boolean): boolean {
  // the umask may have taken bits of 0444 off: the object must be exactly 0444
  if (ok && (processUmask() & 0o444) !== 0 && l.fchmod(fd, 0o444) !== 0) ok = false;
  // looked up again (no await since): an async landing may have waited in between
  const at = ok ? rootFd(l, path) : undefined;
  const name = at ? cString(path.slice(at.s0 + 1), nameBuf) : undefined;
  if (!at || !name) ok = false;
  else if (l.linkat(fd, EMPTY, at.rfd, name, AT_EMPTY_PATH) !== 0) {
    const e = errno(l);
    if (e !== EEXIST) usable = false; // linkat of an unnamed file not allowed here
    // Someone landed it first: fine if a file is there. A folder or a (dangling) symlink
    // at the name is not an object: the Deno path replaces it or says why not.
    ok = e === EEXIST && lstatOrNull(path)?.isFile === true;
  }
  if (l.close(fd) !== 0 && ok) ok = false;
  return ok;
}

/** Whether this thread still takes the native path (false after O_TMPFILE failed here). */
export function nativeLandUsable(): boolean {
  return usable;
}

/** Tests: take the Deno path (false) or try the native one again (true). */
export function setNativeLandForTests(on: boolean): void {
  usable = on;
}
