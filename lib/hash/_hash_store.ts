/**
 * Hash a file and, when asked, store it as a cache object in the same pass
 * (small files are stored from the bytes already read). Used by the hashing
 * engine inline and in Workers, so `add` reads each new file only once.
 */
import { fsError, ignoreNotFound } from "../errors.ts";
import { tempPathFor } from "../fs/atomic_write.ts";
import { sweepOnce } from "../fs/temp_files.ts";
import { md5Bytes, md5File, WHOLE_READ_LIMIT } from "./md5.ts";
import {
  nativeMd5FileOverlapped,
  nativeStore,
  type NativeStoreHooks,
  releaseNativeStore,
} from "./_native_store.ts";

/** Close what the native path keeps open between files (call after each batch). */
export const releaseStore: () => void = releaseNativeStore;

export interface StoreSpec {
  /** object root using the `xx/rest` fan-out (the cache's `files/md5`) */
  root: string;
  /** cache.shared=group: fan-out dirs 02775 */
  groupShared?: boolean;
}

/**
 * Names present per fan-out dir, listed once: a stat that misses throws,
 * which costs ~16 µs in Deno, so 100k misses would cost more than hashing.
 */
const known = new Map<string, Set<string>>();

function namesIn(dir: string, groupShared?: boolean): Set<string> {
  let names = known.get(dir);
  if (names) return names;
  // Temps of a killed cairn go (objects are mostly written unnamed, so
  // tempPathFor, which sweeps a folder on first use, is rarely called).
  sweepOnce(dir);
  names = new Set();
  try {
    for (const e of Deno.readDirSync(dir)) names.add(e.name);
  } catch {
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fsError(err, "creating", dir);
    }
    if (groupShared) {
      try {
        Deno.chmodSync(dir, 0o2775);
      } catch { /* not ours */ }
    }
  }
  known.set(dir, names);
  return names;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Run `put` (which writes into fan-out dir `dir`); if it fails because the
 * dir is gone since it was listed (the cache was removed while this process
 * lives on: a library host, an in-process test), list/create it again and
 * retry once.
 */
function intoDir<T>(dir: string, groupShared: boolean | undefined, put: () => T): T {
  try {
    return put();
  } catch (err) {
    if (isDirectory(dir)) throw err;
    known.delete(dir);
    namesIn(dir, groupShared);
    return put();
  }
}

/** An object already there and trusted (mode 0444, as DVC trusts it). */
function trusted(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode! & 0o777) === 0o444;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

let umaskKeepsReadBits: boolean | undefined;

/** Does open(..., 0444) give exactly 0444 here (no fchmod needed)? */
function plainOpenIsReadOnly(): boolean {
  if (umaskKeepsReadBits === undefined) {
    try {
      umaskKeepsReadBits = (Deno.umask() & 0o444) === 0;
    } catch {
      umaskKeepsReadBits = false;
    }
  }
  return umaskKeepsReadBits;
}

function writeNew(tmp: string, data: Uint8Array): void {
  if (!plainOpenIsReadOnly()) {
    // open + fchmod to exactly 0444 + write + close
    Deno.writeFileSync(tmp, data, { createNew: true, mode: 0o444 });
    return;
  }
  // open(O_CREAT|O_EXCL, 0444) + write + close: one syscall less per object
  const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o444 });
  try {
    let off = 0;
    while (off < data.length) off += f.writeSync(data.subarray(off));
  } finally {
    f.close();
  }
}

function writeObject(obj: string, data: Uint8Array | undefined, src: string) {
  const tmp = tempPathFor(obj);
  try {
    if (data) {
      writeNew(tmp, data);
    } else {
      Deno.copyFileSync(src, tmp);
      Deno.chmodSync(tmp, 0o444);
    }
    Deno.renameSync(tmp, obj);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
    throw fsError(err, "adding to the cache", src);
  }
}

/**
 * md5 of a big file with its reads overlapped with the hashing (see
 * nativeMd5FileOverlapped), else the plain streaming md5. Progress counts
 * each byte once even if the native pass gave up half-way.
 */
async function md5Overlapped(
  path: string,
  size: number,
  onBytes?: (n: number) => void,
): Promise<string> {
  let reported = 0;
  const md5 = await nativeMd5FileOverlapped(path, (n) => {
    reported += n;
    onBytes?.(n);
  });
  if (md5 !== undefined) return md5;
  let seen = 0;
  return md5File(path, {
    size,
    onBytes: (n) => {
      const before = seen;
      seen += n;
      const fresh = Math.max(0, seen - Math.max(before, reported));
      if (fresh) onBytes?.(fresh);
    },
  });
}

/** From this size on, a file is copied into the cache while it is hashed (see below). */
export const CONCURRENT_COPY_MIN = 16 << 20;

