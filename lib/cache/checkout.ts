/**
 * Checkout (cache -> workspace) and commit (workspace -> cache) of one
 * output. Results are typed per-path outcomes; nothing is printed, and the
 * decision to overwrite uncached data is the caller's (force / confirm).
 */
import { CairnError, fsError, ignoreNotFound } from "../errors.ts";
import { type FileStamp, stampOf, type WalkFile, walkFiles } from "../fs/walk.ts";
import { PathGuard } from "../fs/path_guard.ts";
import { makeTempDirNear, sweepOnce } from "../fs/temp_files.ts";
import { wasRemovedCorrupt } from "./corrupt.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import { hashFiles, type ParallelTuning, type ProgressFn } from "../hash/hash_files.ts";
import { hashPath, isExecMode } from "../hash/hash_path.ts";
import { md5FileDos2Unix } from "../hash/md5.ts";
import { span, spanAsync } from "../trace.ts";
import type { StateEntry } from "../hash/state.ts";
import type { HashInfo } from "../stage/types.ts";
import { Linker, type LinkOptions } from "./link.ts";
import { releaseNativeLink } from "./_native_link.ts";
import { checkInterrupted, yieldToEventLoop } from "../interrupt.ts";
import { type LinkJobs, linkMany, PARALLEL_LINK_MIN_FILES } from "./link_many.ts";
import {
  CorruptObjectError,
  MissingObjectError,
  OBJECT_MODE,
  ObjectStore,
} from "./object_store.ts";
import type { CacheContext, LinkType } from "./types.ts";
import { lstatOrNull, statOrNull } from "../fs/stat_or_null.ts";

/** An output to materialise: absolute path + recorded hash. */
export interface OutputRef {
  path: string;
  hash: HashInfo;
}

export type FileChange = "added" | "modified" | "deleted";

export interface CheckoutChange {
  /** posix path relative to the output ("" for a file output itself) */
  relpath: string;
  change: FileChange;
}

export type CheckoutStatus = "unchanged" | "added" | "modified" | "missing";

export interface CheckoutResult {
  /** absolute output path */
  path: string;
  /** added = the output did not exist; missing = some object is not in the cache */
  status: CheckoutStatus;
  /** files created, replaced or deleted */
  changes: CheckoutChange[];
  /** files already right */
  unchanged: number;
  /** relpaths ("" = the output / its `.dir`) whose objects are missing from the cache */
  missing: string[];
  /**
   * the subset of `missing` whose cache object was there but corrupted (its
   * content did not match its md5): removed from the cache, not checked out.
   */
  corrupt: { relpath: string; md5: string; path: string }[];
  /** files re-linked to the configured link type without content change */
  relinked: number;
  /** link type used for the files written, if any */
  linkType?: LinkType;
  /**
   * A directory output's files as this checkout left them (stamps and exec
   * bit as a walk would see them), so callers need not walk it again.
   */
  files?: WalkFile[];
}

export interface CheckoutOptions {
  /** re-link unchanged files whose link type differs from cache.type */
  relink?: boolean;
  /** overwrite/delete workspace data even if it is not in the cache */
  force?: boolean;
  /**
   * Asked (once, with all paths) before overwriting or deleting workspace
   * files whose content is not in the cache; without it, or if it returns
   * false, the checkout throws ConfirmRemoveError and changes nothing.
   */
  confirmRemove?: (paths: string[]) => boolean | Promise<boolean>;
  onProgress?: ProgressFn;
  /** share one Linker across outputs (keeps the link-type fallback decision) */
  linker?: Linker;
  /** the stage file the output comes from, named when a `.dir` entry is refused */
  source?: string;
  /** parallel linking knobs (tests, benchmarks) */
  parallel?: ParallelTuning;
  /**
   * The caller already ran guardListing on this output's `.dir` (same path,
   * same md5, so the same bytes): skip the second pass over 100k entries.
   */
  listingGuarded?: boolean;
  /** the output's `.dir` entries as the caller read them (same md5): not read again */
  listing?: DirEntry[];
}

/** Workspace data not in the cache would be lost and nobody confirmed. */
export class ConfirmRemoveError extends CairnError {
  readonly paths: string[];
  constructor(paths: string[]) {
    super(
      `unable to remove '${paths[0]}' without a confirmation. Use \`-f\` to force.`,
    );
    this.paths = paths;
  }
}

function storeFor(ctx: CacheContext): ObjectStore {
  return new ObjectStore(ctx.cacheDir, { shared: ctx.shared });
}

