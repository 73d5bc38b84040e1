/**
 * The state index (spec §9, cairn's own file): absolute path -> md5, valid
 * while the file's (inode, mtime, size) are unchanged, so an unchanged file
 * is never read twice. SQLite in WAL mode with a busy timeout, so several
 * cairn processes can share it; being only a cache, it is silently rebuilt
 * when deleted or corrupt, and degrades to a no-op if it cannot be opened.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { FileStamp } from "../fs/walk.ts";

/** Where cairn keeps it (never DVC's files). */
export const STATE_DB_NAME = "cairn-state.db";
export function stateDbPath(dvcDir: string): string {
  return `${dvcDir}/tmp/${STATE_DB_NAME}`;
}

const SCHEMA_VERSION = "1";

/**
 * A file whose mtime is this close to the moment it was hashed is not
 * recorded: a second write within the same timestamp tick (kernel coarse
 * clock, ms resolution in Deno) would keep the same stamp with other content.
 */
export const RACY_WINDOW_MS = 20;

/** Above this many paths a lookup scans the common directory's key range at once. */
const RANGE_LOOKUP_MIN = 64;

export interface StateEntry {
  path: string;
  stamp: FileStamp;
  md5: string;
}

/** A directory's hash, valid while its tree digest (see hash_path.ts) is unchanged. */
export interface DirRecord {
  md5: string;
  size: number;
  nfiles: number;
}

export interface SaveOptions {
  /**
   * Wall-clock ms when hashing began (or now, for files just written).
   * Entries modified less than RACY_WINDOW_MS before it are skipped; omit
   * only when the stamps are known to be old.
   */
  hashedAt?: number;
}

export class StateIndex {
  readonly path: string;
  #db: DatabaseSync | undefined;
  #get!: StatementSync;
  #range!: StatementSync;
  #any!: StatementSync;
  #put!: StatementSync;
  #del!: StatementSync;
  #getDir!: StatementSync;
  #putDir!: StatementSync;

  private constructor(path: string) {
    this.path = path;
  }

  /** Open (creating or rebuilding as needed) the index at `path`. */
  static open(path: string): StateIndex {
    const s = new StateIndex(path);
    try {
      s.#connect();
    } catch {
      s.#rebuild();
    }
    return s;
  }

  /** The index of a repository whose `.dvc` directory is `dvcDir`. */
  static forRepo(dvcDir: string): StateIndex {
    return StateIndex.open(stateDbPath(dvcDir));
  }

  /** false once the index could not be opened or rebuilt (lookups then miss). */
  get usable(): boolean {
    return this.#db !== undefined;
  }

