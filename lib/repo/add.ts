/**
 * `add`: track files and directories with `.dvc` files (spec §2): hash,
 * store in the cache, relink, write `<target>.dvc`, git-ignore the data.
 * Every target is validated before anything is written, so a bad target
 * in a list changes nothing.
 */
import { dirname, join, relative, resolve } from "node:path";
import { CairnError, fsError, ignoreNotFound, UsageError } from "../errors.ts";
import { commitOutput } from "../cache/checkout.ts";
import { saveLink } from "./workspace_links.ts";
import { hashPath } from "../hash/hash_path.ts";
import type { ProgressFn } from "../hash/hash_files.ts";
import { loadDvcFile, saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { gitAdd, gitTracked } from "../scm/git.ts";
import { assertIgnorable, ignoreInGit } from "../scm/gitignore.ts";
import { PathGuard } from "../fs/path_guard.ts";
import type { HashInfo, Output, Stage } from "../stage/types.ts";
import { checkInterrupted } from "../interrupt.ts";
import { cacheContext } from "./cache_context.ts";
import { allOutputs, collectStages, invalidateIndex, isInside } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { configBool } from "../config/config.ts";
import { lexists } from "../fs/stat_or_null.ts";

export interface AddOptions {
  /** treat targets as glob patterns (relative to cwd). */
  glob?: boolean;
  /** destination path inside the repo (single target, may be outside the repo). */
  out?: string;
  /** do not put the data into the cache. */
  noCommit?: boolean;
  /** add even if the target overlaps or is already tracked by git (DVC's -f for outs). */
  force?: boolean;
  desc?: string;
  labels?: string[];
  type?: string;
  meta?: Record<string, unknown>;
  remote?: string;
  push?: boolean;
  onProgress?: ProgressFn;
}

export interface AddedTarget {
  /** repo-relative path of the data. */
  path: string;
  /** repo-relative path of the .dvc file written. */
  dvcFile: string;
  hash: HashInfo;
  kind: "file" | "dir";
}

export interface AddResult {
  added: AddedTarget[];
  /** files the user should `git add` (absolute), or that were staged with autostage. */
  gitFiles: string[];
  autostaged: boolean;
}

/** Expand `--glob` patterns relative to cwd (simple `*`, `?`, `**` support). */
export function expandGlobs(cwd: string, patterns: string[]): string[] {
  const out: string[] = [];
  for (const pat of patterns) {
    const abs = resolve(cwd, pat);
    const parts = abs.split("/").filter(Boolean);
    let cur = ["/"];
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const next: string[] = [];
      const re = /[*?[]/.test(part) ? globPart(part) : null;
      for (const base of cur) {
        if (!re) {
          next.push(join(base, part));
          continue;
        }
        let entries: Deno.DirEntry[];
        try {
          entries = [...Deno.readDirSync(base)];
        } catch {
          continue;
        }
        for (const e of entries) {
          if (re.test(e.name) && (last || e.isDirectory)) next.push(join(base, e.name));
        }
      }
      cur = next;
    });
    const hits = cur.filter((p) => lexists(p)).sort();
    if (!hits.length) throw new CairnError(`Glob ${pat} has no matches.`);
    for (const p of hits) out.push(relative(cwd, p)); // no spread: a glob may match 1M files
  }
  return out;
}