function readLinkOrNull(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

function inoOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).ino ?? undefined;
  } catch (err) {
    ignoreNotFound(err);
    return undefined;
  }
}

/**
 * Is `w` already the same content as object `obj`, known without reading?
 * Only while the object is still read-only: a link made writable (chmod,
 * then an edit in place) may have changed the object itself.
 */
function sameByLink(w: WalkFile, obj: string): boolean {
  if ((w.mode & 0o777) !== OBJECT_MODE) return false;
  if (w.symlink) return readLinkOrNull(w.abs) === obj;
  if ((w.nlink ?? 1) > 1) return inoOf(obj) === w.ino;
  return false;
}

/** Does an unchanged file need re-linking to become a `type` link? */
function needsRelink(w: WalkFile, obj: string, type: LinkType): boolean {
  if (type === "symlink") return !(w.symlink && readLinkOrNull(w.abs) === obj);
  if (type === "hardlink") return !!w.symlink || inoOf(obj) !== w.ino;
  // copy/reflink want an independent file (a hardlink has nlink > 1)
  return !!w.symlink || ((w.nlink ?? 1) > 1 && inoOf(obj) === w.ino);
}

interface Want {
  relpath: string;
  md5: string;
  /** cache object path (a getter for directory outputs: see wantsOf) */
  readonly obj: string;
  w?: WalkFile;
  /** object size when known (lets small copies skip a stat) */
  size?: number;
  /** present in the cache, trust (0444) checked when linking (see placeChecked) */
  check?: boolean;
}

/**
 * The wanted files of a listing. The cache path is computed where it is used
 * rather than kept per file (1M files: ~90 MB of path strings).
 */
function wantsOf(listing: readonly DirEntry[], store: ObjectStore, legacy: boolean): Want[] {
  class LazyWant implements Want {
    w?: WalkFile = undefined;
    size?: number = undefined;
    check?: boolean = undefined;
    constructor(readonly relpath: string, readonly md5: string) {}
    get obj(): string {
      return store.pathFor(this.md5, { legacy });
    }
  }
  const out = new Array<Want>(listing.length);
  for (let i = 0; i < listing.length; i++) {
    out[i] = new LazyWant(listing[i].relpath, listing[i].md5);
  }
  return out;
}

/** What syncing a set of files would do. */
interface Plan {
  write: Want[];
  relink: Want[];
  remove: WalkFile[];
  unchanged: number;
  missing: string[];
  /** wanted objects found corrupted (and removed by verify) */
  corrupt?: Want[];
  /** workspace paths whose content is not in the cache (need confirmation) */
  uncached: string[];
}

/**
 * Compare workspace files with the wanted entries. `known` gives md5s already
 * computed (commit); otherwise the state index, link identity, then hashing.
 */
