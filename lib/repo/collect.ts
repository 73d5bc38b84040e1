/**
 * Every stage of the repository: all `dvc.yaml` files (with their dvc.lock)
 * and all `.dvc` files, found through git (which skips git-ignored output
 * dirs cheaply) or, without git, by walking the workspace.
 */
import { join, posix } from "node:path";
import { loadPipelineFile, type PipelineFile } from "../dvcfile/pipeline_file.ts";
import { loadDvcFile } from "../dvcfile/dvc_file.ts";
import type { ParsingConfig } from "../dvcfile/_context.ts";
import { DvcIgnore } from "../fs/dvcignore.ts";
import { gitRaw } from "../scm/git.ts";
import type { Output, Stage } from "../stage/types.ts";
import type { Repo } from "./repo.ts";

export interface RepoIndex {
  stages: Stage[];
  pipelineFiles: PipelineFile[];
  /** repo-relative paths of `.dvc` files. */
  dvcFiles: string[];
}

function isStageFile(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf("/") + 1);
  return base === "dvc.yaml" || (base.endsWith(".dvc") && base !== ".dvc");
}

/** Repo-relative paths of dvc.yaml / *.dvc files. */
export function findStageFiles(repo: Repo): string[] {
  const ignore = new DvcIgnore(repo.root);
  let found: string[];
  if (repo.scmRoot) {
    const r = gitRaw(
      [
        "ls-files",
        "-z",
        "-c",
        "-o",
        "--exclude-standard",
        "--",
        ":(glob)**/*.dvc",
        ":(glob)**/dvc.yaml",
      ],
      { cwd: repo.root },
    );
    found = r.stdout.split("\0").filter(Boolean);
    // ls-files lists paths relative to cwd (= repo root); deleted files may still be listed.
    found = found.filter((rel) => {
      try {
        return Deno.statSync(join(repo.root, rel)).isFile;
      } catch {
        return false;
      }
    });
  } else {
    found = [];
    const walk = (dirAbs: string, rel: string) => {
      for (const e of Deno.readDirSync(dirAbs)) {
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const childAbs = join(dirAbs, e.name);
        if (ignore.isIgnored(childAbs, e.isDirectory)) continue;
        if (e.isDirectory) walk(childAbs, childRel);
        else if (e.isFile && isStageFile(childRel)) found.push(childRel);
      }
    };
    walk(repo.root, "");
  }
  return [...new Set(found)]
    .filter((rel) => isStageFile(rel) && !ignore.isIgnored(join(repo.root, rel), false))
    .sort();
}

const indexes = new WeakMap<Repo, RepoIndex>();

/** All stages (cached per Repo handle; pass `fresh` after writing stage files). */
export function collectStages(repo: Repo, opts: { fresh?: boolean } = {}): RepoIndex {
  const cached = indexes.get(repo);
  if (cached && !opts.fresh) return cached;
  const index: RepoIndex = { stages: [], pipelineFiles: [], dvcFiles: [] };
  const parsing = repo.config.other["parsing"];
  for (const rel of findStageFiles(repo)) {
    if (rel.endsWith("dvc.yaml")) {
      const pf = loadPipelineFile(repo.root, rel, {
        parsing: parsing as ParsingConfig | undefined,
      });
      index.pipelineFiles.push(pf);
      index.stages.push(...pf.stages);
    } else {
      index.dvcFiles.push(rel);
      index.stages.push(loadDvcFile(repo.root, rel));
    }
  }
  indexes.set(repo, index);
  return index;
}

/** Forget the cached index (after stage files were written). */
export function invalidateIndex(repo: Repo): void {
  indexes.delete(repo);
}

/** Repo-relative posix path of an output or dependency of `stage`. */
export function stagePath(stage: Stage, path: string): string {
  if (path.startsWith("/")) return path;
  return posix.normalize(posix.join(stage.wdir || ".", path)).replace(/^\.\/?$/, "");
}

/** Absolute path of an output or dependency of `stage`. */
export function stageAbsPath(repo: Repo, stage: Stage, path: string): string {
  if (path.startsWith("/")) return path;
  return join(repo.root, stagePath(stage, path));
}

export interface OutputOf {
  stage: Stage;
  out: Output;
  /** repo-relative posix path. */
  rel: string;
}

/** Every output of every stage, with its repo-relative path. */
export function allOutputs(index: RepoIndex): OutputOf[] {
  return index.stages.flatMap((stage) =>
    stage.outs.map((out) => ({ stage, out, rel: stagePath(stage, out.path) }))
  );
}

/** True if `a` is `b` or inside it (repo-relative posix paths). */
export function isInside(a: string, b: string): boolean {
  return a === b || b === "" || a.startsWith(b + "/");
}
