/**
 * Hash a file and, when asked, store it as a cache object in the same pass
 * (small files are stored from the bytes already read). Used by the hashing
 * engine inline and in Workers, so `add` reads each new file only once.
 */
import { fsError } from "../errors.ts";
import { tempPathFor } from "../fs/atomic_write.ts";
import { md5Bytes, md5File, WHOLE_READ_LIMIT } from "./md5.ts";

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

/** The umask would strip bits from 0444 (then chmod after creating). */
let umaskCuts: boolean | undefined;
function needChmod(): boolean {
  if (umaskCuts === undefined) {
    try {
      umaskCuts = (Deno.umask() & 0o444) !== 0;
    } catch {
      umaskCuts = true;
    }
  }
  return umaskCuts;
}

/** An object already there and trusted (mode 0444, as DVC trusts it). */
function trusted(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode! & 0o777) === 0o444;
  } catch {
    return false;
  }
}

function writeObject(obj: string, data: Uint8Array | undefined, src: string) {
  const tmp = tempPathFor(obj);
  try {
    if (data) {
      const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o444 });
      try {
        let off = 0;
        while (off < data.length) off += f.writeSync(data.subarray(off));
      } finally {
        f.close();
      }
      if (needChmod()) Deno.chmodSync(tmp, 0o444);
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

export function hashAndStore(
  path: string,
  size: number,
  store: StoreSpec | undefined,
  onBytes?: (n: number) => void,
): { md5: string; stored: boolean } {
  if (!store) return { md5: md5File(path, { size, onBytes }), stored: false };
  let data: Uint8Array | undefined;
  let md5: string;
  if (size <= WHOLE_READ_LIMIT) {
    data = Deno.readFileSync(path);
    md5 = md5Bytes(data);
  } else {
    md5 = md5File(path, { size, onBytes });
  }
  const dir = `${store.root}/${md5.slice(0, 2)}`;
  const rest = md5.slice(2);
  const obj = `${dir}/${rest}`;
  const names = namesIn(dir, store.groupShared);
  if (names.has(rest) && trusted(obj)) return { md5, stored: false };
  writeObject(obj, data, path);
  names.add(rest);
  return { md5, stored: true };
}