async function plan(
  ctx: CacheContext,
  store: ObjectStore,
  wants: Want[],
  present: WalkFile[],
  legacy: boolean,
  opts: CheckoutOptions & { known?: Map<string, string>; absent?: boolean },
  desired: LinkType,
): Promise<Plan> {
  const byRel = new Map<string, WalkFile>();
  for (const w of present) byRel.set(w.rel, w);
  const p: Plan = {
    write: [],
    relink: [],
    remove: [],
    unchanged: 0,
    missing: [],
    uncached: [],
  };
  // Current md5 of every present file (wanted or extra), as cheaply as possible.
  const cur = new Map<string, string>();
  const toHash: WalkFile[] = [];
  // Nothing present (a fresh checkout): no lookups, no 1M-entry set.
  if (present.length) {
    for (const x of wants) {
      const w = byRel.get(x.relpath);
      if (!w) continue;
      x.w = w;
      const k = opts.known?.get(w.rel);
      if (k !== undefined) cur.set(w.rel, k);
      else if (sameByLink(w, x.obj)) cur.set(w.rel, x.md5);
      else toHash.push(w);
    }
  }
  const extras: WalkFile[] = [];
  if (present.length) {
    const wantedRel = new Set<string>();
    for (const x of wants) wantedRel.add(x.relpath);
    for (const w of present) if (!wantedRel.has(w.rel)) extras.push(w);
  }
  if (!opts.force) {
    for (const w of extras) {
      const k = opts.known?.get(w.rel);
      if (k !== undefined) cur.set(w.rel, k);
      else toHash.push(w);
    }
  }
  if (toHash.length > 0) {
    if (legacy) {
      for (const w of toHash) cur.set(w.rel, md5FileDos2Unix(w.abs));
    } else {
      const r = await hashFiles(toHash, { state: ctx.state });
      for (let i = 0; i < toHash.length; i++) cur.set(toHash[i].rel, r.md5s[i]);
    }
  }
  const inCache = (md5: string) =>
    store.has(md5, { legacy: false }) || store.has(md5, { legacy: true });
  // Objects of files not in the workspace: existence from the fan-out
  // listings, trust checked on the open object when linking (no stat each).
  const fresh = present.length ? wants.filter((x) => !x.w) : wants;
  if (opts.absent && fresh.length >= (opts.parallel?.minFiles ?? PARALLEL_LINK_MIN_FILES)) {
    // A big output that is not there at all: every object is opened when
    // linked anyway, and one that is missing is found (and reported) then,
    // without listing every fan-out folder of the cache first.
    for (const x of fresh) x.check = true;
  } else {
    const have = store.hasMany(fresh.map((x) => x.md5), { legacy });
    // check = in the cache, trust checked when linking (no Set of 1M wants)
    for (let i = 0; i < fresh.length; i++) if (have[i]) fresh[i].check = true;
  }
  for (const x of wants) {
    const w = x.w;
    if (w && cur.get(w.rel) === x.md5) {
      p.unchanged++;
      if (opts.relink && needsRelink(w, x.obj, desired)) {
        if (store.has(x.md5, { legacy })) p.relink.push(x);
        else p.missing.push(x.relpath);
      }
      continue;
    }
    if (!w) {
      if (x.check) {
        p.write.push(x);
      } else {
        if (wasRemovedCorrupt(x.obj)) (p.corrupt ??= []).push(x);
        p.missing.push(x.relpath);
      }
      continue;
    }
    // verify(): a stat for trusted (0444) objects; others are re-hashed and
    // removed when corrupt, so a corrupt object is never copied out. The
    // trusted case is done here to keep the stat's size for the copy.
    const st = statOrNull(x.obj);
    if (st?.isFile && (st.mode! & 0o777) === OBJECT_MODE) x.size ??= st.size;
    else {
      const v = store.verify(x.md5, { legacy });
      if (v !== "ok") {
        // corrupt now, or found so (and removed) by an earlier reader in this run
        if (v === "corrupt" || wasRemovedCorrupt(x.obj)) (p.corrupt ??= []).push(x);
        p.missing.push(x.relpath);
        continue;
      }
    }
    if (w && !opts.force && !inCache(cur.get(w.rel)!)) p.uncached.push(w.abs);
    p.write.push(x);
  }
  for (const w of extras) {
    if (!opts.force && !inCache(cur.get(w.rel)!)) p.uncached.push(w.abs);
    p.remove.push(w);
  }
  return p;
}

async function confirmOrThrow(p: Plan, opts: CheckoutOptions): Promise<void> {
  if (p.uncached.length === 0 || opts.force) return;
  const ok = opts.confirmRemove ? await opts.confirmRemove(p.uncached) : false;
  if (!ok) throw new ConfirmRemoveError(p.uncached);
}

/** Create parent directories (remembering which exist). */
function ensureParent(path: string, made: Set<string>): void {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (made.has(dir)) return;
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fsError(err, "creating", dir);
  }
  made.add(dir);
}

/** Link, replacing a directory that may sit where the file goes. */
function place(
  linker: Linker,
  obj: string,
  dst: string,
  opts: LinkOptions,
): { type: LinkType; stamp?: FileStamp } {
  try {
    return linker.linkWithStamp(obj, dst, opts);
  } catch (err) {
    const st = lstatOrNull(dst);
    if (!st?.isDirectory) throw err;
    Deno.removeSync(dst, { recursive: true });
    return linker.linkWithStamp(obj, dst, opts);
  }
}

/**
 * A file as checkout wrote it. `abs` is built when read rather than kept per
 * file (1M files: ~80 MB of strings repeating the folder); the stamp is read
 * from linkMany's array (ino, mtimeMs, size at `3 * i`) rather than kept as
 * three boxed numbers per file (1M files: ~50 MB).
 */
class WrittenFile implements WalkFile {
  readonly mode = 0o100644;
  constructor(
    readonly root: string,
    readonly rel: string,
    private readonly stamps: Float64Array,
    private readonly i: number,
  ) {}
  get ino(): number {
    return this.stamps[this.i * 3];
  }
  get mtimeMs(): number {
    return this.stamps[this.i * 3 + 1];
  }
  get size(): number {
    return this.stamps[this.i * 3 + 2];
  }
  get abs(): string {
    return this.rel === "" ? this.root : `${this.root}/${this.rel}`;
  }
}

