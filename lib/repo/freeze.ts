/**
 * `freeze` / `unfreeze` (DVC `dvc/repo/freeze.py`): set `frozen` on one
 * stage per target and rewrite its definition in place (comments kept; a
 * `.dvc` file is updated like DVC's dump). A frozen stage is never run by
 * `repro`, and its dependencies are not checked.
 */
import { relative } from "node:path";
import { CairnError } from "../errors.ts";
import { saveDvcFile } from "../dvcfile/dvc_file.ts";
import { setFrozen } from "../dvcfile/pipeline_edit.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import type { Stage } from "../stage/types.ts";
import { collectTarget, invalidateIndex } from "./collect.ts";
import type { Repo } from "./repo.ts";

export interface FreezeResult {
  /** stages changed, with the file (relative to cwd) their definition is in. */
  modified: { stage: Stage; name: string; file: string }[];
}

/** The one stage a freeze target names (a foreach group is refused, as in DVC). */
function targetStage(repo: Repo, target: string): Stage {
  const stages = collectTarget(repo, target);
  if (stages.length > 1) {
    throw new CairnError(
      `'${target}' names ${stages.length} stages; name one of them (e.g. '${stages[0].name}')`,
    );
  }
  return stages[0];
}

export async function setStagesFrozen(
  repo: Repo,
  targets: readonly string[],
  frozen: boolean,
): Promise<FreezeResult> {
  if (!targets.length) throw new CairnError("at least one target is required");
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const stages = targets.map((t) => targetStage(repo, t));
    const result: FreezeResult = { modified: [] };
    for (const stage of stages) {
      if (stage.kind === "pipeline") {
        setFrozen(repo.root, stage.file, stage.name, frozen, { root: repo.root });
      } else {
        stage.frozen = frozen;
        saveDvcFile(repo.root, stage);
      }
      result.modified.push({
        stage,
        name: stage.name,
        file: relative(repo.cwd, `${repo.root}/${stage.file}`).split("\\").join("/"),
      });
    }
    invalidateIndex(repo);
    return result;
  } finally {
    lock.release();
  }
}
