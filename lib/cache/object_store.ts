/**
 * The content-addressed object store (spec §6.1): DVC 3 objects under
 * `files/md5/<h[0:2]>/<h[2:]>`, legacy DVC 2 (md5-dos2unix) objects under
 * `<h[0:2]>/<h[2:]>`. Objects appear only by rename of a complete temp file,
 * are read-only (0444), and a corrupt object is removed, never used.
 */
import { tempPathFor } from "../fs/atomic_write.ts";
import { CairnError, fsError, ignoreNotFound } from "../errors.ts";
import { noteRemovedCorrupt } from "./corrupt.ts";
import {
  buildDirObject,
  type DirEntry,
  DirListingError,
  type DirObject,
  parseListing,
} from "../hash/dir_listing.ts";
import { md5Bytes, md5BytesDos2Unix, md5File, md5FileDos2Unix } from "../hash/md5.ts";
import { RACY_WINDOW_MS, type StateIndex } from "../hash/state.ts";
import type { SharedMode } from "./types.ts";

/** Mode of every stored object; DVC trusts an object with exactly this mode. */
export const OBJECT_MODE = 0o444;

export interface NamespaceOptions {
  /** the DVC 2.x namespace (entries without `hash: md5`) */
  legacy?: boolean;
}

export interface AddOptions extends NamespaceOptions {
  /** hardlink the source into the cache instead of copying (cache.type starting with hardlink) */
  hardlink?: boolean;
  /** the file's bytes if already in memory (saves a second read) */
  data?: Uint8Array;
}

export interface AddResult {
  /** false if the object was already present */
  added: boolean;
  path: string;
}

export type VerifyStatus = "ok" | "missing" | "corrupt";

export interface VerifyOptions extends NamespaceOptions {
  /** re-hash even objects whose 0444 mode DVC would trust */
  strict?: boolean;
}

export interface StoredObject {
  /** md5, with ".dir" for directory listings */
  md5: string;
  legacy: boolean;
  path: string;
}

/** A `.dir` object whose content does not hash to its name (it has been removed). */
export class CorruptObjectError extends CairnError {
  readonly md5: string;
  constructor(md5: string, path: string) {
    super(`cache object '${path}' is corrupted (content does not match ${md5}); removed it`);
    this.md5 = md5;
  }
}

export class MissingObjectError extends CairnError {
  readonly md5: string;
  constructor(md5: string) {
    super(`'${md5}' is not in the cache`);
    this.md5 = md5;
  }
}

/**
 * True for what `readDirObject` throws when a listing cannot be used: not in
 * the cache, corrupted (and removed), or not a listing at all.
 */
export function isUnusableListing(err: unknown): boolean {
  return err instanceof MissingObjectError || err instanceof CorruptObjectError ||
    err instanceof DirListingError;
}

const HEX32 = /^[0-9a-f]{32}(\.dir)?$/;

/** Largest `.dir` listing read (V8's longest string is ~536M characters). */
export const MAX_LISTING_BYTES = 512 << 20;

export interface ObjectStoreOptions {
  shared?: SharedMode;
}

export class ObjectStore {
  /** the cache root (`cache.dir`) = the legacy namespace root */
  readonly cacheDir: string;
  /** DVC 3 namespace root */
  readonly filesDir: string;
  readonly shared?: SharedMode;
  #madeDirs = new Set<string>();

  constructor(cacheDir: string, opts: ObjectStoreOptions = {}) {
    this.cacheDir = cacheDir.endsWith("/") ? cacheDir.slice(0, -1) : cacheDir;
    this.filesDir = `${this.cacheDir}/files/md5`;
    this.shared = opts.shared;
  }

  /** Path of an object (whether or not it exists). */
  pathFor(md5: string, opts: NamespaceOptions = {}): string {
    if (!HEX32.test(md5)) throw new CairnError(`invalid md5 '${md5}'`);
    const root = opts.legacy ? this.cacheDir : this.filesDir;
    return `${root}/${md5.slice(0, 2)}/${md5.slice(2)}`;
  }

