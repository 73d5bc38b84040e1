/**
 * `params diff [A_REV] [B_REV]` (dvc-spec §11): params of two revisions
 * (default HEAD against the workspace), flattened with dotted keys and
 * compared. Empty when the repository has no commits.
 */
import type { Repo } from "../repo.ts";
import { gitHasCommits } from "../../scm/git.ts";
import { namedRevision, openRevision } from "../revisions.ts";
import { diffRevisionData } from "../../metrics/compare.ts";
import { collectProblems, type DiffOptions, type DiffResult, fileData } from "../metrics/diff.ts";
import { targetPaths } from "../metrics/show.ts";
import { paramsAt } from "./show.ts";

export interface ParamsDiffOptions extends DiffOptions {
  /** only params that stages depend on (`--deps`). */
  deps?: boolean;
}

export function diffParams(repo: Repo, opts: ParamsDiffOptions = {}): DiffResult {
  const res: DiffResult = { diff: {}, errors: {}, missing: {} };
  if (repo.scmRoot && !gitHasCommits(repo.root)) return res;
  const a = opts.aRev || "HEAD";
  const b = opts.bRev || "workspace";
  const targets = targetPaths(repo, opts.targets ?? []);
  const at = (name: string) =>
    paramsAt(openRevision(repo, namedRevision(repo, name)), { targets, depsOnly: opts.deps });
  const oldR = at(a);
  const newR = at(b);
  collectProblems(res, a, oldR);
  collectProblems(res, b, newR);
  res.diff = diffRevisionData(fileData(oldR), fileData(newR), { withUnchanged: opts.all });
  return res;
}
