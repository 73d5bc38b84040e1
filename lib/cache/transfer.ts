/**
 * The transfer engine between the local cache and a remote (spec §7):
 * ask the destination what it has (per-object checks or a listing, whichever
 * DVC's estimate says is cheaper), move only what is missing, several batches
 * in flight, retry transient failures with backoff, verify the md5 of every
 * download before it enters the cache, land objects atomically (temp +
 * rename; the plugins do the same on their side), and push a `.dir` object
 * last and only if every file in it is on the remote. Never prints: progress
 * goes to a callback, outcomes come back as data.
 */
import { ignoreNotFound, InterruptedError } from "../errors.ts";
import { tempPathFor } from "../fs/atomic_write.ts";
import { md5Bytes, md5File, md5FileDos2Unix, WHOLE_READ_LIMIT } from "../hash/md5.ts";
import { type DirEntry, DirListingError, parseListing } from "../hash/dir_listing.ts";
import {
  CorruptObjectError,
  MAX_LISTING_BYTES,
  MissingObjectError,
  OBJECT_MODE,
  ObjectStore,
} from "./object_store.ts";
import type { Remote } from "../plugin/remote.ts";
import { nativeLand, nativeLandUsable, releaseNativeLand } from "./_native_land.ts";
import { VerifyPool } from "./verify_pool.ts";
import { span, spanAsync } from "../trace.ts";
import type { ItemResult, WireError } from "../plugin/remote_api.ts";
import { lstatOrNull } from "../fs/stat_or_null.ts";
import { readFullSync } from "../fs/read_full.ts";

/** An object to move: md5 (with `.dir` for directory listings) and its namespace. */
export interface TransferObject {
  md5: string;
  /** DVC 2.x namespace (`<h[0:2]>/<h[2:]>` at the root) instead of `files/md5/`. */
  legacy?: boolean;
}

export interface TransferProgress {
  phase: "query" | "transfer";
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  /** known for pushes (local sizes); undefined for fetches until every size is known. */
  bytesTotal?: number;
  failed: number;
}

export interface TransferOptions {
  /** batches in flight (default: remote config `jobs`, else 4 x cores, as DVC). */
  jobs?: number;
  /** further attempts after a transient failure (default 4). */
  retries?: number;
  /** first retry delay; doubles each time (default 250 ms), with jitter. */
  backoffMs?: number;
  onProgress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
  /**
   * Trust a `.dir` object on the remote to mean all its files are there (it is
   * pushed only after them). Default true; false checks every file.
   */
  trustRemoteDirs?: boolean;
  /**
   * fetch: called with every `.dir` listing before any file it lists is
   * downloaded. Throwing stops the fetch; a `.dir` this call downloaded is
   * removed again, so a refused remote listing leaves the cache as it was.
   */
  checkListing?: (dir: TransferObject, entries: DirEntry[]) => void;
}

export interface FailedObject extends TransferObject {
  error: string;
  /** the plugin's error (code, flags) */
  wire: WireError;
}

/** An object whose bytes did not match its md5 (lib/cache/corrupt.ts says it to the user). */
export interface CorruptTransferObject extends TransferObject {
  /** `cache`: the local copy, removed; `remote`: the remote's copy, download discarded. */
  source: "cache" | "remote";
  /** cache path or remote key. */
  location: string;
}

export interface TransferResult {
  /** objects moved by this call */
  transferred: TransferObject[];
  /** objects the destination already had */
  present: TransferObject[];
  /** objects the source does not have (nor, for fetch, the remote) */
  missing: TransferObject[];
  /** objects that could not be moved (after retries) */
  failed: FailedObject[];
  /** `.dir` objects not pushed because a file of theirs is missing or failed */
  skippedDirs: TransferObject[];
  /**
   * objects found corrupted: push never uploads a corrupted local object (it
   * is removed, and not in `missing`); fetch discards a corrupted download
   * (also in `failed`) and replaces a corrupted local copy.
   */
  corrupt: CorruptTransferObject[];
  /** bytes moved */
  bytes: number;
}

