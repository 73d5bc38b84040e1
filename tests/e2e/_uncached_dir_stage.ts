/** A scenario several fidelity tests start from. */
import { join } from "node:path";
import { cairnOk, git, removeDir } from "../_rig/rig.ts";

/**
 * In `dir` (a makeRepo): the stage `name` whose `cmd` writes the folder `out`,
 * with `dvcYaml` appended to dvc.yaml (metrics:/plots: entries), run and
 * committed (tagged `tag` if given); then the cache and the folder are removed,
 * so the folder's listing (.dir) is nowhere at hand: example-get-started
 * cloned without its remote, as DVC 3.64 was recorded on it.
 */
export function uncachedDirStage(
  dir: string,
  stage: { name: string; out: string; cmd: string; dvcYaml?: string; tag?: string },
): void {
  cairnOk(["stage", "add", "-q", "-n", stage.name, "-o", stage.out, stage.cmd], { cwd: dir });
  if (stage.dvcYaml) {
    Deno.writeTextFileSync(join(dir, "dvc.yaml"), stage.dvcYaml, { append: true });
  }
  cairnOk(["repro", "-q"], { cwd: dir });
  git(["add", "-A"], dir);
  git(["commit", "-qm", stage.out], dir);
  if (stage.tag) git(["tag", stage.tag], dir);
  removeDir(join(dir, ".dvc/cache"));
  removeDir(join(dir, stage.out));
}
