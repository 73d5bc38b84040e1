/**
 * What cairn last wrote into the workspace outside git (DVC's state "links",
 * dvc-data `State.save_link` / `get_unused_links`): every output that add,
 * commit, repro or checkout leaves in place is remembered with a signature
 * of its files. A later `checkout` without targets removes the remembered
 * outputs that no stage tracks any more (e.g. after `git checkout` of an
 * older commit), but only while they are exactly as cairn left them.
 */
import { relative } from "../path.ts";
import type { CacheContext } from "../cache/types.ts";
import { fsError } from "../errors.ts";
import { statFile, type WalkFile, walkFiles } from "../fs/walk.ts";
import { treeDigest } from "../hash/hash_path.ts";

/**
 * Signature of a file (inode, mtime) or a directory (its files' stamps);
 * undefined if gone. `files`: the directory's files when the caller knows
 * them as they are now (add, checkout), which saves walking it again.
 */
export function linkSignature(
  abs: string,
  ctx: CacheContext,
  files?: readonly WalkFile[],
): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(abs);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw fsError(err, "reading", abs);
  }
  if (!info.isDirectory) {
    const s = statFile(abs);
    return `f:${s.ino}:${s.mtimeMs}`;
  }
  return `d:${info.ino ?? 0}:${
    treeDigest(inRelOrder(files ?? walkFiles(abs, { ignore: ctx.ignore }).files))
  }`;
}

const byRel = (a: WalkFile, b: WalkFile) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);

/** Files sorted by relpath (UTF-16 order); usually already so, then not copied. */
function inRelOrder(files: readonly WalkFile[]): readonly WalkFile[] {
  for (let i = 1; i < files.length; i++) {
    if (files[i - 1].rel > files[i].rel) return [...files].sort(byRel);
  }
  return files;
}

/**
 * Remember output `abs` as written by cairn (no-op without a state index).
 * `files`: a directory output's files as now, if known (see linkSignature).
 */
export function saveLink(ctx: CacheContext, abs: string, files?: readonly WalkFile[]): void {
  if (!ctx.state) return;
  const sig = linkSignature(abs, ctx, files);
  if (sig === undefined) return;
  ctx.state.saveLink(relative(ctx.rootDir, abs).split("\\").join("/"), sig);
}

/** A remembered output no stage tracks any more, still as cairn left it. */
export interface UnusedLink {
  /** repo-relative posix path */
  path: string;
  isDir: boolean;
}

/**
 * Remembered outputs outside `used` (repo-relative paths of every output
 * tracked now) that are unchanged since cairn wrote them. Remembered paths
 * that are gone or were changed by the user are forgotten, not returned.
 */
export function unusedLinks(ctx: CacheContext, used: ReadonlySet<string>): UnusedLink[] {
  if (!ctx.state) return [];
  const out: UnusedLink[] = [];
  const forget: string[] = [];
  for (const { path, sig } of ctx.state.links()) {
    if (used.has(path)) continue;
    const now = linkSignature(`${ctx.rootDir}/${path}`, ctx);
    if (now === sig) out.push({ path, isDir: sig.startsWith("d:") });
    else if (now === undefined) forget.push(path);
  }
  if (forget.length) ctx.state.removeLinks(forget);
  return out;
}

/** Delete unused outputs from the workspace and forget them. */
export function removeLinks(ctx: CacheContext, links: readonly UnusedLink[]): void {
  for (const l of links) {
    const abs = `${ctx.rootDir}/${l.path}`;
    try {
      Deno.removeSync(abs, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw fsError(err, "removing", abs);
    }
  }
  ctx.state?.removeLinks(links.map((l) => l.path));
}