const HEX_KEY = /^[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/;
const BATCH_FILES = 64;
const BATCH_BYTES = 16 << 20;
/** transfers of at least this many objects start further plugin instances (a Worker start each). */
const WIDEN_MIN_ITEMS = 2000;

/** The object's key on a remote (same layout as the cache). */
export function remoteKey(obj: TransferObject): string {
  const rel = `${obj.md5.slice(0, 2)}/${obj.md5.slice(2)}`;
  return obj.legacy ? rel : `files/md5/${rel}`;
}

/** The object a remote key names, or null for anything else (runs/, temp files ...). */
export function keyObject(key: string): TransferObject | null {
  if (key.startsWith("files/md5/")) {
    const rel = key.slice(10);
    return HEX_KEY.test(rel) ? { md5: rel.replace("/", ""), legacy: false } : null;
  }
  return HEX_KEY.test(key) ? { md5: key.replace("/", ""), legacy: true } : null;
}

/** A Work's remote key (push leaves it unset until needed). */
function keyOf(w: Work): string {
  return w.key || remoteKey(w.obj);
}

function id(obj: TransferObject): string {
  return obj.legacy ? `L${obj.md5}` : obj.md5;
}

function isDir(obj: TransferObject): boolean {
  return obj.md5.endsWith(".dir");
}

/** DVC's default: 4 jobs per core. */
export function defaultJobs(remote?: Remote): number {
  const configured = Number(remote?.config.jobs);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return 4 * (navigator.hardwareConcurrency || 1);
}

function dedupe(objs: Iterable<TransferObject>): TransferObject[] {
  const seen = new Map<string, TransferObject>();
  for (const o of objs) {
    const k = id(o);
    // objects already in normal form are kept, not copied (1M-file pushes)
    if (!seen.has(k)) {
      seen.set(k, typeof o.legacy === "boolean" ? o : { md5: o.md5, legacy: !!o.legacy });
    }
  }
  return [...seen.values()];
}

/**
 * Which of `objects` the remote has. Few objects (or a remote that cannot
 * list): per-object `exists` in batches. Many: estimate the remote's size
 * from its `00` prefix, as DVC does (§7.3), and list everything when that
 * costs fewer requests than checking each object.
 */
export async function remoteHas(
  remote: Remote,
  objects: TransferObject[],
  opts: {
    jobs?: number;
    onProgress?: (done: number, total: number) => void;
    /** @internal the caller's objects are distinct already (no copy made). */
    unique?: boolean;
  } = {},
): Promise<Set<string>> {
  const jobs = opts.jobs ?? defaultJobs(remote);
  const objs = opts.unique ? objects : dedupe(objects);
  const found = new Set<string>();
  if (objs.length === 0) return found;
  let viaList = false;
  const listable = remote.info.traverse && objs.length > 1;
  const namespaces = [false, true].filter((l) => objs.some((o) => !!o.legacy === l));
  const listed = new Map<boolean, Set<string>>();
  if (listable) {
    const pageSize = remote.info.listPageSize || 1000;
    for (const legacy of namespaces) {
      const count = objs.filter((o) => !!o.legacy === legacy).length;
      const sample = await withRetry(() => remote.list(legacy ? "00/" : "files/md5/00/"));
      const remoteSize = Math.max(1, sample.length) * 256;
      const pages = remoteSize / pageSize;
      // Listing a big remote costs more per page (DVC's TRAVERSE_WEIGHT_MULTIPLIER).
      const weight = remoteSize > 500_000 ? pages * 5 : pages;
      if (count >= weight) {
        viaList = true;
        const keys = new Set<string>();
        if (pages < 256 / jobs) {
          // Small remote: one (paged) listing beats 255 prefix requests (DVC's rule).
          for (const k of await withRetry(() => remote.list(legacy ? "" : "files/md5/"))) {
            keys.add(k);
          }
          opts.onProgress?.(1, 1);
        } else {
          for (const k of sample) keys.add(k);
          const prefixes = Array.from(
            { length: 255 },
            (_, i) => (i + 1).toString(16).padStart(2, "0"),
          );
          let done = 0;
          await mapLimit(prefixes, jobs, async (p) => {
            const list = await withRetry(() => remote.list(legacy ? `${p}/` : `files/md5/${p}/`));
            for (const k of list) keys.add(k);
            opts.onProgress?.(++done, 255);
          });
        }
        listed.set(legacy, keys);
      }
    }
  }
  const toCheck: TransferObject[] = [];
  for (const o of objs) {
    const keys = listed.get(!!o.legacy);
    if (keys) {
      if (keys.has(remoteKey(o))) found.add(id(o));
    } else toCheck.push(o);
  }
  if (toCheck.length) {
    const chunk = Math.max(16, Math.min(1000, Math.ceil(toCheck.length / jobs)));
    const chunks: TransferObject[][] = [];
    for (let i = 0; i < toCheck.length; i += chunk) chunks.push(toCheck.slice(i, i + chunk));
    let done = 0;
    await mapLimit(chunks, jobs, async (c) => {
      const res = await withRetry(() => remote.exists(c.map(remoteKey)));
      res.forEach((ok, i) => ok && found.add(id(c[i])));
      done += c.length;
      if (!viaList) opts.onProgress?.(done, toCheck.length);
    });
  }
  return found;
}

/** Retry `fn` while it fails with a transient plugin error (queries, listings). */
async function withRetry<T>(fn: () => Promise<T>, retries = 4, backoffMs = 250): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const wire = (err as { wire?: WireError }).wire;
      if (!wire?.transient || attempt >= retries) throw err;
      await new Promise((r) =>
        setTimeout(r, backoffMs * 2 ** attempt * (0.75 + Math.random() / 2))
      );
    }
  }
}

async function mapLimit<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const run = async () => {
    while (next < items.length && failure === undefined) {
      const x = items[next++];
      try {
        await fn(x);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, run));
  if (failure !== undefined) throw failure;
}

interface Work {
  obj: TransferObject;
  /** remote key; "" until known (a push makes it per batch: keyOf) */
  key: string;
  /** local path: source (push; "" = made per batch) or final cache path (fetch) */
  path: string;
  size?: number;
  /** push: the source's mode, from the lstat that found it (spares the host a second one). */
  mode?: number;
  attempts: number;
  tmp?: string;
}

interface PoolHooks {
  /** send one batch; results in order. */
  send(batch: Work[]): Promise<ItemResult[]>;
  /**
   * success of one item: land it (fetch: verify + rename). Throw (or reject)
   * to fail it; a promise: the item completes when it settles.
   */
  done(w: Work, bytes: number, mode?: number, data?: Uint8Array): void | Promise<void>;
  /** the item will not be retried (failed for good / missing); clean up. */
  drop?(w: Work): void;
  /** called as an item leaves the queue: fill in what was left out to save memory (key, path). */
  prepare?(w: Work): void;
}

class Pool {
  readonly result: TransferResult = {
    transferred: [],
    present: [],
    missing: [],
    failed: [],
    skippedDirs: [],
    corrupt: [],
    bytes: 0,
  };
  #progress: TransferProgress;
  #opts: TransferOptions;
  #remote: Remote;
  #partial = new Map<string, number>();
  #fatal: unknown;
  #lastReport = 0;

