/**
 * The `.dvc` file side shared by `import`, `import-url` and `update`: where the
 * output goes, the frozen stage written for it, and git staging.
 */
import { dirname, join, resolve } from "node:path";
import { CairnError, PathExistsError } from "../errors.ts";
import { computeStageMd5 } from "../dvcfile/dvc_file.ts";
import { gitAdd } from "../scm/git.ts";
import { PathGuard } from "../fs/path_guard.ts";
import { assertIgnorable } from "../scm/gitignore.ts";
import type { Dependency, HashInfo, Output, Stage } from "../stage/types.ts";
import { configBool } from "../config/config.ts";
import { allOutputs, collectStages, isInside } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { pathExists } from "./_import_source.ts";

export interface ImportResult {
  /** repo-relative path of the output. */
  path: string;
  dvcFile: string;
  revLock?: string;
  hash?: HashInfo;
  gitFiles: string[];
  autostaged: boolean;
}

export function outputEntry(path: string, hash: HashInfo | undefined): Output {
  const o: Output = { path, kind: "out", cache: true, persist: false, push: true };
  if (hash) o.hash = { ...hash };
  return o;
}

export function importStage(dvcFileRel: string, dep: Dependency, out: Output): Stage {
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

export function planOut(repo: Repo, given: string, force?: boolean): { abs: string; rel: string } {
  const abs = resolve(repo.cwd, given.replace(/\/+$/, "") || given);
  const rel = repoRelative(repo, abs);
  if (rel === "" || isInside(rel, ".dvc") || isInside(rel, ".git")) {
    throw new CairnError(`cannot import to '${given}': it is the repository or its metadata`);
  }
  if (repo.scmRoot) assertIgnorable(abs, given);
  const sym = new PathGuard(repo.root).symlinkProblem(abs);
  if (sym) throw new CairnError(`cannot import to '${given}': it ${sym.reason} (to '${sym.real}')`);
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
    throw new PathExistsError(rel, "use --force to overwrite it");
  }
  return { abs, rel };
}

export function finishGit(
  repo: Repo,
  files: string[],
): { gitFiles: string[]; autostaged: boolean } {
  const gitFiles = [...new Set(files)];
  if (repo.scmRoot && configBool(repo.config.core.autostage) && gitFiles.length) {
    gitAdd(gitFiles, repo.root);
    return { gitFiles, autostaged: true };
  }
  return { gitFiles, autostaged: false };
}