  /** Present in the cache (existence only, as DVC's cache check). */
  has(md5: string, opts: NamespaceOptions = {}): boolean {
    try {
      return Deno.statSync(this.pathFor(md5, opts)).isFile;
    } catch (err) {
      ignoreNotFound(err);
      return false;
    }
  }

  /**
   * Presence of many objects. Past a few hundred, the fan-out directories are
   * listed (at most 256 listings) instead of one stat per object: a stat that
   * misses throws, which is slow in Deno.
   */
  hasMany(md5s: readonly string[], opts: NamespaceOptions = {}): boolean[] {
    if (md5s.length < 256) return md5s.map((m) => this.has(m, opts));
    const root = opts.legacy ? this.cacheDir : this.filesDir;
    const listed = new Map<string, Set<string>>();
    return md5s.map((m) => {
      if (!HEX32.test(m)) return false;
      const pre = m.slice(0, 2);
      let names = listed.get(pre);
      if (!names) {
        names = new Set();
        try {
          for (const e of Deno.readDirSync(`${root}/${pre}`)) {
            if (e.isFile) names.add(e.name);
          }
        } catch (err) {
          ignoreNotFound(err); // no such fan-out dir
        }
        listed.set(pre, names);
      }
      return names.has(m.slice(2));
    });
  }

  /**
   * Is `.dir` object `md5` present with every object it lists? Checked
   * with one listing per fan-out dir; with a state index the answer is
   * remembered under a digest of the fan-out dirs' stamps (and the `.dir`
   * object's), so while no object is added or removed anywhere, the next
   * check is ~257 stats instead of reading 100k names. A missing or
   * corrupt `.dir` is false (a corrupt one is removed, see readDirObject).
   */
  hasAllObjects(md5: string, opts: NamespaceOptions & { state?: StateIndex } = {}): boolean {
    const state = opts.state;
    const startedAt = Date.now();
    const stamps = state ? this.#fanoutStamps(md5, opts) : undefined;
    const key = `objects:${this.pathFor(md5, opts)}`;
    if (stamps && state!.lookupDir(key, stamps.digest)?.md5 === md5) return true;
    let entries: DirEntry[];
    try {
      entries = this.readDirObject(md5, opts);
    } catch (err) {
      if (err instanceof MissingObjectError || err instanceof CorruptObjectError) return false;
      throw err;
    }
    const ok = this.hasMany(entries.map((e) => e.md5), opts).every(Boolean);
    // A removal in the same clock tick as a recorded mtime would keep it: racy window.
    if (ok && stamps && stamps.newest < startedAt - RACY_WINDOW_MS) {
      state!.saveDir(key, stamps.digest, { md5, size: 0, nfiles: entries.length });
    }
    return ok;
  }