  constructor(remote: Remote, opts: TransferOptions, filesTotal: number, bytesTotal?: number) {
    this.#remote = remote;
    this.#opts = opts;
    this.#progress = {
      phase: "transfer",
      filesDone: 0,
      filesTotal,
      bytesDone: 0,
      bytesTotal,
      failed: 0,
    };
  }

  get progress(): TransferProgress {
    return this.#progress;
  }

  addTotal(files: number, bytes?: number): void {
    this.#progress.filesTotal += files;
    if (bytes !== undefined && this.#progress.bytesTotal !== undefined) {
      this.#progress.bytesTotal += bytes;
    }
  }

  report(force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastReport < 50) return;
    this.#lastReport = now;
    this.#opts.onProgress?.({ ...this.#progress });
  }

  onBytes(key: string, bytes: number): void {
    this.#partial.set(key, (this.#partial.get(key) ?? 0) + bytes);
    this.#progress.bytesDone += bytes;
    this.report();
  }

  #complete(w: Work, bytes: number): void {
    const key = keyOf(w);
    const partial = this.#partial.get(key) ?? 0;
    this.#partial.delete(key);
    this.#progress.bytesDone += bytes - partial;
    this.#progress.filesDone++;
    this.result.bytes += bytes;
    this.result.transferred.push(w.obj);
  }

  #undoPartial(w: Work): void {
    const key = keyOf(w);
    const partial = this.#partial.get(key) ?? 0;
    this.#partial.delete(key);
    this.#progress.bytesDone -= partial;
  }

  /**
   * Move `items`. The array is consumed: each slot is cleared as its item is
   * sent, so a finished item's Work (paths, keys) can be collected while a
   * 1M-object transfer goes on.
   */
  async run(items: Work[], hooks: PoolHooks): Promise<void> {
    const jobs = Math.max(1, this.#opts.jobs ?? defaultJobs(this.#remote));
    // Many objects: more plugin instances (Workers), one per core, if the plugin allows.
    if (items.length >= WIDEN_MIN_ITEMS) {
      await this.#remote.widen(navigator.hardwareConcurrency || 1);
    }
    const retries = this.#opts.retries ?? 4;
    const backoff = this.#opts.backoffMs ?? 250;
    // A queue with a read index: Array.shift() on 100k items moves the whole array each time.
    const queue = items;
    let head = 0;
    const left = () => queue.length - head;
    let active = 0;
    let waiting = 0;
    const signal = this.#opts.signal;

    const fail = (w: Work, wire: WireError) => {
      hooks.drop?.(w);
      this.#undoPartial(w);
      if (wire.notFound) {
        this.result.missing.push(w.obj);
      } else {
        this.result.failed.push({ ...w.obj, error: wire.message, wire });
        this.#progress.failed++;
      }
      this.#progress.filesDone++;
    };

    const take = (): Work[] => {
      const batch: Work[] = [];
      let bytes = 0;
      while (left() && batch.length < BATCH_FILES) {
        const w = queue[head];
        const size = w.size ?? 0;
        if (batch.length && bytes + size > BATCH_BYTES) break;
        queue[head++] = undefined as unknown as Work; // sent: the batch holds it now
        hooks.prepare?.(w);
        batch.push(w);
        bytes += size;
      }
      return batch;
    };

    await new Promise<void>((resolve) => {
      const finishIfIdle = () => {
        if (active === 0 && waiting === 0 && (left() === 0 || this.#stopped(signal))) {
          resolve();
        }
      };
      // A failed item: fatal, retried later, or failed for good.
      const settle = (w: Work, r: ItemResult & { ok: false }) => {
        const wire = r.error;
        if (wire.fatal) {
          this.#fatal ??= this.#remote.itemError(wire);
          fail(w, wire);
        } else if (
          wire.transient && !this.#stopped(signal) &&
          // a corrupted remote copy stays corrupted: one retry rules out the wire
          w.attempts < (wire.name === "CorruptObject" ? 1 : retries)
        ) {
          hooks.drop?.(w);
          this.#undoPartial(w);
          const delay = backoff * 2 ** w.attempts * (0.75 + Math.random() / 2);
          w.attempts++;
          waiting++;
          setTimeout(() => {
            waiting--;
            queue.push(w);
            pump();
            finishIfIdle();
          }, delay);
        } else {
          fail(w, wire);
        }
      };
      const pump = () => {
        while (active < jobs && left() && !this.#stopped(signal)) {
          const batch = take();
          active++;
          this.#send(batch, hooks).then(async (results) => {
            const failed = (w: Work, err: unknown) =>
              settle(w, {
                ok: false,
                error: {
                  name: err instanceof CorruptDownload ? "CorruptObject" : "VerifyError",
                  message: (err as Error).message,
                  transient: true,
                },
              });
            // landings that finish off the main thread (big downloads): awaited
            // before the batch leaves `active`, so the end of run() sees them done
            const landing: Promise<void>[] = [];
            results.forEach((r, i) => {
              const w = batch[i];
              if (!r.ok) return settle(w, r);
              let p: void | Promise<void>;
              try {
                p = hooks.done(w, r.bytes, r.mode, r.data);
              } catch (err) {
                return failed(w, err);
              }
              if (!p) return this.#complete(w, r.bytes);
              landing.push(p.then(() => this.#complete(w, r.bytes), (err) => failed(w, err)));
            });
            if (landing.length) await Promise.all(landing);
            this.report();
          }).finally(() => {
            active--;
            pump();
            finishIfIdle();
          });
        }
        finishIfIdle();
      };
      pump();
    });
    // Anything left unsent (stopped early) counts as failed, not silently dropped.
    for (const w of queue.slice(head)) {
      fail(w, { name: "Stopped", message: "not transferred (stopped)" });
    }
    this.report(true);
    if (this.#fatal) throw this.#fatal;
    if (signal?.aborted) throw new InterruptedError();
  }

  #stopped(signal?: AbortSignal): boolean {
    return this.#fatal !== undefined || !!signal?.aborted;
  }

  async #send(batch: Work[], hooks: PoolHooks): Promise<ItemResult[]> {
    try {
      return await hooks.send(batch);
    } catch (err) {
      // The whole call failed (plugin crashed, permission denied, connection lost...).
      const wire: WireError = (err as { wire?: WireError }).wire ?? {
        name: (err as Error).name ?? "Error",
        message: (err as Error).message ?? String(err),
        transient: false,
        fatal: true,
      };
      if (!(err as { wire?: WireError }).wire && err instanceof Error) {
        this.#fatal ??= err;
      }
      return batch.map(() => ({ ok: false, error: wire }));
    }
  }
}

