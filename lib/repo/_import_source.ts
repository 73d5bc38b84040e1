/**
 * The source side of `import`/`get`/`update`/`fetch` of another repository's
 * data (dvc-spec §17): the source repo is cloned (local paths too) and checked
 * out at the locked commit; git-tracked paths are copied from that checkout,
 * DVC-tracked outputs fetched into the cache from the source's local cache
 * (local URLs) and then its default (or `--remote`) remote as configured at
 * that commit.
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { makeTempDirNear } from "../fs/temp_files.ts";
import { fileURLToPath } from "node:url";
import { CairnError, fsError, ignoreNotFound, ScmError, UnknownRevisionError } from "../errors.ts";
import { checkoutOutput, commitOutput } from "../cache/checkout.ts";
import { ObjectStore } from "../cache/object_store.ts";
import { fetchObjects, type TransferObject } from "../cache/transfer.ts";
import type { CacheContext } from "../cache/types.ts";
import { checkListingEntries, UnsafePathError } from "../fs/path_guard.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import { hashPath } from "../hash/hash_path.ts";
import { openRemote } from "../plugin/remote.ts";
import { gitRaw } from "../scm/git.ts";
import type { Dependency, HashInfo, Stage } from "../stage/types.ts";
import { readLevel } from "../config/config.ts";
import { allOutputs, collectStages, isInside } from "./collect.ts";
import { isDir, openRepo, type Repo } from "./repo.ts";

/** A path that the source repository neither tracks with DVC nor with git (DVC's `PathMissingError`). */
export class PathMissingError extends CairnError {
  /** `path` in the repository at `url`. */
  constructor(path: string, url: string) {
    super(
      `The path '${path}' does not exist in the target repository '${url}' neither as a DVC output nor as a Git-tracked file.`,
    );
  }
}

/** A clone of the source repository checked out at `revLock`. */
export interface SourceCheckout {
  url: string;
  /** the clone's work tree. */
  dir: string;
  revLock: string;
  /** the source as a local directory, when the URL is one. */
  localPath?: string;
  /** the source's remote to fetch DVC data from (`repo.remote`; default: its core.remote). */
  remote?: string;
  cleanup(): void;
}

export function localPathOf(url: string, cwd: string): string | undefined {
  if (url.startsWith("file://")) return fileURLToPath(url);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url) || /^[^/]+@[^/]+:/.test(url)) return undefined;
  const p = resolve(cwd, url);
  return isDir(p) ? p : undefined;
}

