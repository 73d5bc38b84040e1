/**
 * `stage migrate`: legacy command stages (`.dvc` files with a `cmd`, as DVC
 * 0.x/1.x and `run -f x.dvc` wrote them; DVC 3 rejects them: "extra keys
 * not allowed") become `dvc.yaml` stages in the same directory, with their
 * recorded hashes moved to `dvc.lock` so nothing reruns. Legacy hashes stay
 * legacy in the lock (no `hash: md5`), which DVC 3 reads as md5-dos2unix.
 */
import { basename, dirname, join } from "node:path";
import { CairnError, fsError } from "../errors.ts";
import { addStage, StageExistsError } from "../dvcfile/pipeline_edit.ts";
import { lockPathFor, type PipelineOptions } from "../dvcfile/pipeline_file.ts";
import { updateLockFile } from "../dvcfile/lock_file.ts";
import type { Stage } from "../stage/types.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { collectStages, invalidateIndex } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { resolve } from "node:path";

/** One legacy stage file turned into a dvc.yaml stage. */
export interface MigratedStage {
  /** the `.dvc` file removed (repo-relative). */
  from: string;
  /** the dvc.yaml written (repo-relative). */
  file: string;
  name: string;
  /** the dvc.lock written (repo-relative), or undefined when the stage was never run. */
  lock?: string;
}

/** A stage name from a legacy file name: `train.dvc` -> `train`, `Dvcfile` -> `Dvcfile`. */
function stageNameFor(file: string): string {
  const name = basename(file).replace(/\.dvc$/, "");
  return name.replace(/[:@/\\]/g, "_") || "stage";
}

/**
 * Migrate the legacy command stages named by `targets` (their `.dvc` files),
 * or every one in the repository.
 */
export async function migrateLegacyStages(
  repo: Repo,
  targets: string[] = [],
): Promise<MigratedStage[]> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const wanted = new Set(targets.map((t) => repoRelative(repo, resolve(repo.cwd, t))));
    const legacy = collectStages(repo, { fresh: true }).stages.filter((s) =>
      s.kind === "dvcfile" && s.cmd !== undefined && (!wanted.size || wanted.has(s.file))
    );
    for (const t of wanted) {
      if (!legacy.some((s) => s.file === t)) {
        throw new CairnError(`'${t}' is not a legacy stage file (a .dvc file with a 'cmd')`);
      }
    }
    const parsing = repo.config.other?.["parsing"] as PipelineOptions["parsing"];
    const done: MigratedStage[] = [];
    for (const old of legacy) {
      const dir = dirname(old.file) === "." ? "" : dirname(old.file);
      const file = dir ? `${dir}/dvc.yaml` : "dvc.yaml";
      const name = stageNameFor(old.file);
      const stage: Stage = {
        ...old,
        name,
        kind: "pipeline",
        file,
        md5: undefined,
        locked: false,
        lockedCmd: undefined,
      };
      try {
        addStage(repo.root, stage, { root: repo.root, parsing });
      } catch (err) {
        if (err instanceof StageExistsError) {
          throw new CairnError(
            `cannot migrate '${old.file}': stage '${name}' already exists in '${file}'`,
            { hint: "rename or remove that stage first" },
          );
        }
        throw err;
      }
      let lockFile: string | undefined;
      // a stage that ran has hashes: they move to dvc.lock, so status stays clean
      if (old.outs.some((o) => o.hash) || old.deps.some((d) => d.hash)) {
        stage.locked = true;
        stage.lockedCmd = stage.cmd;
        lockFile = lockPathFor(file);
        updateLockFile(repo.root, lockFile, [stage]);
      }
      try {
        Deno.removeSync(join(repo.root, old.file));
      } catch (err) {
        throw fsError(err, "removing", old.file);
      }
      done.push({ from: old.file, file, name, lock: lockFile });
    }
    invalidateIndex(repo);
    return done;
  } finally {
    lock.release();
  }
}