/** Apply a plan: deletions, writes, relinks, then prune emptied dirs. */
async function apply(
  ctx: CacheContext,
  linker: Linker,
  root: string,
  p: Plan,
  isexecOf: (x: Want) => boolean,
  onProgress: ProgressFn | undefined,
  result: CheckoutResult,
  tuning?: ParallelTuning,
  store?: ObjectStore,
  legacy = false,
  staging?: string,
): Promise<WalkFile[]> {
  // Files as written (and their md5s): the state gets them in chunks, so no
  // 1M StateEntry list waits for one saveMany at the end (each entry is made
  // as it is saved: young garbage, not 1M objects promoted to the old heap). Files in a staging folder get their entries
  // before they are at their paths: if the folder is never renamed into place
  // they name missing files (a lookup needs the path with the same inode,
  // mtime and size), which is harmless.
  const written: WalkFile[] = [];
  const writtenMd5: string[] = [];
  let savedUpTo = 0;
  const flushState = (all: boolean) => {
    if (!ctx.state || (!all && written.length - savedUpTo < STATE_CHUNK)) return;
    const from = savedUpTo;
    const to = written.length;
    savedUpTo = to;
    if (to === from) return;
    // Even for content we wrote, a stamp within the racy window is not kept:
    // another same-size write in the same timestamp tick would look unchanged.
    span(
      "checkout: state",
      () =>
        ctx.state!.saveMany(stateEntries(written, writtenMd5, from, to), { hashedAt: Date.now() }),
    );
  };
  /** File `rel` written, its stamp at `3 * i` in `stamps` (see WrittenFile). */
  const wrote = (rel: string, stamps: Float64Array, i: number, md5: string) => {
    written.push(new WrittenFile(root, rel, stamps, i));
    writtenMd5.push(md5);
    flushState(false);
  };
  const dropped: string[] = [];
  const emptied = new Set<string>();
  for (const w of p.remove) {
    try {
      Deno.removeSync(w.abs);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw fsError(err, "removing", w.abs);
      }
    }
    dropped.push(w.abs);
    emptied.add(w.abs.slice(0, w.abs.lastIndexOf("/")));
    result.changes.push({ relpath: w.rel, change: "deleted" });
  }
  const made = new Set<string>();
  const missingBefore = result.missing.length;
  const total = p.write.length + p.relink.length;
  let done = 0;
  let last = 0;
  const tick = (n: number) => {
    done += n;
    if (onProgress && performance.now() - last > 50) {
      last = performance.now();
      onProgress(done, total, 0, 0);
    }
  };
  const groupShared = ctx.shared === "group";
  const writeRoot = staging ?? root;
  const dstOf = (x: Want) => (x.relpath === "" ? writeRoot : `${writeRoot}/${x.relpath}`);
  const fresh = staging !== undefined;
  /**
   * An object whose trust was to be checked when linking failed: verify it
   * (a stat if 0444, else re-hashed and removed when corrupt). False if it
   * cannot be used: then it is reported missing (and corrupt) instead.
   */
  const usable = (x: Want): boolean => {
    if (!x.check || !store) return true;
    x.check = false;
    const v = store.verify(x.md5, { legacy });
    if (v === "ok") return true;
    if (v === "corrupt" || wasRemovedCorrupt(x.obj)) {
      result.corrupt.push({ relpath: x.relpath, md5: x.md5, path: x.obj });
    }
    result.missing.push(x.relpath);
    return false;
  };
  // One at a time through the Linker (type fallback, a directory in the way).
  const placeOne = (x: Want, isRelink: boolean) => {
    const dst = dstOf(x);
    const lo = { isexec: isexecOf(x), groupShared, size: x.size, requireReadOnly: x.check, fresh };
    let placed: { type: LinkType; stamp?: FileStamp };
    try {
      placed = place(linker, x.obj, dst, lo);
    } catch (err) {
      if (!x.check) throw err;
      if (!usable(x)) return;
      placed = place(linker, x.obj, dst, { ...lo, requireReadOnly: false });
    }
    result.linkType = placed.type;
    const s = placed.stamp ?? stampOf(Deno.statSync(dst));
    wrote(x.relpath, Float64Array.of(s.ino, s.mtimeMs, s.size), 0, x.md5);
    if (isRelink) result.relinked++;
    else result.changes.push({ relpath: x.relpath, change: x.w ? "modified" : "added" });
    tick(1);
  };
  try {
    await writeAll();
  } catch (err) {
    // Files in the staging folder may be partial (a Worker stopped mid-file):
    // the output stays absent, as before this checkout.
    if (staging) removeStaging(staging);
    throw err;
  } finally {
    releaseNativeLink();
  }
  // Folders made for files whose objects turned out to be missing.
  if (result.missing.length > missingBefore) pruneEmptyDirs(writeRoot, made);
  if (staging) {
    try {
      Deno.renameSync(staging, root);
    } catch (err) {
      removeStaging(staging);
      throw fsError(err, "creating", root);
    }
  }
  if (onProgress && total > 0) onProgress(done, total, 0, 0);
  pruneEmptyDirs(root, emptied);
  if (ctx.state && dropped.length) ctx.state.remove(dropped);
  flushState(true);
  return written;

  async function writeAll(): Promise<void> {
    // Every parent directory once, before any file is written.
    for (const x of p.write) if (!x.w) ensureParent(dstOf(x), made);
    const writes = p.write;
    if (writes.length >= (tuning?.minFiles ?? PARALLEL_LINK_MIN_FILES)) {
      // The first file placed settles the link type; the rest go to both cores with it.
      let k = 0;
      while (k < writes.length && result.linkType === undefined) {
        const x = writes[k++];
        // a missing object (not looked up in plan) is reported, not probed with
        if (x.check && !store?.has(x.md5, { legacy }) && !usable(x)) continue;
        placeOne(x, false);
      }
      // Each job is built as linkMany hands out its batch: no list of 2M paths.
      const jobs: LinkJobs = {
        length: writes.length - k,
        at: (i) => {
          const x = writes[k + i];
          return {
            src: x.obj,
            dst: dstOf(x),
            size: x.size,
            isexec: isexecOf(x),
            requireReadOnly: x.check,
          };
        },
      };
      const r = await spanAsync(
        "checkout: linkMany",
        () => linkMany(jobs, { type: result.linkType!, groupShared, onDone: tick, tuning, fresh }),
      );
      const failed = new Set(r.failed);
      for (let i = 0; i < jobs.length; i++) {
        const x = writes[k + i];
        if (failed.has(i)) continue;
        wrote(x.relpath, r.stamps, i, x.md5);
        result.changes.push({ relpath: x.relpath, change: x.w ? "modified" : "added" });
      }
      done -= r.failed.length;
      for (const i of r.failed) {
        const x = writes[k + i];
        // An object that could not be opened may be missing: verified first.
        if (x.check && !usable(x)) continue;
        placeOne(x, false);
      }
    } else {
      for (const x of writes) placeOne(x, false);
    }
    for (const x of p.relink) placeOne(x, true);
  }
}