/**
 * Which of `objs` have a file in the local cache, asking per fan-out folder
 * (one readdir) where several objects share it rather than per object (a
 * failed stat per object is what a fresh clone's fetch would pay otherwise).
 * Objects not in the set are missing; those in it still need verify().
 */
function inCache(odb: ObjectStore, objs: TransferObject[]): Set<string> {
  const byDir = new Map<string, TransferObject[]>();
  for (const o of objs) {
    const path = odb.pathFor(o.md5, { legacy: o.legacy });
    const dir = path.slice(0, path.lastIndexOf("/"));
    const list = byDir.get(dir);
    if (list) list.push(o);
    else byDir.set(dir, [o]);
  }
  const found = new Set<string>();
  for (const [dir, list] of byDir) {
    if (list.length < 4) {
      for (const o of list) found.add(id(o)); // few: verify() stats each
      continue;
    }
    const names = new Set<string>();
    try {
      for (const e of Deno.readDirSync(dir)) names.add(e.name);
    } catch (err) {
      ignoreNotFound(err);
      continue;
    }
    for (const o of list) {
      const path = odb.pathFor(o.md5, { legacy: o.legacy });
      if (names.has(path.slice(path.lastIndexOf("/") + 1))) found.add(id(o));
    }
  }
  return found;
}

function statSize(path: string): number | undefined {
  try {
    return Deno.statSync(path).size;
  } catch (err) {
    ignoreNotFound(err);
    return undefined;
  }
}

/** Expand `.dir` objects present in the local cache into their file objects. */
function expandLocal(
  store: ObjectStore,
  dirs: TransferObject[],
  /** listings read already (by id): not read and parsed again */
  known?: ReadonlyMap<string, DirEntry[]>,
): {
  files: Map<string, TransferObject[]>;
  unreadable: TransferObject[];
  corrupt: CorruptTransferObject[];
} {
  const files = new Map<string, TransferObject[]>();
  const unreadable: TransferObject[] = [];
  const corrupt: CorruptTransferObject[] = [];
  for (const d of dirs) {
    try {
      const entries = known?.get(id(d)) ?? store.readDirObject(d.md5, { legacy: d.legacy });
      files.set(id(d), entries.map((e) => ({ md5: e.md5, legacy: !!d.legacy })));
    } catch (err) {
      if (err instanceof CorruptObjectError) corrupt.push(corruptLocal(store, d));
      else unreadable.push(d);
    }
  }
  return { files, unreadable, corrupt };
}

function corruptLocal(store: ObjectStore, o: TransferObject): CorruptTransferObject {
  return { ...o, source: "cache", location: store.pathFor(o.md5, { legacy: o.legacy }) };
}

/** A download whose bytes do not match the object's md5. */
class CorruptDownload extends Error {}

function corruptDownload(remoteName: string, key: string): CorruptDownload {
  return new CorruptDownload(
    `remote '${remoteName}': ${key} is corrupted (its content does not match its md5)`,
  );
}

/**
 * Upload `objects` (and, for `.dir` objects, every file they list) that the
 * remote lacks. File objects first; each `.dir` last and only when all its
 * files are on the remote. Objects missing from the local cache are reported,
 * not fatal.
 */
