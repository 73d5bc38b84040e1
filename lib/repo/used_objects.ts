/**
 * Stages as they were at a git revision, and the cache objects that a set
 * of revisions uses (spec §7.2, §16): the basis of gc, push, pull, fetch,
 * diff and `status -c`.
 */
import { relative } from "node:path";
import { parseDvcFile } from "../dvcfile/dvc_file.ts";
import { mergeLockIntoStages, parseLockFile } from "../dvcfile/lock_file.ts";
import { lockPathFor, parsePipelineFile } from "../dvcfile/pipeline_file.ts";
import type { ParsingConfig } from "../dvcfile/_context.ts";
import { ObjectStore } from "../cache/object_store.ts";
import { CairnError } from "../errors.ts";
import { git, gitAllCommits, gitBranches, gitRevParse, gitShowBytes, gitTags } from "../scm/git.ts";
import type { HashInfo, Output, Stage } from "../stage/types.ts";
import { collectStages, stagePath } from "./collect.ts";
import type { Repo } from "./repo.ts";

const dec = new TextDecoder();

/** Path prefix of the DVC root inside the git tree ("" unless `init --subdir`). */
function scmPrefix(repo: Repo): string {
  if (!repo.scmRoot) return "";
  const p = relative(repo.scmRoot, repo.root).split("\\").join("/");
  return p ? p + "/" : "";
}

/** Read a repo-relative file at `rev` (undefined if absent). */
export function readAtRev(repo: Repo, rev: string, rel: string): string | undefined {
  const bytes = gitShowBytes(rev, scmPrefix(repo) + rel, repo.scmRoot ?? repo.root);
  return bytes ? dec.decode(bytes) : undefined;
}

/** All stages defined at git revision `rev`. */
export function collectStagesAtRev(repo: Repo, rev: string): Stage[] {
  if (!repo.scmRoot) {
    throw new CairnError("git revisions are not available in a --no-scm repository");
  }
  const prefix = scmPrefix(repo);
  const files = git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev], repo.scmRoot)
    .split("\0").filter((p) => p && p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  const stages: Stage[] = [];
  const parsing = repo.config.other["parsing"] as ParsingConfig | undefined;
  for (const rel of files.sort()) {
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    if (base === "dvc.yaml") {
      const text = readAtRev(repo, rev, rel);
      if (text === undefined) continue;
      const pf = parsePipelineFile(text, rel, {
        readText: (p) => readAtRev(repo, rev, p),
        parsing,
      });
      const lockRel = lockPathFor(rel);
      const lockText = readAtRev(repo, rev, lockRel);
      if (lockText !== undefined) mergeLockIntoStages(pf.stages, parseLockFile(lockText, lockRel));
      stages.push(...pf.stages);
    } else if (base.endsWith(".dvc") && base !== ".dvc") {
      const text = readAtRev(repo, rev, rel);
      if (text !== undefined) stages.push(parseDvcFile(text, rel));
    }
  }
  return stages;
}

export interface RevisionSelection {
  /** include the workspace (always true for gc, as DVC). */
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** explicit revisions. */
  revs?: string[];
  /** with revs: also this many ancestors of each (`-n`). */
  numCommits?: number;
  /** refs/exps/* commits too. */
  allExperiments?: boolean;
}