function revParse(rev: string, dir: string): string | null {
  const r = gitRaw(["rev-parse", "--verify", "-q", `${rev}^{commit}`], { cwd: dir });
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * Clone `url` into a temp dir and check out `revLock`, else `rev`, else the
 * source's HEAD. Unknown revisions are CairnErrors (the clone is removed).
 */
export function openSource(
  url: string,
  cwd: string,
  opts: { rev?: string; revLock?: string; remote?: unknown } = {},
): SourceCheckout {
  const localPath = localPathOf(url, cwd);
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-import-" });
  const cleanup = () => {
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* best effort: already gone, or cleanup must not mask the import's error */ }
  };
  try {
    const r = gitRaw(["clone", "-q", "--no-checkout", localPath ?? url, tmp], { cwd });
    if (r.code !== 0) {
      throw new ScmError(`failed to clone '${url}'`, r.stderr.trim());
    }
    let revLock: string | null = null;
    if (opts.revLock) revLock = revParse(opts.revLock, tmp);
    else if (opts.rev) revLock = revParse(opts.rev, tmp) ?? revParse(`origin/${opts.rev}`, tmp);
    else revLock = revParse("HEAD", tmp);
    if (!revLock) {
      const what = opts.revLock ?? opts.rev;
      throw what
        ? new UnknownRevisionError(what, url)
        : new CairnError(`'${url}' has no commits to import from`);
    }
    const co = gitRaw(["-c", "advice.detachedHead=false", "checkout", "-q", revLock], {
      cwd: tmp,
    });
    if (co.code !== 0) throw new ScmError("git checkout failed", co.stderr.trim());
    const remote = typeof opts.remote === "string" ? opts.remote : undefined;
    return { url, dir: tmp, revLock, localPath, remote, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** What a path of the source repo is: a DVC output (with its hash) or git-tracked. */
export type SourceItem =
  | { kind: "dvc"; hash: HashInfo; srcRepo: Repo; sub?: string; file?: string }
  | { kind: "git"; abs: string };

export function normPath(p: string): string {
  return p.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

export function locate(src: SourceCheckout, path: string): SourceItem {
  const p = normPath(path);
  if (isDir(join(src.dir, ".dvc"))) {
    const srcRepo = openRepo(src.dir, { cwd: src.dir });
    for (const o of allOutputs(collectStages(srcRepo))) {
      if (o.rel === p && o.out.hash?.md5) {
        return { kind: "dvc", hash: o.out.hash, srcRepo, file: o.stage.file };
      }
      // a path inside a tracked directory: resolved from its listing once fetched
      if (isInside(p, o.rel) && o.out.hash?.md5.endsWith(".dir")) {
        const sub = p.slice(o.rel.length + 1);
        return { kind: "dvc", hash: o.out.hash, srcRepo, sub, file: o.stage.file };
      }
    }
  }
  const ls = gitRaw(["ls-tree", "-r", "--name-only", src.revLock, "--", p], { cwd: src.dir });
  if (p !== "" && ls.code === 0 && ls.stdout.trim() !== "") {
    return { kind: "git", abs: join(src.dir, p) };
  }
  throw new PathMissingError(path, src.url);
}

/** The source's remote config, its relative local paths re-based onto the real source. */
function sourceRemoteUrl(src: SourceCheckout, srcRepo: Repo): Record<string, string> | null {
  const name = (src.remote ?? srcRepo.config.core.remote)?.toLowerCase();
  if (!name) return null;
  const cfg = srcRepo.config.remote[name];
  if (!cfg?.url) {
    if (src.remote) {
      throw new CairnError(`remote '${src.remote}' is not configured in '${src.url}'`);
    }
    return null;
  }
  const out = { ...cfg };
  if (src.localPath) {
    // A relative url is relative to the source's `.dvc/`, not to our clone's.
    for (const [sec, keys] of readLevel("repo", srcRepo.dvcDir)) {
      const m = /^\s*remote\s*"(.*)"\s*$/.exec(sec);
      const raw = m && m[1].toLowerCase() === name ? keys.get("url") : undefined;
      if (raw && !isAbsolute(raw) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw)) {
        out.url = resolve(src.localPath, ".dvc", raw);
      }
    }
  }
  return out;
}

export function hasData(store: ObjectStore, hash: HashInfo): boolean {
  const legacy = hash.hashName !== "md5";
  return hash.md5.endsWith(".dir")
    ? store.hasAllObjects(hash.md5, { legacy })
    : store.has(hash.md5, { legacy });
}

/**
 * The hash of `sub` inside the fetched directory `dir`: a file's object, or
 * a `.dir` object for a sub-directory (stored in `store`).
 */
export function subHash(store: ObjectStore, dir: HashInfo, sub: string, url: string): HashInfo {
  const legacy = dir.hashName !== "md5";
  const ns = { legacy };
  const listing = store.readDirObject(dir.md5, ns);
  const size = (md5: string) => Deno.statSync(store.pathFor(md5, ns)).size;
  const file = listing.find((e) => e.relpath === sub);
  const base: HashInfo = legacy ? { md5: "" } : { md5: "", hashName: "md5" };
  if (file) return { ...base, md5: file.md5, size: size(file.md5) };
  const inner = listing.filter((e) => e.relpath.startsWith(sub + "/"))
    .map((e) => ({ ...e, relpath: e.relpath.slice(sub.length + 1) }));
  if (!inner.length) {
    throw new PathMissingError(sub, url);
  }
  const md5 = store.addDirObject(inner, ns).md5;
  const total = inner.reduce((n, e) => n + size(e.md5), 0);
  return { ...base, md5, size: total, nfiles: inner.length };
}

/** Bring the objects of `hash` into `cacheDir`: source cache first, then its default remote. */
export async function fetchSourceData(
  src: SourceCheckout,
  srcRepo: Repo,
  hash: HashInfo,
  cacheDir: string,
  file?: string,
): Promise<void> {
  const store = new ObjectStore(cacheDir);
  // The source's listing is refused before its files are fetched (and the .dir is not kept).
  const checkListing = (d: TransferObject, entries: DirEntry[]) =>
    checkListingEntries(entries, {
      file: `${src.url}/${file ?? "?"}`,
      entry: `'.dir' object ${d.md5}, entry`,
    });
  const legacy = hash.hashName !== "md5";
  const objs: TransferObject[] = [{ md5: hash.md5, legacy }];
  const complete = () => hasData(store, hash);
  if (complete()) return;
  Deno.mkdirSync(cacheDir, { recursive: true });
  const configs: { name: string; config: Record<string, string> }[] = [];
  if (src.localPath) {
    try {
      const local = openRepo(src.localPath, { cwd: src.localPath });
      if (isDir(local.cacheDir)) {
        configs.push({ name: "source cache", config: { url: local.cacheDir } });
      }
    } catch (err) {
      // not a DVC repo at its HEAD (or a broken one): only the remote is left
      if (!(err instanceof CairnError)) throw err;
    }
  }
  const remote = sourceRemoteUrl(src, srcRepo);
  if (remote) configs.push({ name: "source remote", config: remote });
  for (const c of configs) {
    const r = await openRemote(c.config, { name: c.name, cacheDir });
    try {
      await fetchObjects(store, r, objs, { checkListing });
    } catch (err) {
      if (err instanceof UnsafePathError) throw err;
      /* try the next source */
    } finally {
      await r.close();
    }
    if (complete()) return;
  }
  throw new CairnError(
    `the data of this import is neither in the cache of '${src.url}' nor on its default remote`,
    { hint: "push the data in the source repository first" },
  );
}

export function copyTree(source: string, dest: string): void {
  try {
    Deno.mkdirSync(dirname(dest), { recursive: true });
    if (Deno.statSync(source).isDirectory) {
      Deno.mkdirSync(dest, { recursive: true });
      for (const e of Deno.readDirSync(source)) {
        if (e.name === ".git") continue;
        copyTree(join(source, e.name), join(dest, e.name));
      }
    } else {
      Deno.copyFileSync(source, dest);
    }
  } catch (err) {
    throw fsError(err, "copying", source);
  }
}

export function removePath(p: string): void {
  try {
    Deno.removeSync(p, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw fsError(err, "removing", p);
  }
}

export function pathExists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

/**
 * Write the data of `item` at `dest` (replacing it). With `ctx`, DVC data
 * goes through that cache and git data is committed to it; returns the hash.
 */
export async function materialize(
  src: SourceCheckout,
  item: SourceItem,
  dest: string,
  ctx: CacheContext,
  opts: { commit: boolean },
): Promise<HashInfo> {
  // Written next to the destination first, so a failure leaves the old data.
  const stagingDir = makeTempDirNear(dest);
  const staged = join(stagingDir, basename(dest));
  try {
    let hash: HashInfo;
    if (item.kind === "dvc") {
      await fetchSourceData(src, item.srcRepo, item.hash, ctx.cacheDir, item.file);
      hash = item.sub === undefined
        ? item.hash
        : subHash(new ObjectStore(ctx.cacheDir), item.hash, item.sub, src.url);
      const r = await checkoutOutput({ ...ctx, ignore: undefined, state: undefined }, {
        path: staged,
        hash,
      }, { force: true, source: `${src.url}/${item.file ?? basename(dest)}` });
      if (r.status === "missing") {
        throw new CairnError(`some data of '${src.url}' is missing from every source`);
      }
    } else {
      copyTree(item.abs, staged);
      hash = opts.commit
        ? (await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged)).hash
        : (await hashPath(staged, {})).hash;
    }
    removePath(dest);
    Deno.renameSync(staged, dest);
    return hash;
  } finally {
    removePath(stagingDir);
  }
}

/** The hash `item` would get, without writing it to the workspace or the repo cache. */
export async function hashOnly(src: SourceCheckout, item: SourceItem): Promise<HashInfo> {
  if (item.kind === "git") return (await hashPath(item.abs, {})).hash;
  if (item.sub === undefined) return item.hash;
  // the listing of the enclosing directory is needed: fetched into a throwaway cache
  const tmp = tempContext(src.dir);
  try {
    await fetchSourceData(src, item.srcRepo, item.hash, tmp.ctx.cacheDir);
    return subHash(new ObjectStore(tmp.ctx.cacheDir), item.hash, item.sub, src.url);
  } finally {
    tmp.cleanup();
  }
}

/** A throwaway cache for `get`: data is copied out, nothing stays. */
export function tempContext(rootDir: string): { ctx: CacheContext; cleanup: () => void } {
  const cacheDir = Deno.makeTempDirSync({ prefix: "cairn-get-cache-" });
  return {
    ctx: { rootDir, cacheDir, linkTypes: ["copy"] },
    cleanup: () => removePath(cacheDir),
  };
}

/** The repo dep of an import stage, or undefined. */
export function repoDep(stage: Stage): Dependency | undefined {
  return stage.deps.length === 1 && stage.deps[0].repo ? stage.deps[0] : undefined;
}

/** Resolve a repo dep's URL the way it was given (relative = to the repo root). */
export function depCwd(repo: Repo, stage: Stage): string {
  return join(repo.root, stage.wdir);
}

/**
 * The commit `rev` (or the source's HEAD) resolves to now, without a
 * checkout (for `status`); null when the source cannot be read.
 */
export function latestRevLock(repo: Repo, stage: Stage): string | null {
  const dep = repoDep(stage);
  if (!dep) return null;
  const cwd = depCwd(repo, stage);
  const local = localPathOf(dep.repo!.url, cwd);
  const ref = dep.repo!.rev ?? "HEAD";
  if (local) return revParse(ref, local) ?? revParse(`origin/${ref}`, local);
  const r = gitRaw(["ls-remote", dep.repo!.url, ref], { cwd });
  if (r.code !== 0) return null;
  const line = r.stdout.split("\n").find((l) => l.trim() !== "");
  if (line) return line.split(/\s+/)[0];
  return /^[0-9a-f]{40}$/.test(ref) ? ref : null;
}

/** `{"<path> (<url>)": "update available"}` when the import's revision moved (DVC's key). */
export function importUpdateStatus(
  repo: Repo,
  stage: Stage,
): Record<string, "update available"> | undefined {
  const dep = repoDep(stage);
  if (!dep?.repo?.revLock) return undefined;
  const latest = latestRevLock(repo, stage);
  if (latest === null || latest === dep.repo.revLock) return undefined;
  return { [`${dep.path} (${dep.repo.url})`]: "update available" };
}