/** Remove a staging folder that will not be renamed into place (best effort). */
function removeStaging(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* left to the sweep of stale temps */ }
}

/** State entries saved per transaction while a checkout writes files. */
const STATE_CHUNK = 10_000;

function* stateEntries(
  files: readonly WalkFile[],
  md5s: readonly string[],
  from: number,
  to: number,
): Generator<StateEntry> {
  for (let i = from; i < to; i++) {
    const f = files[i];
    yield { path: f.abs, stamp: f, md5: md5s[i] };
  }
}

/**
 * The files of directory output `root` after apply(): the walked ones minus
 * those removed, with the stamps of those written. Written files are not
 * executable (`.dir` entries carry no exec bit for checkout).
 */
function filesAfter(present: WalkFile[], p: Plan, written: WalkFile[]): WalkFile[] {
  // A fresh checkout: exactly the files written (same order as the merge below).
  if (present.length === 0 && p.remove.length === 0) return written;
  const byAbs = new Map<string, WalkFile>();
  for (const w of present) byAbs.set(w.abs, w);
  for (const w of p.remove) byAbs.delete(w.abs);
  for (const w of written) byAbs.set(w.abs, w);
  return [...byAbs.values()];
}

/** Remove directories left empty by deletions, up to (not including) `root`. */
function pruneEmptyDirs(root: string, dirs: Set<string>): void {
  const sorted = [...dirs].sort((a, b) => b.length - a.length);
  const gone = new Set<string>();
  for (let d of sorted) {
    while (d.length > root.length && d.startsWith(root + "/") && !gone.has(d)) {
      try {
        Deno.removeSync(d); // fails unless empty
      } catch {
        break;
      }
      gone.add(d);
      d = d.slice(0, d.lastIndexOf("/"));
    }
  }
}

function newResult(path: string): CheckoutResult {
  return {
    path,
    status: "unchanged",
    changes: [],
    unchanged: 0,
    missing: [],
    corrupt: [],
    relinked: 0,
  };
}

