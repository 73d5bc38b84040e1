/**
 * `diff`: DVC-tracked data changes between two git revisions, or a revision
 * and the workspace (spec §19.6), down to files inside tracked directories.
 */
import { isUnusableListing, ObjectStore } from "../cache/object_store.ts";
import { hashPath } from "../hash/hash_path.ts";
import { CairnError, ignoreNotFound, UnknownRevisionError } from "../errors.ts";
import { gitRevParse } from "../scm/git.ts";
import type { Stage } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { collectStages, stageAbsPath, stagePath } from "./collect.ts";
import { collectStagesAtRev } from "./used_objects.ts";
import type { Repo } from "./repo.ts";

export interface DiffEntry {
  /** repo-relative posix path; directories end with "/". */
  path: string;
  oldHash?: string;
  newHash?: string;
}

export interface RenamedEntry {
  oldPath: string;
  newPath: string;
  hash?: string;
}

export interface DiffResult {
  added: DiffEntry[];
  deleted: DiffEntry[];
  modified: DiffEntry[];
  renamed: RenamedEntry[];
  notInCache: DiffEntry[];
}

export interface DiffOptions {
  /** limit to these repo-relative output paths (or paths inside them). */
  targets?: string[];
}

/** path -> hash ("dir/" keys carry the .dir hash). */
type Tree = Map<string, string>;

function expandInto(tree: Tree, store: ObjectStore, rel: string, md5: string, legacy: boolean) {
  if (!md5.endsWith(".dir")) {
    tree.set(rel, md5);
    return;
  }
  tree.set(rel + "/", md5);
  try {
    for (const e of store.readDirObject(md5, { legacy })) tree.set(`${rel}/${e.relpath}`, e.md5);
  } catch (err) {
    // listing not in the cache (or unusable): only the directory entry is known
    if (!isUnusableListing(err)) throw err;
  }
}

function treeOfStages(stages: Stage[], store: ObjectStore): Tree {
  const tree: Tree = new Map();
  for (const s of stages) {
    for (const o of s.outs) {
      if (!o.hash?.md5) continue;
      expandInto(tree, store, stagePath(s, o.path), o.hash.md5, o.hash.hashName !== "md5");
    }
  }
  return tree;
}

/** The workspace as it is: every output of the current stage files, hashed. */
async function workspaceTree(repo: Repo, notInCache: Set<string>): Promise<Tree> {
  const ctx = cacheContext(repo);
  const store = new ObjectStore(repo.cacheDir);
  const tree: Tree = new Map();
  for (const s of collectStages(repo).stages) {
    for (const o of s.outs) {
      const rel = stagePath(s, o.path);
      const abs = stageAbsPath(repo, s, o.path);
      try {
        Deno.statSync(abs);
      } catch (err) {
        ignoreNotFound(err);
        continue; // deleted in the workspace
      }
      const r = await hashPath(abs, { state: ctx.state, ignore: ctx.ignore });
      if (r.kind === "file") {
        tree.set(rel, r.hash.md5);
        if (o.cache && !store.has(r.hash.md5)) notInCache.add(rel);
      } else {
        tree.set(rel + "/", r.hash.md5);
        r.entries.forEach((e) => {
          tree.set(`${rel}/${e.relpath}`, e.md5);
          if (o.cache && !store.has(e.md5)) notInCache.add(`${rel}/${e.relpath}`);
        });
      }
    }
  }
  return tree;
}

function inTargets(path: string, targets?: string[]): boolean {
  if (!targets?.length) return true;
  const p = path.replace(/\/$/, "");
  return targets.some((t) => p === t || p.startsWith(t + "/") || t.startsWith(p + "/"));
}

/** Compare `aRev` (default HEAD) with `bRev` (default: the workspace). */
export async function diff(
  repo: Repo,
  aRev = "HEAD",
  bRev?: string,
  opts: DiffOptions = {},
): Promise<DiffResult> {
  const store = new ObjectStore(repo.cacheDir);
  const result: DiffResult = { added: [], deleted: [], modified: [], renamed: [], notInCache: [] };
  if (!repo.scmRoot) {
    throw new CairnError("diff needs git: this repository was initialised with --no-scm");
  }
  // No commits yet: everything is new (DVC compares against an empty tree).
  const hasA = gitRevParse(aRev, repo.scmRoot) !== null;
  if (!hasA && aRev !== "HEAD") throw new UnknownRevisionError(aRev);
  const a = hasA ? treeOfStages(collectStagesAtRev(repo, aRev), store) : new Map<string, string>();
  const notInCache = new Set<string>();
  let b: Tree;
  if (bRev === undefined) b = await workspaceTree(repo, notInCache);
  else {
    if (!gitRevParse(bRev, repo.scmRoot)) throw new UnknownRevisionError(bRev);
    b = treeOfStages(collectStagesAtRev(repo, bRev), store);
  }
  const added: DiffEntry[] = [];
  const deleted: DiffEntry[] = [];
  for (const [path, h] of b) {
    if (!inTargets(path, opts.targets)) continue;
    const old = a.get(path);
    if (old === undefined) added.push({ path, newHash: h });
    else if (old !== h) result.modified.push({ path, oldHash: old, newHash: h });
  }
  for (const [path, h] of a) {
    if (inTargets(path, opts.targets) && !b.has(path)) deleted.push({ path, oldHash: h });
  }
  // Renames: a deleted and an added file with the same content.
  const byHash = new Map<string, DiffEntry[]>();
  for (const d of deleted) {
    if (d.path.endsWith("/")) continue;
    const list = byHash.get(d.oldHash!) ?? [];
    list.push(d);
    byHash.set(d.oldHash!, list);
  }
  const renamedDeleted = new Set<DiffEntry>();
  for (const ad of added) {
    if (ad.path.endsWith("/")) {
      result.added.push(ad);
      continue;
    }
    const cand = byHash.get(ad.newHash!)?.find((d) => !renamedDeleted.has(d));
    if (cand) {
      renamedDeleted.add(cand);
      result.renamed.push({ oldPath: cand.path, newPath: ad.path, hash: ad.newHash });
    } else result.added.push(ad);
  }
  result.deleted = deleted.filter((d) => !renamedDeleted.has(d));
  // "Not in cache" (DVC): unchanged entries whose object the cache lacks.
  for (const p of notInCache) {
    if (inTargets(p, opts.targets) && a.get(p) === b.get(p)) {
      result.notInCache.push({ path: p, newHash: b.get(p) });
    }
  }
  const byPath = (x: DiffEntry, y: DiffEntry) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  result.added.sort(byPath);
  result.deleted.sort(byPath);
  result.modified.sort(byPath);
  result.notInCache.sort(byPath);
  result.renamed.sort((x, y) => (x.newPath < y.newPath ? -1 : 1));
  return result;
}
