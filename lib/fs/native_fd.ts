/**
 * What the libc (FFI) fast paths share: Linux open flags, C strings written into
 * reused buffers, and a directory kept open while consecutive files share it (so
 * each file is opened relative to it instead of by a path the kernel resolves
 * component by component). Users: ../hash/_native_store.ts, ../cache/_native_link.ts.
 */

export const AT_FDCWD = -100;
export const AT_EMPTY_PATH = 0x1000;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
/**
 * How a file whose type is not known yet is opened for reading: a FIFO (or a
 * device) planted where a regular file should be must not block the open; the
 * caller checks the type on the open fd (fstat) and reads only regular files,
 * for which O_NONBLOCK changes nothing.
 */
export const O_READ_UNTYPED = O_RDONLY | O_CLOEXEC | 0o4000 /* O_NONBLOCK */ |
  0o400 /* O_NOCTTY */;

/**
 * The file calls both fast paths make, for their own symbol tables. ssize_t results
 * are read as i32 (the low half of the register): their reads and writes are at most
 * a few MiB each (callers keep them so), and -1 stays -1.
 */
export const LIBC_FILE_CALLS = {
  openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
} as const;

/**
 * LIBC_FILE_CALLS plus what landing an unnamed file needs (linkat, errno): the
 * cache store's and the download landing's table.
 */
export const LIBC_UNNAMED_FILE_CALLS = {
  ...LIBC_FILE_CALLS,
  linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** O_TMPFILE as open(2) takes it (with O_DIRECTORY): a file with no name yet. */
export const O_TMPFILE = 0o20000000 | O_DIRECTORY;

/** A buffer a path of up to PATH_MAX (4096) characters fits in as UTF-8. */
export function pathBuffer(): Uint8Array {
  return new Uint8Array(4096 * 3 + 1);
}

const encoder = new TextEncoder();

/** `s` NUL-terminated in `into`; undefined when it may not fit (the caller's Deno path). */
export function cString(s: string, into: Uint8Array): Uint8Array | undefined {
  if (s.length * 3 >= into.length) return undefined;
  const n = encoder.encodeInto(s, into).written;
  into[n] = 0;
  return into;
}

/** The two libc calls a DirFd needs (the users' own symbol tables provide them). */
export interface DirFdLib {
  openat(dirfd: number, path: Uint8Array, flags: number, mode: number): number;
  close(fd: number): number;
}

/** An open directory, by path, kept while consecutive files share it. */
export class DirFd {
  path = "";
  fd = -1;
  readonly #name = pathBuffer();
  constructor(readonly l: DirFdLib) {}
  /** The fd of `path` ("" is "/"), opened unless it is the one kept; -1 if it cannot be. */
  get(path: string): number {
    if (path === this.path && this.fd >= 0) return this.fd;
    this.close();
    const c = cString(path || "/", this.#name);
    if (!c) return -1;
    this.fd = this.l.openat(AT_FDCWD, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    this.path = this.fd >= 0 ? path : "";
    return this.fd;
  }
  close(): void {
    if (this.fd >= 0) this.l.close(this.fd);
    this.fd = -1;
    this.path = "";
  }
}
