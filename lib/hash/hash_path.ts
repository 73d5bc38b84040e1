/**
 * Hash a workspace path as DVC does (spec §5): a file -> md5 + size (+ isexec),
 * a directory -> `.dir` listing of its non-ignored files -> `<md5>.dir`,
 * nfiles, size.
 */
import { fsError } from "../errors.ts";
import { type DvcIgnore, DvcIgnoreInCollectedDirError } from "../fs/dvcignore.ts";
import { stampOf, type WalkFile, walkFiles } from "../fs/walk.ts";
import type { HashInfo } from "../stage/types.ts";
import { buildDirObject, type DirEntry, type DirObject, pathComparator } from "./dir_listing.ts";
import { hashFiles, type HashFilesOptions, type HashFilesResult } from "./hash_files.ts";
import { span, spanAsync } from "../trace.ts";

export interface HashPathOptions extends HashFilesOptions {
  /** repository ignore rules (applied to directories) */
  ignore?: DvcIgnore;
  /** hash a directory even if it contains a `.dvcignore` (DVC refuses to) */
  allowDvcIgnoreInside?: boolean;
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
  const dir = absPath.length > 1 && absPath.endsWith("/") ? absPath.slice(0, -1) : absPath;
  const walked = span("walk", () => walkFiles(dir, { ignore: opts.ignore }));
  if (walked.dvcignoreFiles.length > 0 && !opts.allowDvcIgnoreInside) {
    throw new DvcIgnoreInCollectedDirError(dir);
  }
  const r = await spanAsync("hash files", () => hashFiles(walked.files, opts));
  return span("dir listing", () => dirResult(walked, r));
}

/** The sorted listing, its `.dir` object and which entries the state served. */
function dirResult(walked: { files: WalkFile[] }, r: HashFilesResult): DirHashResult {
  // Sort once by code point; files stay aligned with their entries.
  const cmp = pathComparator(walked.files.map((f) => f.rel));
  const order = walked.files.map((_, i) => i).sort((a, b) =>
    cmp(walked.files[a].rel, walked.files[b].rel)
  );
  const files = new Array<WalkFile>(order.length);
  const entries = new Array<DirEntry>(order.length);
  for (let k = 0; k < order.length; k++) {
    const f = walked.files[order[k]];
    files[k] = f;
    entries[k] = { relpath: f.rel, md5: r.md5s[order[k]], size: f.size };
    if (isExecMode(f.mode)) entries[k].isexec = true;
  }
  const dirObject = buildDirObject(entries);
  const read = new Uint8Array(order.length);
  for (const i of r.hashed) read[i] = 1;
  const fromStateIdx: number[] = [];
  for (let k = 0; k < order.length; k++) if (!read[order[k]]) fromStateIdx.push(k);
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