/** Commits selected by flags, de-duplicated (sha -> names). */
export function selectRevisions(repo: Repo, sel: RevisionSelection): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!repo.scmRoot) return out;
  const cwd = repo.scmRoot;
  const addRev = (rev: string, name: string) => {
    const sha = gitRevParse(rev, cwd);
    if (!sha) throw new CairnError(`unknown Git revision '${rev}'`);
    const names = out.get(sha) ?? [];
    if (!names.includes(name)) names.push(name);
    out.set(sha, names);
  };
  if (sel.allBranches) { for (const b of gitBranches(cwd)) addRev(`refs/heads/${b}`, b); }
  if (sel.allTags) { for (const t of gitTags(cwd)) addRev(`refs/tags/${t}`, t); }
  if (sel.allCommits) { for (const c of gitAllCommits(cwd)) addRev(c, c.slice(0, 7)); }
  if (sel.allExperiments) {
    const refs = git(["for-each-ref", "--format=%(refname)", "refs/exps"], cwd).split("\n")
      .filter((r) =>
        r && !r.includes("/stash") && !r.includes("/exec/") && !r.includes("/celery/")
      );
    for (const r of refs) addRev(r, r.split("/").at(-1)!);
  }
  for (const rev of sel.revs ?? []) {
    addRev(rev, rev);
    const n = sel.numCommits ?? 1;
    if (n > 1) {
      const shas = git(["rev-list", `--max-count=${n}`, rev], cwd).split("\n").filter(Boolean);
      for (const s of shas) addRev(s, s.slice(0, 7));
    }
  }
  return out;
}

export interface UsedObject {
  md5: string;
  legacy: boolean;
  /** display paths of outputs using it (for messages). */
  paths: Set<string>;
  /** outputs' `remote:` flags (push/pull routing). */
  remotes: Set<string | undefined>;
  /** false when every use is `push: false`. */
  push: boolean;
}

export interface UsedObjectsOptions extends RevisionSelection {
  /** restrict to these outputs (predicate on stage + output). */
  filter?: (stage: Stage, out: Output) => boolean;
  /** skip outputs of import stages (push: they come from the source repo). */
  skipImports?: boolean;
  /** store to read `.dir` listings from (default: the repo cache). */
  store?: ObjectStore;
  /**
   * false: `.dir` objects are not expanded into their files (push/fetch expand
   * them in the transfer engine; at 1M files an entry per file here costs
   * hundreds of MB). Default true.
   */
  expandDirs?: boolean;
}

export interface UsedObjects {
  objects: Map<string, UsedObject>;
  /** `.dir` objects whose listing is not available locally (content unknown). */
  missingDirs: UsedObject[];
}

function keyOf(md5: string, legacy: boolean) {
  return (legacy ? "legacy:" : "") + md5;
}

/** Objects used by the selected revisions (the workspace included unless workspace: false). */
export function usedObjects(repo: Repo, opts: UsedObjectsOptions = {}): UsedObjects {
  const store = opts.store ?? new ObjectStore(repo.cacheDir);
  const result: UsedObjects = { objects: new Map(), missingDirs: [] };
  const dirsSeen = new Set<string>();
  const addHash = (hash: HashInfo, path: string, out: Output) => {
    const legacy = hash.hashName !== "md5";
    const add = (md5: string, p: string) => {
      const k = keyOf(md5, legacy);
      let u = result.objects.get(k);
      if (!u) {
        u = { md5, legacy, paths: new Set(), remotes: new Set(), push: false };
        result.objects.set(k, u);
      }
      u.paths.add(p);
      u.remotes.add(out.remote);
      if (out.push) u.push = true;
      return u;
    };
    const top = add(hash.md5, path);
    if (!hash.md5.endsWith(".dir") || opts.expandDirs === false) return;
    const dk = keyOf(hash.md5, legacy) + "|" + (out.remote ?? "") + "|" + out.push;
    if (dirsSeen.has(dk)) return;
    dirsSeen.add(dk);
    let listing;
    try {
      listing = store.readDirObject(hash.md5, { legacy });
    } catch {
      result.missingDirs.push(top);
      return;
    }
    for (const e of listing) add(e.md5, `${path}/${e.relpath}`);
  };
  const visit = (stages: Stage[]) => {
    for (const stage of stages) {
      const isImport = stage.deps.some((d) => d.repo);
      if (opts.skipImports && isImport) continue;
      for (const out of stage.outs) {
        if (!out.cache || !out.hash?.md5) continue;
        if (opts.filter && !opts.filter(stage, out)) continue;
        addHash(out.hash, stagePath(stage, out.path), out);
      }
    }
  };
  if (opts.workspace !== false) visit(collectStages(repo).stages);
  for (const sha of selectRevisions(repo, opts).keys()) visit(collectStagesAtRev(repo, sha));
  return result;
}