  #connect(): void {
    const dir = this.path.slice(0, this.path.lastIndexOf("/"));
    if (dir) Deno.mkdirSync(dir, { recursive: true });
    const db = new DatabaseSync(this.path);
    try {
      db.exec("PRAGMA busy_timeout = 10000");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
      );
      const v = db.prepare("SELECT value FROM meta WHERE key = 'version'")
        .get() as { value: string } | undefined;
      if (v && v.value !== SCHEMA_VERSION) db.exec("DROP TABLE IF EXISTS hashes");
      db.exec(
        "CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, ino INTEGER NOT NULL, mtime INTEGER NOT NULL, size INTEGER NOT NULL, md5 TEXT NOT NULL) WITHOUT ROWID",
      );
      if (!v || v.value !== SCHEMA_VERSION) {
        db.prepare("INSERT OR REPLACE INTO meta VALUES ('version', ?)").run(
          SCHEMA_VERSION,
        );
      }
      this.#get = db.prepare(
        "SELECT ino, mtime, size, md5 FROM hashes WHERE path = ?",
      );
      returnArrays(this.#get);
      this.#range = db.prepare(
        "SELECT path, ino, mtime, size, md5 FROM hashes WHERE path >= ? AND path < ?",
      );
      returnArrays(this.#range);
      this.#any = db.prepare("SELECT 1 FROM hashes WHERE path >= ? AND path < ? LIMIT 1");
      this.#put = db.prepare(
        "INSERT OR REPLACE INTO hashes (path, ino, mtime, size, md5) VALUES (?, ?, ?, ?, ?)",
      );
      this.#del = db.prepare("DELETE FROM hashes WHERE path = ?");
      // Added later without a version bump: older files just gain the table.
      db.exec(
        "CREATE TABLE IF NOT EXISTS dirs (path TEXT PRIMARY KEY, digest TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL, nfiles INTEGER NOT NULL) WITHOUT ROWID",
      );
      this.#getDir = db.prepare("SELECT digest, md5, size, nfiles FROM dirs WHERE path = ?");
      returnArrays(this.#getDir);
      this.#putDir = db.prepare(
        "INSERT OR REPLACE INTO dirs (path, digest, md5, size, nfiles) VALUES (?, ?, ?, ?, ?)",
      );
      // Outputs cairn wrote into the workspace (DVC's state "links"): what a
      // later checkout may remove once no stage tracks them any more.
      db.exec(
        "CREATE TABLE IF NOT EXISTS links (path TEXT PRIMARY KEY, sig TEXT NOT NULL) WITHOUT ROWID",
      );
    } catch (err) {
      try {
        db.close();
      } catch { /* already broken */ }
      throw err;
    }
    this.#db = db;
  }

  /** Drop the files and start empty; on failure the index becomes a no-op. */
  #rebuild(): void {
    try {
      this.#db?.close();
    } catch { /* corrupt handle */ }
    this.#db = undefined;
    for (const suffix of ["", "-wal", "-shm", "-journal"]) {
      try {
        Deno.removeSync(this.path + suffix);
      } catch { /* absent, or a read-only repo: connecting fails and the index is off */ }
    }
    try {
      this.#connect();
    } catch {
      this.#db = undefined;
    }
  }

  /** Run `fn`; on a database error rebuild once and return `fallback`. */
  #guard<T>(fn: (db: DatabaseSync) => T, fallback: T): T {
    if (!this.#db) return fallback;
    try {
      return fn(this.#db);
    } catch (err) {
      if (isBusy(err)) return fallback; // another process holds it too long: skip caching
      this.#rebuild();
      return fallback;
    }
  }

  /** md5 recorded for `path` if its stamp still matches. */
  lookup(path: string, stamp: FileStamp): string | undefined {
    return this.#guard(() => {
      const row = this.#get.get(path) as unknown as
        | [number, number, number, string]
        | undefined;
      if (!row) return undefined;
      return row[0] === stamp.ino && row[1] === stamp.mtimeMs &&
          row[2] === stamp.size
        ? row[3]
        : undefined;
    }, undefined);
  }

  /**
   * Whether any file under directory `dir` (absolute) is recorded: when not
   * (a first add), a caller can skip making the paths of a big batch lookup.
   */
  hasAnyUnder(dir: string): boolean {
    const below = dir.endsWith("/") ? dir.slice(0, -1) : dir; // "/" too
    return this.#guard(() => this.#any.get(below + "/", below + "0") !== undefined, true);
  }

  /** Batch lookup; result[i] belongs to paths[i]. */
  lookupMany(
    paths: readonly string[],
    stamps: readonly FileStamp[],
  ): (string | undefined)[] {
    const out = new Array<string | undefined>(paths.length);
    if (paths.length === 0) return out;
    return this.#guard((db) => {
      const prefix = commonDirPrefix(paths);
      if (paths.length >= RANGE_LOOKUP_MIN && prefix !== "") {
        // One range scan over the common directory beats N point queries.
        // "/" + 1 = "0", so [prefix/, prefix0) is exactly the subtree. Rows
        // are streamed (at 1M files, all of them at once held ~200 MB) and
        // found through a map of the paths asked, made at the first row (a
        // first add has none).
        let where: Map<string, number> | undefined;
        const rows = this.#range.iterate(prefix + "/", prefix + "0") as unknown as Iterable<
          [string, number, number, number, string]
        >;
        for (const r of rows) {
          where ??= indexOfPaths(paths);
          const i = where.get(r[0]);
          if (i === undefined) continue;
          const s = stamps[i];
          if (r[1] === s.ino && r[2] === s.mtimeMs && r[3] === s.size) out[i] = r[4];
        }
        if (where && where.size < paths.length) {
          // a path asked twice (never from a walk): its later copies one by one
          for (let i = 0; i < paths.length; i++) {
            if (where.get(paths[i]) !== i) out[i] = this.lookup(paths[i], stamps[i]);
          }
        }
        return out;
      }
      db.exec("BEGIN");
      try {
        for (let i = 0; i < paths.length; i++) {
          const row = this.#get.get(paths[i]) as unknown as
            | [number, number, number, string]
            | undefined;
          const s = stamps[i];
          if (
            row && row[0] === s.ino && row[1] === s.mtimeMs && row[2] === s.size
          ) out[i] = row[3];
        }
      } finally {
        db.exec("COMMIT");
      }
      return out;
    }, out);
  }

  /** Record one hash. */
  save(path: string, stamp: FileStamp, md5: string, opts: SaveOptions = {}) {
    this.saveMany([{ path, stamp, md5 }], opts);
  }

  /** Record many hashes in one transaction. Returns how many were stored. */
  saveMany(entries: Iterable<StateEntry>, opts: SaveOptions = {}): number {
    const limit = opts.hashedAt !== undefined ? opts.hashedAt - RACY_WINDOW_MS : Infinity;
    return this.#guard((db) => {
      let n = 0;
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const e of entries) {
          if (e.md5.endsWith(".dir") || !(e.stamp.mtimeMs < limit)) continue;
          this.#put.run(e.path, e.stamp.ino, e.stamp.mtimeMs, e.stamp.size, e.md5);
          n++;
        }
        db.exec("COMMIT");
      } catch (err) {
        try {
          db.exec("ROLLBACK");
        } catch { /* no transaction */ }
        throw err;
      }
      return n;
    }, 0);
  }

  /** Hash of directory `path` if recorded with the same tree digest. */
  lookupDir(path: string, digest: string): DirRecord | undefined {
    return this.#guard(() => {
      const row = this.#getDir.get(path) as unknown as
        | [string, string, number, number]
        | undefined;
      if (!row || row[0] !== digest) return undefined;
      return { md5: row[1], size: row[2], nfiles: row[3] };
    }, undefined);
  }

  /**
   * Record a directory's hash under its tree digest. The caller checks the
   * racy window (no file of the tree modified within it).
   */
  saveDir(path: string, digest: string, rec: DirRecord): void {
    this.#guard(() => {
      this.#putDir.run(path, digest, rec.md5, rec.size, rec.nfiles);
    }, undefined);
  }

  /** Remember that output `path` (repo-relative) was written with signature `sig`. */
  saveLink(path: string, sig: string): void {
    this.#guard((db) => {
      db.prepare("INSERT OR REPLACE INTO links (path, sig) VALUES (?, ?)").run(path, sig);
    }, undefined);
  }

  /** Every remembered output with its signature. */
  links(): { path: string; sig: string }[] {
    return this.#guard((db) => {
      const rows = db.prepare("SELECT path, sig FROM links ORDER BY path").all();
      return rows.map((r) => ({ path: String(r.path), sig: String(r.sig) }));
    }, []);
  }

  /** Forget remembered outputs. */
  removeLinks(paths: Iterable<string>): void {
    this.#guard((db) => {
      const del = db.prepare("DELETE FROM links WHERE path = ?");
      for (const p of paths) del.run(p);
    }, undefined);
  }

  /** Forget paths (e.g. files removed by checkout). */
  remove(paths: Iterable<string>): void {
    this.#guard((db) => {
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const p of paths) this.#del.run(p);
        db.exec("COMMIT");
      } catch (err) {
        try {
          db.exec("ROLLBACK");
        } catch { /* no transaction */ }
        throw err;
      }
    }, undefined);
  }

  close(): void {
    try {
      this.#db?.close();
    } catch { /* ignore */ }
    this.#db = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** path -> index of its first occurrence. */
function indexOfPaths(paths: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < paths.length; i++) if (!m.has(paths[i])) m.set(paths[i], i);
  return m;
}

/** Rows as arrays: 4x faster than objects for 100k-row scans (missing from the typings). */
function returnArrays(stmt: StatementSync): void {
  (stmt as unknown as { setReturnArrays(v: boolean): void }).setReturnArrays(
    true,
  );
}

function isBusy(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /database is locked|SQLITE_BUSY/i.test(msg);
}

/** Longest common directory of absolute paths ("" if none). */
export function commonDirPrefix(paths: readonly string[]): string {
  let prefix = paths[0].slice(0, paths[0].lastIndexOf("/"));
  for (let i = 1; i < paths.length && prefix !== ""; i++) {
    const p = paths[i];
    while (
      prefix !== "" &&
      !(p.startsWith(prefix) && p.charCodeAt(prefix.length) === 0x2f)
    ) {
      prefix = prefix.slice(0, prefix.lastIndexOf("/"));
    }
  }
  return prefix;
}
