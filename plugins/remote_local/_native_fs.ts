/**
 * The local remote's file work through libc (FFI), when the host granted it
 * (manifest `ffi: ["{libc}"]`, built-in plugins only; PluginContext.nativeLibs).
 *
 * Why: in a permission-scoped Worker, Deno resolves every path it opens (a
 * readlink per component) and the remote's NoSymlinks guard lstats keys, ~23
 * syscalls per object against `cp -r`'s ~8. Here the remote folder and the
 * cache are opened once as directory fds and every object is reached with
 * openat2(dirfd, relpath, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS): the kernel refuses any symlink on the way (ELOOP)
 * and any escape from the folder (EXDEV), atomically with the open, which the
 * lstat walk could not (a link swapped in between check and use). Folders are
 * kept open as O_PATH fds, so a temp file is created, renamed and removed by a
 * single name relative to a folder reached that way: ~6 syscalls per object.
 *
 * Failures are errors with the path (ENOENT as Deno.errors.NotFound); a
 * symlink is reported by the NoSymlinks walk, which names it. Kernels without
 * openat2 (before 5.6, or a seccomp filter refusing it) get no NativeFs: the
 * caller keeps its Deno path.
 */
import type { ItemResult } from "../../lib/plugin/remote_api.ts";
import { RemoteError } from "../../lib/plugin/remote_api.ts";
import { tooLarge } from "../_read_capped.ts";
import { NoSymlinks, SymlinkRefusedError } from "../../lib/plugin/no_symlinks.ts";

