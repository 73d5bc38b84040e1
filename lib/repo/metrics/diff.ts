/**
 * `metrics diff [A_REV] [B_REV]` (dvc-spec §12): metrics of two revisions
 * (default HEAD against the workspace) compared key by key.
 */
import type { Repo } from "../repo.ts";
import { gitHasCommits } from "../../scm/git.ts";
import { namedRevision, openRevision } from "../revisions.ts";
import { type DiffData, diffRevisionData, type FileData } from "../../metrics/compare.ts";
import { metricsAt, type RevisionResult, targetPaths } from "./show.ts";

export interface DiffOptions {
  aRev?: string;
  bRev?: string;
  /** user paths (relative to `repo.cwd`). */
  targets?: string[];
  /** also list unchanged values. */
  all?: boolean;
}

export interface DiffResult {
  diff: DiffData;
  /** per revision name: the revision's error, or its files' errors. */
  errors: Record<string, Error | Record<string, Error>>;
  /** per revision name: cached files whose objects are not in the cache. */
  missing: Record<string, string[]>;
}

/** Files with data (errors and missing objects count as absent, as in DVC). */
export function fileData(r: RevisionResult): FileData {
  const out: FileData = {};
  for (const [p, fr] of Object.entries(r.data ?? {})) {
    out[p] = "data" in fr ? { data: fr.data } : {};
  }
  return out;
}

/** Errors and missing objects of one revision into `res`. */
export function collectProblems(
  res: Pick<DiffResult, "errors" | "missing">,
  rev: string,
  r: RevisionResult,
): void {
  if (r.error) {
    res.errors[rev] = r.error;
    return;
  }
  const errs: Record<string, Error> = {};
  const missing: string[] = [];
  for (const [p, fr] of Object.entries(r.data ?? {})) {
    if ("error" in fr) errs[p] = fr.error;
    if ("missing" in fr) missing.push(p);
  }
  if (Object.keys(errs).length) res.errors[rev] = errs;
  if (missing.length) res.missing[rev] = missing;
}

export function diffMetrics(repo: Repo, opts: DiffOptions = {}): DiffResult {
  const res: DiffResult = { diff: {}, errors: {}, missing: {} };
  if (repo.scmRoot && !gitHasCommits(repo.root)) return res;
  const a = opts.aRev || "HEAD";
  const b = opts.bRev || "workspace";
  const targets = targetPaths(repo, opts.targets ?? []);
  const oldR = metricsAt(openRevision(repo, namedRevision(repo, a)), targets);
  const newR = metricsAt(openRevision(repo, namedRevision(repo, b)), targets);
  collectProblems(res, a, oldR);
  collectProblems(res, b, newR);
  res.diff = diffRevisionData(fileData(oldR), fileData(newR), { withUnchanged: opts.all });
  return res;
}