export async function pushObjects(
  store: ObjectStore | string,
  remote: Remote,
  objects: TransferObject[],
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const odb = typeof store === "string" ? new ObjectStore(store) : store;
  const all = dedupe(objects);
  const dirs = all.filter(isDir);
  const jobs = opts.jobs ?? defaultJobs(remote);
  const queryProgress = (done: number, total: number) =>
    opts.onProgress?.({
      phase: "query",
      filesDone: done,
      filesTotal: total,
      bytesDone: 0,
      failed: 0,
    });

  // Directories already complete on the remote need no per-file checks.
  const trust = opts.trustRemoteDirs !== false;
  const remoteDirs = trust && dirs.length ? await remoteHas(remote, dirs, { jobs }) : new Set();
  const localDirs = dirs.filter((d) => !remoteDirs.has(id(d)));
  const { files: dirFiles, unreadable, corrupt: corruptDirs } = expandLocal(odb, localDirs);

  // Files listed by a `.dir` already on the remote are there too (it went up last), so
  // callers that pass expanded listings do not pay a check per file.
  const covered = new Map<string, TransferObject>();
  if (remoteDirs.size) {
    const { files } = expandLocal(odb, dirs.filter((d) => remoteDirs.has(id(d))));
    for (const list of files.values()) for (const f of list) covered.set(id(f), f);
  }
  const candidates = dedupe([
    ...all.filter((o) => !isDir(o)),
    ...[...dirFiles.values()].flat(),
  ]).filter((o) => !covered.has(id(o)));
  const result: TransferResult = {
    transferred: [],
    present: [
      ...dirs.filter((d) => remoteDirs.has(id(d))),
      ...dedupe(all.filter((o) => !isDir(o) && covered.has(id(o)))),
    ],
    missing: [...unreadable],
    failed: [],
    skippedDirs: [],
    corrupt: [...corruptDirs],
    bytes: 0,
  };

  // Local side: an object must exist and be intact (0444 trusted, else re-hashed;
  // a corrupted one is removed by verify and never uploaded). One Work per object
  // carries what its lstat found (no side maps: 1M-file pushes).
  const local: Work[] = [];
  const missingLocal = new Set<string>(unreadable.map(id));
  for (const o of candidates) {
    // One lstat: a read-only regular file is trusted (as verify() would) and gives the size.
    const path = odb.pathFor(o.md5, { legacy: o.legacy });
    const info = lstatOrNull(path);
    // key and path are filled in as the Work is sent (prepare): ~150 bytes less per object
    if (info?.isFile && (info.mode! & 0o777) === OBJECT_MODE) {
      local.push({ obj: o, key: "", path: "", size: info.size, mode: info.mode!, attempts: 0 });
      continue;
    }
    const v = info ? odb.verify(o.md5, { legacy: o.legacy }) : "missing";
    if (v === "ok") local.push({ obj: o, key: "", path: "", size: statSize(path), attempts: 0 });
    else {
      missingLocal.add(id(o));
      if (v === "corrupt") result.corrupt.push(corruptLocal(odb, o));
      else result.missing.push(o);
    }
  }

  const onRemote = await spanAsync(
    "push: remote query",
    () =>
      remoteHas(remote, local.map((w) => w.obj), {
        jobs,
        onProgress: queryProgress,
        unique: true,
      }),
  );
  const work: Work[] = [];
  for (const w of local) {
    if (onRemote.has(id(w.obj))) result.present.push(w.obj);
    else work.push(w);
  }
  local.length = 0;
  const dirWork: Work[] = [];
  const bytesTotal = work.reduce((s, w) => s + (w.size ?? 0), 0);
  const pool = new Pool(remote, opts, work.length + dirFiles.size, bytesTotal);
  const off = remote.onProgress((k, b) => pool.onBytes(k, b));
  const hooks: PoolHooks = {
    // Key and path made for the batch only, not stored on the Work: strings hung on
    // 1M long-lived Works end up as old-generation garbage (1M-object push: peak RSS).
    send: (batch) =>
      remote.put(
        batch.map((w) => ({
          src: w.path || odb.pathFor(w.obj.md5, { legacy: w.obj.legacy }),
          key: keyOf(w),
          size: w.size,
          mode: w.mode,
        })),
        { lstatted: true },
      ),
    done: () => {},
  };
  try {
    await spanAsync("push: upload", () => pool.run(work, hooks));

    // `.dir` objects last, only over complete contents.
    const bad = new Set<string>([...missingLocal, ...pool.result.failed.map(id)]);
    for (const d of localDirs) {
      const files = dirFiles.get(id(d));
      if (!files) continue;
      if (files.some((f) => bad.has(id(f)))) {
        result.skippedDirs.push(d);
        continue;
      }
      const path = odb.pathFor(d.md5, { legacy: d.legacy });
      dirWork.push({ obj: d, key: remoteKey(d), path, size: statSize(path), attempts: 0 });
    }
    const dirOnRemote = trust
      ? new Set<string>()
      : await remoteHas(remote, dirWork.map((w) => w.obj), { jobs });
    const dirTodo = dirWork.filter((w) => !dirOnRemote.has(id(w.obj)));
    for (const w of dirWork) if (dirOnRemote.has(id(w.obj))) result.present.push(w.obj);
    pool.addTotal(0, dirTodo.reduce((s, w) => s + (w.size ?? 0), 0));
    await pool.run(dirTodo, hooks);
  } finally {
    off();
  }
  const r = pool.result;
  result.transferred = r.transferred;
  result.failed = r.failed;
  for (const m of r.missing) result.missing.push(m); // no spread: may be 1M items
  result.bytes = r.bytes;
  return result;
}

/**
 * Downloads up to this size may come back from the plugin as bytes (GetOptions):
 * verified in memory, then written here. Bounds memory in flight to jobs x
 * batch files x this. Bigger ones stay files the plugin copies (copy_file_range,
 * no fresh buffer per object): 20k x 100 KiB inline, even landed by the
 * VerifyPool, took no less time and 2.4x the memory of a copy verified there.
 */
const INLINE_MAX = 16 << 10;

/** Verify a download's bytes against its md5, then write it into the cache atomically. */
function landInline(w: Work, data: Uint8Array, tmp: string, remoteName: string): void {
  const want = w.obj.md5.replace(/\.dir$/, "");
  let written = false;
  const write = () => {
    try {
      Deno.writeFileSync(tmp, data, { mode: OBJECT_MODE, createNew: true });
    } catch (err) {
      removeQuiet(tmp); // no partial temp file left behind (disk full ...)
      throw err;
    }
    written = true;
  };
  let ok = md5Bytes(data) === want;
  if (!ok && w.obj.legacy && !isDir(w.obj)) {
    // DVC 2.x md5 of text files ignores CR before LF: hash the file as verifyDownload does
    write();
    ok = md5FileDos2Unix(tmp) === want;
  }
  if (!ok) {
    if (written) removeQuiet(tmp);
    throw corruptDownload(remoteName, w.key);
  }
  if (written) Deno.renameSync(tmp, w.path);
  else if (!nativeLand(w.path, data)) {
    write();
    Deno.renameSync(tmp, w.path);
  }
}

/**
 * Small downloads (bytes) after this many in one fetch are hashed and landed by
 * the VerifyPool's Workers: worth their start (~60 ms) once a fetch is big.
 */
const LAND_POOL_AFTER = 256;

