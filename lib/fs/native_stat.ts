/**
 * lstat of the entries of one directory through libc's statx(2) relative to
 * an open directory fd, for the walk of big trees. Deno.lstatSync costs ~3x
 * `find`'s user time per file here (an absolute path resolved by the kernel
 * component by component, a FileInfo with four Dates built per call); a
 * dirfd-relative statx through FFI fills one reused buffer. Optional: without
 * libc's statx (not Linux, old glibc) or without the FFI permission,
 * `openDirStat` returns undefined and callers use Deno.lstatSync.
 */

import { openNative } from "../native_lib.ts";

const SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  syscall: { parameters: ["i64", "i64", "buffer", "i64"], result: "i64" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | null | undefined;

const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_MTIME | STATX_INO | STATX_SIZE */
const STATX_WANTED = 0x1 | 0x2 | 0x4 | 0x40 | 0x100 | 0x200;

/** getdents64's number where it is known (the syscall table differs per architecture). */
const SYS_GETDENTS64: Partial<Record<string, bigint>> = { x86_64: 217n, aarch64: 61n };

function load(): Lib | null {
  if (lib !== undefined) return lib;
  lib = Deno.build.os === "linux"
    ? openNative(["libc.so.6"], SYMBOLS, "CAIRN_NO_NATIVE_STAT")
    : null;
  return lib;
}

// struct statx (linux/stat.h, the same on every architecture), read as u32/u16 words.
const buf = new Uint8Array(256);
const u32 = new Uint32Array(buf.buffer);
const i32 = new Int32Array(buf.buffer);
const u16 = new Uint16Array(buf.buffer);
const name = new Uint8Array(4100);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const dents = new Uint8Array(64 << 10);
const DENTS_LEN = BigInt(dents.length);

function cString(s: string): Uint8Array | undefined {
  // 3 bytes per UTF-16 unit at most; longer names cannot exist (NAME_MAX 255)
  if (s.length * 3 >= name.length) return undefined;
  const n = encoder.encodeInto(s, name).written;
  name[n] = 0;
  return name;
}

/** The fields a walk needs of the last successful `stat`. */
export interface NativeStat {
  ino: number;
  /** ms since epoch, truncated as Deno's FileInfo.mtime */
  mtimeMs: number;
  size: number;
  /** st_mode, type bits included */
  mode: number;
  nlink: number;
}

/** d_type of a directory entry (dirent.h). */
export const DT_DIR = 4, DT_REG = 8, DT_LNK = 10;

/** A directory's entries: names and their d_type, in read order. */
export interface DirList {
  names: string[];
  types: number[];
}

/** An open directory whose entries can be lstat'ed by name. */
export interface DirStat {
  /**
   * Its entries (without `.` and `..`) through getdents64: no object per
   * entry as Deno.readDirSync builds. undefined when not available here, on
   * an error, or when the file system gives no d_type: the caller lists
   * with Deno.readDirSync then.
   */
  list(): DirList | undefined;
  /**
   * lstat of child `name` into `out`; false when it failed (vanished,
   * permission...) or for a case left to Deno: the caller then asks
   * Deno.lstatSync (which answers, or throws the proper error).
   */
  lstat(name: string, out: NativeStat): boolean;
  close(): void;
}

/** `dir` opened for dirfd-relative statx, or undefined (no native support, or open failed). */
export function openDirStat(dir: string): DirStat | undefined {
  const l = load();
  if (!l) return undefined;
  const path = cString(dir);
  if (!path) return undefined;
  const fd = l.open(path, O_RDONLY_DIRECTORY_CLOEXEC);
  if (fd < 0) return undefined;
  let open = true;
  const sysno = SYS_GETDENTS64[Deno.build.arch];
  return {
    list(): DirList | undefined {
      if (sysno === undefined) return undefined;
      const names: string[] = [];
      const types: number[] = [];
      for (;;) {
        const len = Number(l.syscall(sysno, BigInt(fd), dents, DENTS_LEN));
        if (len < 0) return undefined;
        if (len === 0) return { names, types };
        // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[]
        for (let off = 0; off < len;) {
          const reclen = dents[off + 16] | (dents[off + 17] << 8);
          const type = dents[off + 18];
          const start = off + 19;
          let end = start;
          let ascii = true;
          while (dents[end] !== 0) {
            if (dents[end] > 0x7f) ascii = false;
            end++;
          }
          off += reclen;
          const n = end - start;
          // "." and ".."
          if (dents[start] === 0x2e && (n === 1 || (n === 2 && dents[start + 1] === 0x2e))) {
            continue;
          }
          if (type === 0) return undefined; // DT_UNKNOWN: let Deno find the types
          const bytes = dents.subarray(start, end);
          names.push(
            ascii
              ? String.fromCharCode.apply(null, bytes as unknown as number[])
              : decoder.decode(bytes),
          );
          types.push(type);
        }
      }
    },
    lstat(child: string, out: NativeStat): boolean {
      const c = cString(child);
      if (!c || l.statx(fd, c, AT_SYMLINK_NOFOLLOW, STATX_WANTED, buf) !== 0) return false;
      // stx_nlink @0x10, stx_mode @0x1c, stx_ino @0x20, stx_size @0x28, stx_mtime @0x70
      const sec = u32[28] + i32[29] * 4294967296;
      // before 1970 Deno's rounding is its own: let Deno.lstatSync answer
      if (sec < 0) return false;
      out.nlink = u32[4];
      out.mode = u16[14];
      out.ino = u32[8] + u32[9] * 4294967296;
      out.size = u32[10] + u32[11] * 4294967296;
      // Deno: whole ms since the epoch (Duration::as_millis), so is this
      out.mtimeMs = sec * 1000 + Math.floor(u32[30] / 1e6);
      return true;
    },
    close() {
      if (open) l.close(fd);
      open = false;
    },
  };
}