function corruptOf(p: Plan): CheckoutResult["corrupt"] {
  return (p.corrupt ?? []).map((x) => ({ relpath: x.relpath, md5: x.md5, path: x.obj }));
}

function finish(r: CheckoutResult, existed: boolean): CheckoutResult {
  if (r.missing.length) r.status = "missing";
  else if (!existed && (r.changes.length > 0 || r.unchanged === 0)) {
    r.status = "added";
  } else if (r.changes.length > 0) r.status = "modified";
  return r;
}

/**
 * Make the workspace output match its recorded hash, linking from the
 * cache. Missing objects are reported (the rest is still checked out).
 */
export async function checkoutOutput(
  ctx: CacheContext,
  out: OutputRef,
  opts: CheckoutOptions = {},
): Promise<CheckoutResult> {
  const store = storeFor(ctx);
  const linker = opts.linker ?? new Linker(ctx.linkTypes);
  const legacy = out.hash.hashName !== "md5";
  const path = out.path.endsWith("/") ? out.path.slice(0, -1) : out.path;
  const result = newResult(path);
  const desired = linker.current === "reflink" ? "copy" : linker.current;

  if (!out.hash.md5.endsWith(".dir")) {
    return await checkoutFile(ctx, store, linker, path, out.hash, opts, desired);
  }
  let listing: DirEntry[];
  try {
    listing = opts.listing ??
      span("checkout: read .dir", () => store.readDirObject(out.hash.md5, { legacy }));
  } catch (err) {
    if (
      err instanceof MissingObjectError || err instanceof CorruptObjectError
    ) {
      const obj = store.pathFor(out.hash.md5, { legacy });
      if (err instanceof CorruptObjectError || wasRemovedCorrupt(obj)) {
        result.corrupt.push({ relpath: "", md5: out.hash.md5, path: obj });
      }
      result.missing.push("");
      result.status = "missing";
      return result;
    }
    throw err;
  }
  // Listings come from clones and remotes: every entry must stay inside the output.
  if (!opts.listingGuarded) guardListing(path, out.hash.md5, listing, opts.source);
  const st = lstatOrNull(path);
  const existed = st !== null;
  let present: WalkFile[] = [];
  const pre: Plan = {
    write: [],
    relink: [],
    remove: [],
    unchanged: 0,
    missing: [],
    uncached: [],
  };
  if (st && st.isDirectory) {
    present = walkFiles(path, { ignore: ctx.ignore }).files;
  } else if (st) {
    // A file (or symlink) where the directory goes: replaced.
    const w = fileAsWalk(path, st);
    if (!opts.force && !isCachedContent(ctx, store, w)) pre.uncached.push(path);
    pre.remove.push(w);
  }
  const wants = wantsOf(listing, store, legacy);
  const p = await spanAsync(
    "checkout: plan",
    () => plan(ctx, store, wants, present, legacy, { ...opts, absent: !existed }, desired),
  );
  p.uncached.unshift(...pre.uncached);
  await confirmOrThrow(p, opts);
  if (pre.remove.length) {
    Deno.removeSync(path);
  }
  let staging: string | undefined;
  try {
    if (!existed && p.write.length > 0) {
      Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || "/", { recursive: true });
      staging = stagingFor(ctx, path);
    }
    if (!staging) Deno.mkdirSync(path, { recursive: true });
  } catch (err) {
    throw fsError(err, "creating", path);
  }
  result.unchanged = p.unchanged;
  result.missing = p.missing;
  result.corrupt = corruptOf(p);
  const written = await spanAsync("checkout: apply", () =>
    apply(
      ctx,
      linker,
      path,
      p,
      () => false,
      opts.onProgress,
      result,
      opts.parallel,
      store,
      legacy,
      staging,
    ));
  if (result.missing.length === 0) result.files = filesAfter(present, p, written);
  span(
    "checkout: sort changes",
    () => result.changes.sort((a, b) => (a.relpath < b.relpath ? -1 : 1)),
  );
  return finish(result, existed);
}

/**
 * A staging folder for directory output `path`, which does not exist yet, in
 * the repository's `.dvc/tmp` when that is on the same filesystem (else
 * undefined: files go in place, each by temp + rename). The output is written
 * there and renamed into place complete: no temp + rename per file, and a
 * checkout interrupted or killed leaves no partial output in the workspace
 * (a killed one's folder is swept as a stale temp by the next checkout).
 */
