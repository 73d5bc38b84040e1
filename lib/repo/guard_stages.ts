/**
 * Stage outputs come from `.dvc` / `dvc.yaml` / `dvc.lock` files that a clone
 * may have planted: every verb that collects stages checks their outputs with
 * the one path guard (lib/fs/path_guard.ts) before it writes anything.
 * DVC's rules: a cached output must be inside the project (3.x refuses
 * "cached output(s) outside of DVC project"); an uncached one may be
 * external. Nothing may land in `.git`, `.dvc` or the cache, and a cached
 * output's name must be one a `.gitignore` line can express.
 */
import { CairnError } from "../errors.ts";
import { PathGuard, UnsafePathError } from "../fs/path_guard.ts";
import { gitignoreNameProblem } from "../scm/gitignore.ts";
import type { Output, Stage } from "../stage/types.ts";
import { isInside, stagePath } from "./collect.ts";
import type { Repo } from "./repo.ts";

/** The entry naming an output in messages: `outs[0].path` / `stage 'train' outs[0]`. */
function entryOf(stage: Stage, i: number): string {
  return stage.kind === "dvcfile" ? `outs[${i}].path` : `stage '${stage.name}' outs[${i}]`;
}

function isExternal(rel: string): boolean {
  return rel.startsWith("/") || rel === ".." || rel.startsWith("../");
}

/**
 * Throw UnsafePathError for the first output of `stages` that may not be
 * written. `guard` can be shared across calls (it memoizes real paths).
 */
export function guardStageOutputs(
  repo: Repo,
  stages: readonly Stage[],
  guard: PathGuard = new PathGuard(repo.root),
): void {
  for (const stage of stages) {
    stage.outs.forEach((out: Output, i) => {
      const rel = stagePath(stage, out.path);
      const origin = { file: stage.file, entry: entryOf(stage, i) };
      // DVC allows an uncached output outside the project (nothing is checked out there).
      if (!out.cache && isExternal(rel) && !out.path.includes("\0")) return;
      const abs = guard.resolve(rel, origin, out.path);
      if (isInside(abs, repo.cacheDir)) {
        throw new UnsafePathError(origin, out.path, "is inside the DVC cache", abs);
      }
      // A cached output gets a .gitignore line: refuse a name git cannot read back.
      const why = out.cache && repo.scmRoot
        ? gitignoreNameProblem(abs.slice(abs.lastIndexOf("/") + 1))
        : null;
      if (why) {
        throw new CairnError(
          `'${stage.file}': ${origin.entry} ${JSON.stringify(out.path)} cannot be tracked: ${why}`,
          { hint: "rename the output (no newline in its name)" },
        );
      }
    });
  }
}