/**
 * A large file: the cache copy (copy_file_range, on one of Deno's blocking
 * threads) runs while this thread hashes, so `add` of a big file costs about
 * one hash instead of a hash plus a copy. The copy goes to a temp name in the
 * store root and is renamed to its md5 at the end. If the file changed while
 * this ran (its stamp differs), the copy is hashed again and named by its own
 * content, so an object's name always matches its bytes.
 */
export async function hashAndStoreLarge(
  path: string,
  size: number,
  store: StoreSpec,
  onBytes?: (n: number) => void,
): Promise<{ md5: string; stored: boolean }> {
  try {
    Deno.mkdirSync(store.root, { recursive: true });
  } catch (err) {
    throw fsError(err, "creating", store.root);
  }
  const tmp = tempPathFor(`${store.root}/incoming`);
  const drop = () => {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
  };
  let before: Deno.FileInfo;
  try {
    before = Deno.statSync(path);
  } catch (err) {
    throw fsError(err, "hashing", path);
  }
  let copyError: unknown;
  const copying = Deno.copyFile(path, tmp).catch((err) => {
    copyError = err ?? new Error("copy failed");
  });
  // Let the event loop start the copy before this thread blocks on hashing.
  await new Promise((r) => setTimeout(r, 0));
  let md5: string;
  try {
    md5 = await md5Overlapped(path, size, onBytes);
  } catch (err) {
    await copying;
    drop();
    throw err;
  }
  await copying;
  try {
    if (copyError !== undefined) throw copyError;
    const after = Deno.statSync(path);
    if (
      after.ino !== before.ino || after.size !== before.size ||
      after.mtime?.getTime() !== before.mtime?.getTime()
    ) md5 = md5File(tmp);
    const dir = `${store.root}/${md5.slice(0, 2)}`;
    const rest = md5.slice(2);
    const names = namesIn(dir, store.groupShared);
    if (names.has(rest) && trusted(`${dir}/${rest}`)) {
      drop();
      return { md5, stored: false };
    }
    Deno.chmodSync(tmp, 0o444);
    intoDir(dir, store.groupShared, () => Deno.renameSync(tmp, `${dir}/${rest}`));
    namesIn(dir, store.groupShared).add(rest);
    return { md5, stored: true };
  } catch (err) {
    drop();
    throw fsError(err, "adding to the cache", path);
  }
}

/**
 * A small file whose size the walk just saw: open + one read + close
 * (readFileSync adds an fstat, an lseek and a read to find EOF: 3 of the 12
 * syscalls per file of an add). A short read of a regular file is its end;
 * a file that grew since the walk is read again whole. Either way the bytes
 * returned are what the file held, and they name the object.
 */
function readKnownSize(path: string, size: number): Uint8Array {
  const f = Deno.openSync(path, { read: true });
  let n = 0;
  const buf = new Uint8Array(size + 1);
  try {
    for (;;) {
      const want = buf.length - n;
      const r = f.readSync(buf.subarray(n));
      if (r === null || r === 0) break;
      n += r;
      if (r < want || n === buf.length) break;
    }
  } finally {
    f.close();
  }
  return n <= size ? buf.subarray(0, n) : Deno.readFileSync(path);
}

/** The native path's view of this module's fan-out bookkeeping. */
function hooksFor(store: StoreSpec): NativeStoreHooks {
  return {
    present: (dir, rest) => namesIn(dir, store.groupShared).has(rest) && trusted(`${dir}/${rest}`),
    stored: (dir, rest) => namesIn(dir, store.groupShared).add(rest),
    tempFor: tempPathFor,
    plainOpenIsReadOnly,
  };
}
let hooks: { store: StoreSpec; hooks: NativeStoreHooks } | undefined;

export function hashAndStore(
  path: string,
  size: number,
  store: StoreSpec | undefined,
  onBytes?: (n: number) => void,
): { md5: string; stored: boolean } {
  if (!store) return { md5: md5File(path, { size, onBytes }), stored: false };
  if (size <= WHOLE_READ_LIMIT) {
    if (hooks?.store !== store) hooks = { store, hooks: hooksFor(store) };
    const r = nativeStore(path, size, store.root, hooks.hooks);
    if (r) return r;
  }
  let data: Uint8Array | undefined;
  let md5: string;
  if (size <= WHOLE_READ_LIMIT) {
    try {
      data = readKnownSize(path, size);
    } catch (err) {
      throw fsError(err, "hashing", path);
    }
    md5 = md5Bytes(data);
  } else {
    md5 = md5File(path, { size, onBytes });
  }
  const dir = `${store.root}/${md5.slice(0, 2)}`;
  const rest = md5.slice(2);
  const obj = `${dir}/${rest}`;
  const names = namesIn(dir, store.groupShared);
  if (names.has(rest) && trusted(obj)) return { md5, stored: false };
  intoDir(dir, store.groupShared, () => writeObject(obj, data, path));
  namesIn(dir, store.groupShared).add(rest);
  return { md5, stored: true };
}
