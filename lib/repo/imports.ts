/**
 * `import`, `get`, `update` of data from another git/DVC repository and
 * `import-url`, `get-url` of a single URL (dvc-spec §17). The source repo is
 * cloned (local paths too) and checked out at the locked commit: git-tracked
 * paths are copied from that checkout, DVC-tracked outputs are fetched into
 * the cache from the source's local cache (local URLs) and then its default
 * (or `--remote`) remote as configured at that commit. URLs other than local
 * paths are read through the remote plugin of their scheme.
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CairnError, fsError } from "../errors.ts";
import { checkoutOutput, commitOutput } from "../cache/checkout.ts";
import { ObjectStore } from "../cache/object_store.ts";
import { fetchObjects, type TransferObject } from "../cache/transfer.ts";
import type { CacheContext } from "../cache/types.ts";
import { computeStageMd5, loadDvcFile, saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { checkListingEntries, UnsafePathError } from "../fs/path_guard.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import { hashPath } from "../hash/hash_path.ts";
import { openRemote } from "../plugin/remote.ts";
import { gitAdd, gitRaw } from "../scm/git.ts";
import { assertIgnorable, ignoreInGit } from "../scm/gitignore.ts";
import type { Dependency, HashInfo, Output, Stage } from "../stage/types.ts";
import { configBool, readLevel } from "../config/config.ts";
import { cacheContext } from "./cache_context.ts";
import { allOutputs, collectStages, invalidateIndex, isInside, stagePath } from "./collect.ts";
import { isDir, openRepo, type Repo, repoRelative } from "./repo.ts";

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

function localPathOf(url: string, cwd: string): string | undefined {
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
    } catch { /* already gone */ }
  };
  try {
    const r = gitRaw(["clone", "-q", "--no-checkout", localPath ?? url, tmp], { cwd });
    if (r.code !== 0) {
      throw new CairnError(`failed to clone '${url}': ${r.stderr.trim()}`);
    }
    let revLock: string | null = null;
    if (opts.revLock) revLock = revParse(opts.revLock, tmp);
    else if (opts.rev) revLock = revParse(opts.rev, tmp) ?? revParse(`origin/${opts.rev}`, tmp);
    else revLock = revParse("HEAD", tmp);
    if (!revLock) {
      const what = opts.revLock ?? opts.rev;
      throw new CairnError(
        what
          ? `unknown Git revision '${what}' in '${url}'`
          : `'${url}' has no commits to import from`,
      );
    }
    const co = gitRaw(["-c", "advice.detachedHead=false", "checkout", "-q", revLock], {
      cwd: tmp,
    });
    if (co.code !== 0) throw new CairnError(`git checkout failed: ${co.stderr.trim()}`);
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

function normPath(p: string): string {
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
  throw new CairnError(
    `The path '${path}' does not exist in the target repository '${src.url}' neither as a DVC output nor as a Git-tracked file.`,
  );
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

function hasData(store: ObjectStore, hash: HashInfo): boolean {
  const legacy = hash.hashName !== "md5";
  return hash.md5.endsWith(".dir")
    ? store.hasAllObjects(hash.md5, { legacy })
    : store.has(hash.md5, { legacy });
}

/**
 * The hash of `sub` inside the fetched directory `dir`: a file's object, or
 * a `.dir` object for a sub-directory (stored in `store`).
 */
function subHash(store: ObjectStore, dir: HashInfo, sub: string, url: string): HashInfo {
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
    throw new CairnError(
      `The path '${sub}' does not exist in the target repository '${url}' neither as a DVC output nor as a Git-tracked file.`,
    );
  }
  const md5 = store.addDirObject(inner, ns).md5;
  const total = inner.reduce((n, e) => n + size(e.md5), 0);
  return { ...base, md5, size: total, nfiles: inner.length };
}

/** Bring the objects of `hash` into `cacheDir`: source cache first, then its default remote. */
async function fetchSourceData(
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
    } catch { /* not a DVC repo at its HEAD: only the remote is left */ }
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

function copyTree(source: string, dest: string): void {
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

function removePath(p: string): void {
  try {
    Deno.removeSync(p, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw fsError(err, "removing", p);
  }
}

function pathExists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write the data of `item` at `dest` (replacing it). With `ctx`, DVC data
 * goes through that cache and git data is committed to it; returns the hash.
 */
async function materialize(
  src: SourceCheckout,
  item: SourceItem,
  dest: string,
  ctx: CacheContext,
  opts: { commit: boolean },
): Promise<HashInfo> {
  // Written next to the destination first, so a failure leaves the old data.
  const stagingDir = Deno.makeTempDirSync({ dir: dirname(dest), prefix: ".cairn-import-" });
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
async function hashOnly(src: SourceCheckout, item: SourceItem): Promise<HashInfo> {
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
function tempContext(rootDir: string): { ctx: CacheContext; cleanup: () => void } {
  const cacheDir = Deno.makeTempDirSync({ prefix: "cairn-get-cache-" });
  return {
    ctx: { rootDir, cacheDir, linkTypes: ["copy"] },
    cleanup: () => removePath(cacheDir),
  };
}

export interface ImportOptions {
  /** `-o`: output path (relative to cwd). */
  out?: string;
  rev?: string;
  /** write the .dvc file only (no rev_lock, no hashes, no data). */
  noExec?: boolean;
  /** record rev_lock and hashes, download nothing. */
  noDownload?: boolean;
  /** overwrite an existing output. */
  force?: boolean;
  /** `--remote NAME`: the source repo's remote to download DVC data from. */
  remote?: string;
}

export interface ImportResult {
  /** repo-relative path of the output. */
  path: string;
  dvcFile: string;
  revLock?: string;
  hash?: HashInfo;
  gitFiles: string[];
  autostaged: boolean;
}

function outputEntry(path: string, hash: HashInfo | undefined): Output {
  const o: Output = { path, kind: "out", cache: true, persist: false, push: true };
  if (hash) o.hash = { ...hash };
  return o;
}

function importStage(dvcFileRel: string, dep: Dependency, out: Output): Stage {
  const stage: Stage = {
    name: dvcFileRel,
    kind: "dvcfile",
    file: dvcFileRel,
    wdir: dirname(dvcFileRel) === "." ? "" : dirname(dvcFileRel),
    deps: [dep],
    params: [],
    outs: [out],
    frozen: true,
    alwaysChanged: false,
  };
  stage.md5 = computeStageMd5(stage);
  return stage;
}

function planOut(repo: Repo, given: string, force?: boolean): { abs: string; rel: string } {
  const abs = resolve(repo.cwd, given.replace(/\/+$/, "") || given);
  const rel = repoRelative(repo, abs);
  if (rel === "" || isInside(rel, ".dvc") || isInside(rel, ".git")) {
    throw new CairnError(`cannot import to '${given}': it is the repository or its metadata`);
  }
  if (repo.scmRoot) assertIgnorable(abs, given);
  const dvcFile = `${rel}.dvc`;
  for (const o of allOutputs(collectStages(repo))) {
    if (o.stage.file === dvcFile) continue;
    if (isInside(rel, o.rel) || isInside(o.rel, rel)) {
      throw new CairnError(
        `cannot import to '${rel}': it overlaps with the output '${o.rel}' of '${o.stage.file}'`,
      );
    }
  }
  if (!force && (pathExists(abs) || pathExists(join(repo.root, dvcFile)))) {
    throw new CairnError(`'${rel}' already exists`, { hint: "use --force to overwrite it" });
  }
  return { abs, rel };
}

function finishGit(repo: Repo, files: string[]): { gitFiles: string[]; autostaged: boolean } {
  const gitFiles = [...new Set(files)];
  if (repo.scmRoot && configBool(repo.config.core.autostage) && gitFiles.length) {
    gitAdd(gitFiles, repo.root);
    return { gitFiles, autostaged: true };
  }
  return { gitFiles, autostaged: false };
}

/** `import URL PATH`: a frozen `.dvc` stage whose dep is `PATH` of the repo at URL. */
export async function importRepo(
  repo: Repo,
  source: { url: string; path: string },
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const { abs, rel } = planOut(repo, opts.out ?? basename(normPath(source.path)), opts.force);
    const dvcFile = `${rel}.dvc`;
    // A relative local URL is stored relative to the .dvc file's directory, where
    // update/fetch resolve it (the same text when run from that directory).
    const local = localPathOf(source.url, repo.cwd);
    const url = local && !isAbsolute(source.url) && !source.url.startsWith("file:")
      ? relative(dirname(join(repo.root, dvcFile)), local) || "."
      : source.url;
    const dep: Dependency = { path: source.path, repo: { url } };
    if (opts.rev !== undefined) dep.repo!.rev = opts.rev;
    if (opts.remote !== undefined) dep.repo!.remote = opts.remote;
    let hash: HashInfo | undefined;
    if (!opts.noExec) {
      const src = openSource(source.url, repo.cwd, { rev: opts.rev, remote: opts.remote });
      try {
        const item = locate(src, source.path);
        dep.repo!.revLock = src.revLock;
        if (opts.noDownload) {
          hash = await hashOnly(src, item);
        } else {
          Deno.mkdirSync(dirname(abs), { recursive: true });
          hash = await materialize(src, item, abs, cacheContext(repo), { commit: true });
        }
      } finally {
        src.cleanup();
      }
    }
    const stage = importStage(dvcFile, dep, outputEntry(basename(rel), hash));
    removePath(join(repo.root, dvcFile)); // a forced re-import starts a fresh file
    saveDvcFile(repo.root, stage);
    invalidateIndex(repo);
    const files = [join(repo.root, dvcFile)];
    if (repo.scmRoot) {
      const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
      if (gi) files.push(gi);
    }
    return { path: rel, dvcFile, revLock: dep.repo!.revLock, hash, ...finishGit(repo, files) };
  } finally {
    lock.release();
  }
}

/** `get URL PATH [-o OUT]`: download only; nothing tracked or cached. Returns the absolute output. */
export async function get(
  cwd: string,
  source: { url: string; path: string },
  opts: { out?: string; rev?: string; force?: boolean; remote?: string } = {},
): Promise<string> {
  const abs = resolve(cwd, opts.out ?? basename(normPath(source.path)));
  if (pathExists(abs) && !opts.force) {
    throw new CairnError(`'${opts.out ?? basename(abs)}' already exists`, {
      hint: "choose another path with -o",
    });
  }
  const src = openSource(source.url, cwd, { rev: opts.rev, remote: opts.remote });
  const tmp = tempContext(dirname(abs));
  try {
    const item = locate(src, source.path);
    Deno.mkdirSync(dirname(abs), { recursive: true });
    await materialize(src, item, abs, tmp.ctx, { commit: false });
    return abs;
  } finally {
    tmp.cleanup();
    src.cleanup();
  }
}

/** The repo dep of an import stage, or undefined. */
export function repoDep(stage: Stage): Dependency | undefined {
  return stage.deps.length === 1 && stage.deps[0].repo ? stage.deps[0] : undefined;
}

/** Resolve a repo dep's URL the way it was given (relative = to the repo root). */
function depCwd(repo: Repo, stage: Stage): string {
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

export interface UpdateOptions {
  rev?: string;
  noDownload?: boolean;
  recursive?: boolean;
}

export interface UpdatedImport {
  dvcFile: string;
  /** false when the lock did not move and the data was already there. */
  changed: boolean;
  revLock?: string;
}

function updateTargets(repo: Repo, targets: string[], recursive?: boolean): Stage[] {
  const stages: Stage[] = [];
  const all = collectStages(repo).stages;
  for (const t of targets) {
    const rel = repoRelative(repo, resolve(repo.cwd, t.replace(/\/+$/, "") || "."));
    if (recursive && (rel === "" || isDir(join(repo.root, rel)))) {
      stages.push(
        ...all.filter((s) => s.kind === "dvcfile" && (rel === "" || isInside(s.file, rel))),
      );
      continue;
    }
    const file = rel.endsWith(".dvc") ? rel : `${rel}.dvc`;
    if (!pathExists(join(repo.root, file))) {
      throw new CairnError(`'${t}' does not exist`, { hint: "give the import's .dvc file" });
    }
    stages.push(loadDvcFile(repo.root, file));
  }
  return stages.filter((s, i) => stages.findIndex((x) => x.file === s.file) === i);
}

/** `update TARGET.dvc`: re-resolve the import's revision; re-download if it moved. */
export async function update(
  repo: Repo,
  targets: string[],
  opts: UpdateOptions = {},
): Promise<UpdatedImport[]> {
  const stages = updateTargets(repo, targets, opts.recursive);
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const out: UpdatedImport[] = [];
    for (const stage of stages) {
      const dep = repoDep(stage);
      if (!dep && isUrlImport(stage) && stage.frozen) {
        out.push(await updateUrl(repo, stage, opts));
        continue;
      }
      if (!dep) {
        if (opts.recursive) continue;
        throw new CairnError(`'${stage.file}' is not an import`, {
          hint: "update works on .dvc files written by 'cairn import'",
        });
      }
      if (stage.outs.length !== 1) throw new CairnError(`'${stage.file}' has no single output`);
      const rev = opts.rev ?? dep.repo!.rev;
      const src = openSource(dep.repo!.url, depCwd(repo, stage), {
        rev,
        remote: dep.repo!.remote,
      });
      try {
        const abs = join(repo.root, stagePath(stage, stage.outs[0].path));
        const moved = src.revLock !== dep.repo!.revLock;
        const item = locate(src, dep.path);
        let hash: HashInfo;
        if (opts.noDownload) {
          hash = await hashOnly(src, item);
        } else if (!moved && stage.outs[0].hash && pathExists(abs)) {
          out.push({ dvcFile: stage.file, changed: false, revLock: src.revLock });
          continue;
        } else {
          hash = await materialize(src, item, abs, cacheContext(repo), { commit: true });
        }
        const newDep: Dependency = {
          ...dep,
          repo: { ...dep.repo!, ...(rev !== undefined ? { rev } : {}), revLock: src.revLock },
        };
        const next = importStage(stage.file, newDep, {
          ...stage.outs[0],
          hash: outputEntry("", hash).hash,
        });
        next.desc = stage.desc;
        next.meta = stage.meta;
        next.wdir = stage.wdir;
        next.md5 = computeStageMd5(next);
        saveDvcFile(repo.root, next);
        out.push({ dvcFile: stage.file, changed: true, revLock: src.revLock });
      } finally {
        src.cleanup();
      }
    }
    invalidateIndex(repo);
    return out;
  } finally {
    lock.release();
  }
}

/**
 * `fetch`/`pull` for repo imports: the objects of import outputs missing
 * from the cache are fetched from the source repo at `rev_lock`.
 */
export async function fetchImports(
  repo: Repo,
  filter?: (stage: Stage, out: Output) => boolean,
): Promise<{ fetched: number; failed: { path: string; error: string }[] }> {
  const store = new ObjectStore(repo.cacheDir);
  const res = { fetched: 0, failed: [] as { path: string; error: string }[] };
  for (const stage of collectStages(repo).stages) {
    const dep = repoDep(stage);
    const out = stage.outs[0];
    if (!dep || !dep.repo!.revLock || !out?.hash?.md5) continue;
    if (filter && !filter(stage, out)) continue;
    if (hasData(store, out.hash)) continue;
    try {
      const src = openSource(dep.repo!.url, depCwd(repo, stage), {
        revLock: dep.repo!.revLock,
        remote: dep.repo!.remote,
      });
      try {
        const item = locate(src, dep.path);
        if (item.kind === "dvc") {
          await fetchSourceData(src, item.srcRepo, item.hash, repo.cacheDir);
          if (item.sub !== undefined) subHash(store, item.hash, item.sub, src.url);
        } else {
          // git data: store it by committing a copy (the workspace is left to checkout).
          const ctx = cacheContext(repo);
          const stagingDir = Deno.makeTempDirSync({ prefix: "cairn-import-" });
          try {
            const staged = join(stagingDir, "data");
            copyTree(item.abs, staged);
            await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged, {
              relink: false,
            });
          } finally {
            removePath(stagingDir);
          }
        }
        res.fetched++;
      } finally {
        src.cleanup();
      }
    } catch (err) {
      res.failed.push({ path: stagePath(stage, out.path), error: (err as Error).message });
    }
  }
  return res;
}

// ---------------------------------------------------------------- import-url

function isRemoteUrl(url: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url) && !url.startsWith("file://");
}

function localUrlPath(url: string, cwd: string): string {
  return url.startsWith("file://") ? fileURLToPath(url) : resolve(cwd, url);
}

/** The source's checksum as DVC records it on the dep (md5/size for files, `checksum` for HTTP). */
interface UrlSource {
  hash: HashInfo;
  extra?: Record<string, unknown>;
}

/** HTTP's `checksum` is the ETag header, as DVC's http filesystem reports it. */
async function httpChecksum(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { method: "HEAD" });
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    return etag ? { checksum: etag } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Download `url` to `dest` (a path that must not exist yet): local files and
 * directories are copied, other URLs fetched by the remote plugin of their
 * scheme. Returns the source's checksum.
 */
async function downloadUrl(
  url: string,
  cwd: string,
  dest: string,
  fsConfig: Record<string, string> = {},
): Promise<UrlSource> {
  if (!isRemoteUrl(url)) {
    const src = localUrlPath(url, cwd);
    if (!pathExists(src)) {
      throw new CairnError(`dependency '${url}' does not exist`, { hint: "check the path or URL" });
    }
    copyTree(src, dest);
    return { hash: (await hashPath(src, {})).hash };
  }
  const slash = url.lastIndexOf("/");
  const base = url.slice(0, slash);
  const key = decodeURIComponent(url.slice(slash + 1));
  if (!key || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/?$/.test(base)) {
    throw new CairnError(`'${url}' does not name a file`, { exitCode: 254 });
  }
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-get-url-" });
  try {
    const remote = await openRemote({ ...fsConfig, url: base }, { name: base, cacheDir: tmp });
    try {
      const part = join(tmp, "download");
      const [r] = await remote.get([{ key, dest: part }]);
      if (!r.ok) {
        if (r.error.notFound) throw new CairnError(`'${url}' does not exist`);
        throw remote.itemError(r.error);
      }
      Deno.mkdirSync(dirname(dest), { recursive: true });
      copyTree(part, dest);
    } finally {
      await remote.close();
    }
  } finally {
    removePath(tmp);
  }
  const hash = (await hashPath(dest, {})).hash;
  const extra = url.startsWith("http") ? await httpChecksum(url) : undefined;
  return { hash, extra };
}

export interface ImportUrlOptions {
  /** output path (relative to cwd; default: the URL's last part). */
  out?: string;
  /** `--fs-config k=v`: settings of the URL's filesystem (as a remote's config keys). */
  fsConfig?: Record<string, string>;
  noExec?: boolean;
  /** record the source checksum, download nothing. */
  noDownload?: boolean;
  force?: boolean;
}

function urlDep(
  repo: Repo,
  url: string,
  dvcFile: string,
  src?: UrlSource,
  fsConfig?: Record<string, string>,
): Dependency {
  let path = url;
  if (!isRemoteUrl(url)) {
    // A source inside the repo is stored relative to the .dvc file.
    const abs = localUrlPath(url, repo.cwd);
    if (isInside(abs, repo.root)) path = relative(dirname(join(repo.root, dvcFile)), abs);
  }
  const dep: Dependency = { path };
  if (src) {
    dep.hash = { ...src.hash };
    if (src.extra) dep.extra = src.extra;
  }
  if (fsConfig && Object.keys(fsConfig).length) dep.extra = { ...dep.extra, fs_config: fsConfig };
  return dep;
}

/** `import-url URL [OUT]`: a frozen `.dvc` stage whose dep is the URL and its checksum. */
export async function importUrl(
  repo: Repo,
  url: string,
  opts: ImportUrlOptions = {},
): Promise<ImportResult> {
  const out = opts.out;
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const name = basename(url.replace(/\/+$/, "").replace(/^file:\/\//, ""));
    const { abs, rel } = planOut(repo, out ?? name, opts.force);
    const dvcFile = `${rel}.dvc`;
    let src: UrlSource | undefined;
    let hash: HashInfo | undefined;
    if (!opts.noExec) {
      Deno.mkdirSync(dirname(abs), { recursive: true });
      const stagingDir = Deno.makeTempDirSync({ dir: dirname(abs), prefix: ".cairn-import-" });
      try {
        const staged = join(stagingDir, basename(abs));
        src = await downloadUrl(url, repo.cwd, staged, opts.fsConfig);
        if (opts.noDownload) hash = src.hash;
        else {
          const ctx = cacheContext(repo);
          hash = (await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged)).hash;
          removePath(abs);
          Deno.renameSync(staged, abs);
        }
      } finally {
        removePath(stagingDir);
      }
    }
    const dep = urlDep(repo, url, dvcFile, src, opts.fsConfig);
    const stage = importStage(dvcFile, dep, outputEntry(basename(rel), hash));
    removePath(join(repo.root, dvcFile));
    saveDvcFile(repo.root, stage);
    invalidateIndex(repo);
    const files = [join(repo.root, dvcFile)];
    if (repo.scmRoot) {
      const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
      if (gi) files.push(gi);
    }
    return { path: rel, dvcFile, hash, ...finishGit(repo, files) };
  } finally {
    lock.release();
  }
}

/** `get-url URL [OUT]`: download only. Returns the absolute output path. */
export async function getUrl(
  cwd: string,
  url: string,
  opts: { out?: string; force?: boolean; fsConfig?: Record<string, string> } = {},
): Promise<string> {
  const out = opts.out;
  const name = basename(url.replace(/\/+$/, "").replace(/^file:\/\//, ""));
  const abs = resolve(cwd, out ?? name);
  if (pathExists(abs) && !opts.force) {
    throw new CairnError(`'${out ?? name}' already exists`, { hint: "choose another output path" });
  }
  Deno.mkdirSync(dirname(abs), { recursive: true });
  const stagingDir = Deno.makeTempDirSync({ dir: dirname(abs), prefix: ".cairn-get-" });
  try {
    const staged = join(stagingDir, "data");
    await downloadUrl(url, cwd, staged, opts.fsConfig);
    removePath(abs);
    Deno.renameSync(staged, abs);
    return abs;
  } finally {
    removePath(stagingDir);
  }
}

/** An `import-url` stage: frozen, one non-repo dep, one out, no command. */
export function isUrlImport(stage: Stage): boolean {
  return stage.kind === "dvcfile" && stage.cmd === undefined && stage.deps.length === 1 &&
    !stage.deps[0].repo && stage.outs.length === 1;
}

/** `update` of an import-url stage: re-check the source; re-download when it changed. */
async function updateUrl(repo: Repo, stage: Stage, opts: UpdateOptions): Promise<UpdatedImport> {
  const dep = stage.deps[0];
  const url = isRemoteUrl(dep.path) || isAbsolute(dep.path)
    ? dep.path
    : join(repo.root, stage.wdir, dep.path);
  const abs = join(repo.root, stagePath(stage, stage.outs[0].path));
  const stagingDir = Deno.makeTempDirSync({ dir: dirname(abs), prefix: ".cairn-import-" });
  try {
    const staged = join(stagingDir, basename(abs));
    const fsConfig = dep.extra?.fs_config as Record<string, string> | undefined;
    const src = await downloadUrl(url, repo.root, staged, fsConfig);
    const { fs_config: _, ...oldExtra } = dep.extra ?? {};
    const same = src.hash.md5 === dep.hash?.md5 &&
      JSON.stringify(src.extra ?? {}) === JSON.stringify(oldExtra);
    if (same && stage.outs[0].hash && pathExists(abs)) {
      return { dvcFile: stage.file, changed: false };
    }
    let hash = src.hash;
    if (!opts.noDownload) {
      const ctx = cacheContext(repo);
      hash = (await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged)).hash;
      removePath(abs);
      Deno.renameSync(staged, abs);
    }
    const next: Stage = {
      ...stage,
      frozen: true,
      deps: [{
        ...dep,
        hash: { ...src.hash },
        extra: { ...oldExtra, ...src.extra, ...(fsConfig ? { fs_config: fsConfig } : {}) },
      }],
      outs: [{ ...stage.outs[0], hash: { ...hash } }],
    };
    next.md5 = computeStageMd5(next);
    saveDvcFile(repo.root, next);
    return { dvcFile: stage.file, changed: true };
  } finally {
    removePath(stagingDir);
  }
}