/** A download in memory hashed and landed on a VerifyPool Worker, else here (landInline). */
async function landOnPool(
  w: Work,
  data: Uint8Array,
  tmp: string,
  remoteName: string,
  pool: VerifyPool,
): Promise<void> {
  const out = await pool.land(w.path, w.obj.md5.replace(/\.dir$/, ""), data);
  if (out === "corrupt") throw corruptDownload(remoteName, w.key);
  // the bytes went down with a stopped Worker: a transient failure (fetched again)
  if (out === undefined) throw new Error(`${w.key}: download interrupted`);
  if (out !== "landed") landInline(w, out, tmp, remoteName);
  w.tmp = undefined;
}

/** Downloads from this size on are verified off the main thread (verifyBig)... */
const ASYNC_LAND_MIN = 32 << 10;
/**
 * ...once a fetch has had this many: starting the VerifyPool's Workers costs
 * ~60 ms, more than verifying a few files here (a pull of one 100 KiB file took
 * 0.36 s instead of 0.30 s), and a fetch with many is worth it.
 */
const VERIFY_POOL_AFTER = 32;

/**
 * A big download the plugin wrote to `tmp`: verified on another thread where
 * possible (a VerifyPool Worker), else as before; then made read-only and
 * renamed into the cache.
 */
async function verifyBig(
  w: Work,
  tmp: string,
  bytes: number,
  mode: number | undefined,
  remoteName: string,
  pool: VerifyPool,
): Promise<void> {
  let ok: boolean | undefined;
  try {
    const md5 = w.obj.md5.replace(/\.dir$/, "");
    ok = await pool.verify(tmp, bytes, md5) ?? verifyDownload(tmp, w.obj, bytes);
  } catch (err) {
    removeQuiet(tmp);
    throw err;
  }
  landVerified(w, tmp, ok, mode, remoteName);
}

/**
 * A download in `tmp` whose md5 was checked (`ok`): made read-only and renamed
 * into the cache, or removed with a CorruptDownload. A wrong mode from the
 * plugin only costs a chmod here (0444 = trusted later).
 */
function landVerified(
  w: Work,
  tmp: string,
  ok: boolean,
  mode: number | undefined,
  remoteName: string,
): void {
  if (!ok) {
    removeQuiet(tmp);
    throw corruptDownload(remoteName, w.key);
  }
  if (mode === undefined || (mode & 0o777) !== OBJECT_MODE) Deno.chmodSync(tmp, OBJECT_MODE);
  Deno.renameSync(tmp, w.path);
  w.tmp = undefined;
}

/** md5 check of a downloaded temp file against the object's name (§5.1, §5.2). */
function verifyDownload(path: string, obj: TransferObject, size: number): boolean {
  const want = obj.md5.replace(/\.dir$/, "");
  if (isDir(obj)) {
    const bytes = Deno.readFileSync(path);
    return md5Bytes(bytes) === want;
  }
  if (md5Small(path, size) === want) return true;
  return !!obj.legacy && md5FileDos2Unix(path) === want;
}

/** One buffer for all downloads' reads (readFileSync allocates a fresh one per file). */
let readBuf = new Uint8Array(0);

/** md5 of a downloaded file, read into a reused buffer when small (else streamed). */
function md5Small(path: string, size: number): string {
  if (size > WHOLE_READ_LIMIT || size <= 0) return md5File(path, { size });
  if (readBuf.length < size + 1) readBuf = new Uint8Array(WHOLE_READ_LIMIT + 1);
  const n = readFullSync(path, readBuf);
  // grew past the size reported (or the buffer): hash it whole from disk
  if (n > size) return md5File(path);
  return md5Bytes(readBuf.subarray(0, n));
}

/**
 * Download `objects` missing from the local cache. `.dir` objects are fetched
 * first (to learn their files), then every listed file the cache lacks. Each
 * download is verified against its md5 before it is renamed into the cache;
 * a mismatch is retried, then reported as failed.
 */