  /** Digest of the namespace's fan-out dirs (name, inode, mtime) and the `.dir` object's stamp. */
  #fanoutStamps(
    md5: string,
    opts: NamespaceOptions,
  ): { digest: string; newest: number } | undefined {
    const root = opts.legacy ? this.cacheDir : this.filesDir;
    const parts: string[] = [];
    let newest = 0;
    try {
      const obj = Deno.statSync(this.pathFor(md5, opts));
      parts.push(`${obj.ino}:${obj.mtime?.getTime()}:${obj.size}:${obj.mode}`);
      const names: string[] = [];
      for (const e of Deno.readDirSync(root)) {
        if (e.isDirectory && /^[0-9a-f]{2}$/.test(e.name)) names.push(e.name);
      }
      names.sort();
      for (const name of names) {
        const st = Deno.statSync(`${root}/${name}`);
        const m = st.mtime?.getTime() ?? 0;
        if (m > newest) newest = m;
        parts.push(`${name}:${st.ino}:${m}`);
      }
    } catch {
      return undefined; // missing .dir or racing with gc: do the full check
    }
    return { digest: md5Bytes(parts.join("\n")), newest };
  }

  /**
   * Store the content of `srcPath` as object `md5` (the caller's hash; it is
   * not re-checked). Temp file + rename: no partial object is ever visible,
   * and on any failure (ENOSPC, EACCES...) nothing is left behind.
   */
  addFile(srcPath: string, md5: string, opts: AddOptions = {}): AddResult {
    const path = this.pathFor(md5, opts);
    if (this.#present(path, md5, opts)) return { added: false, path };
    this.#ensureDir(path.slice(0, path.lastIndexOf("/")));
    const tmp = tempPathFor(path);
    try {
      if (opts.data) {
        this.#writeNew(tmp, opts.data);
      } else if (opts.hardlink) {
        try {
          Deno.linkSync(srcPath, tmp);
        } catch {
          Deno.copyFileSync(srcPath, tmp); // cross-device or not permitted: copy
        }
      } else {
        Deno.copyFileSync(srcPath, tmp);
      }
      Deno.chmodSync(tmp, OBJECT_MODE);
      Deno.renameSync(tmp, path);
    } catch (err) {
      try {
        Deno.removeSync(tmp);
      } catch { /* not created */ }
      throw fsError(err, "adding to the cache", srcPath);
    }
    return { added: true, path };
  }

  /** Store bytes as an object (md5 computed if not given). */
  addBytes(data: Uint8Array, md5?: string, opts: NamespaceOptions = {}): AddResult {
    return this.addFile("<memory>", md5 ?? md5Bytes(data), { ...opts, data });
  }

  /** Store a directory listing as its `.dir` object. */
  addDirObject(
    listing: DirEntry[] | DirObject,
    opts: NamespaceOptions = {},
  ): AddResult & { md5: string } {
    const obj = Array.isArray(listing) ? buildDirObject(listing) : listing;
    return { ...this.addBytes(obj.bytes, obj.md5, opts), md5: obj.md5 };
  }

  /**
   * Read a `.dir` object. Its bytes are checked against its name (they are
   * small and everything under them depends on them); a corrupt one is
   * removed and reported.
   */
  readDirObject(md5: string, opts: NamespaceOptions = {}): DirEntry[] {
    const path = this.pathFor(md5, opts);
    let bytes: Uint8Array;
    try {
      // read only a regular file (as verify() counts one): a FIFO there would block the read
      const st = Deno.statSync(path);
      if (!st.isFile) throw new MissingObjectError(md5);
      // one JS string holds the text: a bigger file is refused before it is read whole
      if (st.size > MAX_LISTING_BYTES) {
        throw new DirListingError(
          `cache object '${path}' is a listing of ${st.size} bytes: over ${
            MAX_LISTING_BYTES >> 20
          } MiB (about 5M files) is more than cairn can read`,
        );
      }
      bytes = Deno.readFileSync(path);
    } catch (err) {
      if (err instanceof MissingObjectError || err instanceof DirListingError) throw err;
      if (err instanceof Deno.errors.NotFound) throw new MissingObjectError(md5);
      throw fsError(err, "reading", path);
    }
    const want = md5.replace(/\.dir$/, "");
    const got = opts.legacy ? md5BytesDos2Unix(bytes) : md5Bytes(bytes);
    if (got !== want && md5Bytes(bytes) !== want) {
      this.#removePath(path);
      noteRemovedCorrupt(path);
      throw new CorruptObjectError(md5, path);
    }
    return parseListing(bytes, `cache object '${path}'`);
  }

  /**
   * Check an object. Like DVC, an object with mode 0444 is trusted unless
   * `strict`; otherwise its content is hashed and, if it does not match its
   * name, the object is removed and "corrupt" returned.
   */
  verify(md5: string, opts: VerifyOptions = {}): VerifyStatus {
    const path = this.pathFor(md5, opts);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (err) {
      ignoreNotFound(err);
      return "missing";
    }
    if (!info.isFile) return "missing";
    if (!opts.strict && (info.mode! & 0o777) === OBJECT_MODE) return "ok";
    const want = md5.replace(/\.dir$/, "");
    let got: string;
    try {
      got = opts.legacy ? md5FileDos2Unix(path) : md5File(path);
      // Legacy .dir objects were hashed as text; plain md5 also accepted.
      if (got !== want && opts.legacy) got = md5File(path);
    } catch (err) {
      ignoreNotFound(err); // removed meanwhile
      return "missing";
    }
    if (got !== want) {
      this.#removePath(path);
      noteRemovedCorrupt(path);
      return "corrupt";
    }
    // Restore the trusted mode (e.g. after a copy that lost it).
    try {
      Deno.chmodSync(path, OBJECT_MODE);
    } catch { /* read-only cache: fine */ }
    return "ok";
  }

  /** Every object of both namespaces (or one, with `legacy` given). */
  *list(opts: { legacy?: boolean } = {}): Generator<StoredObject> {
    const spaces = opts.legacy === undefined ? [false, true] : [opts.legacy];
    for (const legacy of spaces) {
      const root = legacy ? this.cacheDir : this.filesDir;
      let prefixes: Deno.DirEntry[];
      try {
        prefixes = [...Deno.readDirSync(root)];
      } catch (err) {
        ignoreNotFound(err);
        continue;
      }
      for (const p of prefixes) {
        // Only `xx/rest` counts: this hides files/, runs/, tmp files (DVC's rule).
        if (!p.isDirectory || !/^[0-9a-f]{2}$/.test(p.name)) continue;
        for (const e of Deno.readDirSync(`${root}/${p.name}`)) {
          const md5 = p.name + e.name;
          if (!e.isFile || !HEX32.test(md5)) continue;
          yield { md5, legacy, path: `${root}/${p.name}/${e.name}` };
        }
      }
    }
  }

  /** Remove an object; true if it existed. */
  remove(md5: string, opts: NamespaceOptions = {}): boolean {
    return this.#removePath(this.pathFor(md5, opts));
  }

  /** Existing object at `path`: trusted if 0444, else verified (corrupt -> removed). */
  #present(path: string, md5: string, opts: NamespaceOptions): boolean {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (err) {
      ignoreNotFound(err);
      return false;
    }
    if ((info.mode! & 0o777) === OBJECT_MODE) return true;
    return this.verify(md5, { ...opts, strict: true }) === "ok";
  }

  #removePath(path: string): boolean {
    // A folder inside the cache that is a symlink (planted by a clone) leads
    // elsewhere: never delete through it.
    if (this.#throughSymlink(path)) return false;
    try {
      Deno.removeSync(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw fsError(err, "removing", path);
    }
  }

  #throughSymlink(path: string): boolean {
    if (!path.startsWith(this.cacheDir + "/")) return false;
    let p = this.cacheDir;
    for (const part of path.slice(this.cacheDir.length + 1).split("/").slice(0, -1)) {
      p = `${p}/${part}`;
      try {
        if (Deno.lstatSync(p).isSymlink) return true;
      } catch (err) {
        ignoreNotFound(err);
        return false;
      }
    }
    return false;
  }

  #writeNew(tmp: string, data: Uint8Array): void {
    const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      let off = 0;
      while (off < data.length) off += f.writeSync(data.subarray(off));
    } finally {
      f.close();
    }
  }

  #ensureDir(dir: string): void {
    if (this.#madeDirs.has(dir)) return;
    try {
      Deno.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw fsError(err, "creating", dir);
    }
    if (this.shared === "group") {
      // 02775 at every level we own (mkdir's mode is cut by the umask).
      for (
        let d = dir;
        d.length > this.cacheDir.length && d.startsWith(this.cacheDir);
        d = d.slice(0, d.lastIndexOf("/"))
      ) {
        try {
          Deno.chmodSync(d, 0o2775);
        } catch { /* not ours */ }
      }
    }
    this.#madeDirs.add(dir);
  }
}
