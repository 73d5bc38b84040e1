/**
 * Hash a workspace path as DVC does (spec §5): a file -> md5 + size (+ isexec),
 * a directory -> `.dir` listing of its non-ignored files -> `<md5>.dir`,
 * nfiles, size.
 */
import { CairnError, fsError } from "../errors.ts";
import { type DvcIgnore, DvcIgnoreInCollectedDirError } from "../fs/dvcignore.ts";
import { PARALLEL_AFTER_FILES, stampOf, type WalkFile, walkFilesParallel } from "../fs/walk.ts";
import type { HashInfo } from "../stage/types.ts";
import { buildDirObject, type DirEntry, type DirObject, pathComparatorBy } from "./dir_listing.ts";
import { hashFiles, type HashFilesOptions, type HashFilesResult } from "./hash_files.ts";
import { md5Hasher } from "./md5.ts";
import { RACY_WINDOW_MS } from "./state.ts";
import { span, spanAsync, traceCount } from "../trace.ts";

export interface HashPathOptions extends HashFilesOptions {
  /** repository ignore rules (applied to directories) */
  ignore?: DvcIgnore;
  /** hash a directory even if it contains a `.dvcignore` (DVC refuses to) */
  allowDvcIgnoreInside?: boolean;
  /**
   * Files the directory had when last recorded (a `.dvc` file's `nfiles`): a
   * big one has its walk's Worker start at once instead of after the main
   * thread's first 12k files (a no-op `status` of 100k files: the Worker took
   * 43% of the walk, its start being late).
   */
  expectFiles?: number;
}

export interface FileHashResult {
  kind: "file";
  hash: HashInfo;
  /** absolute path, its stamp and mode (the target's, for a symlink) */
  file: WalkFile;
  /** true if the md5 came from the state index */
  fromState: boolean;
  /** true if stored as a new object (with the `store` option) */
  stored: boolean;
}

export interface DirHashResult {
  kind: "dir";
  hash: HashInfo;
  /** sorted listing with size/isexec of each file */
  entries: DirEntry[];
  dirObject: DirObject;
  /** the walked files, same order as `entries` */
  files: WalkFile[];
  /** how many file hashes came from the state index */
  fromState: number;
  /** indexes into `entries` of the files served by the state (not read) */
  fromStateIdx: number[];
  /** objects newly stored (with the `store` option) */
  stored: number;
}

export type HashResult = FileHashResult | DirHashResult;

export function isExecMode(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

/** Hash an absolute path (file, symlink to a file, or directory). */
export async function hashPath(
  absPath: string,
  opts: HashPathOptions = {},
): Promise<HashResult> {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(absPath);
  } catch (err) {
    throw fsError(err, "hashing", absPath);
  }
  if (info.isDirectory) return await hashDir(absPath, opts);
  return await hashFileAt(absPath, info, opts);
}

/** Hash one file (symlinks followed). */
export async function hashFile(
  absPath: string,
  opts: HashFilesOptions = {},
): Promise<FileHashResult> {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(absPath);
  } catch (err) {
    throw fsError(err, "hashing", absPath);
  }
  return await hashFileAt(absPath, info, opts);
}

async function hashFileAt(
  absPath: string,
  info: Deno.FileInfo,
  opts: HashFilesOptions,
): Promise<FileHashResult> {
  // a FIFO would block the read for good; sockets and devices are no data either
  if (!info.isFile) {
    throw new CairnError(`'${absPath}' is not a regular file or directory: it cannot be hashed`);
  }
  const s = stampOf(info);
  const slash = absPath.lastIndexOf("/");
  const file: WalkFile = { ...s, abs: absPath, rel: absPath.slice(slash + 1) };
  const r = await hashFiles([file], { ...opts, workers: 1 });
  const hash: HashInfo = { md5: r.md5s[0], size: s.size, hashName: "md5" };
  if (isExecMode(s.mode)) hash.isexec = true;
  return {
    kind: "file",
    hash,
    file,
    fromState: r.fromState === 1,
    stored: r.stored === 1,
  };
}

/** Hash a directory: walk (ignores applied), hash files, build the `.dir` listing. */
export async function hashDir(
  absPath: string,
  opts: HashPathOptions = {},
): Promise<DirHashResult> {
  const w = await walkDir(absPath, opts);
  return await hashWalked(w, opts);
}

/**
 * Only the HashInfo of a path. For an unchanged directory this is one
 * state lookup by tree digest after the walk: no per-file lookups, no
 * listing built (what a no-op `status` of a big tree needs).
 */
export async function hashPathInfo(
  absPath: string,
  opts: HashPathOptions = {},
): Promise<HashInfo> {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(absPath);
  } catch (err) {
    throw fsError(err, "hashing", absPath);
  }
  if (!info.isDirectory) return (await hashFileAt(absPath, info, opts)).hash;
  const w = await walkDir(absPath, opts);
  if (opts.state) {
    const state = opts.state;
    w.digest = span("tree digest", () => treeDigest(w.files));
    const rec = span("state lookup", () => state.lookupDir(w.dir, w.digest!));
    if (rec) {
      traceCount("dirs from state");
      traceCount("files from state", rec.nfiles);
      return { md5: rec.md5, size: rec.size, nfiles: rec.nfiles, hashName: "md5" };
    }
  }
  return (await hashWalked(w, opts)).hash;
}

