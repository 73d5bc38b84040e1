/**
 * Revisions as DVC's "brancher" selects them (dvc-spec §12) and a read-only
 * view of the repository at one revision (DVC's `dvcfs`): a file is read
 * from the git tree of that commit (or the workspace), else, when it is a
 * DVC-tracked output in that revision's dvc.lock / .dvc files, from the
 * local cache. A cached output whose object is not in the cache is
 * reported as `missing`, not as an error.
 */
import { join, posix, relative } from "node:path";
import { CairnError, ignoreNotFound } from "../errors.ts";
import type { Repo } from "./repo.ts";
import type { Output, Stage } from "../stage/types.ts";
import {
  lockPathFor,
  parsePipelineFile,
  type PipelineFile,
  type PipelineOptions,
} from "../dvcfile/pipeline_file.ts";
import { collectStages, isStageFile, walkOrder } from "./collect.ts";
import { mergeLockIntoStages, parseLockFile } from "../dvcfile/lock_file.ts";
import { parseDvcFile } from "../dvcfile/dvc_file.ts";
import { ObjectStore } from "../cache/object_store.ts";
import {
  git,
  gitBranches,
  gitCurrentBranch,
  gitHasCommits,
  gitRaw,
  gitRevParse,
  gitShowBytes,
  gitTags,
} from "../scm/git.ts";

/** One revision to look at. */
export interface Revision {
  /**
   * The name DVC prints: `""` (no revision flags: the workspace alone),
   * `"workspace"`, or the revision's names joined with `,` (`main,v1.0`).
   */
  key: string;
  /** commit sha; null for the workspace. */
  sha: string | null;
}

export const WORKSPACE: Revision = { key: "workspace", sha: null };

export class UnknownRevisionError extends CairnError {
  rev: string;
  constructor(rev: string) {
    super(`unknown Git revision '${rev}'`, {
      hint: "check the name with 'git rev-parse', 'git branch -a' or 'git tag'",
    });
    this.rev = rev;
  }
}

export interface SelectRevisionsOptions {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** explicit revisions (branch, tag, sha, `HEAD~1`, `workspace`). */
  revs?: string[];
  /** include the workspace when any revision flag is given (default true). */
  workspace?: boolean;
}

function scmCwd(repo: Repo): string {
  if (!repo.scmRoot) {
    throw new CairnError("revisions are only supported in git repositories", {
      hint: "this repository has core.no_scm set",
    });
  }
  return repo.root;
}

/** Refs of experiments named `name` (`refs/exps/ab/cdef.../name`). */
function experimentRefs(cwd: string, name: string): string[] {
  const r = gitRaw(["for-each-ref", "--format=%(refname)", "refs/exps"], { cwd });
  return r.stdout.split("\n").filter((ref) => {
    const parts = ref.split("/");
    return parts.length === 5 && parts[4] === name;
  });
}

/** Full sha of `rev` (a git revision or, as in DVC, an experiment name); throws UnknownRevisionError. */
export function resolveRevision(repo: Repo, rev: string): string {
  const cwd = scmCwd(repo);
  const sha = gitRevParse(rev, cwd);
  if (sha) return sha;
  const exps = experimentRefs(cwd, rev);
  if (exps.length === 1) {
    const expSha = gitRevParse(exps[0], cwd);
    if (expSha) return expSha;
  }
  if (exps.length > 1) {
    throw new CairnError(`ambiguous experiment name '${rev}'`, {
      hint: `it names ${exps.length} experiments: ${exps.join(", ")}`,
    });
  }
  throw new UnknownRevisionError(rev);
}

/** The baseline commit of an experiment (from its ref path), or null when `rev` is not one. */
export function experimentBaseline(repo: Repo, rev: string): string | null {
  const cwd = scmCwd(repo);
  const exps = experimentRefs(cwd, rev);
  if (exps.length !== 1) return null;
  const parts = exps[0].split("/");
  return parts[2] + parts[3];
}

/** A single named revision (`workspace` or anything git resolves), keyed by the name given. */
export function namedRevision(repo: Repo, name: string): Revision {
  if (name === "workspace") return { ...WORKSPACE };
  return { key: name, sha: resolveRevision(repo, name) };
}

/** The checked-out branch (null when detached or without git). */
export function activeBranch(repo: Repo): string | null {
  if (!repo.scmRoot) return null;
  return gitCurrentBranch(repo.root);
}