const SYMBOLS = {
  // openat2 (437 on every architecture): syscall(nr, dirfd, path, how, sizeof how)
  syscall: { parameters: ["i64", "i64", "buffer", "buffer", "i64"], result: "i64" },
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  // sizes at most 1 GiB per call (see MAX_CHUNK): i32 results hold them
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  copy_file_range: {
    parameters: ["i32", "pointer", "i32", "pointer", "usize", "u32"],
    result: "i32",
  },
  renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // errno is read by copying it out: a scoped FFI grant does not allow UnsafePointerView
  memcpy: { parameters: ["buffer", "pointer", "usize"], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const SYS_OPENAT2 = 437n;
const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const O_NOCTTY = 0o400;
const O_NONBLOCK = 0o4000;
/**
 * Objects are opened before their type is known (statx on the fd): a FIFO
 * planted in the remote must not block the open, nor a tty become ours.
 */
const READ_FLAGS = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const RESOLVE = BigInt(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
/** the roots themselves: absolute real paths, so no BENEATH, but no link followed either. */
const RESOLVE_ROOT = BigInt(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
/** STATX_TYPE | STATX_MODE | STATX_SIZE */
const STATX_WANTED = 0x1 | 0x2 | 0x200;
const STATX_NLINK = 0x4;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const MAX_CHUNK = 1 << 30;

const EPERM = 1, ENOENT = 2, EACCES = 13, EEXIST = 17, EXDEV = 18, ENOTDIR = 20;
const EINVAL = 22, ENOSYS = 38, ELOOP = 40, EOPNOTSUPP = 95;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  5: "EIO",
  13: "EACCES",
  17: "EEXIST",
  18: "EXDEV",
  20: "ENOTDIR",
  21: "EISDIR",
  22: "EINVAL",
  24: "EMFILE",
  28: "ENOSPC",
  30: "EROFS",
  36: "ENAMETOOLONG",
  40: "ELOOP",
  122: "EDQUOT",
};

/**
 * Folders kept open per tree (one layout's fan-out: 256 + a few); all closed past it. Two
 * trees x two instances stay well under a soft RLIMIT_NOFILE of 1024.
 */
const MAX_DIRS = 300;

const encoder = new TextEncoder();

/** Temp names: random per Worker plus a counter (two instances write the same folders). */
const tmpTag = Array.from(crypto.getRandomValues(new Uint32Array(2)), (n) => n.toString(36)).join(
  "",
);
let tmpCounter = 0;

/** A failed libc call, with the path, as Deno's errors read (ENOENT is Deno.errors.NotFound). */
function errnoError(e: number, op: string, path: string): Error {
  const code = ERRNO_NAMES[e] ?? `errno ${e}`;
  const message = `${code} (os error ${e}): ${op} '${path}'`;
  const err = e === ENOENT
    ? new Deno.errors.NotFound(message)
    : e === EACCES || e === EPERM
    ? new Deno.errors.PermissionDenied(message)
    : new Error(message);
  (err as Error & { code?: string }).code = ERRNO_NAMES[e];
  return err;
}

/** One granted folder (the remote's root, or the cache) reached through fds only. */
class Tree {
  readonly path: string;
  /** `path` + "/": paths the host hands over are under it. */
  readonly prefix: string;
  #fd = -1;
  #dirs = new Map<string, number>();
  readonly guard: NoSymlinks;

  constructor(private readonly fs: NativeFs, path: string) {
    this.path = path.length > 1 ? path.replace(/\/+$/, "") : path;
    this.prefix = this.path === "/" ? "/" : `${this.path}/`;
    this.guard = new NoSymlinks(this.path);
  }

  /** The folder's own fd; -ENOENT when it does not exist and `create` is false. */
  root(create: boolean): number {
    if (this.#fd >= 0) return this.#fd;
    const f = this.fs;
    const flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    // The root is a real path (symlinks resolved when granted): opened again (after
    // it was removed) without following any, so a symlink put in its place is refused.
    let fd = f.openat2(AT_FDCWD, this.path, flags, 0, RESOLVE_ROOT);
    if (fd === -ENOENT && create) {
      Deno.mkdirSync(this.path, { recursive: true });
      fd = f.openat2(AT_FDCWD, this.path, flags, 0, RESOLVE_ROOT);
    }
    if (fd < 0) {
      if (fd === -ENOENT && !create) return -ENOENT;
      if (fd === -ELOOP) {
        throw new SymlinkRefusedError(this.path, ".", this.path);
      }
      throw errnoError(-fd, "open", this.path);
    }
    this.#fd = fd;
    return fd;
  }

  /**
   * openat2 of `rel` below the root (no symlink, no escape); the fd, or
   * -ENOENT / -ENOTDIR when something on the way is missing. A symlink on
   * the way throws SymlinkRefusedError naming it.
   */
  open(rel: string, flags: number, mode = 0): number {
    for (let again = this.#fd >= 0;; again = false) {
      const root = this.root(false);
      if (root < 0) return root;
      const fd = this.fs.openat2(root, rel, flags, mode);
      if (fd >= 0) return fd;
      if (again && (fd === -ENOENT || fd === -ENOTDIR) && this.#stale()) continue;
      return this.#failed(-fd, "open", rel);
    }
  }

  /** The O_PATH fd of folder `rel` ("" = the root), made (mkdir) on the way when `create`. */
  dir(rel: string, create: boolean): number {
    if (rel === "") return this.root(create);
    const kept = this.#dirs.get(rel);
    if (kept !== undefined) return kept;
    if (this.#fd >= 0 && !create) {
      const fd = this.#dir(rel, false);
      if ((fd !== -ENOENT && fd !== -ENOTDIR) || !this.#stale()) return fd;
    }
    return this.#dir(rel, create);
  }

  /**
   * Whether the root fd is of a folder since removed (then everything kept is
   * closed, to be opened again from the path): asked only when something is missing.
   */
  #stale(): boolean {
    if (this.#fd < 0 || this.fs.linkCount(this.#fd) !== 0) return false;
    this.reset();
    return true;
  }

  #dir(rel: string, create: boolean): number {
    const root = this.root(create);
    if (root < 0) return root;
    const f = this.fs;
    const flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    let fd = f.openat2(root, rel, flags, 0);
    if (fd === -ENOENT && create) {
      const slash = rel.lastIndexOf("/");
      const parent = this.dir(slash < 0 ? "" : rel.slice(0, slash), true);
      const base = rel.slice(slash + 1);
      // one name relative to a folder reached without symlinks: nothing is followed
      if (f.l.mkdirat(parent, f.cstr(base, 0), 0o777) !== 0) {
        const e = f.errno();
        // a kept parent fd of a folder removed since: start again from the path
        if (e === ENOENT && this.dropIfRemoved(parent)) return this.#dir(rel, create);
        if (e !== EEXIST) throw errnoError(e, "mkdir", `${this.prefix}${rel}`);
      }
      fd = f.openat2(parent, base, flags, 0);
    }
    if (fd < 0) return this.#failed(-fd, "open", rel);
    if (this.#dirs.size >= MAX_DIRS) this.closeDirs();
    this.#dirs.set(rel, fd);
    return fd;
  }

  /** Whether kept fd `fd` is of a folder since removed; then every kept fd is dropped. */
  dropIfRemoved(fd: number): boolean {
    if (this.fs.linkCount(fd) !== 0) return false;
    this.reset();
    return true;
  }

  /** Close every fd kept: folders are opened again from the path (one was removed). */
  reset(): void {
    this.closeDirs();
    if (this.#fd >= 0) this.fs.l.close(this.#fd);
    this.#fd = -1;
  }

  /** -ENOENT / -ENOTDIR for a missing path; throws for everything else. */
  #failed(e: number, op: string, rel: string): number {
    if (e === ENOENT || e === ENOTDIR) return -e;
    if (e === ELOOP || e === EXDEV) this.refuse(rel);
    throw errnoError(e, op, `${this.prefix}${rel}`);
  }

  /** openat2 refused `rel` (a symlink, or a way out): name the link when the walk finds it. */
  refuse(rel: string): never {
    this.guard.check(rel); // throws SymlinkRefusedError naming the link
    throw new SymlinkRefusedError(
      this.path,
      rel,
      `${this.prefix}${rel}`,
      "a symlink or a way out of the folder on the path (it may have been removed since)",
    );
  }

  closeDirs(): void {
    for (const fd of this.#dirs.values()) this.fs.l.close(fd);
    this.#dirs.clear();
  }

  close(): void {
    this.reset();
  }
}

/** The libc calls of the local remote (see the module comment). */
export class NativeFs {
  readonly l: Lib;
  readonly remote: Tree;
  readonly cache?: Tree;
  #errnoPtr: Deno.PointerValue;
  #errnoBuf = new Int32Array(1);
  #errnoBytes = new Uint8Array(this.#errnoBuf.buffer);
  #how = new BigUint64Array(3);
  #howBytes = new Uint8Array(this.#how.buffer);
  #names = [new Uint8Array(4096 * 3 + 1), new Uint8Array(4096 * 3 + 1)];
  #stx = new Uint8Array(256);
  #stxU32 = new Uint32Array(this.#stx.buffer);
  #stxU16 = new Uint16Array(this.#stx.buffer);
  #empty = new Uint8Array(1);
  #buf?: Uint8Array;
  /** copy_file_range works between these files (learned at the first copy). */
  #cfr = true;
  /** creating with mode 0444 gives exactly 0444 (umask keeps the read bits); learned once. */
  #plain: boolean | undefined;

  private constructor(l: Lib, root: string, cacheDir?: string) {
    this.l = l;
    this.#errnoPtr = l.__errno_location();
    this.remote = new Tree(this, root);
    if (cacheDir) this.cache = new Tree(this, cacheDir);
  }

  /**
   * The native path for remote folder `root` and cache `cacheDir`, or
   * undefined: no library granted (`libc` is its path), not Linux, or no
   * openat2 here.
   */
  static open(libc: string | undefined, root: string, cacheDir?: string): NativeFs | undefined {
    if (!libc || Deno.build.os !== "linux") return undefined;
    try {
      if (Deno.permissions.querySync({ name: "ffi", path: libc }).state !== "granted") {
        return undefined;
      }
    } catch (err) {
      if (err instanceof TypeError) return undefined;
      throw err;
    }
    let l: Lib;
    try {
      l = Deno.dlopen(libc, SYMBOLS).symbols;
    } catch (err) {
      if (err instanceof Error) return undefined; // not this library, or a symbol it lacks
      throw err;
    }
    const fs = new NativeFs(l, root, cacheDir);
    // Probe: kernels before 5.6 say ENOSYS, seccomp filters EPERM/ENOSYS, unknown flags EINVAL.
    const fd = fs.openat2(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return undefined;
    l.close(fd);
    return fs;
  }

  errno(): number {
    this.l.memcpy(this.#errnoBytes, this.#errnoPtr, 4n);
    return this.#errnoBuf[0];
  }

  /** `s` NUL-terminated in name buffer `i` (0 or 1: renameat needs two at once). */
  cstr(s: string, i: number): Uint8Array {
    const into = this.#names[i];
    if (s.length * 3 >= into.length) throw new RemoteError(`path too long: '${s}'`);
    // a NUL would end the name early: another object's name (the Deno path refuses it too)
    if (s.includes("\0")) throw new RemoteError(`invalid key '${s.replaceAll("\0", "\\0")}'`);
    const n = encoder.encodeInto(s, into).written;
    into[n] = 0;
    return into;
  }

  /** openat2 below `dirfd` with the RESOLVE flags; the fd or -errno. */
  openat2(dirfd: number, rel: string, flags: number, mode: number, resolve = RESOLVE): number {
    const how = this.#how;
    how[0] = BigInt(flags);
    how[1] = BigInt(mode);
    how[2] = resolve;
    const r = Number(
      this.l.syscall(SYS_OPENAT2, BigInt(dirfd), this.cstr(rel, 0), this.#howBytes, 24n),
    );
    return r >= 0 ? r : -this.errno();
  }

  /** statx of open `fd`: [type and mode bits, size]; throws with `path` on failure. */
  #fstat(fd: number, path: string): [number, number] {
    if (this.l.statx(fd, this.#empty, AT_EMPTY_PATH, STATX_WANTED, this.#stx) !== 0) {
      throw errnoError(this.errno(), "stat", path);
    }
    // stx_mode @0x1c, stx_size @0x28
    return [this.#stxU16[14], this.#stxU32[10] + this.#stxU32[11] * 4294967296];
  }

  /** The link count of open `fd` (0: removed), or -1 when statx fails. */
  linkCount(fd: number): number {
    if (this.l.statx(fd, this.#empty, AT_EMPTY_PATH, STATX_NLINK, this.#stx) !== 0) return -1;
    return this.#stxU32[4]; // stx_nlink @0x10
  }

  /** Copy `size` bytes from `src` to `dst` (fresh fds, both at offset 0). */
  #copy(src: number, dst: number, size: number, path: string): void {
    let done = 0;
    while (this.#cfr && done < size) {
      const r = this.l.copy_file_range(
        src,
        null,
        dst,
        null,
        BigInt(Math.min(size - done, MAX_CHUNK)),
        0,
      );
      if (r < 0) {
        const e = this.errno();
        if (done === 0 && (e === EXDEV || e === EINVAL || e === ENOSYS || e === EOPNOTSUPP)) {
          this.#cfr = false; // not between these file systems: read/write from now on
          break;
        }
        throw errnoError(e, "copy", path);
      }
      if (r === 0) throw new RemoteError(`${path} changed while being copied (it got shorter)`);
      done += r;
    }
    if (done === size) return;
    const buf = this.#buf ??= new Uint8Array(1 << 20);
    while (done < size) {
      const r = this.l.read(src, buf, BigInt(Math.min(buf.length, size - done)));
      if (r < 0) throw errnoError(this.errno(), "read", path);
      if (r === 0) throw new RemoteError(`${path} changed while being copied (it got shorter)`);
      this.#writeAll(dst, r === buf.length ? buf : buf.subarray(0, r), path);
      done += r;
    }
  }

  #writeAll(fd: number, data: Uint8Array, path: string): void {
    let w = 0;
    while (w < data.length) {
      const chunk = data.subarray(w, w + Math.min(data.length - w, MAX_CHUNK));
      const r = this.l.write(fd, chunk, BigInt(chunk.length));
      if (r < 0) throw errnoError(this.errno(), "write", path);
      w += r;
    }
  }

  /** Read `size` bytes of open `fd` into a new buffer (shorter when the file shrank). */
  #readAll(fd: number, size: number, path: string): Uint8Array {
    const data = new Uint8Array(size);
    let n = 0;
    while (n < size) {
      const want = Math.min(size - n, MAX_CHUNK);
      const r = this.l.read(fd, n === 0 ? data : data.subarray(n), BigInt(want));
      if (r < 0) throw errnoError(this.errno(), "read", path);
      if (r === 0) break;
      n += r;
    }
    return n === size ? data : data.slice(0, n);
  }

  /** New file `name` in folder `dfd`, mode 0444, never over an existing name. */
  #create(dfd: number, name: string, path: string): number {
    const fd = this.l.openat(
      dfd,
      this.cstr(name, 1),
      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
      0o444,
    );
    if (fd < 0) return -this.errno();
    if (this.#plain === undefined) {
      try {
        this.#plain = (this.#fstat(fd, path)[0] & 0o777) === 0o444;
      } catch (err) {
        this.l.close(fd);
        throw err;
      }
    }
    return fd;
  }

  /** Finish a new file: its mode (when the umask took read bits), then close. */
  #finish(fd: number, path: string): void {
    let e = 0;
    if (!this.#plain && this.l.fchmod(fd, 0o444) !== 0) e = this.errno();
    if (this.l.close(fd) !== 0 && !e) e = this.errno();
    if (e) throw errnoError(e, "write", path);
  }

  /**
   * Write a new file `name` in folder `dir` of `tree` through a temp name
   * renamed into place (atomic; replaces what was there, never follows it).
   * `fill` writes its content.
   */
  #land(tree: Tree, dir: string, name: string, fill: (fd: number, path: string) => void): void {
    const path = `${tree.prefix}${dir ? `${dir}/` : ""}${name}`;
    const tmp = `.${name}.${tmpTag}${++tmpCounter}.tmp`;
    let dfd = tree.dir(dir, true);
    let fd = this.#create(dfd, tmp, path);
    if (fd === -ENOENT) {
      tree.reset(); // its folder was removed since it was opened: once more, from the path
      dfd = tree.dir(dir, true);
      fd = this.#create(dfd, tmp, path);
    }
    if (fd < 0) throw errnoError(-fd, "create", path);
    try {
      try {
        fill(fd, path);
      } catch (err) {
        this.l.close(fd);
        throw err;
      }
      this.#finish(fd, path);
      if (this.l.renameat(dfd, this.cstr(tmp, 1), dfd, this.cstr(name, 0)) !== 0) {
        throw errnoError(this.errno(), "rename", path);
      }
    } catch (err) {
      this.l.unlinkat(dfd, this.cstr(tmp, 1), 0);
      throw err;
    }
  }

  /**
   * Upload cache file `src` as `key`; its size, or undefined when `src` is
   * not in the cache (the caller's Deno path). `size`/`mode`: the host's lstat.
   */
  put(src: string, key: string, size?: number, mode?: number): number | undefined {
    const cache = this.cache;
    if (!cache || !src.startsWith(cache.prefix)) return undefined;
    const slash = key.lastIndexOf("/");
    const dir = slash < 0 ? "" : key.slice(0, slash);
    const rel = src.slice(cache.prefix.length);
    const fd = cache.open(rel, READ_FLAGS);
    if (fd < 0) throw errnoError(-fd, "open", src);
    try {
      if (size === undefined || mode === undefined) {
        const [m, s] = this.#fstat(fd, src);
        if ((m & S_IFMT) !== S_IFREG) throw new RemoteError(`${src} is not a file`);
        size = s;
      }
      const n = size;
      this.#land(
        this.remote,
        dir,
        key.slice(slash + 1),
        (out, path) => this.#copy(fd, out, n, path),
      );
      return n;
    } finally {
      this.l.close(fd);
    }
  }

  /**
   * Download `key`: as bytes when at most `inlineMax`, else into `dest` (a
   * temp name in the cache, created here, never over an existing file).
   * undefined when `dest` is not in the cache (the caller's Deno path).
   */
  get(key: string, dest: string, inlineMax: number): ItemResult | undefined {
    const cache = this.cache;
    if (!cache || !dest.startsWith(cache.prefix)) return undefined;
    const fd = this.remote.open(key, READ_FLAGS);
    if (fd < 0) throw new Deno.errors.NotFound(`${key}: not on the remote`);
    const path = `${this.remote.prefix}${key}`;
    try {
      const [m, size] = this.#fstat(fd, path);
      if ((m & S_IFMT) !== S_IFREG) throw new RemoteError(`${key} is not a file`);
      if (size <= inlineMax) {
        const data = this.#readAll(fd, size, path);
        return { ok: true, bytes: data.length, data };
      }
      const rel = dest.slice(cache.prefix.length);
      const slash = rel.lastIndexOf("/");
      const dir = slash < 0 ? "" : rel.slice(0, slash);
      let dfd = cache.dir(dir, false);
      let out = dfd < 0 ? dfd : this.#create(dfd, rel.slice(slash + 1), dest);
      if (out === -ENOENT) {
        cache.reset();
        dfd = cache.dir(dir, false);
        out = dfd < 0 ? dfd : this.#create(dfd, rel.slice(slash + 1), dest);
      }
      if (out < 0) throw errnoError(-out, "create", dest);
      try {
        this.#copy(fd, out, size, path);
      } catch (err) {
        this.l.close(out);
        this.l.unlinkat(dfd, this.cstr(rel.slice(slash + 1), 1), 0);
        throw err;
      }
      this.#finish(out, dest);
      return { ok: true, bytes: size, mode: S_IFREG | 0o444 };
    } finally {
      this.l.close(fd);
    }
  }

  /** lstat of `key`'s last component in its folder: [mode] or undefined when absent. */
  #lstatKey(key: string, retry = true): number | undefined {
    const slash = key.lastIndexOf("/");
    const dfd = this.remote.dir(slash < 0 ? "" : key.slice(0, slash), false);
    if (dfd < 0) return undefined;
    const name = this.cstr(key.slice(slash + 1), 1);
    if (this.l.statx(dfd, name, AT_SYMLINK_NOFOLLOW, STATX_WANTED, this.#stx) !== 0) {
      const e = this.errno();
      // a kept folder fd of a folder removed since (gc, another writer): look again by path
      if (e === ENOENT && retry && this.remote.dropIfRemoved(dfd)) {
        return this.#lstatKey(key, false);
      }
      if (e === ENOENT || e === ENOTDIR) return undefined;
      throw errnoError(e, "stat", `${this.remote.prefix}${key}`);
    }
    const mode = this.#stxU16[14];
    if ((mode & S_IFMT) === S_IFLNK) {
      throw new SymlinkRefusedError(this.remote.path, key, `${this.remote.prefix}${key}`);
    }
    return mode;
  }

  /** Whether `key` is a file on the remote (a symlink there is refused). */
  exists(key: string): boolean {
    const mode = this.#lstatKey(key);
    return mode !== undefined && (mode & S_IFMT) === S_IFREG;
  }

  /** Remove `key` (absent: fine; a symlink there is refused, not removed). */
  remove(key: string): void {
    if (this.#lstatKey(key) === undefined) return;
    const slash = key.lastIndexOf("/");
    const dfd = this.remote.dir(slash < 0 ? "" : key.slice(0, slash), false);
    if (dfd >= 0 && this.l.unlinkat(dfd, this.cstr(key.slice(slash + 1), 1), 0) !== 0) {
      const e = this.errno();
      if (e !== ENOENT) throw errnoError(e, "remove", `${this.remote.prefix}${key}`);
    }
  }

  /** `key`'s bytes, or null when absent; over `maxBytes` an error, nothing read. */
  readBytes(key: string, maxBytes?: number): Uint8Array | null {
    const fd = this.remote.open(key, READ_FLAGS);
    if (fd < 0) return null;
    const path = `${this.remote.prefix}${key}`;
    try {
      const [m, size] = this.#fstat(fd, path);
      if ((m & S_IFMT) !== S_IFREG) throw new RemoteError(`${key} is not a file`);
      if (maxBytes !== undefined && size > maxBytes) throw tooLarge(key, size, maxBytes);
      return this.#readAll(fd, size, path);
    } finally {
      this.l.close(fd);
    }
  }

  /** Store `data` as `key` (temp + rename, 0444). */
  writeBytes(key: string, data: Uint8Array): void {
    const slash = key.lastIndexOf("/");
    const dir = slash < 0 ? "" : key.slice(0, slash);
    this.#land(
      this.remote,
      dir,
      key.slice(slash + 1),
      (fd, path) => this.#writeAll(fd, data, path),
    );
  }

  /** Close every fd kept (the folders). */
  close(): void {
    this.remote.close();
    this.cache?.close();
  }
}