export async function fetchObjects(
  store: ObjectStore | string,
  remote: Remote,
  objects: TransferObject[],
  opts: TransferOptions = {},
): Promise<TransferResult> {
  const odb = typeof store === "string" ? new ObjectStore(store) : store;
  const all = dedupe(objects);
  const dirs = all.filter(isDir);
  const pool = new Pool(remote, opts, 0);
  const present: TransferObject[] = [];
  const madeDirs = new Set<string>();
  const verifier = new VerifyPool();
  let bigSeen = 0;
  let inlineSeen = 0;
  const prepare = (o: TransferObject): Work => {
    const path = odb.pathFor(o.md5, { legacy: o.legacy });
    return { obj: o, key: remoteKey(o), path, attempts: 0 };
  };
  const hooks: PoolHooks = {
    // file objects' key and path are filled in as they are sent: ~150 bytes less
    // per queued object (1M-file fetches)
    prepare: (w) => {
      if (!w.key) w.key = remoteKey(w.obj);
      if (!w.path) w.path = odb.pathFor(w.obj.md5, { legacy: w.obj.legacy });
    },
    send: (batch) => {
      for (const w of batch) {
        const dir = w.path.slice(0, w.path.lastIndexOf("/"));
        if (!madeDirs.has(dir)) {
          Deno.mkdirSync(dir, { recursive: true });
          madeDirs.add(dir);
        }
        w.tmp = tempPathFor(w.path);
      }
      return remote.get(batch.map((w) => ({ key: w.key, dest: w.tmp! })), {
        inlineMax: INLINE_MAX,
      });
    },
    done: (w, bytes, mode, data) => {
      const tmp = w.tmp!;
      if (data) {
        if (!w.obj.legacy && nativeLandUsable() && ++inlineSeen > LAND_POOL_AFTER) {
          return landOnPool(w, data, tmp, remote.name, verifier);
        }
        landInline(w, data, tmp, remote.name);
        w.tmp = undefined;
        return;
      }
      if (
        bytes >= ASYNC_LAND_MIN && bytes <= WHOLE_READ_LIMIT && !w.obj.legacy &&
        ++bigSeen > VERIFY_POOL_AFTER
      ) {
        return verifyBig(w, tmp, bytes, mode, remote.name, verifier);
      }
      let ok = false;
      try {
        ok = verifyDownload(tmp, w.obj, bytes);
      } catch (err) {
        removeQuiet(tmp);
        throw err;
      }
      landVerified(w, tmp, ok, mode, remote.name);
    },
    drop: (w) => {
      if (w.tmp) removeQuiet(w.tmp);
      w.tmp = undefined;
    },
  };
  const off = remote.onProgress((k, b) => pool.onBytes(k, b));
  try {
    // 1. `.dir` objects the cache lacks.
    const dirTodo: Work[] = [];
    for (const d of dirs) {
      const v = odb.verify(d.md5, { legacy: d.legacy });
      if (v === "ok") present.push(d);
      else {
        if (v === "corrupt") pool.result.corrupt.push(corruptLocal(odb, d)); // fetched again
        dirTodo.push(prepare(d));
      }
    }
    pool.addTotal(dirTodo.length);
    await pool.run([...dirTodo], hooks); // a copy: run() consumes it, checkListings needs it

    const checked = opts.checkListing
      ? checkListings(odb, dirs, dirTodo, opts.checkListing)
      : undefined;
    // 2. files: given ones plus those listed by every `.dir` now in the cache.
    const { files } = expandLocal(odb, dirs, checked);
    checked?.clear();
    const candidates = dedupe([...all.filter((o) => !isDir(o)), ...[...files.values()].flat()]);
    const todo: Work[] = [];
    const cached = span("fetch: cache listing", () => inCache(odb, candidates));
    for (const o of candidates) {
      const v = cached.has(id(o)) ? odb.verify(o.md5, { legacy: o.legacy }) : "missing";
      if (v === "ok") present.push(o);
      else {
        if (v === "corrupt") pool.result.corrupt.push(corruptLocal(odb, o)); // fetched again
        todo.push({ obj: o, key: "", path: "", attempts: 0 });
      }
    }
    pool.addTotal(todo.length);
    await spanAsync("fetch: download", () => pool.run(todo, hooks));
  } finally {
    off();
    verifier.close();
    releaseNativeLand();
  }
  const r = pool.result;
  const isCorrupt = (f: FailedObject) => f.wire.name === "CorruptObject";
  r.corrupt.push(
    ...r.failed.filter(isCorrupt).map((f): CorruptTransferObject => ({
      md5: f.md5,
      legacy: f.legacy,
      source: "remote",
      location: remoteKey(f),
    })),
  );
  return { ...r, present };
}

/** Each listing passed to `check`; returns the listings read (by id). */
function checkListings(
  odb: ObjectStore,
  dirs: TransferObject[],
  downloaded: Work[],
  check: (dir: TransferObject, entries: DirEntry[]) => void,
): Map<string, DirEntry[]> {
  const read = new Map<string, DirEntry[]>();
  for (const d of dirs) {
    let entries: DirEntry[];
    try {
      entries = odb.readDirObject(d.md5, { legacy: d.legacy });
    } catch (err) {
      // missing or corrupt: reported by the file phase as before
      if (
        err instanceof MissingObjectError || err instanceof CorruptObjectError ||
        err instanceof DirListingError
      ) continue;
      throw err;
    }
    try {
      check(d, entries);
    } catch (err) {
      for (const w of downloaded) {
        removeQuiet(w.path);
        removeQuiet(w.path.slice(0, w.path.lastIndexOf("/"))); // its fan-out dir, if now empty
      }
      throw err;
    }
    read.set(id(d), entries);
  }
  return read;
}

function removeQuiet(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    ignoreNotFound(err); // gone already
  }
}

export interface RemoteStatus {
  /** in the local cache only */
  new: TransferObject[];
  /** on the remote only */
  deleted: TransferObject[];
  /** neither */
  missing: TransferObject[];
  /** both */
  ok: TransferObject[];
  /** found corrupted: a local copy (removed, so counted as not local) or a remote `.dir` */
  corrupt: CorruptTransferObject[];
}

/**
 * Compare objects (directories expanded) between the cache and the remote,
 * as `status -c` needs. A `.dir` missing locally is read from the remote to
 * learn its files.
 */
export async function remoteStatus(
  store: ObjectStore | string,
  remote: Remote,
  objects: TransferObject[],
  opts: { jobs?: number } = {},
): Promise<RemoteStatus> {
  const odb = typeof store === "string" ? new ObjectStore(store) : store;
  const all = dedupe(objects);
  const expanded: TransferObject[] = [...all];
  const corrupt: CorruptTransferObject[] = [];
  for (const d of all.filter(isDir)) {
    let entries: { md5: string }[] | undefined;
    try {
      entries = odb.readDirObject(d.md5, { legacy: d.legacy });
    } catch (err) {
      if (err instanceof CorruptObjectError) corrupt.push(corruptLocal(odb, d));
      // no bigger than a listing cairn can read (a hostile remote's huge object is refused)
      const bytes = await remote.readBytes(remoteKey(d), MAX_LISTING_BYTES);
      if (bytes && md5Bytes(bytes) === d.md5.replace(/\.dir$/, "")) entries = parseListing(bytes);
      else if (bytes) corrupt.push({ ...d, source: "remote", location: remoteKey(d) });
    }
    for (const e of entries ?? []) expanded.push({ md5: e.md5, legacy: d.legacy });
  }
  const objs = dedupe(expanded);
  const onRemote = await remoteHas(remote, objs, opts);
  const out: RemoteStatus = { new: [], deleted: [], missing: [], ok: [], corrupt };
  for (const o of objs) {
    // verify: a stat for read-only objects; others re-hashed, a corrupted one removed
    const v = odb.verify(o.md5, { legacy: o.legacy });
    if (v === "corrupt" && !isDir(o)) corrupt.push(corruptLocal(odb, o));
    const local = v === "ok";
    const there = onRemote.has(id(o));
    if (local && there) out.ok.push(o);
    else if (local) out.new.push(o);
    else if (there) out.deleted.push(o);
    else out.missing.push(o);
  }
  return out;
}