function stagingFor(ctx: CacheContext, path: string): string | undefined {
  const tmp = `${ctx.rootDir}/.dvc/tmp`;
  try {
    // lstat: a cloned repo's `.dvc` or `.dvc/tmp` that is a symlink would put the staged
    // output outside the workspace; such a repo gets the in-place path instead.
    if (!Deno.lstatSync(`${ctx.rootDir}/.dvc`).isDirectory) return undefined;
    Deno.mkdirSync(tmp, { recursive: true });
    if (!Deno.lstatSync(tmp).isDirectory) return undefined;
    const parent = Deno.statSync(path.slice(0, path.lastIndexOf("/")) || "/");
    if (Deno.statSync(tmp).dev !== parent.dev) return undefined;
    return makeTempDirNear(`${tmp}/checkout`);
  } catch (err) {
    // not a repository's output, a read-only .dvc, ...: in place then
    if (
      err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.AlreadyExists || err instanceof Deno.errors.NotADirectory
    ) return undefined;
    throw err;
  }
}

/**
 * Throw UnsafePathError for the first `.dir` entry that would land outside
 * `outPath` (or in a `.git`/`.dvc` below it), before anything is written.
 */
export function guardListing(
  outPath: string,
  md5: string,
  listing: readonly DirEntry[],
  source?: string,
): void {
  new PathGuard(outPath).checkListing(listing, {
    file: source ?? outPath,
    entry: `'.dir' object ${md5}, entry`,
  });
}

function fileAsWalk(path: string, st: Deno.FileInfo): WalkFile {
  let s = st;
  if (st.isSymlink) {
    try {
      s = Deno.statSync(path);
    } catch (err) {
      ignoreNotFound(err); // broken link: keep lstat
    }
  }
  const w: WalkFile = {
    ...stampOf(s),
    rel: "",
    abs: path,
    nlink: s.nlink ?? 1,
  };
  if (st.isSymlink) w.symlink = true;
  return w;
}

function isCachedContent(
  ctx: CacheContext,
  store: ObjectStore,
  w: WalkFile,
): boolean {
  if (w.symlink && readLinkOrNull(w.abs)?.startsWith(store.cacheDir + "/")) {
    return true;
  }
  const md5 = ctx.state?.lookup(w.abs, w);
  return md5 !== undefined && store.has(md5);
}

async function checkoutFile(
  ctx: CacheContext,
  store: ObjectStore,
  linker: Linker,
  path: string,
  hash: HashInfo,
  opts: CheckoutOptions,
  desired: LinkType,
): Promise<CheckoutResult> {
  const legacy = hash.hashName !== "md5";
  const result = newResult(path);
  // A killed checkout leaves its temp next to the file: gone before the next one looks.
  sweepOnce(path.slice(0, path.lastIndexOf("/")) || "/");
  const st = lstatOrNull(path);
  const want: Want = {
    relpath: "",
    md5: hash.md5,
    obj: store.pathFor(hash.md5, { legacy }),
    size: hash.size,
  };
  let present: WalkFile[] = [];
  const uncachedDir: string[] = [];
  if (st && st.isDirectory) {
    // A directory where the file goes: everything in it would be deleted.
    const files = walkFiles(path, { ignore: ctx.ignore }).files;
    if (!opts.force && files.length > 0) {
      const r = await hashFiles(files, { state: ctx.state });
      files.forEach((f, i) => {
        if (!store.has(r.md5s[i])) uncachedDir.push(f.abs);
      });
    }
  } else if (st) {
    present = [fileAsWalk(path, st)];
  }
  const p = await plan(ctx, store, [want], present, legacy, opts, desired);
  p.uncached.unshift(...uncachedDir);
  await confirmOrThrow(p, opts);
  if (st?.isDirectory && p.write.length) {
    Deno.removeSync(path, { recursive: true });
  }
  result.unchanged = p.unchanged;
  result.missing = p.missing;
  result.corrupt = corruptOf(p);
  await apply(
    ctx,
    linker,
    path,
    p,
    () => !!hash.isexec,
    opts.onProgress,
    result,
    undefined,
    store,
    legacy,
  );
  // Exec bit of an unchanged copy (DVC restores `isexec: true`).
  if (p.unchanged && hash.isexec && present[0] && !isExecMode(present[0].mode)) {
    const m = present[0].mode & 0o777;
    try {
      Deno.chmodSync(path, m | ((m & 0o444) >> 2));
    } catch { /* a read-only link: leave it */ }
  }
  if (st?.isDirectory) {
    for (const ch of result.changes) ch.change = "modified"; // replaced the dir
  }
  return finish(result, st !== null);
}