function globPart(part: string): RegExp {
  let re = "";
  for (const c of part) {
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

interface Planned {
  /** absolute data path in the workspace. */
  abs: string;
  rel: string;
  dvcFileRel: string;
  /** absolute external source to copy from (`-o`). */
  source?: string;
  existing?: Stage;
}

function plan(repo: Repo, targets: string[], opts: AddOptions): Planned[] {
  if (!targets.length) throw new CairnError("add: at least one target is required");
  if (opts.out && targets.length > 1) {
    throw new UsageError("--out can't be used with multiple targets");
  }
  const index = collectStages(repo);
  const outputs = allOutputs(index);
  const planned: Planned[] = [];
  for (const t of targets) {
    const given = resolve(repo.cwd, t.replace(/\/+$/, "") || t);
    const source = opts.out ? given : undefined;
    const abs = opts.out ? resolve(repo.cwd, opts.out.replace(/\/+$/, "")) : given;
    if (!lexists(source ?? abs)) {
      throw new CairnError(`target '${t}' does not exist`, {
        hint: "check the path, relative to the current directory",
      });
    }
    const rel = repoRelative(repo, abs);
    if (rel === "" || isInside(rel, ".dvc") || isInside(rel, ".git")) {
      throw new CairnError(`cannot add '${t}': it is the repository itself or its metadata`);
    }
    if (repo.scmRoot) assertIgnorable(abs, t);
    // DVC: "Cannot add files inside symlinked directories": the .dvc file and the
    // .gitignore entry would land where the link points.
    const sym = new PathGuard(repo.root).symlinkProblem(abs);
    if (sym) {
      throw new CairnError(`cannot add '${t}': it ${sym.reason} (to '${sym.real}')`, {
        hint: "add the data where it really is, inside the project",
      });
    }
    const ctx = cacheContext(repo);
    if (ctx.ignore?.isIgnored(abs, isDirPath(source ?? abs))) {
      throw new CairnError(`'${t}' is ignored by .dvcignore`, {
        hint: "remove the matching pattern from .dvcignore to track it",
      });
    }
    if (isInside(abs, repo.cacheDir)) {
      throw new CairnError(`cannot add '${t}': it is inside the cache directory`);
    }
    if (repo.scmRoot && !opts.force) {
      const tracked = gitTracked([abs], repo.root);
      if (tracked.length) {
        throw new CairnError(
          `output '${rel}' is already tracked by SCM (e.g. Git).\n` +
            `    You can remove it from Git, then add to DVC.\n` +
            `        To stop tracking from Git:\n` +
            `            git rm -r --cached '${rel}'\n` +
            `            git commit -m "stop tracking ${rel}"`,
        );
      }
    }
    const dvcFileRel = `${rel}.dvc`;
    let existing: Stage | undefined;
    for (const o of outputs) {
      if (o.stage.file === dvcFileRel && o.rel === rel) {
        existing = o.stage;
        continue;
      }
      if (isInside(rel, o.rel) || isInside(o.rel, rel)) {
        const parent = isInside(rel, o.rel) ? o.rel : rel;
        const stageName = o.stage.kind === "dvcfile" ? o.stage.file : o.stage.name;
        throw new CairnError(
          `Cannot add '${rel}', because it is overlapping with other DVC tracked output: '${o.rel}'.\n` +
            `To include '${rel}' in '${parent}', run 'dvc commit ${stageName}'`,
        );
      }
    }
    if (!existing && lexists(join(repo.root, dvcFileRel))) {
      existing = loadDvcFile(repo.root, dvcFileRel);
    }
    if (planned.some((p) => p.rel === rel)) continue;
    planned.push({ abs, rel, dvcFileRel, source, existing });
  }
  return planned;
}

function isDirPath(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

/** Copy an external file or directory into the workspace (`add -o`). */
function copyIn(source: string, dest: string) {
  try {
    Deno.mkdirSync(dirname(dest), { recursive: true });
    if (Deno.statSync(source).isDirectory) {
      Deno.mkdirSync(dest, { recursive: true });
      for (const e of Deno.readDirSync(source)) copyIn(join(source, e.name), join(dest, e.name));
    } else {
      Deno.copyFileSync(source, dest);
    }
  } catch (err) {
    throw fsError(err, "copying", source);
  }
}

function outputFor(
  rel: string,
  dvcFileRel: string,
  hash: HashInfo,
  prev: Output | undefined,
  opts: AddOptions,
): Output {
  const path = relative(dirname(join("/", dvcFileRel)), join("/", rel));
  return {
    ...(prev ?? { kind: "out", cache: true, persist: false, push: true }),
    path: prev?.path ?? path,
    hash,
    ...(opts.desc !== undefined ? { desc: opts.desc } : {}),
    ...(opts.type !== undefined ? { type: opts.type } : {}),
    ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
    ...(opts.meta !== undefined ? { meta: opts.meta } : {}),
    ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
    ...(opts.push === false ? { push: false } : {}),
  };
}

export async function add(
  repo: Repo,
  targets: string[],
  opts: AddOptions = {},
): Promise<AddResult> {
  const list = opts.glob ? expandGlobs(repo.cwd, targets) : targets;
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const planned = plan(repo, list, opts);
    const ctx = cacheContext(repo);
    const result: AddResult = { added: [], gitFiles: [], autostaged: false };
    for (const p of planned) {
      checkInterrupted();
      if (p.source) copyIn(p.source, p.abs);
      let hash: HashInfo;
      let kind: "file" | "dir";
      if (opts.noCommit) {
        const r = await hashPath(p.abs, {
          state: ctx.state,
          ignore: ctx.ignore,
          onProgress: opts.onProgress,
        });
        hash = r.hash;
        kind = r.kind;
      } else {
        const r = await commitOutput(ctx, p.abs, { onProgress: opts.onProgress });
        saveLink(ctx, p.abs, r.files);
        hash = r.hash;
        kind = r.kind;
      }
      const stage: Stage = p.existing ?? {
        name: p.dvcFileRel,
        kind: "dvcfile",
        file: p.dvcFileRel,
        wdir: dirname(p.dvcFileRel) === "." ? "" : dirname(p.dvcFileRel),
        deps: [],
        params: [],
        outs: [],
        frozen: false,
        alwaysChanged: false,
      };
      stage.outs = [outputFor(p.rel, p.dvcFileRel, hash, stage.outs[0], opts)];
      saveDvcFile(repo.root, stage);
      result.gitFiles.push(join(repo.root, p.dvcFileRel));
      if (repo.scmRoot) {
        const gi = ignoreInGit(p.abs, { scmRoot: repo.scmRoot });
        if (gi) result.gitFiles.push(gi);
      }
      result.added.push({ path: p.rel, dvcFile: p.dvcFileRel, hash, kind });
    }
    invalidateIndex(repo);
    result.gitFiles = [...new Set(result.gitFiles)];
    if (repo.scmRoot && configBool(repo.config.core.autostage) && result.gitFiles.length) {
      gitAdd(result.gitFiles, repo.root);
      result.autostaged = true;
    }
    return result;
  } finally {
    lock.release();
  }
}