/** Every object on the remote, both namespaces (needs a remote that can list). */
export async function listRemoteObjects(remote: Remote): Promise<TransferObject[]> {
  const out: TransferObject[] = [];
  for (const key of await remote.list("")) {
    const o = keyObject(key);
    if (o) out.push(o);
  }
  return out;
}

export interface GcRemoteResult {
  removed: TransferObject[];
  failed: FailedObject[];
}

/**
 * `gc -c`: delete remote objects not in `keep` (both namespaces; `.dir`
 * objects first so no listing ever points at removed files). The run-cache
 * (`runs/`) is never touched.
 */
export async function gcRemote(
  remote: Remote,
  keep: TransferObject[],
  opts: { dryRun?: boolean; jobs?: number } = {},
): Promise<GcRemoteResult> {
  const keepIds = new Set(dedupe(keep).map(id));
  const unused = (await listRemoteObjects(remote)).filter((o) => !keepIds.has(id(o)));
  const ordered = [...unused.filter(isDir), ...unused.filter((o) => !isDir(o))];
  const result: GcRemoteResult = { removed: [], failed: [] };
  if (opts.dryRun) {
    result.removed = ordered;
    return result;
  }
  const jobs = opts.jobs ?? defaultJobs(remote);
  for (const group of [ordered.filter(isDir), ordered.filter((o) => !isDir(o))]) {
    const chunks: TransferObject[][] = [];
    for (let i = 0; i < group.length; i += 256) chunks.push(group.slice(i, i + 256));
    await mapLimit(chunks, jobs, async (c) => {
      const res = await remote.remove(c.map(remoteKey));
      res.forEach((r, i) => {
        if (r.ok) result.removed.push(c[i]);
        else result.failed.push({ ...c[i], error: r.error.message, wire: r.error });
      });
    });
  }
  return result;
}

export interface RunCacheResult {
  transferred: string[];
  failed: { key: string; error: string }[];
}

/** A run-cache entry's key: `runs/<k[0:2]>/<k>/<v>`, k and v hex (sha256 in DVC). */
const RUN_KEY_RE = /^runs\/([0-9a-f]{2})\/\1[0-9a-f]*\/[0-9a-f]+$/;

/**
 * Copy run-cache entries (`runs/<k[0:2]>/<k>/<v>`, spec §8) that the other
 * side lacks, in the given direction. Entries are small files written once.
 */
export async function transferRunCache(
  cacheDir: string,
  remote: Remote,
  direction: "push" | "pull",
  opts: { jobs?: number } = {},
): Promise<RunCacheResult> {
  const localKeys = new Set<string>();
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${cacheDir}/${rel}`)];
    } catch (err) {
      ignoreNotFound(err);
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) walk(`${rel}/${e.name}`);
      else if (e.isFile && !e.name.endsWith(".tmp")) localKeys.add(`${rel}/${e.name}`);
    }
  };
  walk("runs");
  const out: RunCacheResult = { transferred: [], failed: [] };
  // A remote's key becomes a path under the cache: only `runs/<k[0:2]>/<k>/<v>` (hex) is taken;
  // a key that would climb out (`..`, empty or `.` parts) is reported, other names are skipped.
  const remoteKeys = new Set<string>();
  for (const k of await remote.list("runs/")) {
    if (RUN_KEY_RE.test(k)) remoteKeys.add(k);
    else if (k.split("/").some((p) => p === ".." || p === "." || p === "")) {
      out.failed.push({
        key: k,
        error: `refusing the remote's key '${k}': not a run-cache entry (runs/<k[0:2]>/<k>/<v>)`,
      });
    }
  }
  const jobs = opts.jobs ?? defaultJobs(remote);
  if (direction === "push") {
    const todo = [...localKeys].filter((k) => !remoteKeys.has(k));
    const chunks: string[][] = [];
    for (let i = 0; i < todo.length; i += 64) chunks.push(todo.slice(i, i + 64));
    await mapLimit(chunks, jobs, async (c) => {
      const res = await remote.put(c.map((k) => ({ src: `${cacheDir}/${k}`, key: k })));
      res.forEach((r, i) =>
        r.ok ? out.transferred.push(c[i]) : out.failed.push({ key: c[i], error: r.error.message })
      );
    });
  } else {
    const todo = [...remoteKeys].filter((k) => !localKeys.has(k));
    const chunks: string[][] = [];
    for (let i = 0; i < todo.length; i += 64) chunks.push(todo.slice(i, i + 64));
    await mapLimit(chunks, jobs, async (c) => {
      const items = c.map((k) => {
        const path = `${cacheDir}/${k}`;
        Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        return { key: k, dest: tempPathFor(path), path };
      });
      const res = await remote.get(items.map(({ key, dest }) => ({ key, dest })));
      res.forEach((r, i) => {
        if (r.ok) {
          Deno.renameSync(items[i].dest, items[i].path);
          out.transferred.push(c[i]);
        } else {
          removeQuiet(items[i].dest);
          out.failed.push({ key: c[i], error: r.error.message });
        }
      });
    });
  }
  return out;
}
