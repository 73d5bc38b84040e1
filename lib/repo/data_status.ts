/**
 * `data status` (DVC 3's granular status): for every tracked output, what
 * changed between git HEAD and the recorded hashes ("committed"), between
 * the recorded hashes and the workspace ("uncommitted"), what is missing
 * from the cache, and (optionally) what is unchanged or untracked by git.
 */
import { isUnusableListing, ObjectStore } from "../cache/object_store.ts";
import { hashPath, hashPathInfo } from "../hash/hash_path.ts";
import { gitRaw, gitRevParse } from "../scm/git.ts";
import type { Stage } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { collectStages, stageAbsPath, stagePath } from "./collect.ts";
import { collectStagesAtRev } from "./used_objects.ts";
import type { Repo } from "./repo.ts";
import { ignoreNotFound } from "../errors.ts";

export interface ChangeLists {
  added?: string[];
  modified?: string[];
  deleted?: string[];
  unknown?: string[];
}

export interface DataStatus {
  committed: ChangeLists;
  uncommitted: ChangeLists;
  notInCache: string[];
  unchanged: string[];
  untracked: string[];
  /** git has no commits yet. */
  noCommits: boolean;
  /** git has staged or unstaged changes (and untracked files, when asked for): DVC's is_dirty. */
  gitDirty?: boolean;
}

export interface DataStatusOptions {
  granular?: boolean;
  withUnchanged?: boolean;
  untrackedFiles?: boolean;
  /** compare with workspace content (default true; false = only HEAD vs recorded). */
  checkWorkspace?: boolean;
}

/** path -> hash; directory entries end with "/". */
type Tree = Map<string, string>;

function expand(
  tree: Tree,
  store: ObjectStore,
  rel: string,
  md5: string,
  legacy: boolean,
  granular: boolean,
) {
  if (!md5.endsWith(".dir")) {
    tree.set(rel, md5);
    return true;
  }
  tree.set(rel + "/", md5);
  if (!granular) return true;
  try {
    for (const e of store.readDirObject(md5, { legacy })) tree.set(`${rel}/${e.relpath}`, e.md5);
    return true;
  } catch (err) {
    if (!isUnusableListing(err)) throw err;
    return false;
  }
}

function recordedTree(
  stages: Stage[],
  store: ObjectStore,
  granular: boolean,
  missing?: Set<string>,
): Tree {
  const t: Tree = new Map();
  for (const s of stages) {
    for (const o of s.outs) {
      if (!o.hash?.md5 || !o.cache) continue;
      const rel = stagePath(s, o.path);
      const ok = expand(t, store, rel, o.hash.md5, o.hash.hashName !== "md5", granular);
      if (!ok && missing) missing.add(rel + "/");
    }
  }
  return t;
}

function push(lists: ChangeLists, kind: keyof ChangeLists, path: string) {
  (lists[kind] ??= []).push(path);
}

function compare(a: Tree, b: Tree, into: ChangeLists) {
  for (const [p, h] of b) {
    const old = a.get(p);
    if (old === undefined) push(into, "added", p);
    else if (old !== h) push(into, "modified", p);
  }
  for (const p of a.keys()) if (!b.has(p)) push(into, "deleted", p);
}

export async function dataStatus(repo: Repo, opts: DataStatusOptions = {}): Promise<DataStatus> {
  const granular = !!opts.granular;
  const store = new ObjectStore(repo.cacheDir);
  const ctx = cacheContext(repo);
  const stages = collectStages(repo).stages;
  const result: DataStatus = {
    committed: {},
    uncommitted: {},
    notInCache: [],
    unchanged: [],
    untracked: [],
    noCommits: false,
  };
  const recorded = recordedTree(stages, store, granular);
  let head: Tree = new Map();
  if (repo.scmRoot && gitRevParse("HEAD", repo.scmRoot)) {
    head = recordedTree(collectStagesAtRev(repo, "HEAD"), store, granular);
  } else result.noCommits = true;
  compare(head, recorded, result.committed);

  // Not in cache: recorded objects missing locally.
  for (const [p, h] of recorded) {
    if (!store.has(h, {})) result.notInCache.push(p);
  }
  if (opts.checkWorkspace !== false) {
    const work: Tree = new Map();
    for (const s of stages) {
      for (const o of s.outs) {
        // like DVC's data index: outputs with `cache: false` are git's business
        if (!o.cache) continue;
        const abs = stageAbsPath(repo, s, o.path);
        const rel = stagePath(s, o.path);
        try {
          Deno.statSync(abs);
        } catch (err) {
          ignoreNotFound(err);
          continue;
        }
        const opts = { state: ctx.state, ignore: ctx.ignore };
        if (!granular) {
          // Only the output's hash: an unchanged folder is one state lookup
          // after the walk, no per-file lookups, no listing built.
          const h = await hashPathInfo(abs, opts);
          work.set(h.md5.endsWith(".dir") ? rel + "/" : rel, h.md5);
          continue;
        }
        const r = await hashPath(abs, opts);
        if (r.kind === "file") work.set(rel, r.hash.md5);
        else {
          work.set(rel + "/", r.hash.md5);
          for (const e of r.entries) work.set(`${rel}/${e.relpath}`, e.md5);
        }
      }
    }
    compare(recorded, work, result.uncommitted);
    if (opts.withUnchanged) {
      // DVC: unchanged both in the workspace and since HEAD (when there is one)
      for (const [p, h] of work) {
        if (recorded.get(p) === h && (result.noCommits || head.get(p) === h)) {
          result.unchanged.push(p);
        }
      }
    }
  }
  if (opts.untrackedFiles && repo.scmRoot) {
    result.untracked = gitRaw(["ls-files", "-z", "-o", "--exclude-standard"], { cwd: repo.root })
      .stdout
      .split("\0").filter(Boolean);
  }
  if (repo.scmRoot) {
    const untracked = opts.untrackedFiles ? "all" : "no";
    result.gitDirty = gitRaw(["status", "--porcelain", `--untracked-files=${untracked}`], {
      cwd: repo.root,
    }).stdout.trim() !== "";
  }
  for (const lists of [result.committed, result.uncommitted]) {
    for (const k of Object.keys(lists) as (keyof ChangeLists)[]) lists[k]!.sort();
  }
  result.notInCache.sort();
  result.unchanged.sort();
  return result;
}