export interface CommitOptions {
  onProgress?: ProgressFn;
  /** re-link the workspace per cache.type afterwards (default true) */
  relink?: boolean;
  linker?: Linker;
  /** parallel hashing knobs (tests, benchmarks) */
  parallel?: ParallelTuning;
}

export interface CommitResult {
  kind: "file" | "dir";
  /** what to record in the .dvc / dvc.lock entry (DVC 3, hashName "md5") */
  hash: HashInfo;
  /** objects newly stored (files and the .dir) */
  stored: number;
  /** workspace files re-linked */
  relinked: number;
  linkType?: LinkType;
  /** a directory's files as walked, when none was re-linked (see CheckoutResult.files) */
  files?: WalkFile[];
}

/** Files stored between two event-loop turns in commitOutput. */
const STORE_YIELD_EVERY = 1000;

/**
 * Hash a workspace output, store its objects in the cache, and relink it
 * per cache.type (with the default reflink,copy the workspace copy stays).
 */
export async function commitOutput(
  ctx: CacheContext,
  absPath: string,
  opts: CommitOptions = {},
): Promise<CommitResult> {
  const store = storeFor(ctx);
  const linker = opts.linker ?? new Linker(ctx.linkTypes);
  const hardlinkFirst = ctx.linkTypes[0] === "hardlink";
  const path = absPath.endsWith("/") ? absPath.slice(0, -1) : absPath;
  const r = await hashPath(path, {
    state: ctx.state,
    ignore: ctx.ignore,
    onProgress: opts.onProgress,
    tuning: opts.parallel,
    // Store while hashing, except when objects should be hardlinks of the files.
    store: hardlinkFirst
      ? undefined
      : { root: store.filesDir, groupShared: ctx.shared === "group" },
  });
  let stored = 0;
  const desired = linker.current === "reflink" ? "copy" : linker.current;
  const res: CommitResult = {
    kind: r.kind,
    hash: r.hash,
    stored: 0,
    relinked: 0,
  };
  if (r.kind === "file") {
    stored += r.stored ? 1 : 0;
    if (!r.stored && store.addFile(path, r.hash.md5, { hardlink: hardlinkFirst }).added) {
      stored++;
    }
    res.stored = stored;
    if (opts.relink !== false) {
      const st = Deno.lstatSync(path);
      const w = fileAsWalk(path, st);
      const obj = store.pathFor(r.hash.md5);
      if (needsRelink(w, obj, desired)) {
        res.linkType = linker.link(obj, path, {
          isexec: !!r.hash.isexec,
          groupShared: ctx.shared === "group",
        });
        res.relinked = 1;
        ctx.state?.save(path, stampOf(Deno.statSync(path)), r.hash.md5, {
          hashedAt: Date.now(),
        });
      }
    }
    return res;
  }
  stored += r.stored;
  const idx = hardlinkFirst ? r.entries.map((_, i) => i) : r.fromStateIdx;
  for (let j = 0; j < idx.length; j++) {
    // seconds at 100k files: let Ctrl-C in
    if (j % STORE_YIELD_EVERY === STORE_YIELD_EVERY - 1) {
      await yieldToEventLoop();
      checkInterrupted();
    }
    const k = idx[j];
    const a = store.addFile(r.files[k].abs, r.entries[k].md5, {
      hardlink: hardlinkFirst,
    });
    if (a.added) stored++;
  }
  if (store.addDirObject(r.dirObject).added) stored++;
  res.stored = stored;
  if (opts.relink !== false) {
    // With copy, only files that are links into the cache need replacing.
    const onlyLinks = desired === "copy";
    const relink: Want[] = [];
    for (let k = 0; k < r.entries.length; k++) {
      const w = r.files[k];
      if (onlyLinks && !w.symlink && (w.nlink ?? 1) === 1) continue;
      const obj = store.pathFor(r.entries[k].md5);
      if (needsRelink(w, obj, desired)) {
        relink.push({ relpath: w.rel, md5: r.entries[k].md5, obj, w });
      }
    }
    if (relink.length || !onlyLinks) {
      const p: Plan = { write: [], relink, remove: [], unchanged: 0, missing: [], uncached: [] };
      const tmp = newResult(path);
      await apply(ctx, linker, path, p, () => false, undefined, tmp);
      res.relinked = tmp.relinked;
      res.linkType = tmp.linkType;
    }
  }
  if (res.relinked === 0) res.files = r.files;
  return res;
}