interface Walked {
  dir: string;
  files: WalkFile[];
  /** Date.now() before the walk: every stat and read happened after it */
  startedAt: number;
  digest?: string;
}

async function walkDir(absPath: string, opts: HashPathOptions): Promise<Walked> {
  const dir = absPath.length > 1 && absPath.endsWith("/") ? absPath.slice(0, -1) : absPath;
  const startedAt = Date.now();
  const big = (opts.expectFiles ?? 0) >= 2 * PARALLEL_AFTER_FILES;
  const walked = await spanAsync("walk", () =>
    walkFilesParallel(dir, {
      ignore: opts.ignore,
      tuning: big ? { parallelAfterFiles: 0 } : undefined,
    }));
  if (walked.dvcignoreFiles.length > 0 && !opts.allowDvcIgnoreInside) {
    throw new DvcIgnoreInCollectedDirError(dir);
  }
  return { dir, files: walked.files, startedAt };
}

async function hashWalked(w: Walked, opts: HashPathOptions): Promise<DirHashResult> {
  // Hashed in listing order: the listing needs it anyway, and the state index
  // (keyed by path) then gets its new entries in key order. In walk order a
  // 1M-file add wrote 530 MB to the index's WAL (25x the 100k figure) where
  // key order writes 220 MB.
  const sorted = span("sort", () => inListingOrder(w.files));
  const r = await spanAsync("hash files", () => hashFiles(sorted, { ...opts, under: w.dir }));
  const result = span("dir listing", () => dirResult(sorted, r));
  if (opts.state) {
    // Remember the dir hash under its tree digest, unless a file changed
    // within the racy window (same rule as per-file entries).
    let newest = 0;
    for (const f of w.files) if (f.mtimeMs > newest) newest = f.mtimeMs;
    if (newest < w.startedAt - RACY_WINDOW_MS) {
      const digest = w.digest ?? span("tree digest", () => treeDigest(w.files));
      const h = result.hash;
      opts.state.saveDir(w.dir, digest, { md5: h.md5, size: h.size ?? 0, nfiles: h.nfiles ?? 0 });
    }
  }
  return result;
}

/**
 * Digest of everything a directory's hash depends on, content aside: each
 * walked file's relpath, stamp (inode, mtime, size) and exec bit, in walk
 * order. Same trust as the per-file state entries (the stamps), one lookup.
 * A different walk order only makes a miss (then the per-file path runs).
 */
export function treeDigest(files: readonly WalkFile[]): string {
  // Numbers in a typed array and names joined, a chunk at a time: 3-5x
  // cheaper than a string per file, and at 1M files ~60 MB less at once than
  // the whole tree's arrays (the bytes hashed are the same: all numbers, then
  // all names joined). Fixed 32 bytes per file, and names never contain NUL,
  // so the input is unambiguous.
  const h = md5Hasher();
  const nums = new Float64Array(Math.min(files.length, DIGEST_CHUNK) * 4);
  for (let s = 0; s < files.length; s += DIGEST_CHUNK) {
    const e = Math.min(files.length, s + DIGEST_CHUNK);
    for (let i = s, j = 0; i < e; i++, j += 4) {
      const f = files[i];
      nums[j] = f.ino;
      nums[j + 1] = f.mtimeMs;
      nums[j + 2] = f.size;
      nums[j + 3] = isExecMode(f.mode) ? 1 : 0;
    }
    h.update(new Uint8Array(nums.buffer, 0, (e - s) * 32));
  }
  for (let s = 0; s < files.length; s += DIGEST_CHUNK) {
    const e = Math.min(files.length, s + DIGEST_CHUNK);
    const rels = new Array<string>(e - s + (s > 0 ? 1 : 0));
    let k = 0;
    if (s > 0) rels[k++] = ""; // the NUL between this chunk and the one before
    for (let i = s; i < e; i++) rels[k++] = files[i].rel;
    h.update(rels.join("\0"));
  }
  return h.digest();
}

/** Files per chunk of treeDigest's input. */
const DIGEST_CHUNK = 65536;

/** The files sorted by relpath, code point order (DVC's listing order). */
function inListingOrder(files: readonly WalkFile[]): WalkFile[] {
  const cmp = pathComparatorBy(files, (f) => f.rel);
  return [...files].sort((a, b) => cmp(a.rel, b.rel));
}

/** The listing of `files` (sorted), its `.dir` object and which entries the state served. */
function dirResult(files: WalkFile[], r: HashFilesResult): DirHashResult {
  const entries = new Array<DirEntry>(files.length);
  for (let k = 0; k < files.length; k++) {
    const f = files[k];
    entries[k] = { relpath: f.rel, md5: r.md5s[k], size: f.size };
    if (isExecMode(f.mode)) entries[k].isexec = true;
  }
  const dirObject = buildDirObject(entries, { sorted: true });
  const read = new Uint8Array(files.length);
  for (const i of r.hashed) read[i] = 1;
  const fromStateIdx: number[] = [];
  for (let k = 0; k < files.length; k++) if (!read[k]) fromStateIdx.push(k);
  return {
    kind: "dir",
    hash: {
      md5: dirObject.md5,
      size: dirObject.size ?? 0,
      nfiles: dirObject.nfiles,
      hashName: "md5",
    },
    entries,
    dirObject,
    files,
    fromState: r.fromState,
    fromStateIdx,
    stored: r.stored,
  };
}
