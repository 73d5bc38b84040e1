/**
 * Hash a file and, when asked, store it as a cache object in the same pass
 * (small files are stored from the bytes already read). Used by the hashing
 * engine inline and in Workers, so `add` reads each new file only once.
 */
import { tempPathFor, writeFileAtomic } from "../fs/atomic_write.ts";
import { md5Bytes, md5File, WHOLE_READ_LIMIT } from "./md5.ts";

export interface StoreSpec {
  /** object root using the `xx/rest` fan-out (the cache's `files/md5`) */
  root: string;
  /** cache.shared=group: fan-out dirs 02775 */
  groupShared?: boolean;
}

const madeDirs = new Set<string>();

function ensureDir(dir: string, groupShared?: boolean): void {
  if (madeDirs.has(dir)) return;
  Deno.mkdirSync(dir, { recursive: true });
  if (groupShared) {
    try {
      Deno.chmodSync(dir, 0o2775);
    } catch { /* not ours */ }
  }
  madeDirs.add(dir);
}

/** true if a trusted (0444) object is already there. */
function objectPresent(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && (st.mode! & 0o777) === 0o444;
  } catch {
    return false;
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
  const obj = `${dir}/${md5.slice(2)}`;
  if (objectPresent(obj)) return { md5, stored: false };
  ensureDir(dir, store.groupShared);
  if (data) {
    writeFileAtomic(obj, data, { mode: 0o444, fsync: false });
  } else {
    const tmp = tempPathFor(obj);
    try {
      Deno.copyFileSync(path, tmp);
      Deno.chmodSync(tmp, 0o444);
      Deno.renameSync(tmp, obj);
    } catch (err) {
      try {
        Deno.removeSync(tmp);
      } catch { /* not created */ }
      throw err;
    }
  }
  return { md5, stored: true };
}