/** Every commit reachable from a branch, tag or other ref (experiments excluded). */
function allCommits(cwd: string): string[] {
  if (!gitHasCommits(cwd)) return [];
  return git(["rev-list", "--exclude=refs/exps/*", "--exclude=refs/stash", "--all"], cwd)
    .split("\n").filter(Boolean);
}

/**
 * DVC's brancher: without flags a single pass over the workspace keyed `""`;
 * otherwise the workspace keyed `"workspace"` and then every selected commit
 * once, keyed by its names (in the order first seen: `--rev`s, branches,
 * tags; full shas for `-A`) joined with `,`.
 */
export function selectRevisions(repo: Repo, opts: SelectRevisionsOptions = {}): Revision[] {
  const revs = opts.revs ?? [];
  if (!revs.length && !opts.allBranches && !opts.allTags && !opts.allCommits) {
    return [{ key: "", sha: null }];
  }
  const out: Revision[] = [];
  if (opts.workspace !== false) out.push({ ...WORKSPACE });
  const named = revs.filter((r) => r !== "workspace");
  if (!named.length && !opts.allBranches && !opts.allTags && !opts.allCommits) return out;
  const cwd = scmCwd(repo);
  // [what to resolve, the name shown]: branches and tags resolve by full ref so a
  // tag and a branch of the same name each show as the plain name, as in DVC
  const names: [string, string][] = named.map((n) => [n, n]);
  if (opts.allCommits) names.push(...allCommits(cwd).map((c): [string, string] => [c, c]));
  else {
    if (opts.allBranches) {
      names.push(...gitBranches(cwd).map((b): [string, string] => [`refs/heads/${b}`, b]));
    }
    if (opts.allTags) {
      names.push(...gitTags(cwd).map((t): [string, string] => [`refs/tags/${t}`, t]));
    }
  }
  const bySha = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const [rev, name] of names) {
    if (seen.has(rev)) continue;
    seen.add(rev);
    const sha = resolveRevision(repo, rev);
    const list = bySha.get(sha);
    if (!list) bySha.set(sha, [name]);
    else list.push(name);
  }
  for (const [sha, list] of bySha) out.push({ key: list.join(","), sha });
  return out;
}

// ---------------------------------------------------------------------------
// Reading a revision

/** How a path reads at a revision. */
export type ReadResult =
  | { status: "ok"; bytes: Uint8Array; source: "workspace" | "git" | "cache" }
  | { status: "dir" }
  | { status: "not-found" }
  /** a cached output (or a file inside one) whose object the cache lacks. */
  | { status: "missing"; md5: string; output: string };

/** A DVC-tracked output at a revision. */
export interface TrackedOutput {
  /** repo-relative posix path. */
  path: string;
  stage: Stage;
  out: Output;
}

/** The stages of a revision. */
export interface RevisionIndex {
  stages: Stage[];
  pipelineFiles: PipelineFile[];
  /** repo-relative paths of `.dvc` files. */
  dvcFiles: string[];
}

/** Repo-relative posix path of `p` (relative to the stage's wdir). */
export function stageOutPath(stage: Stage, p: string): string {
  const joined = posix.normalize(posix.join(stage.wdir || ".", p));
  return joined === "." ? "" : joined.replace(/^\.\//, "");
}

function isInside(path: string, dir: string): boolean {
  return dir === "" || path === dir || path.startsWith(dir + "/");
}

const dec = new TextDecoder();

/**
 * The repository as it was at one revision (or is in the workspace). All
 * paths are repo-relative and posix.
 */
export class RevisionView {
  readonly repo: Repo;
  readonly rev: Revision;
  #tree?: { files: Set<string>; dirs: Set<string> };
  #index?: RevisionIndex;
  #outputs?: Map<string, TrackedOutput>;
  #store: ObjectStore;
  #dirListings = new Map<string, { relpath: string; md5: string }[] | null>();
  /** git path prefix of the repo root inside the git work tree ("" or "sub/"). */
  #prefix: string;

  constructor(repo: Repo, rev: Revision) {
    this.repo = repo;
    this.rev = rev;
    this.#store = new ObjectStore(repo.cacheDir);
    const rel = repo.scmRoot ? relative(repo.scmRoot, repo.root).split("\\").join("/") : "";
    this.#prefix = rel ? rel + "/" : "";
  }

  get isWorkspace(): boolean {
    return this.rev.sha === null;
  }

  #gitTree(): { files: Set<string>; dirs: Set<string> } {
    if (this.#tree) return this.#tree;
    const files = new Set<string>();
    const dirs = new Set<string>([""]);
    const r = gitRaw(["ls-tree", "-r", "-z", "--name-only", "--full-tree", this.rev.sha!], {
      cwd: this.repo.root,
    });
    if (r.code !== 0) throw new UnknownRevisionError(this.rev.key || this.rev.sha!);
    for (const full of r.stdout.split("\0")) {
      if (!full || !full.startsWith(this.#prefix)) continue;
      const p = full.slice(this.#prefix.length);
      files.add(p);
      for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
    }
    this.#tree = { files, dirs };
    return this.#tree;
  }

  #abs(p: string): string {
    return join(this.repo.root, p);
  }

  /** Bytes of a file from git / the workspace only (no cache); undefined if absent. */
  readScm(p: string): Uint8Array | undefined {
    if (this.isWorkspace) {
      try {
        return Deno.readFileSync(this.#abs(p));
      } catch (err) {
        ignoreNotFound(err);
        return undefined;
      }
    }
    if (!this.#gitTree().files.has(p)) return undefined;
    return gitShowBytes(this.rev.sha!, this.#prefix + p, this.repo.root) ?? undefined;
  }

  /** Text of a git/workspace file (dvc.yaml, params files); undefined if absent. */
  readScmText(p: string): string | undefined {
    const b = this.readScm(p);
    return b === undefined ? undefined : dec.decode(b);
  }

  #scmKind(p: string): "file" | "dir" | undefined {
    if (this.isWorkspace) {
      try {
        const st = Deno.statSync(this.#abs(p));
        return st.isDirectory ? "dir" : "file";
      } catch (err) {
        ignoreNotFound(err);
        return undefined;
      }
    }
    const t = this.#gitTree();
    if (t.files.has(p)) return "file";
    if (t.dirs.has(p)) return "dir";
    return undefined;
  }

  /**
   * Stages of every dvc.yaml (with its dvc.lock) and .dvc file at this
   * revision: the workspace's through lib/repo/collect.ts, a commit's from
   * its git tree in the same walk order, skipping files inside outputs.
   */
  index(): RevisionIndex {
    if (this.#index) return this.#index;
    if (this.isWorkspace) {
      const idx = collectStages(this.repo);
      this.#index = {
        stages: idx.stages,
        pipelineFiles: idx.pipelineFiles,
        dvcFiles: idx.dvcFiles,
      };
      return this.#index;
    }
    const index: RevisionIndex = { stages: [], pipelineFiles: [], dvcFiles: [] };
    const readText = (p: string) => this.readScmText(p);
    const parsing = this.repo.config.other?.["parsing"] as PipelineOptions["parsing"];
    const outDirs = new Set<string>();
    const insideOutput = (rel: string) => [...outDirs].some((d) => rel.startsWith(d + "/"));
    const files = [...this.#gitTree().files]
      .filter((p) => isStageFile(p) && !p.startsWith(".dvc/") && !p.startsWith(".git/"))
      .sort(walkOrder);
    for (const file of files) {
      if (insideOutput(file)) continue;
      const text = this.readScmText(file);
      if (text === undefined) continue;
      let stages: Stage[];
      if (file.endsWith(".dvc")) {
        index.dvcFiles.push(file);
        stages = [parseDvcFile(text, file)];
      } else {
        const pf = parsePipelineFile(text, file, { readText, parsing });
        const lockFile = lockPathFor(file);
        const lockText = this.readScmText(lockFile);
        if (lockText !== undefined) {
          mergeLockIntoStages(pf.stages, parseLockFile(lockText, lockFile));
        }
        index.pipelineFiles.push(pf);
        stages = pf.stages;
      }
      index.stages.push(...stages);
      for (const st of stages) for (const o of st.outs) outDirs.add(stageOutPath(st, o.path));
    }
    this.#index = index;
    return index;
  }

  /** Every output of every stage at this revision, by repo-relative path. */
  outputs(): Map<string, TrackedOutput> {
    if (this.#outputs) return this.#outputs;
    const m = new Map<string, TrackedOutput>();
    for (const stage of this.index().stages) {
      for (const out of stage.outs) {
        const path = stageOutPath(stage, out.path);
        m.set(path, { path, stage, out });
      }
    }
    this.#outputs = m;
    return m;
  }

  /** The tracked output at `p` or the one containing it. */
  #outputFor(p: string): TrackedOutput | undefined {
    const outs = this.outputs();
    const direct = outs.get(p);
    if (direct) return direct;
    for (const [path, o] of outs) if (isInside(p, path)) return o;
    return undefined;
  }

  #objectPath(out: Output, md5: string): string {
    return this.#store.pathFor(md5, { legacy: out.hash?.hashName === undefined });
  }

  /** Entries of a `.dir` object (null when it is not in the cache). */
  #dirListing(out: Output): { relpath: string; md5: string }[] | null {
    const md5 = out.hash!.md5;
    if (this.#dirListings.has(md5)) return this.#dirListings.get(md5)!;
    let listing: { relpath: string; md5: string }[] | null = null;
    try {
      const text = Deno.readTextFileSync(this.#objectPath(out, md5));
      listing = (JSON.parse(text) as { relpath: string; md5: string }[])
        .map((e) => ({ relpath: e.relpath, md5: e.md5 }));
    } catch (err) {
      // not in the cache, or not a listing: unknown
      if (!(err instanceof SyntaxError || err instanceof TypeError)) ignoreNotFound(err);
      listing = null;
    }
    this.#dirListings.set(md5, listing);
    return listing;
  }

  #readFromCache(p: string): ReadResult {
    const o = this.#outputFor(p);
    // like DVC's data index: a `cache: false` output is only what git has
    if (!o || !o.out.hash?.md5 || !o.out.cache) return { status: "not-found" };
    const md5 = o.out.hash.md5;
    let fileMd5: string;
    if (md5.endsWith(".dir")) {
      const listing = this.#dirListing(o.out);
      if (listing === null) return { status: "missing", md5, output: o.path };
      if (p === o.path) return { status: "dir" };
      const rel = p.slice(o.path.length + 1);
      const entry = listing.find((e) => e.relpath === rel);
      if (!entry) {
        return listing.some((e) => e.relpath.startsWith(rel + "/"))
          ? { status: "dir" }
          : { status: "not-found" };
      }
      fileMd5 = entry.md5;
    } else {
      if (p !== o.path) return { status: "not-found" };
      fileMd5 = md5;
    }
    try {
      return {
        status: "ok",
        bytes: Deno.readFileSync(this.#objectPath(o.out, fileMd5)),
        source: "cache",
      };
    } catch (err) {
      ignoreNotFound(err);
      return { status: "missing", md5: fileMd5, output: o.path };
    }
  }

  /** Read a file: git tree / workspace first, then the cache for tracked outputs. */
  read(p: string): ReadResult {
    const kind = this.#scmKind(p);
    if (kind === "file") {
      const bytes = this.readScm(p);
      if (bytes !== undefined) {
        return { status: "ok", bytes, source: this.isWorkspace ? "workspace" : "git" };
      }
    }
    if (kind === "dir") return { status: "dir" };
    return this.#readFromCache(p);
  }

  /** True if `p` is a directory at this revision (in git/workspace or a tracked dir output). */
  isDir(p: string): boolean {
    if (p === "") return true;
    const kind = this.#scmKind(p);
    if (kind) return kind === "dir";
    return this.#readFromCache(p).status === "dir";
  }

  /** True if `p` exists (file or directory) at this revision. */
  exists(p: string): boolean {
    const kind = this.#scmKind(p);
    if (kind) return true;
    const r = this.#readFromCache(p);
    return r.status !== "not-found";
  }

  /** Files under directory `dir`, recursively, sorted (git/workspace and tracked outputs). */
  find(dir: string): string[] {
    const found = new Set<string>();
    if (this.isWorkspace) {
      const walk = (rel: string) => {
        let entries: Deno.DirEntry[];
        try {
          entries = [...Deno.readDirSync(this.#abs(rel))];
        } catch {
          // unreadable: skipped, as DVC's os.walk skips it
          return;
        }
        for (const e of entries) {
          const child = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory) {
            if (e.name !== ".git" && !(rel === "" && e.name === ".dvc")) walk(child);
          } else found.add(child);
        }
      };
      walk(dir);
    } else {
      for (const f of this.#gitTree().files) if (isInside(f, dir) && f !== dir) found.add(f);
    }
    for (const [path, o] of this.outputs()) {
      if (!isInside(path, dir) && !isInside(dir, path)) continue;
      const md5 = o.out.hash?.md5;
      if (!md5) continue;
      if (!md5.endsWith(".dir")) {
        if (isInside(path, dir) && path !== dir) found.add(path);
        continue;
      }
      for (const e of this.#dirListing(o.out) ?? []) {
        const full = `${path}/${e.relpath}`;
        if (isInside(full, dir)) found.add(full);
      }
    }
    return [...found].sort();
  }
}

/** Open a view of `rev` (default: the workspace). */
export function openRevision(repo: Repo, rev: Revision = WORKSPACE): RevisionView {
  return new RevisionView(repo, rev);
}
